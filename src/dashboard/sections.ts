// Shared pieces of the dashboard pages: each section loads on its own, with a
// deadline, so one failing query (or a database that is down) shows as a
// notice in its card instead of failing the page; and small formatting helpers.
import { withDeadline } from "../base/deadline.ts";
import { formatBytes, formatMsCell, formatPercent } from "../base/format.ts";
import { html, type Interpolation, type SafeHtml } from "./html.ts";

export type Loaded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Run one section's queries; a failure or a deadline becomes a one-line problem (code + message, never a stack). */
export async function load<T>(what: string, work: () => Promise<T>, deadlineMs: number): Promise<Loaded<T>> {
  try {
    return { ok: true, value: await withDeadline(work(), deadlineMs, what) };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    const code = typeof e.code === "string" ? `${e.code}: ` : "";
    return { ok: false, problem: `${what} unavailable (${code}${typeof e.message === "string" ? e.message : String(error)})` };
  }
}

/** A card with a heading; `content` renders only when the data loaded. */
export function card<T>(title: string, loaded: Loaded<T>, content: (value: T) => Interpolation, id?: string): SafeHtml {
  return html`<section class="card"${id ? html` id="${id}"` : ""}><h2>${title}</h2>${loaded.ok ? content(loaded.value) : html`<p class="flash error">${loaded.problem}</p>`}</section>`;
}

export function figures(items: readonly (readonly [label: string, value: Interpolation])[]): SafeHtml {
  return html`<ul class="figures">${items.map(([k, v]) => html`<li><span class="k">${k}</span><span class="v">${v}</span></li>`)}</ul>`;
}

export function badge(tone: "ok" | "warn" | "bad" | "fail" | "pass" | "info" | string, text: string): SafeHtml {
  return html`<span class="badge ${tone === "pass" ? "ok" : tone}">${text}</span>`;
}

export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => Interpolation;
  readonly numeric?: boolean;
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty = "none"): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table><thead><tr>${columns.map((c) => html`<th${c.numeric ? html` class="num"` : ""}>${c.header}</th>`)}</tr></thead><tbody>${rows.map(
    (row) => html`<tr>${columns.map((c) => html`<td${c.numeric ? html` class="num"` : ""}>${c.cell(row)}</td>`)}</tr>`,
  )}</tbody></table>`;
}

export const bytes = (n: number | null | undefined) => (n === null || n === undefined ? "-" : formatBytes(n));
export const ms = (n: number | null | undefined) => (n === null || n === undefined ? "-" : `${formatMsCell(n)} ms`);
export const percent = (ratio: number | null | undefined, digits = 1) => (ratio === null || ratio === undefined ? "-" : formatPercent(ratio, digits));
export const count = (n: number | null | undefined) => (n === null || n === undefined ? "-" : n.toLocaleString("en-US"));

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.round((seconds % 86400) / 3600)} h`;
}
