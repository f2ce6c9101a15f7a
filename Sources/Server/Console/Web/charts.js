// A line chart on a <canvas>, hand-written: one point per second, gaps where a value is null,
// linear or log10 y axis, a cursor driven by the mouse or by ← → when the chart has focus.

import { compact, cssVar, el, num } from "./format.js";

const PAD = { left: 46, right: 10, top: 10, bottom: 22 };

export class LineChart {
  /**
   * @param {HTMLElement} figure a <figure> whose <figcaption> names the chart
   * @param {{scale?: "linear" | "log", format?: (v: number) => string}} options
   */
  constructor(figure, { scale = "linear", format = (v) => num(v, 3) } = {}) {
    this.figure = figure;
    this.scale = scale;
    this.format = format;
    this.title = figure.querySelector("figcaption").textContent;
    this.start = 0;
    this.series = [];
    this.cursor = null;
    this.canvas = el("canvas", { tabindex: 0, role: "img", "aria-label": this.title + ": no data yet" });
    this.legend = el("ul", { className: "chart-legend" });
    this.readout = el("p", { className: "chart-readout" });
    figure.append(this.canvas, this.legend, this.readout);
    new ResizeObserver(() => this.draw()).observe(this.canvas);
    this.canvas.addEventListener("mousemove", (event) => this.moveTo(event.offsetX));
    this.canvas.addEventListener("mouseleave", () => this.setCursor(null));
    this.canvas.addEventListener("blur", () => this.setCursor(null));
    this.canvas.addEventListener("keydown", (event) => this.onKey(event));
  }

  /**
   * New data: `series` is [{name, color, values}] with one value per second from `start`
   * (unix seconds).
   */
  update(start, series) {
    this.start = start;
    this.series = series;
    let max = 0;
    let sum = 0;
    let points = 0;
    for (const s of series) {
      for (const v of s.values) {
        if (v !== null && Number.isFinite(v)) {
          max = Math.max(max, v);
          sum += v;
          if (v !== 0) points += 1;
        }
      }
    }
    // For tests and tools: what was drawn, without reading pixels.
    this.figure.dataset.max = String(max);
    this.figure.dataset.sum = String(sum);
    this.figure.dataset.points = String(points);
    this.renderLegend();
    this.draw();
    this.renderReadout();
  }

  get length() {
    return this.series.length ? this.series[0].values.length : 0;
  }

  renderLegend() {
    const names = this.series.map((s) => s.name + "|" + s.color).join(",");
    if (names === this.legendKey) return;
    this.legendKey = names;
    this.legend.replaceChildren(
      ...this.series.map((s) => {
        const swatch = el("span", { className: "swatch", "aria-hidden": "true" });
        swatch.style.background = cssVar(s.color) || s.color;
        return el("li", {}, swatch, s.name);
      }),
    );
  }

  /** The values at the cursor (or the latest second), as text. */
  renderReadout() {
    const n = this.length;
    if (!n) {
      this.readout.textContent = "";
      return;
    }
    const i = this.cursor ?? n - 1;
    const time = new Date((this.start + i) * 1000).toLocaleTimeString();
    const values = this.series.map((s) => `${s.name} ${s.values[i] === null ? "–" : this.format(s.values[i])}`);
    const text = `${this.cursor === null ? "latest" : "at"} ${time}: ${values.join(", ") || "no series"}`;
    this.readout.textContent = text;
    this.canvas.setAttribute("aria-label", `${this.title}. ${text}`);
  }

  setCursor(index) {
    this.cursor = index;
    this.draw();
    this.renderReadout();
  }

  moveTo(x) {
    const n = this.length;
    if (n < 2) return;
    const width = this.canvas.clientWidth - PAD.left - PAD.right;
    const i = Math.round(((x - PAD.left) / width) * (n - 1));
    this.setCursor(Math.min(n - 1, Math.max(0, i)));
  }

  onKey(event) {
    const n = this.length;
    if (!n) return;
    const step = event.shiftKey ? 10 : 1;
    const current = this.cursor ?? n - 1;
    const keys = { ArrowLeft: current - step, ArrowRight: current + step, Home: 0, End: n - 1 };
    if (event.key === "Escape") return this.setCursor(null);
    if (!(event.key in keys)) return;
    event.preventDefault();
    this.setCursor(Math.min(n - 1, Math.max(0, keys[event.key])));
  }

  /** The y range and ticks for the current data. */
  yAxis() {
    const values = this.series.flatMap((s) => s.values).filter((v) => v !== null && Number.isFinite(v));
    if (this.scale === "log") {
      const positive = values.filter((v) => v > 0);
      const lo = positive.length ? Math.floor(Math.log10(Math.min(...positive))) : -1;
      const hi = Math.max(lo + 1, positive.length ? Math.ceil(Math.log10(Math.max(...positive))) : 1);
      const ticks = [];
      for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
      return { min: 10 ** lo, max: 10 ** hi, ticks, map: (v) => (Math.log10(v) - lo) / (hi - lo) };
    }
    const top = niceCeiling(Math.max(1, ...values));
    const ticks = [0, top / 4, top / 2, (3 * top) / 4, top];
    return { min: 0, max: top, ticks, map: (v) => v / top };
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return; // hidden tab: drawn when shown
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const n = this.length;
    const axis = this.yAxis();
    const xOf = (i) => PAD.left + (n > 1 ? (i / (n - 1)) * plotW : plotW);
    const yOf = (v) => PAD.top + plotH - axis.map(v) * plotH;

    g.font = "11px system-ui, sans-serif";
    g.lineWidth = 1;
    g.strokeStyle = cssVar("--grid");
    g.fillStyle = cssVar("--muted");
    g.textAlign = "right";
    g.textBaseline = "middle";
    for (const tick of axis.ticks) {
      const y = Math.round(yOf(tick)) + 0.5;
      g.beginPath();
      g.moveTo(PAD.left, y);
      g.lineTo(PAD.left + plotW, y);
      g.stroke();
      g.fillText(compact(tick), PAD.left - 6, y);
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    for (let i = 0; i < n; i++) {
      const ago = n - i;
      if (ago % 60 !== 0 && i !== n - 1) continue;
      g.fillText(i === n - 1 ? "now" : `−${ago / 60} min`, Math.min(xOf(i), width - 16), PAD.top + plotH + 6);
    }

    g.lineWidth = 1.75;
    g.lineJoin = "round";
    for (const s of this.series) {
      g.strokeStyle = cssVar(s.color) || s.color;
      g.beginPath();
      let drawing = false;
      s.values.forEach((v, i) => {
        const usable = v !== null && Number.isFinite(v) && (this.scale !== "log" || v > 0);
        if (!usable) {
          drawing = false;
          return;
        }
        const x = xOf(i);
        const y = yOf(v);
        if (drawing) g.lineTo(x, y);
        else {
          g.moveTo(x, y);
          // A lone point still shows: a dot-length stroke.
          g.lineTo(x + 0.01, y);
        }
        drawing = true;
      });
      g.stroke();
    }

    if (this.cursor !== null && n) {
      const x = Math.round(xOf(this.cursor)) + 0.5;
      g.strokeStyle = cssVar("--muted");
      g.lineWidth = 1;
      g.setLineDash([3, 3]);
      g.beginPath();
      g.moveTo(x, PAD.top);
      g.lineTo(x, PAD.top + plotH);
      g.stroke();
      g.setLineDash([]);
      for (const s of this.series) {
        const v = s.values[this.cursor];
        if (v === null || !Number.isFinite(v) || (this.scale === "log" && v <= 0)) continue;
        g.fillStyle = cssVar(s.color) || s.color;
        g.beginPath();
        g.arc(x, yOf(v), 3, 0, 2 * Math.PI);
        g.fill();
      }
    }
  }
}

/** The smallest 1, 2, 2.5 or 5 × 10^k at or above `value`. */
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}
