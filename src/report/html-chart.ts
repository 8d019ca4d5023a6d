// A line chart as inline SVG: axes with round ticks, one path per series (a null value breaks its
// line), an optional shaded window and vertical marks. Hand-made, so report.html loads nothing.

import { type HtmlValue, html, type SafeHtml } from './html-escape.js';

export interface ChartSeries {
  /** Shown in the legend; also the path's data-series. */
  name: string;
  /** CSS class giving its colour (see html-page.ts). */
  cls: string;
  /** One value per x; null where there is none (the line breaks). */
  values: readonly (number | null)[];
  /** Its own x of each value, when the series do not share the chart's `xs`. */
  xs?: readonly number[];
  /** A dot on each value, with its own class and tooltip. */
  dots?: readonly { cls: string; title: string }[];
}

export interface ChartMark {
  label: string;
  x: number;
  cls: string;
  /** Tooltip. */
  title: string;
}

export interface LineChartSpec {
  /** data-chart attribute, so tests and readers can find it: "throughput", "error-rate", ... */
  kind: string;
  title: string;
  xs: readonly number[];
  xRange: readonly [number, number];
  formatX(x: number): string;
  formatY(y: number): string;
  /** Where the x ticks go, when round numbers of the x unit are not right (dates). */
  xTicks?: readonly number[];
  /** A fixed top of the y axis (1 for a ratio); else a round number above the largest value. */
  yMax?: number;
  series: readonly ChartSeries[];
  shade?: { from: number; to: number; title: string };
  marks?: readonly ChartMark[];
  /** Under the chart, e.g. what one point stands for. */
  note?: string;
}

// About the width the page gives a chart, so that text in the SVG reads at the page's size.
const W = 1100;
const H = 150;
const LEFT = 64;
const RIGHT = 12;
const TOP = 16;
const BOTTOM = 26;
const PLOT_W = W - LEFT - RIGHT;
const PLOT_H = H - TOP - BOTTOM;

/** 1, 2 or 5 times a power of ten, so that span / step gives at most `maxTicks` steps. */
export function niceStep(span: number, maxTicks: number): number {
  if (!(span > 0)) return 1;
  const rough = span / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough);
  return step ?? 10 * magnitude;
}

/** Coordinates to 0.1 px: finer is invisible and only makes the file bigger. */
const px = (v: number): string => String(Math.round(v * 10) / 10);

function linePath(xs: readonly number[], values: readonly (number | null)[], sx: Scale, sy: Scale): string {
  const parts: string[] = [];
  let run: string[] = [];
  const flush = () => {
    // A lone point would draw nothing: a zero-length segment with a round cap draws a dot.
    if (run.length === 1) parts.push(`${run[0]}h0`);
    else if (run.length > 1) parts.push(run.join(''));
    run = [];
  };
  values.forEach((v, i) => {
    const x = xs[i];
    if (v === null || x === undefined) flush();
    else run.push(`${run.length === 0 ? 'M' : 'L'}${px(sx(x))} ${px(sy(v))}`);
  });
  flush();
  return parts.join('');
}

type Scale = (v: number) => number;

function ticks(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to + step * 1e-9; t += step)
    out.push(Math.round(t / step) * step);
  return out;
}

export function lineChart(spec: LineChartSpec): SafeHtml {
  const [x0, x1] = spec.xRange;
  const sx: Scale = (x) => LEFT + ((x - x0) / Math.max(1e-9, x1 - x0)) * PLOT_W;
  const largest = Math.max(0, ...spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const yStep = spec.yMax === undefined ? niceStep(largest || 1, 4) : niceStep(spec.yMax, 4);
  const yTop = spec.yMax ?? Math.max(yStep, Math.ceil((largest * 1.05) / yStep) * yStep);
  const sy: Scale = (y) => TOP + PLOT_H - (Math.min(y, yTop) / yTop) * PLOT_H;
  const yTicks = ticks(0, yTop, yStep);
  const xTicks = spec.xTicks ?? ticks(x0, x1, niceStep(x1 - x0, 8));
  const clamp = (x: number) => Math.min(x1, Math.max(x0, x));
  const shade = spec.shade;
  const grid: HtmlValue[] = [
    ...yTicks.map(
      (y) =>
        html`<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${px(sy(y))}" y2="${px(sy(y))}"/><text class="tick" x="${LEFT - 6}" y="${px(sy(y) + 4)}" text-anchor="end">${spec.formatY(y)}</text>`,
    ),
    ...xTicks.map(
      (x) =>
        html`<line class="tick-mark" x1="${px(sx(x))}" x2="${px(sx(x))}" y1="${TOP + PLOT_H}" y2="${TOP + PLOT_H + 4}"/><text class="tick" x="${px(sx(x))}" y="${H - 8}" text-anchor="middle">${spec.formatX(x)}</text>`,
    ),
  ];
  const window =
    shade && shade.to > x0 && shade.from < x1
      ? html`<rect class="fault-window" x="${px(sx(clamp(shade.from)))}" y="${TOP}" width="${px(Math.max(1, sx(clamp(shade.to)) - sx(clamp(shade.from))))}" height="${PLOT_H}"><title>${shade.title}</title></rect>`
      : null;
  const marks = (spec.marks ?? [])
    .filter((m) => m.x >= x0 && m.x <= x1)
    .map(
      (m, i) =>
        html`<g class="mark ${m.cls}"><title>${m.title}</title><line x1="${px(sx(m.x))}" x2="${px(sx(m.x))}" y1="${TOP}" y2="${TOP + PLOT_H}"/><text x="${px(sx(m.x) + 3)}" y="${TOP + 10 + (i % 3) * 11}">${m.label}</text></g>`,
    );
  const paths = spec.series.map((s) => {
    const xs = s.xs ?? spec.xs;
    const dots = (s.dots ?? []).map((d, i) => {
      const v = s.values[i];
      const x = xs[i];
      return v === null || v === undefined || x === undefined
        ? null
        : html`<circle class="dot ${d.cls}" cx="${px(sx(x))}" cy="${px(sy(v))}" r="3.5"><title>${d.title}</title></circle>`;
    });
    return html`<path class="series ${s.cls}" data-series="${s.name}" d="${linePath(xs, s.values, sx, sy)}"/>${dots}`;
  });
  const legend = spec.series.map((s) => html`<span class="key ${s.cls}">${s.name}</span>`);
  return html`<figure class="chart-box"><figcaption>${spec.title}<span class="legend">${legend}</span></figcaption><svg class="chart" data-chart="${spec.kind}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${spec.title}"><title>${spec.title}</title>${window}${grid}<line class="axis" x1="${LEFT}" x2="${W - RIGHT}" y1="${TOP + PLOT_H}" y2="${TOP + PLOT_H}"/>${paths}${marks}</svg>${spec.note ? html`<p class="note">${spec.note}</p>` : null}</figure>`;
}
