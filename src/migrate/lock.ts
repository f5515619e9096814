// graphile-migrate's advisory lock: `migrate` and `rollback` hold it while
// they repair or drop, so no migration runs meanwhile. When someone else holds
// it, say who: a `migrate` killed mid-build leaves its backend running (the
// build goes on and the session keeps the lock until it ends), and the user
// needs that backend's pid, what it is doing, and the two ways out.
import { EXIT, UserError } from "../base/errors.ts";
import { isConnectionError, type DatabaseTarget, type Sql } from "../db/index.ts";

/** graphile-migrate's advisory lock key (graphile-migrate/dist/migration.js). */
export const GRAPHILE_MIGRATE_LOCK = "4727445306447283";

// pg_locks shows a bigint advisory key as classid (high 32 bits), objid (low 32 bits), objsubid 1.
const LOCK_CLASSID = String(BigInt(GRAPHILE_MIGRATE_LOCK) >> 32n);
const LOCK_OBJID = String(BigInt(GRAPHILE_MIGRATE_LOCK) & 0xffffffffn);

export interface LockHolder {
  readonly pid: number;
  readonly applicationName: string | null;
  readonly state: string | null;
  readonly query: string | null;
  /** The index this backend is building (pg_stat_progress_create_index), when it is building one. */
  readonly building: { readonly index: string | null; readonly table: string | null; readonly phase: string; readonly blocksDone: number; readonly blocksTotal: number } | null;
}

/** Who holds graphile-migrate's lock in this database (none: undefined). */
export async function migrationLockHolder(sql: Sql): Promise<LockHolder | undefined> {
  const [row] = await sql<
    {
      pid: number;
      applicationName: string | null;
      state: string | null;
      query: string | null;
      phase: string | null;
      index: string | null;
      table: string | null;
      blocksDone: number | null;
      blocksTotal: number | null;
    }[]
  >`
    SELECT l.pid, a.application_name AS "applicationName", a.state, left(a.query, 200) AS query,
           p.phase, CASE WHEN p.index_relid <> 0 THEN p.index_relid::regclass::text END AS index,
           CASE WHEN p.relid <> 0 THEN p.relid::regclass::text END AS "table",
           p.blocks_done AS "blocksDone", p.blocks_total AS "blocksTotal"
    FROM pg_locks l
    LEFT JOIN pg_stat_activity a ON a.pid = l.pid
    LEFT JOIN pg_stat_progress_create_index p ON p.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = ${LOCK_CLASSID}::oid AND l.objid = ${LOCK_OBJID}::oid AND l.objsubid = 1
    LIMIT 1`;
  if (!row) return undefined;
  return {
    pid: row.pid,
    applicationName: row.applicationName,
    state: row.state,
    query: row.query,
    building: row.phase ? { index: row.index, table: row.table, phase: row.phase, blocksDone: Number(row.blocksDone ?? 0), blocksTotal: Number(row.blocksTotal ?? 0) } : null,
  };
}

/** One message: who holds the lock, what it is doing, and what to do (wait, or cancel it). */
export function describeLockHolder(holder: LockHolder | undefined, target: Pick<DatabaseTarget, "display">, doing: string): string {
  const head = `Cannot ${doing} ${target.display}: graphile-migrate's migration lock is held`;
  if (!holder) return `${head} by another session (it was released just now, or is not visible to this role); run again.`;
  const who = `by backend pid ${holder.pid}${holder.applicationName ? ` (application '${holder.applicationName}')` : ""}`;
  if (holder.building) {
    const b = holder.building;
    const progress = b.blocksTotal > 0 ? `, ${Math.floor((100 * b.blocksDone) / b.blocksTotal)}% of ${b.blocksTotal} blocks` : "";
    return (
      `${head} ${who}, which is building index ${b.index ?? "(not named yet)"}${b.table ? ` on ${b.table}` : ""} (phase '${b.phase}'${progress}). ` +
      `If no migration is running, its client was killed or lost its connection: PostgreSQL goes on with the build by itself and releases the lock when it ends. ` +
      `Either wait for it (SELECT phase, blocks_done, blocks_total FROM pg_stat_progress_create_index WHERE pid = ${holder.pid}) and run again, ` +
      `or cancel it with SELECT pg_cancel_backend(${holder.pid}); 'npm run migrate' then drops the INVALID index it leaves and rebuilds it.`
    );
  }
  const what = holder.state === "active" && holder.query ? `, running: ${holder.query.replace(/\s+/g, " ").trim()}` : holder.state ? ` (${holder.state})` : "";
  return (
    `${head} ${who}${what}. Another migration or rollback is in progress: wait for it to finish and run again. ` +
    `If that session is stuck, end it with SELECT pg_terminate_backend(${holder.pid}).`
  );
}

/** Run `work` holding graphile-migrate's lock (session level, on `sql`'s single connection); refuse, naming the holder, when it is taken. */
export async function withMigrationLock<T>(sql: Sql, target: Pick<DatabaseTarget, "display">, doing: string, work: () => Promise<T>): Promise<T> {
  const [{ locked }] = (await sql`SELECT pg_try_advisory_lock(${GRAPHILE_MIGRATE_LOCK}) AS locked`) as unknown as [{ locked: boolean }];
  if (!locked) throw new UserError(describeLockHolder(await migrationLockHolder(sql), target, doing), EXIT.failed);
  try {
    return await work();
  } finally {
    // A lost connection released the lock with its session; report the work's error, not this one.
    await sql`SELECT pg_advisory_unlock(${GRAPHILE_MIGRATE_LOCK})`.catch((error: unknown) => {
      if (!isConnectionError(error)) throw error;
    });
  }
}
