// Slow queries: pg_stat_statements' top statements by mean and by total time,
// either since its last reset or over a window (?since=1h, 7d: the monitor's
// captured deltas, with database time per capture as a line chart), and the
// slowest queries this process saw itself (the pool's monitor).
import type { FastifyRequest } from "fastify";
import { checkPgStatStatements } from "../../checks/pg-stat-statements.ts";
import { topStatements } from "../../checks/query-stats.ts";
import { statementWindow } from "../../observe/statement-history.ts";
import { parseWindow, type HistoryWindow } from "../../observe/window.ts";
import { barChart, lineChart } from "../charts.ts";
import { statementTimeline } from "../history.ts";
import { html, type SafeHtml } from "../html.ts";
import { DASHBOARD_PREFIX } from "../layout.ts";
import { card, count, load, ms, percent, table, type Loaded } from "../sections.ts";
import type { PageContext } from "./context.ts";

const TOP = 15;
/** The windows offered as links (any other ?since=30m|1h|7d works too). */
const WINDOWS = ["1h", "6h", "24h", "7d"] as const;

/** ?since= parsed; a bad value is a 400 page naming the accepted forms. */
function requestedWindow(request: FastifyRequest): HistoryWindow | undefined {
  const raw = (request.query as Record<string, unknown> | undefined)?.since;
  if (raw === undefined || raw === "") return undefined;
  try {
    if (typeof raw !== "string") throw new RangeError("'since' was given more than once");
    return parseWindow(raw);
  } catch (error) {
    throw Object.assign(new Error((error as Error).message), { statusCode: 400 });
  }
}

function windowLinks(current: HistoryWindow | undefined): SafeHtml {
  const link = (label: string, href: string, active: boolean) => html`<a href="${href}"${active ? html` aria-current="true"` : ""}>${label}</a>`;
  return html`<p class="windows">Window: ${link("since the last reset", `${DASHBOARD_PREFIX}/queries`, current === undefined)}${WINDOWS.map((w) =>
    link(`last ${w}`, `${DASHBOARD_PREFIX}/queries?since=${w}`, current?.label === w),
  )}</p>`;
}

async function windowedQueries(ctx: PageContext, window: HistoryWindow): Promise<SafeHtml> {
  const sql = ctx.database.sql;
  const [data, timeline] = await Promise.all([
    load("statement history", () => statementWindow(sql, window, TOP), ctx.deadlineMs),
    load("statement timeline", () => statementTimeline(sql, window), ctx.deadlineMs),
  ]);
  const coverage = card(`Captured history, last ${window.label}`, data, (w) =>
    w.coverage.captures === 0
      ? html`<p class="notice">No captures in this window yet. The monitor records pg_stat_statements every few minutes while <code>npm run serve</code> runs (MONITOR_CAPTURE_INTERVAL_MINUTES), or from cron with <code>npm run capture</code>.</p>`
      : html`<p class="muted">${w.coverage.captures} capture intervals from ${w.coverage.from?.toISOString() ?? "-"} to ${w.coverage.to?.toISOString() ?? "-"}${w.coverage.resetsDetected > 0 ? ` (${w.coverage.resetsDetected} pg_stat_statements resets seen: statements between the capture before a reset and the reset are not counted)` : ""}.</p>${
          timeline.ok
            ? lineChart({ title: "Database time per capture interval", series: [{ label: "execution time", tone: "s0", points: timeline.value.map((p) => ({ at: p.at, value: p.totalMs })) }], format: (v) => ms(v) })
            : html`<p class="flash error">${timeline.problem}</p>`
        }`,
    "window",
  );
  const rows = (key: "byMeanTime" | "byTotalTime") => (data.ok ? { ok: true as const, value: data.value[key].map((r) => ({ ...r, query: r.query ?? `(text not captured, queryid ${r.queryId})`, maxMs: null })) } : data);
  return html`${coverage}${statements(`Top ${TOP} by mean time, last ${window.label}`, rows("byMeanTime"), "by-mean", "meanMs")}${statements(`Top ${TOP} by total time, last ${window.label}`, rows("byTotalTime"), "by-total", "totalMs")}`;
}

interface StatementRow {
  readonly query: string;
  readonly calls: number;
  readonly meanMs: number;
  readonly maxMs: number | null;
  readonly totalMs: number;
  readonly cacheHitRatio: number | null;
}

function statements(title: string, loaded: Loaded<readonly StatementRow[]> | undefined, id: string, key: "meanMs" | "totalMs"): SafeHtml | "" {
  return loaded
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
        ], "no statements recorded")}`,
      id)
    : "";
}

export async function queriesPage(ctx: PageContext, request: FastifyRequest): Promise<SafeHtml> {
  const window = requestedWindow(request);
  if (window) return html`${windowLinks(window)}${await windowedQueries(ctx, window)}`;
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
  const recent = ctx.database.getQueryStats();
  return html`${windowLinks(undefined)}${notice}<p class="muted">pg_stat_statements counts since its last reset (this database only).</p>${statements(`Top ${TOP} by mean time`, byMean, "by-mean", "meanMs")}${statements(`Top ${TOP} by total time`, byTotal, "by-total", "totalMs")}<section class="card" id="recent-slow"><h2>Slow queries seen by this process (≥ ${recent.thresholds.slowMs} ms, newest first)</h2>${table(recent.recentSlowQueries, [
    { header: "at", cell: (q) => q.at },
    { header: "class", cell: (q) => q.class },
    { header: "duration", cell: (q) => ms(q.durationMs), numeric: true },
    { header: "query", cell: (q) => html`<span class="query">${q.query}</span>` },
  ], "none since the process started")}</section>`;
}
