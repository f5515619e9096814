// Overview: is the database up, how full is the pool, how fast are queries,
// and the headline figures of the other pages.
import { cacheHitRatio, CACHE_HIT_RATIO_MIN, databaseSizeBytes, meetsCacheHitGoal } from "../../checks/database-health.ts";
import { findInvalidIndexes } from "../../checks/index-health.ts";
import { dangerReport, FREEZE_AGE_WARN_FRACTION } from "../../observe/danger.ts";
import { barChart, meter } from "../charts.ts";
import { html, type SafeHtml } from "../html.ts";
import { badge, bytes, card, count, duration, figures, load, ms, percent, type Loaded } from "../sections.ts";
import type { PoolStats, ServerPoolStats } from "../../pool/create-database.ts";
import type { QueryStats } from "../../pool/query-monitor.ts";
import { latestVerifyReport, type LatestVerifyReport } from "../verify-report.ts";
import type { PageContext } from "./context.ts";

function verifyBadge(latest: LatestVerifyReport): SafeHtml {
  if (latest.kind === "json") return badge(latest.report.passed ? "ok" : "bad", `grade ${latest.report.grade}`);
  const grade = /grade (\S+)/.exec(latest.title)?.[1] ?? "?";
  return badge(latest.facts.some((f) => /below the bar/i.test(f)) ? "bad" : "ok", `grade ${grade}`);
}

export async function overviewPage(ctx: PageContext): Promise<SafeHtml> {
  const { database, deadlineMs } = ctx;
  const sql = database.sql;
  const [ping, size, cache, server, invalid, verify, danger] = await Promise.all([
    database.ping(Math.min(deadlineMs, 2000)),
    load("database size", () => databaseSizeBytes(sql), deadlineMs),
    load("cache hit ratio", () => cacheHitRatio(sql), deadlineMs),
    load("server-side pool view", () => database.serverPoolStats(), deadlineMs),
    load("invalid indexes", () => findInvalidIndexes(sql), deadlineMs),
    load("verify report", () => latestVerifyReport(ctx.reportsDir), deadlineMs),
    load("danger checks", () => dangerReport(sql), deadlineMs),
  ]);
  const cacheTone = (r: number | null) => (r === null ? "info" : meetsCacheHitGoal(r) ? "ok" : "warn");

  const health = html`<section class="card" id="health"><h2>Health</h2>${figures([
    ["database", ping.ok ? badge("ok", "reachable") : badge("bad", "unreachable")],
    ["latency", ms(ping.latencyMs)],
    ["version", ctx.version],
    ["uptime", duration((Date.now() - ctx.startedAt) / 1000)],
    ["size", size.ok ? bytes(size.value) : "-"],
    ["invalid indexes", invalid.ok ? (invalid.value.length === 0 ? badge("ok", "0") : badge("bad", String(invalid.value.length))) : "-"],
    ["last verify", verify.ok && verify.value ? verifyBadge(verify.value) : "-"],
  ])}${ping.ok ? "" : html`<p class="flash error">${ping.error?.code ?? ""} ${ping.error?.message ?? ""}</p>`}</section>`;

  const cacheCard = card("Cache hit ratio (since the statistics reset)", cache, (c) =>
    figures([
      ["tables", badge(cacheTone(c.tables), percent(c.tables, 2))],
      ["indexes", badge(cacheTone(c.indexes), percent(c.indexes, 2))],
      ["goal", `> ${percent(CACHE_HIT_RATIO_MIN, 0)}`],
    ]),
    "cache",
  );
  const dangerCard = card("Danger checks (wraparound, vacuum, sequences, constraints)", danger, (d) =>
    html`${d.warnings.length === 0 ? html`<p>${badge("ok", "all clear")}</p>` : html`<ul class="warnings">${d.warnings.map((w) => html`<li>${badge("warn", "warning")} ${w}</li>`)}</ul>`}${barChart({
      title: "Transaction ID age per database, as a share of autovacuum_freeze_max_age",
      rows: d.freezeAge.databases.map((db) => ({ label: db.database, segments: [{ value: db.xidFraction, tone: db.xidFraction >= FREEZE_AGE_WARN_FRACTION ? "warn" : "s0" }], valueText: `${percent(db.xidFraction)} (${count(db.xidAge)} XIDs)` })),
      format: (v) => percent(v),
      max: 1,
    })}${
      d.vacuum.inProgress.length === 0
        ? html`<p class="muted">No vacuum running.</p>`
        : html`<p>Vacuum running: ${d.vacuum.inProgress.map((v) => html`${v.table ?? "?"} (${v.phase}, ${percent(v.scannedFraction)} scanned${v.toPreventWraparound ? ", to prevent wraparound" : ""}) `)}</p>`
    }`,
    "danger",
  );
  return html`<div class="grid">${health}${cacheCard}</div>${dangerCard}${poolCard(database.poolStats(), server)}${latencyCard(database.getQueryStats())}`;
}

/** The pool as this process sees it, cross-checked with pg_stat_activity. */
function poolCard(pool: PoolStats, server: Loaded<ServerPoolStats>): SafeHtml {
  return html`<section class="card" id="pool"><h2>Connection pool (this process)</h2>${meter({
    title: "Pool connections against the pool maximum",
    parts: [
      { value: pool.busy, tone: "s0", label: "busy" },
      { value: pool.idle, tone: "s1", label: "idle" },
      { value: pool.waiting, tone: "bad", label: "waiting" },
    ],
    limit: pool.max,
    limitLabel: "pool max",
  })}${figures([
    ["open", count(pool.open)],
    ["peak busy", count(pool.peakBusy)],
    ["peak waiting", count(pool.peakWaiting)],
    ["queued in total", count(pool.queuedTotal)],
    ["queue timeout", ms(pool.queueTimeoutMs)],
  ])}${
    server.ok
      ? html`<p class="muted">pg_stat_activity for application ${pool.applicationName}: ${server.value.ours} connections (${server.value.active} active, ${server.value.idle} idle, ${server.value.idleInTransaction} idle in transaction); ${server.value.connections} on the server in all.</p>`
      : html`<p class="flash error">${server.problem}</p>`
  }</section>`;
}

/** Query latency percentiles and counts since the last reset. */
function latencyCard(stats: QueryStats): SafeHtml {
  return html`<section class="card" id="latency"><h2>Query latency (this process, since ${stats.since})</h2>${barChart({
    title: "Query latency percentiles",
    rows: [
      { label: "p50", segments: [{ value: stats.p50Ms ?? 0, tone: "s1" }] },
      { label: "p95", segments: [{ value: stats.p95Ms ?? 0, tone: "s0" }] },
      { label: "p99", segments: [{ value: stats.p99Ms ?? 0, tone: "s3" }] },
      { label: "max", segments: [{ value: stats.maxDurationMs ?? 0, tone: "s2" }] },
    ],
    format: (v) => ms(v),
  })}${figures([
    ["queries", count(stats.totalQueries)],
    ["slow", `${count(stats.slowQueries)} (${stats.slowQueryPercentage.toFixed(2)}%)`],
    ["very slow", count(stats.verySlowQueries)],
    ["errors", count(stats.errors)],
    ["waited for a connection", count(stats.queueWait.waited)],
  ])}</section>`;
}
