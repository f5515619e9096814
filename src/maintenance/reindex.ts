// --reindex: rebuild bloated indexes with REINDEX INDEX CONCURRENTLY, one at
// a time, each waiting at most `lockTimeout` for a lock. Writers are never
// blocked. A REINDEX CONCURRENTLY that fails part-way leaves its transient
// index behind INVALID (<name>_ccnew, or <name>_ccold when it failed after the
// swap): those leftovers — and only those — are dropped concurrently. On a
// lock timeout the run stops: the rest is left for the next run.
import { quoteIdent, type Sql } from "../db/index.ts";
import type { IndexBloat } from "../checks/bloat.ts";

/** How long each REINDEX may wait for a lock (also SET lock_timeout syntax: 500ms, 5s, 1min). */
export const REINDEX_LOCK_TIMEOUT = "5s";
/**
 * How long dropping a leftover may wait for its lock. Longer than the
 * REINDEX's: the transaction that made the REINDEX time out usually ends
 * soon, and the leftover should not outlive the run.
 */
export const CLEANUP_LOCK_TIMEOUT = "60s";

export interface ReindexResult {
  readonly index: string;
  readonly table: string;
  readonly status: "rebuilt" | "lock-timeout" | "failed" | "skipped";
  readonly bytesBefore: number;
  readonly bytesAfter: number | null;
  readonly ms: number;
  /** Why it failed or was skipped. */
  readonly detail?: string;
  /** Transient indexes a failed REINDEX left and this run dropped. */
  readonly droppedLeftovers: readonly string[];
  /** Leftovers that could not be dropped (still INVALID: exit 5, the report names the command). */
  readonly remainingLeftovers: readonly string[];
}

export interface ReindexOutcome {
  readonly results: readonly ReindexResult[];
  /** True when a lock timeout or an error stopped the run before every candidate was done. */
  readonly stopped: boolean;
}

export interface ReindexOptions {
  readonly lockTimeout?: string;
  readonly cleanupLockTimeout?: string;
  readonly log?: (line: string) => void;
}

/** Invalid indexes on the table whose name is `<index>_ccnew[N]` or `<index>_ccold[N]`. */
async function transientIndexes(sql: Sql, schema: string, table: string, index: string): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    SELECT c.relname AS name
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND t.relname = ${table} AND NOT i.indisvalid
      AND left(c.relname, ${index.length}) = ${index} AND substr(c.relname, ${index.length + 1}) ~ '^_cc(new|old)[0-9]*$'`;
  return rows.map((r) => r.name);
}

async function indexBytes(sql: Sql, schema: string, index: string): Promise<number | null> {
  const [row] = await sql<{ bytes: number | null }[]>`SELECT pg_relation_size(to_regclass(${`${quoteIdent(schema)}.${quoteIdent(index)}`})) AS bytes`;
  return row?.bytes ?? null;
}

function describe(error: unknown): { code?: string; message: string } {
  const e = error as { code?: string; message?: string };
  return { code: e.code, message: `${e.message ?? String(error)}${e.code ? ` (SQLSTATE ${e.code})` : ""}` };
}

export async function reindexConcurrently(sql: Sql, candidates: readonly IndexBloat[], options: ReindexOptions = {}): Promise<ReindexOutcome> {
  const lockTimeout = options.lockTimeout ?? REINDEX_LOCK_TIMEOUT;
  const results: ReindexResult[] = [];
  let stopped = false;
  // One session for the whole run: REINDEX CONCURRENTLY cannot run in a transaction block, and lock_timeout is per session.
  const session = await sql.reserve();
  try {
    for (const candidate of candidates) {
      const { schema, table, index } = candidate;
      if (stopped) {
        results.push({ index, table, status: "skipped", bytesBefore: candidate.indexBytes, bytesAfter: null, ms: 0, detail: "an earlier REINDEX stopped the run", droppedLeftovers: [], remainingLeftovers: [] });
        continue;
      }
      const before = new Set(await transientIndexes(session as unknown as Sql, schema, table, index));
      const bytesBefore = (await indexBytes(session as unknown as Sql, schema, index)) ?? candidate.indexBytes;
      options.log?.(`REINDEX INDEX CONCURRENTLY ${index} (${table}, estimated bloat ${candidate.bloatPercent}%) ...`);
      const t0 = performance.now();
      try {
        await session`SELECT set_config('lock_timeout', ${lockTimeout}, false)`;
        await session.unsafe(`REINDEX INDEX CONCURRENTLY ${quoteIdent(schema)}.${quoteIdent(index)}`);
        const ms = performance.now() - t0;
        const bytesAfter = await indexBytes(session as unknown as Sql, schema, index);
        options.log?.(`  rebuilt in ${ms.toFixed(0)} ms`);
        results.push({ index, table, status: "rebuilt", bytesBefore, bytesAfter, ms, droppedLeftovers: [], remainingLeftovers: [] });
      } catch (error) {
        const ms = performance.now() - t0;
        const failure = describe(error);
        const lockTimedOut = failure.code === "55P03";
        stopped = true;
        // Leftovers of this attempt only (an older one is reported as an invalid index, not dropped).
        const leftovers = (await transientIndexes(session as unknown as Sql, schema, table, index)).filter((name) => !before.has(name));
        const dropped: string[] = [];
        const remaining: string[] = [];
        await session`SELECT set_config('lock_timeout', ${options.cleanupLockTimeout ?? CLEANUP_LOCK_TIMEOUT}, false)`;
        for (const leftover of leftovers) {
          try {
            await session.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(schema)}.${quoteIdent(leftover)}`);
            dropped.push(leftover);
            options.log?.(`  dropped the INVALID leftover ${leftover}`);
          } catch (dropError) {
            remaining.push(leftover);
            options.log?.(`  could not drop the INVALID leftover ${leftover}: ${describe(dropError).message}`);
          }
        }
        const detail = lockTimedOut
          ? `could not get a lock on ${table} within lock_timeout ${lockTimeout} (a transaction holds a conflicting lock); stopped, run again later`
          : failure.message;
        options.log?.(`  ${lockTimedOut ? "lock timeout" : "failed"}: ${detail}`);
        results.push({ index, table, status: lockTimedOut ? "lock-timeout" : "failed", bytesBefore, bytesAfter: await indexBytes(session as unknown as Sql, schema, index), ms, detail, droppedLeftovers: dropped, remainingLeftovers: remaining });
      }
    }
  } finally {
    session.release();
  }
  return { results, stopped };
}
