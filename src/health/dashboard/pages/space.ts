// Space: database size and the largest tables split into heap and indexes.
import { databaseSizeBytes, largestTables } from "../../../checks/database-health.ts";
import { barChart } from "../charts.ts";
import { html, type SafeHtml } from "../html.ts";
import { bytes, card, count, figures, load, table } from "../sections.ts";
import type { PageContext } from "./context.ts";

const TABLES = 15;

export async function spacePage(ctx: PageContext): Promise<SafeHtml> {
  const sql = ctx.database.sql;
  const [size, tables] = await Promise.all([
    load("database size", () => databaseSizeBytes(sql), ctx.deadlineMs),
    load("table sizes", () => largestTables(sql, TABLES), ctx.deadlineMs),
  ]);
  return html`${card("Database", size, (b) => figures([["size on disk", bytes(b)]]), "size")}${card(`Largest tables (top ${TABLES})`, tables, (rows) =>
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
