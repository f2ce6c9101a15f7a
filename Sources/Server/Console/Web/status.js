// The Status panel: every model, and charts of the last five minutes fed by
// GET /admin/live-stats once a second while the panel is visible.

import { getJSON, models } from "./api.js";
import { LineChart } from "./charts.js";
import { el, ms, num } from "./format.js";

const STATUS_COLORS = { "1xx": "--muted", "2xx": "--ok", "3xx": "--info", "4xx": "--warn", "5xx": "--bad" };
const MODEL_COLORS = ["--series-1", "--series-2", "--series-3", "--series-4", "--series-5", "--series-6"];
const POLL_MS = 1000;
const COMMON_MODEL_FIELDS = new Set([
  "id", "object", "type", "vocabulary_size", "tokenizer", "file", "format", "load_seconds", "created",
  "max_batch_size", "state", "version",
]);

let charts = null;
let timer = null;
let active = false;
let lastModelsFetch = 0;

export function initStatus() {
  const figure = (id) => document.getElementById(id);
  charts = {
    requests: new LineChart(figure("chart-requests")),
    latency: new LineChart(figure("chart-latency"), { scale: "log", format: ms }),
    tokens: new LineChart(figure("chart-tokens")),
    queue: new LineChart(figure("chart-queue")),
    batch: new LineChart(figure("chart-batch")),
  };
  document.addEventListener("visibilitychange", () => schedule(0));
}

/** Called when the panel is shown (true) or hidden (false). */
export function setStatusActive(isActive) {
  active = isActive;
  if (active) {
    for (const chart of Object.values(charts)) chart.draw();
    schedule(0);
  }
}

function schedule(delay) {
  clearTimeout(timer);
  if (active && !document.hidden) timer = setTimeout(poll, delay);
}

async function poll() {
  const message = document.getElementById("status-message");
  try {
    if (Date.now() - lastModelsFetch > 10_000) {
      lastModelsFetch = Date.now();
      renderModels(await models({ refresh: true }));
    }
    const stats = await getJSON("/admin/live-stats");
    renderStats(stats);
    message.textContent = "";
    schedule(POLL_MS);
  } catch (error) {
    message.textContent = "Live statistics unavailable: " + error.message;
    lastModelsFetch = 0;
    schedule(5 * POLL_MS);
  }
}

function renderModels(list) {
  const body = document.getElementById("model-rows");
  body.replaceChildren(
    ...list.map((m) => {
      // The model's own parameters (order, layers, hidden_size, …): every field that is not
      // one of the fields every model has.
      const shape = Object.entries(m)
        .filter(([key]) => !COMMON_MODEL_FIELDS.has(key))
        .map(([key, value]) => `${key.replaceAll("_", " ")} ${num(value)}`)
        .join(", ");
      // state and version: shown when the server reports them; today every listed model is ready.
      const state = m.state || "ready";
      return el(
        "tr",
        { "data-testid": "model-row", "data-model": m.id },
        el("th", { scope: "row", text: m.id }),
        el("td", { text: m.type }),
        el("td", { text: m.format }),
        el("td", { text: m.tokenizer }),
        el("td", { text: shape }),
        el("td", { className: "num", text: num(m.vocabulary_size) }),
        el("td", { className: "num", text: num(m.max_batch_size) }),
        el("td", {}, el("span", { className: "badge badge-" + state, text: state })),
        el("td", { text: m.version || "–" }),
        el("td", { className: "num", text: num(m.load_seconds, 3) }),
        el("td", { className: "file", text: m.file, title: m.file }),
      );
    }),
  );
}

function renderStats(stats) {
  const classes = Object.keys(stats.requests).filter(
    (c) => c !== "1xx" || stats.requests[c].some((v) => v > 0),
  );
  charts.requests.update(
    stats.start,
    classes.map((c) => ({ name: c, color: STATUS_COLORS[c], values: stats.requests[c] })),
  );
  charts.latency.update(stats.start, [
    { name: "p50", color: "--series-1", values: stats.latency_ms.p50 },
    { name: "p99", color: "--series-4", values: stats.latency_ms.p99 },
  ]);
  const perModel = (key) =>
    stats.models.map((m, i) => ({ name: m.model, color: MODEL_COLORS[i % MODEL_COLORS.length], values: m[key] }));
  charts.tokens.update(stats.start, perModel("tokens"));
  charts.queue.update(stats.start, perModel("queue_depth"));
  charts.batch.update(stats.start, perModel("batch_size"));
  renderTiles(stats);
}

/** Averages over the last ten seconds. */
function renderTiles(stats) {
  const last = (values) => values.slice(-10);
  const sum = (values) => values.reduce((a, v) => a + (v || 0), 0);
  const perSecond = (values) => sum(last(values)) / Math.max(1, last(values).length);
  const requests = Object.values(stats.requests).reduce((a, series) => a + perSecond(series), 0);
  const errors = perSecond(stats.requests["4xx"]) + perSecond(stats.requests["5xx"]);
  const tokens = stats.models.reduce((a, m) => a + perSecond(m.tokens), 0);
  const p99 = last(stats.latency_ms.p99).filter((v) => v !== null);
  document.getElementById("tile-rps").textContent = num(requests, 3);
  document.getElementById("tile-errors").textContent = num(errors, 3);
  document.getElementById("tile-p99").textContent = p99.length ? ms(Math.max(...p99)) : "–";
  document.getElementById("tile-tokens").textContent = num(tokens, 3);
  document.getElementById("tile-inflight").textContent = num(stats.inflight);
}
