// Activity: connections against max_connections, what runs now, who blocks
// whom, sessions idle in a transaction. With HEALTH_API_ALLOW_CANCEL on, each
// session gets Cancel / Terminate buttons: plain POST forms carrying the
// session's CSRF token (the page runs no script).
import { activity, CONNECTIONS_USED_WARN, IDLE_IN_TRANSACTION_WARN_MS, LONG_RUNNING_MS, type Backend } from "../../observe/activity.ts";
import { barChart, meter } from "../charts.ts";
import { html, type SafeHtml } from "../html.ts";
import { DASHBOARD_PREFIX } from "../layout.ts";
import { badge, card, count, duration, figures, load, percent, table, type Column } from "../sections.ts";
import type { PageContext } from "./context.ts";

const seconds = (ms: number | null) => (ms === null ? "-" : duration(ms / 1000));

function controls(ctx: PageContext, backend: Backend): SafeHtml {
  if (!ctx.allowCancel) return html``;
  const form = (action: "cancel" | "terminate", label: string, danger: boolean) =>
    html`<form class="inline" method="post" action="${DASHBOARD_PREFIX}/activity/cancel"><input type="hidden" name="csrf" value="${ctx.csrfToken}"><input type="hidden" name="pid" value="${backend.pid}"><input type="hidden" name="action" value="${action}"><button type="submit"${danger ? html` class="danger"` : ""} data-action="${action}" data-pid="${backend.pid}">${label}</button></form>`;
  return html`<span class="actions">${form("cancel", "Cancel", false)}${form("terminate", "Terminate", true)}</span>`;
}

function backendColumns(ctx: PageContext, timeHeader: string, time: (b: Backend) => number | null, warnMs: number): Column<Backend>[] {
  const columns: Column<Backend>[] = [
    { header: "pid", cell: (b) => String(b.pid), numeric: true },
    { header: "application", cell: (b) => b.applicationName || html`<span class="muted">(none)</span>` },
    { header: "user", cell: (b) => b.user ?? "-" },
    { header: "state", cell: (b) => b.state ?? "-" },
    { header: timeHeader, cell: (b) => { const t = time(b); return t !== null && t >= warnMs ? badge("warn", seconds(t)) : seconds(t); }, numeric: true },
    { header: "waiting on", cell: (b) => (b.waitEventType ? `${b.waitEventType}: ${b.waitEvent ?? ""}` : "-") },
    { header: "query (literals replaced by $n)", cell: (b) => html`<span class="query">${b.query}</span>` },
  ];
  if (ctx.allowCancel) columns.push({ header: "", cell: (b) => controls(ctx, b) });
  return columns;
}

export async function activityPage(ctx: PageContext): Promise<SafeHtml> {
  const now = await load("activity", () => activity(ctx.database.sql), ctx.deadlineMs);
  const note = ctx.allowCancel
    ? html`<p class="muted">Cancel stops the running statement (pg_cancel_backend); Terminate ends the session (pg_terminate_backend). Server processes, replication and this dashboard's own connections are refused. Every action is logged.</p>`
    : html`<p class="muted">Cancel and terminate are off on this server (start it with HEALTH_API_ALLOW_CANCEL=true to allow them).</p>`;
  if (!now.ok) return card("Activity", now, () => "");
  const a = now.value;
  const c = a.connections;
  const stateTone = (state: string) => (state === "active" ? "s0" : state.startsWith("idle in transaction") ? "warn" : state === "idle" ? "s1" : "s3");
  return html`${note}<section class="card" id="connections"><h2>Connections (whole server)</h2>${meter({
    title: "Client connections against max_connections",
    parts: c.byState.map((s) => ({ value: s.count, tone: stateTone(s.state), label: s.state })),
    limit: c.maxConnections,
    limitLabel: "max_connections",
  })}${figures([
    ["client connections", count(c.total)],
    ["used", c.usedFraction >= CONNECTIONS_USED_WARN ? badge("warn", percent(c.usedFraction)) : percent(c.usedFraction)],
    ["reserved for superusers", count(c.reservedConnections)],
    ["running now", count(a.running.length)],
    ["blocked", a.blocked.length > 0 ? badge("bad", String(a.blocked.length)) : "0"],
    ["idle in transaction", a.idleInTransaction.length > 0 ? badge("warn", String(a.idleInTransaction.length)) : "0"],
  ])}<h2>By application</h2>${barChart({
    title: "Connections by application",
    legend: [
      { tone: "s0", text: "active" },
      { tone: "warn", text: "idle in transaction" },
      { tone: "s1", text: "other" },
    ],
    rows: c.byApplication.map((app) => ({
      label: `${app.applicationName || "(none)"}${app.database ? ` @ ${app.database}` : ""}`,
      segments: [
        { value: app.active, tone: "s0", label: "active" },
        { value: app.idleInTransaction, tone: "warn", label: "idle in transaction" },
        { value: app.count - app.active - app.idleInTransaction, tone: "s1", label: "other" },
      ],
    })),
    format: (v) => count(v),
  })}</section><section class="card" id="running"><h2>Running statements (this database, longest first)</h2>${table(a.running, backendColumns(ctx, "running for", (b) => b.durationMs, LONG_RUNNING_MS), "nothing running right now")}</section><section class="card" id="blocked"><h2>Blocked statements and their blockers</h2>${table(a.blocked, [
    { header: "blocked pid", cell: (b) => String(b.blocked.pid), numeric: true },
    { header: "waiting for", cell: (b) => seconds(b.blocked.durationMs), numeric: true },
    { header: "blocked query", cell: (b) => html`<span class="query">${b.blocked.query}</span>` },
    { header: "blocked by", cell: (b) => b.blockers.map((x) => html`<div><strong>${x.pid}</strong> ${x.applicationName} (${x.state ?? "?"}, ${seconds(x.transactionMs)} in transaction) ${controls(ctx, x)}<br><span class="query">${x.query}</span></div>`) },
  ], "no statement is waiting on a lock")}</section><section class="card" id="idle-in-transaction"><h2>Idle in transaction (holding locks and the vacuum horizon)</h2>${table(a.idleInTransaction, backendColumns(ctx, "idle for", (b) => b.stateMs, IDLE_IN_TRANSACTION_WARN_MS), "none")}</section>`;
}
