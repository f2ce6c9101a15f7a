// Talking to the server: JSON requests, error bodies, and the API key.
//
// The key lives in sessionStorage (this tab only) and goes out as `Authorization: Bearer`.
// When the server answers 401, the console asks for a key and retries; with no key set and
// authentication off, requests carry no Authorization header at all.

const KEY_NAME = "lmserve.apiKey";

/** An error response (`{"error": {message, type, code}}`) or a failed request. */
export class ApiError extends Error {
  constructor(status, message, type = "", code = "") {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
  }
}

export function currentKey() {
  return sessionStorage.getItem(KEY_NAME) || "";
}

function setKey(key) {
  if (key) sessionStorage.setItem(KEY_NAME, key);
  else sessionStorage.removeItem(KEY_NAME);
  showKeyState();
}

function showKeyState() {
  document.getElementById("key-open").textContent = currentKey() ? "API key: set" : "API key: none";
}

// One open prompt at a time: concurrent 401s (the status poll, a perplexity run) share it.
let pendingPrompt = null;

/**
 * Shows the key dialog. Resolves true when a key was entered, false when cancelled.
 * @param {string} reason what the server said, shown above the field
 */
export function askForKey(reason = "") {
  if (pendingPrompt) return pendingPrompt;
  const dialog = document.getElementById("key-dialog");
  const input = document.getElementById("key-input");
  document.getElementById("key-reason").textContent =
    (reason ? reason + " " : "") +
    "The key is kept for this tab only (sessionStorage) and sent as Authorization: Bearer.";
  input.value = currentKey();
  pendingPrompt = new Promise((resolve) => {
    const form = document.getElementById("key-form");
    const finish = (action) => {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      pendingPrompt = null;
      if (action === "save" && input.value.trim()) {
        setKey(input.value.trim());
        resolve(true);
      } else {
        if (action === "forget") setKey("");
        resolve(false);
      }
    };
    const onSubmit = (event) => {
      event.preventDefault();
      finish(event.submitter ? event.submitter.value : "save");
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish("cancel");
    };
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    input.focus();
  });
  return pendingPrompt;
}

/** The header button opens the same dialog. */
export function initKeyButton() {
  showKeyState();
  document.getElementById("key-open").addEventListener("click", () => askForKey());
}

async function errorFrom(response) {
  let message = `${response.status} ${response.statusText}`;
  let type = "";
  let code = "";
  try {
    const body = await response.json();
    if (body && body.error) {
      message = body.error.message || message;
      type = body.error.type || "";
      code = body.error.code || "";
    }
  } catch (_) {
    // Not a JSON error body: keep the status line.
  }
  return new ApiError(response.status, message, type, code);
}

/**
 * Sends a request and returns the Response once it is OK (2xx).
 * @param {string} path e.g. "/v1/models"
 * @param {{method?: string, body?: object, signal?: AbortSignal}} options
 * @throws {ApiError} for an error status, or when a needed key was not given
 */
export async function send(path, { method = "GET", body, signal } = {}) {
  for (;;) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const key = currentKey();
    if (key) headers.Authorization = "Bearer " + key;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, "the server did not answer (" + error.message + ")");
    }
    if (response.status === 401) {
      const error = await errorFrom(response);
      if (await askForKey(error.message)) continue;
      throw error;
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }
}

/** `send`, then the JSON body. */
export async function getJSON(path, options) {
  return (await send(path, options)).json();
}

/**
 * Reads a Server-Sent Events body, calling `onData` with each event's data (the `data:`
 * lines of one event joined by newlines), in order, until the stream ends.
 */
export async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      let line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") {
        if (data.length) onData(data.join("\n"));
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
      // Other fields (event:, id:, retry:, comments) carry nothing the console uses.
    }
    if (done) {
      if (data.length) onData(data.join("\n"));
      return;
    }
  }
}

/** The models the server lists (GET /v1/models), fetched once and shared. */
let modelsPromise = null;
export function models({ refresh = false } = {}) {
  if (!modelsPromise || refresh) {
    modelsPromise = getJSON("/v1/models").then((list) => list.data);
    modelsPromise.catch(() => (modelsPromise = null));
  }
  return modelsPromise;
}

/** Fills a <select> with model names, keeping its current choice when it still exists. */
export function fillModelSelect(select, list, { keepFirst = 0 } = {}) {
  const current = select.value;
  while (select.options.length > keepFirst) select.remove(keepFirst);
  for (const model of list) select.add(new Option(model.id, model.id));
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}
