// Slow queries: pg_stat_statements' top statements by mean and by total time,
// and the slowest queries this process saw itself (the pool's monitor).
import { checkPgStatStatements } from "../../../checks/pg-stat-statements.ts";
import { topStatements } from "../../../checks/query-stats.ts";
import { barChart } from "../charts.ts";
import { html, type SafeHtml } from "../html.ts";
import { card, count, load, ms, percent, table } from "../sections.ts";
import type { PageContext } from "./context.ts";

const TOP = 15;

export async function queriesPage(ctx: PageContext): Promise<SafeHtml> {
  const sql = ctx.database.sql;
  const status = await load("pg_stat_statements check", () => checkPgStatStatements(sql), ctx.deadlineMs);
  const failed = status.ok ? status.value.steps.find((s) => !s.ok) : undefined;
  const usable = status.ok && (!failed || failed.step === "readable");
  const [byMean, byTotal] = usable
    ? await Promise.all([load("top statements by mean time", () => topStatements(sql, "mean", TOP), ctx.deadlineMs), load("top statements by total time", () => topStatements(sql, "total", TOP), ctx.deadlineMs)])
    : [undefined, undefined];
  const notice = !status.ok
    ? html`<p class="flash error">${status.problem}</p>`
    : failed
      ? html`<p class="flash error">pg_stat_statements is not ready (${failed.step}): ${failed.detail}. Fix: ${failed.fix}</p>`
      : "";
  const statements = (title: string, loaded: typeof byMean, id: string, key: "meanMs" | "totalMs") =>
    loaded
      ? card(title, loaded, (rows) =>
          html`${barChart({
            title,
            rows: rows.map((r) => ({ label: r.query, segments: [{ value: r[key], tone: key === "meanMs" ? "s0" : "s3" }] })),
            format: (v) => ms(v),
          })}${table(rows, [
            { header: "query (normalized)", cell: (r) => html`<span class="query">${r.query}</span>` },
            { header: "calls", cell: (r) => count(r.calls), numeric: true },
            { header: "mean", cell: (r) => ms(r.meanMs), numeric: true },
            { header: "max", cell: (r) => ms(r.maxMs), numeric: true },
            { header: "total", cell: (r) => ms(r.totalMs), numeric: true },
            { header: "cache hits", cell: (r) => percent(r.cacheHitRatio), numeric: true },
          ], "no statements recorded yet")}`,
        id)
      : "";
  const recent = ctx.database.getQueryStats();
  return html`${notice}<p class="muted">pg_stat_statements counts since its last reset (this database only).</p>${statements(`Top ${TOP} by mean time`, byMean, "by-mean", "meanMs")}${statements(`Top ${TOP} by total time`, byTotal, "by-total", "totalMs")}<section class="card" id="recent-slow"><h2>Slow queries seen by this process (≥ ${recent.thresholds.slowMs} ms, newest first)</h2>${table(recent.recentSlowQueries, [
    { header: "at", cell: (q) => q.at },
    { header: "class", cell: (q) => q.class },
    { header: "duration", cell: (q) => ms(q.durationMs), numeric: true },
    { header: "query", cell: (q) => html`<span class="query">${q.query}</span>` },
  ], "none since the process started")}</section>`;
}
