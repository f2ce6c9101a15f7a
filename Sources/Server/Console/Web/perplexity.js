// The Perplexity panel: each token coloured by its log-probability (a heat map), per-line and
// total perplexity, and two models side by side with where they disagree.
//
// Each line is sent as its own text (with its newline), so the server scores exactly the
// sentences it would score for the whole text and returns one result per line.

import { fillModelSelect, getJSON } from "./api.js";
import { definitionList, el, num, rovingFocus } from "./format.js";

/** Lines per request (the server takes at most `limits.max_texts` texts per request). */
const LINES_PER_REQUEST = 1000;

/** Surprisal (−logprob, nats) → background colour: pale green to deep purple. */
const HEAT = [
  [0, [237, 248, 233]],
  [1.5, [199, 233, 192]],
  [3, [255, 241, 168]],
  [5, [254, 196, 103]],
  [7, [252, 141, 89]],
  [9, [227, 74, 51]],
  [12, [179, 0, 76]],
  [16, [90, 10, 90]],
];
/** logprob(A) − logprob(B), nats → colour: orange where B is surer, blue where A is. */
const DIVERGING = [
  [-6, [179, 88, 6]],
  [-2, [253, 184, 99]],
  [0, [247, 247, 247]],
  [2, [146, 197, 222]],
  [6, [33, 102, 172]],
];

export function initPerplexity() {
  document.getElementById("ppl-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  document.getElementById("ppl-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    document.getElementById("ppl-text").value = await file.text();
    document.getElementById("ppl-status").textContent = `Loaded ${file.name} (${num(file.size)} bytes).`;
  });
  renderLegend();
}

export function setPerplexityModels(list) {
  fillModelSelect(document.getElementById("ppl-model"), list);
  fillModelSelect(document.getElementById("ppl-model-b"), list, { keepFirst: 1 });
}

/** The lines the server would see: split on \n, a final empty line after the last \n dropped. */
function splitLines(text) {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

async function run() {
  const status = document.getElementById("ppl-status");
  const button = document.querySelector("[data-testid=ppl-submit]");
  const lines = splitLines(document.getElementById("ppl-text").value);
  const names = [document.getElementById("ppl-model").value, document.getElementById("ppl-model-b").value].filter(
    (name, i, all) => name && all.indexOf(name) === i,
  );
  if (!lines.length) return void (status.textContent = "Type or load some text first.");
  if (!names.length) return void (status.textContent = "No model to score with.");
  const context = document.getElementById("ppl-context").checked;
  button.disabled = true;
  status.textContent = `Scoring ${num(lines.length)} line${lines.length === 1 ? "" : "s"}…`;
  const started = performance.now();
  try {
    const scores = await Promise.all(names.map((name) => score(name, lines, context)));
    render(scores);
    const tokens = scores[0].total.tokens;
    status.textContent =
      `Scored ${num(lines.length)} lines, ${num(tokens)} tokens with ${names.join(" and ")} ` +
      `in ${num(performance.now() - started, 3)} ms.`;
  } catch (error) {
    status.textContent = "Scoring failed: " + error.message;
  } finally {
    button.disabled = false;
  }
}

/** One model's scores: per line (with tokens) and in total. */
async function score(model, lines, sentenceContext) {
  const results = [];
  const totals = [];
  for (let first = 0; first < lines.length; first += LINES_PER_REQUEST) {
    const texts = lines.slice(first, first + LINES_PER_REQUEST).map((line) => line + "\n");
    const response = await getJSON("/v1/perplexity", {
      method: "POST",
      body: { model, texts, per_token: true, sentence_context: sentenceContext },
    });
    results.push(...response.results);
    totals.push(response.total);
  }
  return { model, results, total: totals.length === 1 ? totals[0] : combine(totals) };
}

/** Totals of several requests, with KenLM's formulas (perplexity = 10^(−log10 / tokens)). */
function combine(totals) {
  const sum = (key) => totals.reduce((a, t) => a + t[key], 0);
  const tokens = sum("tokens");
  const oov = sum("oov");
  const log10 = sum("log10_prob");
  const log10NoOOV = totals.reduce(
    (a, t) => a + (t.perplexity_no_oov ? -(t.tokens - t.oov) * Math.log10(t.perplexity_no_oov) : 0),
    0,
  );
  return {
    perplexity: tokens ? 10 ** (-log10 / tokens) : null,
    perplexity_no_oov: tokens - oov ? 10 ** (-log10NoOOV / (tokens - oov)) : null,
    cross_entropy_bits: tokens ? (-log10 / tokens) * Math.log2(10) : null,
    log10_prob: log10,
    logprob: sum("logprob"),
    tokens,
    oov,
    sentences: sum("sentences"),
  };
}

function render(scores) {
  const container = document.getElementById("ppl-results");
  const [a, b] = scores;
  const panes = [pane(a, "ppl-token", "ppl-total", (t) => heat(-t.logprob))];
  if (b) panes.push(pane(b, "ppl-token-b", "ppl-total-b", (t) => heat(-t.logprob)));
  const aligned = b && sameTokens(a, b);
  if (aligned) panes.push(differencePane(a, b));
  container.replaceChildren(...panes);
  container.classList.toggle("two", scores.length > 1);
  if (b && !aligned) {
    container.append(
      el("p", { className: "hint", text: "The two models split the text into different tokens: no difference view." }),
    );
  }
  document.getElementById("ppl-legend").hidden = false;
  const tokensOf = (s) => s.results.flatMap((r) => r.per_token || []);
  const all = scores.map(tokensOf);
  for (const p of panes) {
    rovingFocus(p, ".tok", (item) => showDetail(item, scores, all));
  }
}

function sameTokens(a, b) {
  const ta = a.results.flatMap((r) => (r.per_token || []).map((t) => t.token));
  const tb = b.results.flatMap((r) => (r.per_token || []).map((t) => t.token));
  return ta.length === tb.length && ta.every((t, i) => t === tb[i]);
}

/** A model's heat map: one row per line with its perplexity, one button per token. */
function pane(scores, tokenId, totalId, colour) {
  const t = scores.total;
  const header = el(
    "header",
    {},
    el("h3", { text: scores.model }),
    el(
      "p",
      { className: "ppl-summary" },
      "Perplexity ",
      el("strong", { "data-testid": totalId, "data-value": t.perplexity ?? "", text: num(t.perplexity, 6) }),
      ` · without OOVs ${num(t.perplexity_no_oov, 6)} · ${num(t.tokens)} tokens, ${num(t.oov)} OOV, ` +
        `${num(t.sentences)} sentences · ${num(t.cross_entropy_bits, 4)} bits/token`,
    ),
  );
  return paneBody(scores, header, tokenId, colour, (token) => token.logprob);
}

function differencePane(a, b) {
  const header = el(
    "header",
    {},
    el("h3", { text: `Where they disagree: ${a.model} − ${b.model}` }),
    el("p", {
      className: "ppl-summary",
      text: `Blue: ${a.model} finds the token likelier; orange: ${b.model} does (difference of logprobs, nats).`,
    }),
  );
  const other = b.results.flatMap((r) => r.per_token || []);
  const difference = (token, i) => token.logprob - other[i].logprob;
  return paneBody(a, header, "ppl-token-diff", (token, i) => diverging(difference(token, i)), difference);
}

/** `colour(token, index)` gives [background, text]; `value(token, index)` the number read out. */
function paneBody(scores, header, tokenId, colour, value) {
  const list = el("ol", { className: "ppl-lines" });
  let index = 0;
  let first = true;
  scores.results.forEach((result, line) => {
    const tokens = el("span", { className: "line-tokens" });
    for (const token of result.per_token || []) {
      const button = el("button", {
        type: "button",
        className: "tok" + (token.oov ? " oov" : "") + (token.token === "</s>" ? " eos" : ""),
        tabindex: first ? 0 : -1,
        "data-testid": tokenId,
        "data-logprob": token.logprob,
        "data-index": index,
        "data-line": line,
        "aria-label": `${token.token}, logprob ${num(value(token, index), 4)}${token.oov ? ", out of vocabulary" : ""}`,
        text: token.token,
      });
      const [bg, fg] = colour(token, index);
      button.style.background = bg;
      button.style.color = fg;
      tokens.append(button);
      first = false;
      index += 1;
    }
    list.append(
      el(
        "li",
        {},
        el("span", { className: "line-ppl", title: "this line's perplexity", text: num(result.perplexity, 4) }),
        tokens,
      ),
    );
  });
  return el("section", { className: "ppl-pane", "aria-label": header.querySelector("h3").textContent }, header, list);
}

function showDetail(item, scores, all) {
  const index = Number(item.dataset.index);
  document.querySelectorAll(".tok.linked").forEach((t) => t.classList.remove("linked"));
  document.querySelectorAll(`.tok[data-index="${index}"]`).forEach((t) => t !== item && t.classList.add("linked"));
  const pairs = [["line", String(Number(item.dataset.line) + 1)]];
  scores.forEach((s, i) => {
    const token = all[i][index];
    if (!token) return;
    const prefix = scores.length > 1 ? s.model + ": " : "";
    if (i === 0 || token.token !== all[0][index]?.token) pairs.push([prefix + "token", token.token]);
    pairs.push([prefix + "logprob (ln)", num(token.logprob, 6)]);
    pairs.push([prefix + "log10 prob", num(token.log10_prob, 6)]);
    pairs.push([prefix + "probability", num(Math.exp(token.logprob), 4)]);
    if (token.ngram_length !== undefined) pairs.push([prefix + "n-gram length", String(token.ngram_length)]);
    pairs.push([prefix + "OOV", token.oov ? "yes" : "no"]);
  });
  if (scores.length > 1 && all[1][index] && all[0][index].token === all[1][index].token) {
    pairs.push(["difference (ln)", num(all[0][index].logprob - all[1][index].logprob, 4)]);
  }
  document.getElementById("ppl-detail").replaceChildren(el("h3", { text: "Token" }), definitionList(pairs));
}

function renderLegend() {
  const legend = document.getElementById("ppl-legend");
  const steps = [0, 2, 4, 6, 8, 10, 12, 14];
  const swatches = steps.map((s) => {
    const [bg, fg] = heat(s);
    const swatch = el("span", { className: "step", text: String(s) });
    swatch.style.background = bg;
    swatch.style.color = fg;
    return swatch;
  });
  legend.replaceChildren(
    el("span", { text: "Surprisal (−logprob, nats):" }),
    ...swatches,
    el("span", { className: "oov-sample tok oov", text: "dashed = OOV" }),
  );
}

function interpolate(stops, x) {
  if (x <= stops[0][0]) return stops[0][1];
  for (let i = 1; i < stops.length; i++) {
    const [x1, c1] = stops[i];
    if (x <= x1) {
      const [x0, c0] = stops[i - 1];
      const f = (x - x0) / (x1 - x0);
      return c0.map((c, k) => Math.round(c + (c1[k] - c) * f));
    }
  }
  return stops[stops.length - 1][1];
}

/** [background, text colour] for a colour readable on it. */
function paint(rgb) {
  const luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
  return [`rgb(${rgb.join(",")})`, luminance > 0.55 ? "#1a1a1a" : "#ffffff"];
}

function heat(surprisal) {
  return paint(interpolate(HEAT, Number.isFinite(surprisal) ? surprisal : 99));
}

function diverging(difference) {
  return paint(interpolate(DIVERGING, Number.isFinite(difference) ? difference : 0));
}
