// The console's entry point: tabs (with the URL's #hash), the key button, the model lists.

import { initKeyButton, models } from "./api.js";
import { initCompletions, setCompletionModels } from "./completions.js";
import { initPerplexity, setPerplexityModels } from "./perplexity.js";
import { initRequests, load as loadRequests, setRequestModels } from "./requests.js";
import { initStatus, setStatusActive } from "./status.js";

const PANELS = ["status", "perplexity", "completions", "requests"];

function showPanel(name, { focus = false } = {}) {
  if (!PANELS.includes(name)) name = "status";
  for (const panel of PANELS) {
    const tab = document.getElementById("tab-" + panel);
    const selected = panel === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    document.getElementById("panel-" + panel).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  setStatusActive(name === "status");
  if (name === "requests") loadRequests();
  if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
}

function initTabs() {
  const list = document.getElementById("tabs");
  list.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) showPanel(tab.id.slice(4));
  });
  // WAI-ARIA tabs: ← → move between tabs, Home and End jump.
  list.addEventListener("keydown", (event) => {
    const current = PANELS.indexOf(document.activeElement.id.slice(4));
    if (current < 0) return;
    const next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: PANELS.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    showPanel(PANELS[(next + PANELS.length) % PANELS.length], { focus: true });
  });
  window.addEventListener("hashchange", () => showPanel(location.hash.slice(1)));
}

async function loadModels() {
  try {
    const list = await models();
    setPerplexityModels(list);
    setCompletionModels(list);
    setRequestModels(list);
  } catch (error) {
    document.getElementById("status-message").textContent = "Cannot list the models: " + error.message;
  }
}

initKeyButton();
initStatus();
initPerplexity();
initCompletions();
initRequests();
initTabs();
showPanel(location.hash.slice(1) || "status");
loadModels();
