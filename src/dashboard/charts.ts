// Inline SVG charts for the dashboard, drawn on the server: horizontal bars
// (one or more stacked segments per row), a meter (used of a limit) and a
// line chart over time. No client code; colours come from CSS classes in the
// dashboard stylesheet (presentation attributes only, since the CSP forbids
// inline style). Every label goes through the escaping svg`` template.
import { svg, type SafeHtml } from "./html.ts";

export interface BarSegment {
  readonly value: number;
  /** CSS class giving the colour: s0..s4, ok, warn, bad. */
  readonly tone: string;
  readonly label?: string;
}

export interface BarRow {
  readonly label: string;
  readonly segments: readonly BarSegment[];
  /** Shown at the end of the bar (default: the formatted total). */
  readonly valueText?: string;
}

export interface BarChartOptions {
  readonly title: string;
  readonly rows: readonly BarRow[];
  readonly format: (value: number) => string;
  /** Legend entries (tone -> text) for stacked charts. */
  readonly legend?: readonly { readonly tone: string; readonly text: string }[];
  /** Scale maximum (default: the largest row total). */
  readonly max?: number;
}

const WIDTH = 720;
const LABEL_WIDTH = 300;
const VALUE_WIDTH = 140;
const ROW_HEIGHT = 22;
const LABEL_CHARS = 40;

const fixed = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "0");

/** Long labels (query texts) are cut in the chart; the full text sits in a <title> tooltip and the table below. */
export function shortLabel(text: string, max = LABEL_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export function barChart(options: BarChartOptions): SafeHtml {
  const { rows, format } = options;
  const legendHeight = options.legend?.length ? 22 : 0;
  const top = 8 + legendHeight;
  const height = top + Math.max(rows.length, 1) * ROW_HEIGHT + 8;
  const totals = rows.map((r) => r.segments.reduce((s, x) => s + Math.max(0, x.value), 0));
  const max = Math.max(options.max ?? 0, ...totals, Number.MIN_VALUE);
  const plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const scale = (v: number) => (Math.max(0, v) / max) * plot;
  const legend = (options.legend ?? []).map(
    (entry, i) => svg`<rect class="${entry.tone}" x="${LABEL_WIDTH + i * 140}" y="6" width="12" height="12"/><text x="${LABEL_WIDTH + i * 140 + 17}" y="16">${entry.text}</text>`,
  );
  const body = rows.map((row, i) => {
    const y = top + i * ROW_HEIGHT;
    let x = LABEL_WIDTH;
    const segments = row.segments.map((segment) => {
      const w = scale(segment.value);
      const rect = svg`<rect class="bar ${segment.tone}" x="${fixed(x)}" y="${y + 3}" width="${fixed(Math.max(w, segment.value > 0 ? 1 : 0))}" height="${ROW_HEIGHT - 6}"><title>${row.label}${segment.label ? ` (${segment.label})` : ""}: ${format(segment.value)}</title></rect>`;
      x += w;
      return rect;
    });
    return svg`<g class="row"><text class="label" x="${LABEL_WIDTH - 8}" y="${y + ROW_HEIGHT / 2 + 4}" text-anchor="end"><title>${row.label}</title>${shortLabel(row.label)}</text>${segments}<text class="value" x="${fixed(x + 6)}" y="${y + ROW_HEIGHT / 2 + 4}">${row.valueText ?? format(totals[i]!)}</text></g>`;
  });
  const empty = rows.length === 0 ? svg`<text class="empty" x="${LABEL_WIDTH}" y="${top + 15}">nothing to show yet</text>` : "";
  return svg`<svg class="chart bar-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${options.title}"><title>${options.title}</title>${legend}${body}${empty}</svg>`;
}

export interface MeterOptions {
  readonly title: string;
  /** Stacked parts of the used amount, e.g. busy and idle connections. */
  readonly parts: readonly BarSegment[];
  readonly limit: number;
  readonly limitLabel: string;
}

/** One bar against a limit (e.g. connections against max_connections), with a legend. */
export function meter(options: MeterOptions): SafeHtml {
  const width = WIDTH;
  const barTop = 30;
  const barHeight = 22;
  const plot = width - 20;
  const limit = Math.max(options.limit, options.parts.reduce((s, p) => s + p.value, 0), 1);
  let x = 10;
  const parts = options.parts.map((part) => {
    const w = (Math.max(0, part.value) / limit) * plot;
    const rect = svg`<rect class="bar ${part.tone}" x="${fixed(x)}" y="${barTop}" width="${fixed(w)}" height="${barHeight}"><title>${part.label ?? ""}: ${part.value}</title></rect>`;
    x += w;
    return rect;
  });
  const legend = options.parts.map(
    (part, i) => svg`<rect class="${part.tone}" x="${10 + i * 150}" y="6" width="12" height="12"/><text x="${27 + i * 150}" y="16">${part.label ?? ""}: ${part.value}</text>`,
  );
  return svg`<svg class="chart meter" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} 76" width="${width}" height="76" role="img" aria-label="${options.title}"><title>${options.title}</title>${legend}<rect class="track" x="10" y="${barTop}" width="${plot}" height="${barHeight}"/>${parts}<text class="value" x="${width - 10}" y="${barTop + barHeight + 16}" text-anchor="end">${options.limitLabel}: ${options.limit}</text></svg>`;
}

export interface LineSeries {
  readonly label: string;
  readonly tone: string;
  readonly points: readonly { readonly at: Date; readonly value: number }[];
}

export interface LineChartOptions {
  readonly title: string;
  readonly series: readonly LineSeries[];
  readonly format: (value: number) => string;
}

/** Values over time, one polyline per series, y from 0 to the largest value. */
export function lineChart(options: LineChartOptions): SafeHtml {
  const height = 220;
  const left = 80;
  const right = 20;
  const top = 28;
  const bottom = 28;
  const all = options.series.flatMap((s) => s.points);
  const times = all.map((p) => p.at.getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const vMax = Math.max(...all.map((p) => p.value), Number.MIN_VALUE);
  const x = (t: number) => left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (WIDTH - left - right);
  const y = (v: number) => top + (1 - v / vMax) * (height - top - bottom);
  const grid = [0, 0.5, 1].map((f) => svg`<line class="grid" x1="${left}" x2="${WIDTH - right}" y1="${fixed(y(vMax * f))}" y2="${fixed(y(vMax * f))}"/><text class="axis" x="${left - 6}" y="${fixed(y(vMax * f) + 4)}" text-anchor="end">${options.format(vMax * f)}</text>`);
  const axis = all.length === 0 ? [] : [svg`<text class="axis" x="${left}" y="${height - 8}">${new Date(t0).toISOString().slice(0, 16).replace("T", " ")}</text><text class="axis" x="${WIDTH - right}" y="${height - 8}" text-anchor="end">${new Date(t1).toISOString().slice(0, 16).replace("T", " ")} UTC</text>`];
  const lines = options.series.map((s) => {
    const points = s.points.map((p) => `${fixed(x(p.at.getTime()))},${fixed(y(p.value))}`).join(" ");
    const dots = s.points.map((p) => svg`<circle class="dot ${s.tone}" cx="${fixed(x(p.at.getTime()))}" cy="${fixed(y(p.value))}" r="2.5"><title>${s.label} ${p.at.toISOString()}: ${options.format(p.value)}</title></circle>`);
    return svg`<polyline class="line ${s.tone}" points="${points}"/>${dots}`;
  });
  const legend = options.series.map((s, i) => svg`<rect class="${s.tone}" x="${left + i * 160}" y="6" width="12" height="12"/><text x="${left + i * 160 + 17}" y="16">${shortLabel(s.label, 20)}</text>`);
  const empty = all.length === 0 ? svg`<text class="empty" x="${left}" y="${height / 2}">nothing to show yet</text>` : "";
  return svg`<svg class="chart line-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${options.title}"><title>${options.title}</title>${legend}${grid}${axis}${lines}${empty}</svg>`;
}
