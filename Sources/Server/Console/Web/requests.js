// The Request log panel: the newest rows of GET /admin/requests, filtered by route, model,
// status class and time window, a page at a time, with one row's every field on demand.

import { fillModelSelect, getJSON } from "./api.js";
import { definitionList, el, num } from "./format.js";

let page = 0;
let loading = null;

export function initRequests() {
  const form = document.getElementById("log-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  // A changed filter starts again from the newest rows.
  form.addEventListener("change", () => {
    page = 0;
    load();
  });
  document.getElementById("log-newer").addEventListener("click", () => {
    page = Math.max(0, page - 1);
    load();
  });
  document.getElementById("log-older").addEventListener("click", () => {
    page += 1;
    load();
  });
  const body = document.getElementById("log-rows");
  body.addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (row) select(row);
  });
  body.addEventListener("keydown", (event) => {
    const row = event.target.closest("tr");
    if (!row) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(row);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
      if (next) {
        row.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      }
    }
  });
}

export function setRequestModels(list) {
  fillModelSelect(document.getElementById("log-model"), list, { keepFirst: 1 });
}

/** Loads the current page (called when the panel is shown, and on every filter change). */
export function load() {
  const run = async () => {
    const status = document.getElementById("log-status-line");
    const size = Number(document.getElementById("log-page-size").value);
    const query = new URLSearchParams({ limit: String(size + 1), offset: String(page * size) });
    for (const [key, id] of [["route", "log-route"], ["model", "log-model"], ["status", "log-status"], ["since", "log-since"]]) {
      const value = document.getElementById(id).value;
      if (value) query.set(key, value);
    }
    const form = document.getElementById("log-form");
    form.setAttribute("aria-busy", "true");
    try {
      const rows = await getJSON("/admin/requests?" + query);
      render(rows.slice(0, size), page, rows.length > size);
      status.textContent = rows.length
        ? `Rows ${num(page * size + 1)}–${num(page * size + Math.min(rows.length, size))}, newest first.`
        : "No request matches these filters.";
    } catch (error) {
      render([], page, false);
      status.textContent =
        error.code === "log_disabled" ? "The request log is off: start the server with --db FILE." : "Cannot read the log: " + error.message;
    } finally {
      form.removeAttribute("aria-busy");
    }
  };
  // One load at a time; a request made meanwhile runs after it, with the filters then current.
  loading = (loading || Promise.resolve()).then(run);
  return loading;
}

function render(rows, pageIndex, hasOlder) {
  const body = document.getElementById("log-rows");
  body.replaceChildren(
    ...rows.map((r, i) => {
      const row = el(
        "tr",
        { "data-testid": "log-row", "data-request-id": r.request_id, "data-route": r.route, "data-status": r.status, tabindex: i === 0 ? 0 : -1 },
        el("td", { text: time(r.time), title: new Date(r.time * 1000).toString() }),
        el("td", { text: r.route }),
        el("td", { text: r.model ?? "" }),
        el("td", { className: "num" }, el("span", { className: `badge status-${Math.floor(r.status / 100)}xx`, text: r.status })),
        el("td", { className: "num", text: num(r.latency_ms, 3) }),
        el("td", { className: "num", text: num(r.prompt_tokens + r.completion_tokens + r.scored_tokens) }),
        el("td", { className: "num", text: r.batch_size ?? "" }),
      );
      row.record = r;
      return row;
    }),
  );
  document.getElementById("log-page").textContent = `Page ${pageIndex + 1}`;
  document.getElementById("log-newer").disabled = pageIndex === 0;
  document.getElementById("log-older").disabled = !hasOlder;
}

function time(seconds) {
  const d = new Date(seconds * 1000);
  return d.toLocaleTimeString("en-GB", { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}

function select(row) {
  document.querySelectorAll("#log-rows tr.selected").forEach((r) => {
    r.classList.remove("selected");
    r.removeAttribute("aria-selected");
  });
  row.classList.add("selected");
  row.setAttribute("aria-selected", "true");
  const r = row.record;
  const pairs = Object.entries(r).map(([key, value]) => [
    key,
    key === "time" ? `${new Date(value * 1000).toISOString()} (${value})` : typeof value === "number" ? num(value, 6) : String(value),
  ]);
  document.getElementById("log-detail").replaceChildren(el("h3", { text: "Request " + r.request_id }), definitionList(pairs));
}
