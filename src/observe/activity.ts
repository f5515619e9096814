// Live activity, PgHero style: what runs now, who blocks whom, sessions idle
// in a transaction, and connections against max_connections. Statements are
// those of the current database; connection counts are server-wide (the
// limit is). Query text is normalized (literals -> $n, see normalize-sql.ts):
// answers never carry the values a client sent.
import type { Sql } from "../db/index.ts";
import { normalizeStatement } from "./normalize-sql.ts";

/** A statement is "long running" from this many ms on (PgHero: 1 min). */
export const LONG_RUNNING_MS = 60_000;
/** An idle-in-transaction session is a problem from this many ms on: it holds locks and the xmin horizon. */
export const IDLE_IN_TRANSACTION_WARN_MS = 60_000;
/** Warn when connections reach this share of max_connections. */
export const CONNECTIONS_USED_WARN = 0.8;

export interface Backend {
  readonly pid: number;
  readonly user: string | null;
  readonly applicationName: string;
  readonly clientAddr: string | null;
  readonly state: string | null;
  readonly backendType: string;
  /** Since the statement started (active) or the last statement started (idle ...); null when none ran yet. */
  readonly durationMs: number | null;
  /** Since the open transaction started; null outside a transaction. */
  readonly transactionMs: number | null;
  /** Since the state last changed (how long it has been idle in transaction). */
  readonly stateMs: number | null;
  readonly waitEventType: string | null;
  readonly waitEvent: string | null;
  /** pg_stat_statements' query id (PG14+ with compute_query_id), as text. */
  readonly queryId: string | null;
  /** Normalized statement text: literals replaced by $n, comments removed. */
  readonly query: string;
}

interface BackendRow extends Omit<Backend, "query"> {
  readonly rawQuery: string | null;
}

const toBackend = ({ rawQuery, ...row }: BackendRow): Backend => ({ ...row, query: normalizeStatement(rawQuery ?? "") });

// One projection for every list below (ms as float8, pid as int).
const BACKEND_COLUMNS = `
  a.pid, a.usename AS "user", a.application_name AS "applicationName", host(a.client_addr) AS "clientAddr",
  a.state, a.backend_type AS "backendType",
  round((extract(epoch FROM clock_timestamp() - a.query_start) * 1000)::numeric, 1)::float8 AS "durationMs",
  round((extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::numeric, 1)::float8 AS "transactionMs",
  round((extract(epoch FROM clock_timestamp() - a.state_change) * 1000)::numeric, 1)::float8 AS "stateMs",
  a.wait_event_type AS "waitEventType", a.wait_event AS "waitEvent", a.query_id::text AS "queryId", a.query AS "rawQuery"`;

/** Statements running now (state not idle) in this database, longest first; this session excluded. */
export async function runningStatements(sql: Sql): Promise<Backend[]> {
  const rows = await sql.unsafe<BackendRow[]>(`
    SELECT ${BACKEND_COLUMNS}
    FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
      AND a.state IS NOT NULL AND a.state <> 'idle' AND a.state NOT LIKE 'idle in transaction%'
      AND a.backend_type = 'client backend'
    ORDER BY a.query_start NULLS LAST, a.pid`);
  return rows.map(toBackend);
}

export interface BlockedStatement {
  readonly blocked: Backend;
  /** pg_blocking_pids(): the sessions holding (or queued ahead for) the lock it waits on. */
  readonly blockedBy: readonly number[];
  readonly blockers: readonly Backend[];
}

/** Statements waiting on a lock held by another session, with those sessions. */
export async function blockedStatements(sql: Sql): Promise<BlockedStatement[]> {
  const blocked = await sql.unsafe<(BackendRow & { blockedBy: number[] })[]>(`
    SELECT ${BACKEND_COLUMNS}, pg_blocking_pids(a.pid) AS "blockedBy"
    FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
      AND cardinality(pg_blocking_pids(a.pid)) > 0
    ORDER BY a.query_start NULLS LAST, a.pid`);
  if (blocked.length === 0) return [];
  const pids = [...new Set(blocked.flatMap((b) => b.blockedBy))];
  const blockers = await sql.unsafe<BackendRow[]>(
    `SELECT ${BACKEND_COLUMNS} FROM pg_stat_activity a WHERE a.pid = ANY($1::int[]) ORDER BY a.pid`,
    [pids],
  );
  const byPid = new Map(blockers.map((b) => [b.pid, toBackend(b)]));
  return blocked.map(({ blockedBy, ...row }) => ({
    blocked: toBackend(row),
    blockedBy,
    blockers: blockedBy.flatMap((pid) => (byPid.has(pid) ? [byPid.get(pid)!] : [])),
  }));
}

/** Sessions idle inside an open transaction (they hold locks and keep vacuum from cleaning up), longest first. */
export async function idleInTransaction(sql: Sql): Promise<Backend[]> {
  const rows = await sql.unsafe<BackendRow[]>(`
    SELECT ${BACKEND_COLUMNS}
    FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
      AND a.state LIKE 'idle in transaction%'
    ORDER BY a.state_change NULLS LAST, a.pid`);
  return rows.map(toBackend);
}

export interface ConnectionSummary {
  readonly maxConnections: number;
  /** Slots kept for superusers (and pg_use_reserved_connections, PG16+): ordinary roles get max minus these. */
  readonly reservedConnections: number;
  /** Client connections on the whole server. */
  readonly total: number;
  /** total / maxConnections. */
  readonly usedFraction: number;
  readonly byState: readonly { readonly state: string; readonly count: number }[];
  readonly byApplication: readonly { readonly applicationName: string; readonly database: string | null; readonly count: number; readonly active: number; readonly idleInTransaction: number }[];
  /** Server processes that are not client sessions (autovacuum, walsender, checkpointer ...). */
  readonly background: readonly { readonly backendType: string; readonly count: number }[];
}

export async function connectionSummary(sql: Sql): Promise<ConnectionSummary> {
  const [settings] = await sql<{ max: number; reserved: number }[]>`
    SELECT current_setting('max_connections')::int AS max,
           (current_setting('superuser_reserved_connections')::int
             + coalesce((SELECT setting::int FROM pg_settings WHERE name = 'reserved_connections'), 0)) AS reserved`;
  type Row = { state: string | null; applicationName: string; database: string | null; backendType: string; count: number };
  const rows: Row[] = await sql<Row[]>`
    SELECT state, application_name AS "applicationName", datname AS database, backend_type AS "backendType", count(*)::int AS count
    FROM pg_stat_activity
    GROUP BY 1, 2, 3, 4`;
  const clients = rows.filter((r) => r.backendType === "client backend");
  const total = clients.reduce((s, r) => s + r.count, 0);
  const sum = <K extends string>(list: Row[], key: (r: Row) => K) => {
    const m = new Map<K, number>();
    for (const r of list) m.set(key(r), (m.get(key(r)) ?? 0) + r.count);
    return [...m].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  };
  const apps = new Map<string, { applicationName: string; database: string | null; count: number; active: number; idleInTransaction: number }>();
  for (const r of clients) {
    const key = `${r.applicationName}\u0000${r.database ?? ""}`;
    const app = apps.get(key) ?? { applicationName: r.applicationName, database: r.database, count: 0, active: 0, idleInTransaction: 0 };
    app.count += r.count;
    if (r.state === "active") app.active += r.count;
    if (r.state?.startsWith("idle in transaction")) app.idleInTransaction += r.count;
    apps.set(key, app);
  }
  return {
    maxConnections: settings!.max,
    reservedConnections: settings!.reserved,
    total,
    usedFraction: Math.round((total / settings!.max) * 10_000) / 10_000,
    byState: sum(clients, (r) => r.state ?? "unknown").map(([state, count]) => ({ state, count })),
    byApplication: [...apps.values()].sort((a, b) => b.count - a.count || a.applicationName.localeCompare(b.applicationName)),
    background: sum(rows.filter((r) => r.backendType !== "client backend"), (r) => r.backendType).map(([backendType, count]) => ({ backendType, count })),
  };
}

export interface Activity {
  readonly running: readonly Backend[];
  readonly blocked: readonly BlockedStatement[];
  readonly idleInTransaction: readonly Backend[];
  readonly connections: ConnectionSummary;
}

/** Everything above in one call (four short catalog reads). */
export async function activity(sql: Sql): Promise<Activity> {
  const [running, blocked, idle, connections] = await Promise.all([runningStatements(sql), blockedStatements(sql), idleInTransaction(sql), connectionSummary(sql)]);
  return { running, blocked, idleInTransaction: idle, connections };
}
