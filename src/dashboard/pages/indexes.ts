// Index health: invalid, unused and redundant indexes, estimated bloat, and
// the largest indexes with their scan counts.
import { estimateBtreeBloat, needsReindex } from "../../checks/bloat.ts";
import { findInvalidIndexes, findRedundantIndexes, indexUsage, statsResetAt } from "../../checks/index-health.ts";
import { barChart } from "../charts.ts";
import { html, type SafeHtml } from "../html.ts";
import { bytes, card, count, load, percent, table } from "../sections.ts";
import type { PageContext } from "./context.ts";

const LARGEST = 15;

export async function indexesPage(ctx: PageContext): Promise<SafeHtml> {
  const sql = ctx.database.sql;
  const [invalid, usage, redundant, bloat, resetAt] = await Promise.all([
    load("invalid indexes", () => findInvalidIndexes(sql), ctx.deadlineMs),
    load("index usage", () => indexUsage(sql), ctx.deadlineMs),
    load("redundant indexes", () => findRedundantIndexes(sql), ctx.deadlineMs),
    load("bloat estimate", () => estimateBtreeBloat(sql), ctx.deadlineMs),
    load("statistics reset time", () => statsResetAt(sql), ctx.deadlineMs),
  ]);
  const since = resetAt.ok && resetAt.value ? `since ${resetAt.value.toISOString()}` : "since the statistics started";
  return html`${card("Invalid indexes", invalid, (rows) =>
    table(rows, [
      { header: "table", cell: (r) => r.table },
      { header: "index", cell: (r) => r.index },
      { header: "definition", cell: (r) => html`<code>${r.definition}</code>` },
    ], "none: every index is valid"),
  "invalid")}${card(`Largest indexes and their scans (${since})`, usage, (rows) => {
    const largest = [...rows].sort((a, b) => b.indexBytes - a.indexBytes).slice(0, LARGEST);
    return barChart({
      title: "Largest indexes by size",
      rows: largest.map((r) => ({ label: `${r.table}.${r.index}`, segments: [{ value: r.indexBytes, tone: r.scans === 0 && !r.unique ? "warn" : "s0" }], valueText: `${bytes(r.indexBytes)} · ${count(r.scans)} scans` })),
      format: (v) => bytes(v),
    });
  }, "usage")}${card(`Unused indexes (no scans ${since}; unique indexes excluded)`, usage, (rows) =>
    table(rows.filter((r) => r.scans === 0 && !r.unique), [
      { header: "table", cell: (r) => r.table },
      { header: "index", cell: (r) => r.index },
      { header: "size", cell: (r) => bytes(r.indexBytes), numeric: true },
    ], "none"),
  "unused")}${card("Redundant indexes (covered by another index)", redundant, (rows) =>
    table(rows, [
      { header: "table", cell: (r) => r.table },
      { header: "index", cell: (r) => r.index },
      { header: "covered by", cell: (r) => r.coveredBy },
      { header: "size", cell: (r) => bytes(r.indexBytes), numeric: true },
    ], "none"),
  "redundant")}${card("Estimated btree bloat (largest first)", bloat, (rows) =>
    table([...rows].sort((a, b) => b.bloatBytes - a.bloatBytes).slice(0, 10), [
      { header: "index", cell: (r) => `${r.table}.${r.index}` },
      { header: "size", cell: (r) => bytes(r.indexBytes), numeric: true },
      { header: "bloat", cell: (r) => `${bytes(r.bloatBytes)} (${percent(r.bloatPercent / 100, 0)})`, numeric: true },
      { header: "", cell: (r) => (needsReindex(r) ? "REINDEX CONCURRENTLY advised" : r.unreliable ? "estimate unreliable" : "") },
    ], "no btree indexes"),
  "bloat")}`;
}
