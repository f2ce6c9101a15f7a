// The Completions panel: a playground that streams a completion as it is generated
// (fetch + ReadableStream over Server-Sent Events) and shows each token's alternatives.

import { ApiError, fillModelSelect, getJSON, readEvents, send } from "./api.js";
import { definitionList, el, num, rovingFocus } from "./format.js";

let controller = null;

export function initCompletions() {
  document.getElementById("cmp-form").addEventListener("submit", (event) => {
    event.preventDefault();
    generate();
  });
  document.getElementById("cmp-stop-button").addEventListener("click", () => controller?.abort());
  rovingFocus(document.getElementById("cmp-output"), ".ctok", showAlternatives);
}

export function setCompletionModels(list) {
  fillModelSelect(document.getElementById("cmp-model"), list);
}

/**
 * Stop sequences from the text field: comma-separated; `\n`, `\t`, `\,` and `\\` are a
 * newline, a tab, a comma and a backslash.
 */
export function parseStops(text) {
  const stops = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      const next = text[++i];
      current += { n: "\n", t: "\t", ",": ",", "\\": "\\" }[next] ?? "\\" + next;
    } else if (c === ",") {
      if (current) stops.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  if (current) stops.push(current);
  return stops;
}

/** The request body from the form; empty fields are left to the server's defaults. */
function requestBody() {
  const number = (id) => {
    const value = document.getElementById(id).valueAsNumber;
    return Number.isNaN(value) ? undefined : value;
  };
  const body = {
    model: document.getElementById("cmp-model").value,
    prompt: document.getElementById("cmp-prompt").value,
    max_tokens: number("cmp-max-tokens"),
    temperature: number("cmp-temperature"),
    top_k: number("cmp-top-k"),
    top_p: number("cmp-top-p"),
    seed: number("cmp-seed"),
    logprobs: number("cmp-logprobs") || undefined,
    stream: document.getElementById("cmp-stream").checked,
  };
  const stops = parseStops(document.getElementById("cmp-stop").value);
  if (stops.length) body.stop = stops;
  return body;
}

/** Builds the output one piece at a time; tokens whose text is held back join the next piece. */
class Output {
  constructor(node) {
    this.node = node;
    this.pending = [];
    this.tokens = 0;
    node.replaceChildren();
  }

  add(text, logprobs) {
    if (logprobs) {
      logprobs.tokens.forEach((token, i) =>
        this.pending.push({ token, logprob: logprobs.token_logprobs[i], top: logprobs.top_logprobs[i] }),
      );
      this.tokens += logprobs.tokens.length;
    }
    if (!text) return;
    const piece = el("span", { className: "ctok", tabindex: this.node.childElementCount ? -1 : 0, text });
    piece.tokens = this.pending;
    const last = this.pending[this.pending.length - 1];
    if (last && last.logprob !== null) piece.dataset.logprob = last.logprob;
    this.pending = [];
    this.node.append(piece);
  }

  /** A whole (non-streamed) choice, split at its tokens' text offsets. */
  addWhole(text, logprobs) {
    if (!logprobs || !logprobs.tokens.length) return this.add(text, logprobs);
    const offsets = logprobs.text_offset.map((o) => Math.min(Math.max(0, o), text.length));
    offsets.forEach((offset, i) => {
      const from = i === 0 ? 0 : offset;
      const to = i + 1 < offsets.length ? offsets[i + 1] : text.length;
      this.add(text.slice(from, Math.max(from, to)), pick(logprobs, i));
    });
  }

  finish() {
    if (this.pending.length && this.node.lastElementChild) this.node.lastElementChild.tokens.push(...this.pending);
    this.pending = [];
  }
}

function pick(logprobs, i) {
  return {
    tokens: [logprobs.tokens[i]],
    token_logprobs: [logprobs.token_logprobs[i]],
    top_logprobs: [logprobs.top_logprobs[i]],
  };
}

async function generate() {
  const status = document.getElementById("cmp-status");
  const node = document.getElementById("cmp-output");
  const submit = document.querySelector("[data-testid=cmp-submit]");
  const stop = document.getElementById("cmp-stop-button");
  const body = requestBody();
  if (!body.model) return void (status.textContent = "No model to generate with.");
  document.getElementById("cmp-echo").textContent = body.prompt;
  document.getElementById("cmp-detail").replaceChildren(el("p", { className: "hint", text: "Generating…" }));
  const output = new Output(node);
  node.dataset.state = "running";
  node.setAttribute("aria-busy", "true");
  submit.disabled = true;
  stop.disabled = !body.stream;
  controller = new AbortController();
  const started = performance.now();
  let firstPiece = null;
  let finish = null;
  status.textContent = "Generating…";
  try {
    if (body.stream) {
      const response = await send("/v1/completions", { method: "POST", body, signal: controller.signal });
      await readEvents(response, (data) => {
        if (data === "[DONE]") return;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new ApiError(200, chunk.error.message, chunk.error.type, chunk.error.code);
        for (const choice of chunk.choices) {
          if (firstPiece === null && choice.text) firstPiece = performance.now() - started;
          output.add(choice.text, choice.logprobs);
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      });
    } else {
      const response = await getJSON("/v1/completions", { method: "POST", body, signal: controller.signal });
      const choice = response.choices[0];
      output.addWhole(choice.text, choice.logprobs);
      finish = choice.finish_reason;
    }
    output.finish();
    node.dataset.state = "done";
    const seconds = (performance.now() - started) / 1000;
    status.textContent =
      `Finished (${finish ?? "stop"}): ${num(output.tokens || node.childElementCount)} tokens in ${num(seconds * 1000, 3)} ms` +
      (firstPiece !== null ? `, first text after ${num(firstPiece, 3)} ms` : "") +
      (output.tokens ? `, ${num(output.tokens / seconds, 3)} tokens/s.` : ".");
  } catch (error) {
    output.finish();
    node.dataset.state = error.name === "AbortError" ? "stopped" : "failed";
    status.textContent = error.name === "AbortError" ? "Stopped." : "Generation failed: " + error.message;
  } finally {
    node.setAttribute("aria-busy", "false");
    submit.disabled = false;
    stop.disabled = true;
    controller = null;
  }
}

function showAlternatives(piece) {
  const detail = document.getElementById("cmp-detail");
  const parts = [el("h3", { text: "Piece " + JSON.stringify(piece.textContent) })];
  if (!piece.tokens || !piece.tokens.length) {
    parts.push(el("p", { className: "hint", text: "No log-probabilities: set alternatives above 0." }));
  }
  for (const entry of piece.tokens || []) {
    parts.push(
      definitionList([
        ["token", entry.token],
        ["logprob (ln)", num(entry.logprob, 6)],
        ["probability", num(Math.exp(entry.logprob), 4)],
      ]),
    );
    const top = Object.entries(entry.top || {}).sort((a, b) => b[1] - a[1]);
    if (!top.length) continue;
    const rows = top.map(([token, logprob]) => {
      const bar = el("span", { className: "bar", "aria-hidden": "true" });
      bar.style.width = `${Math.max(1, Math.round(Math.exp(logprob) * 100))}%`;
      return el(
        "tr",
        { className: token === entry.token ? "chosen" : "" },
        el("td", { text: token }),
        el("td", { className: "num", text: num(logprob, 4) }),
        el("td", { className: "num" }, el("span", { className: "bar-wrap" }, bar), num(Math.exp(logprob), 3)),
      );
    });
    parts.push(
      el(
        "table",
        { className: "alternatives" },
        el("caption", { text: "Alternatives" }),
        el(
          "thead",
          {},
          el("tr", {}, el("th", { scope: "col", text: "token" }), el("th", { scope: "col", className: "num", text: "logprob" }),
            el("th", { scope: "col", className: "num", text: "probability" })),
        ),
        el("tbody", {}, ...rows),
      ),
    );
  }
  detail.replaceChildren(...parts);
}
