// Space: database size, growth over the last week (the monitor's daily size
// snapshots), and the largest tables split into heap, indexes and TOAST.
import { databaseSizeBytes, largestTables } from "../../checks/database-health.ts";
import { spaceGrowth, SPACE_GROWTH_DAYS } from "../../observe/space-history.ts";
import { barChart, lineChart } from "../charts.ts";
import { dailySizes } from "../history.ts";
import { html, type SafeHtml } from "../html.ts";
import { bytes, card, count, figures, load, table } from "../sections.ts";
import type { PageContext } from "./context.ts";

const TABLES = 15;

export async function spacePage(ctx: PageContext): Promise<SafeHtml> {
  const sql = ctx.database.sql;
  const [size, tables, growth, daily] = await Promise.all([
    load("database size", () => databaseSizeBytes(sql), ctx.deadlineMs),
    load("table sizes", () => largestTables(sql, TABLES), ctx.deadlineMs),
    load("space growth", () => spaceGrowth(sql, SPACE_GROWTH_DAYS, TABLES), ctx.deadlineMs),
    load("daily sizes", () => dailySizes(sql, SPACE_GROWTH_DAYS), ctx.deadlineMs),
  ]);
  const growthCard = card(`Growth over the last ${SPACE_GROWTH_DAYS} days`, growth, (rows) =>
    rows.length === 0
      ? html`<p class="notice">No size snapshots yet. The monitor records table and index sizes once a day while <code>npm run serve</code> runs, or from cron with <code>npm run capture</code>.</p>`
      : html`${daily.ok ? lineChart({
          title: "Size of tables and indexes per day",
          series: [
            { label: "tables", tone: "s0", points: daily.value.map((d) => ({ at: d.day, value: d.tableBytes })) },
            { label: "indexes", tone: "s1", points: daily.value.map((d) => ({ at: d.day, value: d.indexBytes })) },
          ],
          format: (v) => bytes(v),
        }) : html`<p class="flash error">${daily.problem}</p>`}${table(rows, [
          { header: "table", cell: (t) => `${t.schema}.${t.table}` },
          { header: "since", cell: (t) => t.sinceDay },
          { header: "then", cell: (t) => bytes(t.bytesThen), numeric: true },
          { header: "now", cell: (t) => bytes(t.bytes), numeric: true },
          { header: "growth", cell: (t) => `${t.growthBytes >= 0 ? "+" : "−"}${bytes(Math.abs(t.growthBytes))}`, numeric: true },
          { header: "per day", cell: (t) => (t.growthBytesPerDay === null ? "-" : `${t.growthBytesPerDay >= 0 ? "+" : "−"}${bytes(Math.abs(t.growthBytesPerDay))}/day`), numeric: true },
        ])}`,
    "growth",
  );
  return html`${card("Database", size, (b) => figures([["size on disk", bytes(b)]]), "size")}${growthCard}${card(`Largest tables (top ${TABLES})`, tables, (rows) =>
    html`${barChart({
      title: "Largest tables: heap, indexes and TOAST",
      legend: [
        { tone: "s0", text: "table" },
        { tone: "s1", text: "indexes" },
        { tone: "s2", text: "TOAST and other" },
      ],
      rows: rows.map((t) => ({
        label: t.table,
        segments: [
          { value: t.tableBytes, tone: "s0", label: "table" },
          { value: t.indexBytes, tone: "s1", label: "indexes" },
          { value: Math.max(0, t.totalBytes - t.tableBytes - t.indexBytes), tone: "s2", label: "TOAST and other" },
        ],
      })),
      format: (v) => bytes(v),
    })}${table(rows, [
      { header: "table", cell: (t) => t.table },
      { header: "rows (estimate)", cell: (t) => count(t.estimatedRows), numeric: true },
      { header: "table", cell: (t) => bytes(t.tableBytes), numeric: true },
      { header: "indexes", cell: (t) => bytes(t.indexBytes), numeric: true },
      { header: "total", cell: (t) => bytes(t.totalBytes), numeric: true },
    ])}`,
  "tables")}`;
}
