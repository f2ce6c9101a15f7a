// Small formatting and DOM helpers shared by the panels.

/** A number with about `digits` significant digits, no exponent for everyday sizes. */
export function num(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (typeof value === "string") return value; // "inf" from the request log
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e9 || magnitude < 1e-3)) return value.toExponential(digits - 1);
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(magnitude || 1)));
  return value.toLocaleString("en-US", { maximumFractionDigits: Math.min(decimals, 6) });
}

/** A short axis label: 950, 12k, 1.5M (numbers below 1000 as `num`). */
export function compact(value) {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return num(value / 1e6, 3) + "M";
  if (magnitude >= 1e3) return num(value / 1e3, 3) + "k";
  return num(value, 3);
}

/** Milliseconds for people: 0.31 ms, 12.4 ms, 1.25 s. */
export function ms(value) {
  if (value === null || value === undefined) return "–";
  return value >= 1000 ? num(value / 1000, 3) + " s" : num(value, 3) + " ms";
}

/** Creates an element with attributes, properties (`text`, `className`) and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

/** A definition list from [term, value] pairs (values are text). */
export function definitionList(pairs) {
  const list = el("dl");
  for (const [term, value] of pairs) list.append(el("dt", { text: term }), el("dd", { text: value }));
  return list;
}

/** Reads a CSS custom property of the document (charts draw with the page's colours). */
export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/**
 * Keyboard movement over a list of focusable items with one tab stop (roving tabindex):
 * ← → (and ↑ ↓) move, Home and End jump. `onFocus(item)` runs whenever an item gets focus.
 */
export function rovingFocus(container, selector, onFocus) {
  container.addEventListener("keydown", (event) => {
    const items = [...container.querySelectorAll(selector)];
    const index = items.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = Math.min(items.length - 1, Math.max(0, index + moves[event.key]));
    items[index].tabIndex = -1;
    items[next].tabIndex = 0;
    items[next].focus();
  });
  container.addEventListener("focusin", (event) => {
    const item = event.target.closest(selector);
    if (item && container.contains(item)) onFocus(item);
  });
  container.addEventListener("mouseover", (event) => {
    const item = event.target.closest(selector);
    if (item && container.contains(item)) onFocus(item);
  });
}
