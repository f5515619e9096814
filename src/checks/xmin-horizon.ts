// Who holds the xmin horizon back, and waiting for it to pass a load.
// VACUUM can mark a page all-visible (the visibility map that index-only
// scans rely on) only when every row on it is visible to every snapshot that
// may still exist: a replication slot's xmin, a standby's feedback
// (hot_standby_feedback), a session's open snapshot or a prepared transaction
// older than the load keeps the new rows "not yet visible to all", and a
// VACUUM right after the load leaves the map unset (issue #21: relallvisible
// 0 of 265 pages with a standby attached).
import type { Sql } from "../db/index.ts";

export interface XminHolder {
  readonly kind: "replication slot" | "standby feedback" | "session" | "prepared transaction" | "transaction in another database";
  /** Slot name, standby application_name, or "pid N (application, state)". */
  readonly name: string;
  /** Transactions between the holder's xmin and now. */
  readonly age: number;
  readonly fix: string;
}

/**
 * Every holder whose xmin is at or before `loadXid` (64-bit, from
 * txid_current() in the loading transaction), or every holder at all when
 * `loadXid` is null, oldest first. The checking session is left out.
 */
export async function xminHolders(sql: Sql, loadXid: bigint | null): Promise<XminHolder[]> {
  const rows = await sql<{ kind: XminHolder["kind"]; name: string; age: number; blocks: boolean }[]>`
    WITH next AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xid),
    holders AS (
      SELECT 'replication slot' AS kind, slot_name::text AS name, age(xmin) AS age FROM pg_replication_slots WHERE xmin IS NOT NULL
      UNION ALL
      SELECT 'standby feedback', coalesce(nullif(application_name, ''), client_addr::text, 'pid ' || pid), age(backend_xmin) FROM pg_stat_replication WHERE backend_xmin IS NOT NULL
      UNION ALL
      SELECT 'session', 'pid ' || pid || ' (' || coalesce(nullif(application_name, ''), backend_type) || ', ' || coalesce(state, '-') || ')', age(backend_xmin)
      -- Only this database's sessions hold back its tables' horizon (slots and
      -- standbys count for every database). A VACUUM is ignored by the
      -- horizon; an ANALYZE is not, autovacuum's included (it starts on a
      -- freshly loaded table and may hold a snapshot from before the load).
      FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()
        AND backend_type <> 'walsender'
        AND NOT (coalesce(query, '') ~* '^[[:space:]]*(autovacuum: )?vacuum' AND coalesce(query, '') !~* 'analyze')
      UNION ALL
      SELECT 'prepared transaction', gid, age(transaction) FROM pg_prepared_xacts
      UNION ALL
      -- A transaction of another database does not hold this database's
      -- horizon itself, but every snapshot taken here while it runs starts
      -- at its xid: it is the cause behind this database's session holders.
      SELECT 'transaction in another database', 'pid ' || pid || ' (database ' || datname || ', ' || coalesce(nullif(application_name, ''), backend_type) || ')', age(backend_xid)
      FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND datname <> current_database()
    )
    SELECT h.kind, h.name, h.age::float8 AS age,
           (${loadXid === null ? null : loadXid.toString()}::bigint IS NULL OR next.xid - h.age <= ${loadXid === null ? null : loadXid.toString()}::bigint) AS blocks
    FROM holders h, next ORDER BY h.age DESC`;
  const blocking = rows.filter((r) => r.blocks);
  const sessionsHeld = blocking.some((r) => r.kind === "session");
  return blocking
    .filter((r) => r.kind !== "transaction in another database" || sessionsHeld)
    .map((r) => ({
      kind: r.kind,
      name: r.name,
      age: r.age,
      fix:
        r.kind === "replication slot" ? `a standby behind slot '${r.name}' (hot_standby_feedback) still runs an older query, or the slot is abandoned: let the standby catch up, or drop the slot if it is gone (SELECT pg_drop_replication_slot('${r.name}'))`
        : r.kind === "standby feedback" ? `standby '${r.name}' reports an older snapshot (hot_standby_feedback): wait for its queries to finish`
        : r.kind === "prepared transaction" ? `COMMIT PREPARED or ROLLBACK PREPARED '${r.name}'`
        : r.kind === "transaction in another database" ? `this transaction began before the load; every snapshot this database takes while it runs is as old: end it (SELECT pg_terminate_backend(${r.name.split(" ")[1]}))`
        : `end that session's transaction (or SELECT pg_terminate_backend(${r.name.split(" ")[1]}))`,
    }));
}

export interface XminWait {
  readonly waitedMs: number;
  /** Empty when the horizon passed the load; otherwise who still held it at the timeout. */
  readonly blockedBy: readonly XminHolder[];
}

/**
 * Wait (polling, with progress) until no holder's xmin is at or before the
 * load, or the timeout: then VACUUM can set the visibility map for every
 * loaded page.
 */
export async function waitForXminHorizon(
  sql: Sql,
  loadXid: bigint,
  options: { readonly timeoutMs: number; readonly pollMs?: number; readonly onWait?: (holders: readonly XminHolder[], waitedMs: number) => void },
): Promise<XminWait> {
  const started = performance.now();
  for (;;) {
    const holders = await xminHolders(sql, loadXid);
    const waitedMs = performance.now() - started;
    if (holders.length === 0 || waitedMs >= options.timeoutMs) return { waitedMs, blockedBy: holders };
    options.onWait?.(holders, waitedMs);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

export interface UnsetVisibilityMap {
  readonly table: string;
  readonly pages: number;
  readonly allVisible: number;
}

/** Tables of at least `minPages` whose visibility map covers less than `minRatio` of their pages (pg_class, as of the last VACUUM/ANALYZE). */
export async function tablesWithUnsetVisibilityMap(sql: Sql, tables: readonly string[], minRatio = 0.5, minPages = 100): Promise<UnsetVisibilityMap[]> {
  const rows = await sql<UnsetVisibilityMap[]>`
    SELECT c.relname AS table, c.relpages::float8 AS pages, c.relallvisible::float8 AS "allVisible"
    FROM pg_class c WHERE c.relkind = 'r' AND c.relname = ANY(${tables as string[]}) AND c.relnamespace = current_schema()::regnamespace
      AND c.relpages >= ${minPages} AND c.relallvisible < c.relpages * ${minRatio}::float8
    ORDER BY c.relpages DESC`;
  return rows;
}
