// Recovery from a failed or killed CREATE INDEX CONCURRENTLY: PostgreSQL
// leaves the index behind INVALID (never used by queries, still maintained on
// every write) and graphile-migrate records nothing, so the next run would
// either fail ("relation already exists") or — with IF NOT EXISTS — skip it
// and record success over a broken index. Dropping the INVALID performance
// indexes before the migrations run makes a plain re-run rebuild them.
//
// Runs as graphile-migrate's beforeAllMigrations hook
// (src/commands/drop-invalid-indexes.ts) and from `npm run migrate` itself.
import { EXIT, UserError } from "../base/errors.ts";
import { quoteIdent, type Sql } from "../db/index.ts";

/** How long one DROP INDEX CONCURRENTLY may wait for its lock (same as the migrations). */
export const DROP_LOCK_TIMEOUT = "5s";

export interface InvalidIndexFound {
  readonly schema: string;
  readonly index: string;
  readonly table: string;
  /** Backend still building it (a build whose client died keeps running until it ends). */
  readonly builderPid: number | null;
}

/** INVALID indexes in the current schema whose names are among `names`. */
export async function findInvalidIndexesNamed(sql: Sql, names: readonly string[]): Promise<InvalidIndexFound[]> {
  if (names.length === 0) return [];
  return sql<InvalidIndexFound[]>`
    SELECT n.nspname AS schema, c.relname AS index, t.relname AS "table",
           (SELECT p.pid FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid LIMIT 1) AS "builderPid"
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND NOT i.indisvalid AND c.relname = ANY(${names as string[]})
    ORDER BY c.relname`;
}

export interface RecoveryResult {
  readonly dropped: readonly string[];
}

/**
 * Drop every INVALID index among `names`, one DROP INDEX CONCURRENTLY at a
 * time (each waits at most `lockTimeout` for its lock; writers are never
 * blocked). `sql` must not be inside a transaction.
 */
export async function dropInvalidIndexes(
  sql: Sql,
  names: readonly string[],
  options: { log?: (line: string) => void; lockTimeout?: string } = {},
): Promise<RecoveryResult> {
  const invalid = await findInvalidIndexesNamed(sql, names);
  const building = invalid.filter((i) => i.builderPid !== null);
  if (building.length > 0) {
    const list = building.map((i) => `${i.index} (backend pid ${i.builderPid})`).join(", ");
    throw new UserError(
      `Index ${list} is still being built by another session — probably a migration whose client was killed; PostgreSQL finishes or fails the build on its own. ` +
        `Wait for it (SELECT * FROM pg_stat_progress_create_index) or stop it with SELECT pg_cancel_backend(<pid>), then run the migration again.`,
      EXIT.failed,
    );
  }
  const dropped: string[] = [];
  const reserved = await sql.reserve();
  try {
    await reserved`SELECT set_config('lock_timeout', ${options.lockTimeout ?? DROP_LOCK_TIMEOUT}, false)`;
    for (const found of invalid) {
      options.log?.(`dropping INVALID index ${found.index} on ${found.table} (left by a failed concurrent build) so it is rebuilt`);
      try {
        await reserved.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(found.schema)}.${quoteIdent(found.index)}`);
      } catch (error) {
        const e = error as { code?: string; message?: string };
        const cause = e.code === "55P03" ? `could not get a lock on ${found.table} within lock_timeout (a long transaction holds it; retry when it ends)` : `${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ""}`;
        throw new UserError(`Could not drop the INVALID index ${found.index}: ${cause}.`, EXIT.failed);
      }
      dropped.push(found.index);
    }
  } finally {
    reserved.release();
  }
  return { dropped };
}
