// Cancel a backend's statement (pg_cancel_backend) or end its session
// (pg_terminate_backend), refusing the processes that must never be signalled
// from an HTTP API: the server's own processes (autovacuum, checkpointer,
// background workers), replication (walsender), sessions of other databases,
// and the API's own pool connections (application_name) or this session.
// The check and the signal run in ONE statement, so a pid that changes hands
// between a lookup and the signal cannot be hit by mistake.
import type { Sql } from "../db/index.ts";

export type BackendAction = "cancel" | "terminate";

export type BackendControlOutcome =
  | { readonly outcome: "signalled"; readonly action: BackendAction; readonly pid: number; readonly target: BackendIdentity }
  | { readonly outcome: "not-found"; readonly pid: number }
  | { readonly outcome: "refused"; readonly pid: number; readonly reason: string; readonly target?: BackendIdentity }
  /** The signal went out but the server reported it was not sent (the process ended meanwhile). */
  | { readonly outcome: "not-signalled"; readonly pid: number; readonly target: BackendIdentity };

/** What a log line or an answer may say about the target: never its query text. */
export interface BackendIdentity {
  readonly applicationName: string;
  readonly user: string | null;
  readonly database: string | null;
  readonly backendType: string;
  readonly state: string | null;
}

/** PostgreSQL pids are positive int4 values. */
export function isValidPid(value: number): boolean {
  return Number.isInteger(value) && value > 0 && value <= 2_147_483_647;
}

/** A pid as a request carries it (a path segment, a form field): digits only, in range; undefined otherwise. */
export function parsePid(raw: string): number | undefined {
  const pid = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  return isValidPid(pid) ? pid : undefined;
}

export interface BackendControlOptions {
  /** The API pool's application_name: its own connections are off limits. */
  readonly protectedApplicationName: string;
}

interface TargetRow extends BackendIdentity {
  readonly sameDatabase: boolean;
  readonly self: boolean;
}

/** Why this backend may not be signalled, or null when it may. */
export function refusalReason(row: TargetRow, protectedApplicationName: string): string | null {
  if (row.self) return "that is this API's own session";
  if (row.backendType === "walsender") return "that is a replication (walsender) process; stop the standby or drop its slot instead";
  if (row.backendType !== "client backend") return `that is a server process (${row.backendType}), not a client session`;
  if (!row.sameDatabase) return `that session belongs to database '${row.database ?? "(none)"}', not this API's database`;
  if (row.applicationName === protectedApplicationName) return `that is one of this API's own pool connections (application_name '${protectedApplicationName}')`;
  return null;
}

export async function signalBackend(sql: Sql, action: BackendAction, pid: number, options: BackendControlOptions): Promise<BackendControlOutcome> {
  if (!isValidPid(pid)) throw new RangeError(`pid must be an integer from 1 to 2147483647, got ${pid}`);
  const [row] = await sql<TargetRow[]>`
    SELECT application_name AS "applicationName", usename AS "user", datname AS database, backend_type AS "backendType", state,
           datname IS NOT DISTINCT FROM current_database() AS "sameDatabase", pid = pg_backend_pid() AS self
    FROM pg_stat_activity WHERE pid = ${pid}`;
  if (!row) return { outcome: "not-found", pid };
  const { sameDatabase: _s, self: _self, ...target } = row;
  const reason = refusalReason(row, options.protectedApplicationName);
  if (reason) return { outcome: "refused", pid, reason, target };
  // Same conditions again, in the statement that signals.
  const signal = action === "cancel" ? sql`pg_cancel_backend(pid)` : sql`pg_terminate_backend(pid)`;
  try {
    const [done] = await sql<{ signalled: boolean }[]>`
      SELECT ${signal} AS signalled FROM pg_stat_activity
      WHERE pid = ${pid} AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND datname = current_database() AND application_name IS DISTINCT FROM ${options.protectedApplicationName}`;
    if (!done) return { outcome: "not-found", pid };
    return done.signalled ? { outcome: "signalled", action, pid, target } : { outcome: "not-signalled", pid, target };
  } catch (error) {
    // 42501: the API's role may not signal that role's sessions (needs pg_signal_backend or the same role).
    if ((error as { code?: string }).code === "42501") {
      return { outcome: "refused", pid, reason: "this API's database role may not signal that session (GRANT pg_signal_backend TO <role>, or connect as its role)", target };
    }
    throw error;
  }
}
