// Proof, not hypothesis: build each candidate CONCURRENTLY under a temporary
// name, re-plan and time the statements it should serve with the same
// parameters, record build time and size, estimate the write overhead from
// the table's write rate (pg_stat_user_tables), then drop it. Runs only on a
// database marked scratch or development (src/db/scratch-database.ts),
// or anywhere with --yes.
import { EXIT, UserError } from "../base/errors.ts";
import type { DatabaseTarget, Sql } from "../db/index.ts";
export { assertMayExperiment } from "../db/scratch-database.ts";
import { quoteIdent } from "../db/quote.ts";
import type { Candidate } from "./candidates.ts";
import { indexesInPlan, timeStatement, type StatementPlan } from "./plans.ts";

/** A candidate is accepted when every statement it serves runs in at most this fraction of its time before (Dexter keeps those that halve the cost). */
export const ACCEPT_RATIO = 0.5;
/** Prefix of the temporary indexes: leftovers of an interrupted run are recognised and dropped by it. */
export const TEMP_INDEX_PREFIX = "advise_tmp_";
/** A candidate build may take at most this long. */
export const DEFAULT_BUILD_TIMEOUT_MS = 30 * 60_000;

export interface StatementEffect {
  readonly statement: string;
  readonly beforeMs: number;
  readonly afterMs: number;
  /** The plan with the candidate used it. */
  readonly usesIndex: boolean;
  readonly indexesAfter: readonly string[];
}

export interface WriteOverhead {
  /** Rows inserted + updated (not HOT) + deleted per second since the statistics were reset. */
  readonly indexWritesPerSecond: number;
  readonly statsSeconds: number;
  /** Indexes each such write already maintains. */
  readonly existingIndexes: number;
  readonly summary: string;
}

export interface Validation {
  readonly candidate: Candidate;
  readonly tempName: string;
  readonly buildMs: number;
  readonly bytes: number;
  readonly effects: readonly StatementEffect[];
  readonly writeOverhead: WriteOverhead;
  readonly accepted: boolean;
  readonly verdict: string;
  readonly error?: string;
}

/** Drop temporary indexes an interrupted earlier run left behind. */
export async function dropLeftoverTempIndexes(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind = 'i' AND c.relname LIKE ${`${TEMP_INDEX_PREFIX}%`}`;
  for (const r of rows) await sql.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(r.name)}`);
  return rows.map((r) => r.name);
}

export async function writeOverheadOf(sql: Sql, table: string): Promise<WriteOverhead> {
  const [row] = await sql<{ writes: number; hot: number; seconds: number; indexes: number }[]>`
    SELECT (s.n_tup_ins + s.n_tup_upd - s.n_tup_hot_upd + s.n_tup_del)::float8 AS writes, s.n_tup_hot_upd::float8 AS hot,
           greatest(extract(epoch FROM now() - coalesce((SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()), pg_postmaster_start_time())), 1)::float8 AS seconds,
           (SELECT count(*) FROM pg_index i WHERE i.indrelid = s.relid)::int AS indexes
    FROM pg_stat_user_tables s WHERE s.schemaname = current_schema() AND s.relname = ${table}`;
  if (!row) return { indexWritesPerSecond: 0, statsSeconds: 0, existingIndexes: 0, summary: "no write statistics for this table" };
  const perSecond = row.writes / row.seconds;
  const hours = row.seconds / 3600;
  return {
    indexWritesPerSecond: Math.round(perSecond * 1000) / 1000,
    statsSeconds: Math.round(row.seconds),
    existingIndexes: row.indexes,
    summary:
      `${table} had ${Math.round(row.writes).toLocaleString("en-US")} index-maintaining writes (inserts, non-HOT updates, deletes) in ${hours < 1 ? `${Math.round(row.seconds / 60)} min` : `${hours.toFixed(1)} h`} of statistics ` +
      `(${perSecond.toFixed(2)}/s); each now maintains ${row.indexes} index(es), this adds one more (about +${(100 / Math.max(row.indexes, 1)).toFixed(0)}% index work per write)` +
      (row.hot > 0 ? `; ${Math.round(row.hot).toLocaleString("en-US")} HOT updates stay HOT only if they change none of its columns` : ""),
  };
}

export interface ValidateOptions {
  readonly runs?: number;
  readonly buildTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** Validate candidates one at a time (each measured alone, then dropped). */
export async function validateCandidates(sql: Sql, candidates: readonly Candidate[], plans: readonly StatementPlan[], options: ValidateOptions = {}): Promise<Validation[]> {
  const out: Validation[] = [];
  await dropLeftoverTempIndexes(sql);
  for (const [i, candidate] of candidates.entries()) {
    const tempName = `${TEMP_INDEX_PREFIX}${process.pid}_${i + 1}`;
    const served = plans.filter((p) => candidate.statements.includes(p.statement.id) && p.timing && p.params);
    const writeOverhead = await writeOverheadOf(sql, candidate.table);
    options.log?.(`validate: building ${candidate.table} ${candidate.definition} as ${tempName}`);
    let buildMs = 0;
    let bytes = 0;
    const effects: StatementEffect[] = [];
    let error: string | undefined;
    try {
      await sql.unsafe(`SET statement_timeout = ${Math.round(options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS)}`);
      const t0 = performance.now();
      await sql.unsafe(`CREATE INDEX CONCURRENTLY ${quoteIdent(tempName)} ON ${quoteIdent(candidate.table)} ${candidate.definition}`);
      buildMs = performance.now() - t0;
      await sql.unsafe("RESET statement_timeout");
      // Expression indexes are costed from their own statistics.
      if (candidate.kind === "expression") await sql.unsafe(`ANALYZE ${quoteIdent(candidate.table)}`);
      const [size] = await sql<{ bytes: number }[]>`SELECT pg_relation_size(${tempName}::regclass)::float8 AS bytes`;
      bytes = size?.bytes ?? 0;
      for (const p of served) {
        const after = await timeStatement(sql, p.statement.query, p.params!, { runs: options.runs });
        const used = indexesInPlan(after.plan.Plan);
        effects.push({ statement: p.statement.id, beforeMs: p.timing!.medianMs, afterMs: after.medianMs, usesIndex: used.includes(tempName), indexesAfter: used.map((u) => (u === tempName ? candidate.name : u)) });
      }
    } catch (e) {
      const err = e as { message?: string; code?: string };
      error = `${err.message ?? String(e)}${err.code ? ` (SQLSTATE ${err.code})` : ""}`;
    } finally {
      await sql.unsafe("RESET statement_timeout").catch(() => {});
      await sql.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(tempName)}`);
    }
    const helped = effects.filter((e) => e.usesIndex && e.afterMs <= e.beforeMs * ACCEPT_RATIO);
    const accepted = !error && effects.length > 0 && helped.length === effects.length;
    const verdict = error
      ? `build or measurement failed: ${error}`
      : effects.length === 0
        ? "no statement with parameter values to measure it on"
        : accepted
          ? `accepted: every statement it serves is at least ${Math.round(1 / ACCEPT_RATIO)}x faster with it`
          : `rejected: ${effects.filter((e) => !helped.includes(e)).map((e) => `${e.statement} ${e.usesIndex ? `only ${ratio(e)}` : "does not use it"}`).join("; ")}`;
    options.log?.(`validate: ${candidate.name}: ${verdict}`);
    out.push({ candidate, tempName, buildMs: round(buildMs), bytes, effects, writeOverhead, accepted, verdict, ...(error ? { error } : {}) });
  }
  return out;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const ratio = (e: StatementEffect) => `${(e.beforeMs / Math.max(e.afterMs, 0.001)).toFixed(1)}x faster`;
