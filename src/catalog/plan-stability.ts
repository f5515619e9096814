// Plan stability: the plans one variant can get, side by side.
//
// - custom: planned with the parameter values (every unprepared execution,
//   and a prepared one's first five);
// - generic: planned without them — what PostgreSQL's plan cache switches a
//   prepared statement to after five executions when it looks no costlier
//   (plan_cache_mode auto); the heavy variants show what it costs;
// - the same under K fresh statistics samples: ANALYZE of the tables the
//   catalog reads, inside a READ ONLY transaction that is rolled back, so the
//   server keeps the statistics it had (autovacuum re-samples a live table the
//   same way; a rare value's estimate can move several-fold between samples).
//
// A variant whose plans differ in shape has flipped. Each distinct plan is
// timed (EXPLAIN ANALYZE); a flip to a plan the app can run that is more than
// FLIP_MAX_RATIO times slower than the best (and at least FLIP_MIN_MS slower:
// sub-millisecond plans jitter by more than 10x in absolute noise) fails the
// entry, with the fix verify recommends.
import type { Sql } from "../db/index.ts";
import { quoteIdent } from "../db/index.ts";
import type { PlanCacheMode } from "../settings/plan-cache.ts";
import type { CatalogEntry } from "./types.ts";
import { explainPlan, readOnly, type GuardedSql, type PlanMode } from "./guarded.ts";
import { planFacts, type PlanFacts } from "./plan-signature.ts";
import { formatMsCell } from "../base/format.ts";

export const FLIP_MAX_RATIO = 10;
export const FLIP_MIN_MS = 1;
/** Statement timeout for a sample's ANALYZE (the catalog's own timeout is for queries). */
export const ANALYZE_TIMEOUT = "15min";

/** One distinct plan (by signature) a variant got, with every place it was seen. */
export interface SeenPlan extends PlanFacts {
  /** "custom", "generic", "sample 2 custom", ... */
  readonly sources: readonly string[];
  /** The app can run this plan (a custom plan, or a generic one when its prepared statements use plan_cache_mode auto). */
  readonly appRuns: boolean;
}

export interface PlanFlip {
  /** generic: the slower plan is the generic plan only; statistics: it came with a fresh statistics sample. */
  readonly kind: "generic" | "statistics";
  readonly best: { readonly signature: string; readonly executionMs: number | null; readonly buffers: number; readonly sources: readonly string[] };
  readonly other: { readonly signature: string; readonly executionMs: number | null; readonly buffers: number; readonly sources: readonly string[] };
  /** other / best execution time. */
  readonly ratio: number;
  readonly appRuns: boolean;
  readonly fails: boolean;
}

export interface StabilityRun {
  /** Samples asked for (--stats-samples). */
  readonly samples: number;
  /** Samples taken. */
  readonly done: number;
  readonly tables: readonly string[];
  /** Why no sample was taken (turned off, no privilege to ANALYZE). */
  readonly skipped?: string;
  readonly ms: number;
}

/** The app's prepared statement may switch to the generic plan. */
export function appRunsGeneric(entry: Pick<CatalogEntry, "prepared">, mode: PlanCacheMode): boolean {
  return (entry.prepared ?? true) && mode === "auto";
}

const GENERIC_FIX =
  "run the app's connections with plan_cache_mode = force_custom_plan (the project's pool sets it, src/settings/plan-cache.ts; " +
  "any other client of the app role: ALTER ROLE <app_role> SET plan_cache_mode = force_custom_plan), or send this query unprepared " +
  "(postgres.js sql.unsafe(query, params, { prepare: false }); catalog `prepared: false`)";

/**
 * The fix for a search whose plan depends on the statistics sample of the
 * searched column (measured: docs/design-decisions.md "Plan stability").
 */
export const SEARCH_SAMPLE_FIX =
  "the rare-term estimate of ILIKE '%term%' comes from the column's histogram and moves with every ANALYZE sample: " +
  "send the search in the shape of src/catalog/entries.ts message_content_search (the newest matches from the trigram index, " +
  "bounded, so no estimate can turn it into a walk of the recency index) — see docs/design-decisions.md, Plan stability";

const STATISTICS_FIX =
  "the plan depends on the ANALYZE sample: raise the statistics target of the filtered column " +
  "(ALTER TABLE <table> ALTER COLUMN <column> SET STATISTICS 1000; ANALYZE <table>), or restate the query so one index serves it " +
  "whatever the estimate (docs/design-decisions.md, Plan stability)";

const describe = (p: { signature: string; executionMs: number | null; buffers: number; sources: readonly string[] }) =>
  `${p.sources.join(", ")}: ${p.signature} — ${formatMsCell(p.executionMs)} ms, ${p.buffers.toLocaleString("en-US")} buffers`;

export interface StabilityAnalysis {
  readonly plans: SeenPlan[];
  readonly flips: PlanFlip[];
  readonly failures: string[];
  readonly fixes: string[];
}

/** Group the plans of one variant by signature and judge the flips. */
export function analyzeStability(entry: Pick<CatalogEntry, "name" | "sql" | "prepared">, seen: readonly { source: string; mode: PlanMode; facts: PlanFacts }[], mode: PlanCacheMode): StabilityAnalysis {
  const generic = appRunsGeneric(entry, mode);
  const bySignature = new Map<string, { facts: PlanFacts; sources: string[]; appRuns: boolean; ms: number | null; buffers: number; rowsRead: number }>();
  for (const s of seen) {
    const appRuns = s.mode === "custom" || generic;
    const g = bySignature.get(s.facts.signature);
    if (!g) {
      bySignature.set(s.facts.signature, { facts: s.facts, sources: [s.source], appRuns, ms: s.facts.executionMs, buffers: s.facts.buffers, rowsRead: s.facts.rowsRead });
      continue;
    }
    g.sources.push(s.source);
    g.appRuns ||= appRuns;
    // Timing: the best of the executions of the same plan (noise only adds); work: the most it did.
    if (s.facts.executionMs !== null && (g.ms === null || s.facts.executionMs < g.ms)) g.ms = s.facts.executionMs;
    g.buffers = Math.max(g.buffers, s.facts.buffers);
    g.rowsRead = Math.max(g.rowsRead, s.facts.rowsRead);
  }
  const plans: SeenPlan[] = [...bySignature.values()].map((g) => ({ ...g.facts, executionMs: g.ms, buffers: g.buffers, rowsRead: g.rowsRead, sources: g.sources, appRuns: g.appRuns }));
  const flips: PlanFlip[] = [];
  const failures: string[] = [];
  const fixes: string[] = [];
  if (plans.length < 2) return { plans, flips, failures, fixes };

  const candidates = plans.filter((p) => p.appRuns && p.executionMs !== null);
  const best = candidates.reduce<SeenPlan | undefined>((a, p) => (a === undefined || p.executionMs! < a.executionMs! ? p : a), undefined);
  if (!best) return { plans, flips, failures, fixes };
  for (const other of plans) {
    if (other === best || other.executionMs === null) continue;
    const ratio = best.executionMs! > 0 ? other.executionMs / best.executionMs! : Infinity;
    const kind = other.sources.every((s) => s === "generic" || s.endsWith(" generic")) ? "generic" : "statistics";
    const slow = ratio > FLIP_MAX_RATIO && other.executionMs - best.executionMs! >= FLIP_MIN_MS;
    const fails = slow && other.appRuns;
    flips.push({
      kind,
      best: { signature: best.signature, executionMs: best.executionMs, buffers: best.buffers, sources: best.sources },
      other: { signature: other.signature, executionMs: other.executionMs, buffers: other.buffers, sources: other.sources },
      ratio,
      appRuns: other.appRuns,
      fails,
    });
    if (fails) {
      failures.push(`plan flip, ${ratio.toFixed(0)}x slower: ${describe({ ...other, executionMs: other.executionMs })} | best ${describe(best)}`);
    }
    if (slow) {
      if (kind === "generic") {
        fixes.push(
          other.appRuns
            ? `generic-plan trap (${ratio.toFixed(0)}x slower than the custom plan): ${GENERIC_FIX}`
            : `generic-plan trap avoided (${ratio.toFixed(0)}x slower than the custom plan, but the app's connections plan every execution with its values): keep plan_cache_mode = force_custom_plan on every connection of the app, or send it unprepared`,
        );
      } else {
        fixes.push(`statistics flip (${ratio.toFixed(0)}x slower under ${other.sources.join(", ")}): ${/\bI?LIKE\b/i.test(entry.sql) ? SEARCH_SAMPLE_FIX : STATISTICS_FIX}`);
      }
    }
  }
  return { plans, flips, failures, fixes: [...new Set(fixes)] };
}

export interface SampleItem {
  readonly entry: CatalogEntry;
  readonly variant: string;
  readonly params: readonly unknown[];
  readonly relations: readonly string[];
}

/** Tables of `tables` the current role cannot ANALYZE (ANALYZE would skip them with a warning). */
async function tablesWeCannotAnalyze(sql: Sql, tables: readonly string[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const rows = await sql<{ table: string }[]>`
    SELECT c.relname AS "table" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relname = ANY(${tables as string[]})
      AND NOT (pg_has_role(c.relowner, 'USAGE')
               OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
               OR CASE WHEN current_setting('server_version_num')::int >= 170000 THEN has_table_privilege(c.oid, 'MAINTAIN') ELSE false END)`;
  return rows.map((r) => r.table);
}

/**
 * K fresh statistics samples: per sample, one READ ONLY transaction that
 * ANALYZEs every table the catalog's plans read, explains every variant's
 * custom plan (and generic plan, for a query the app prepares) under those
 * statistics, and is rolled back (the server keeps its statistics; only
 * pg_class row estimates, which ANALYZE updates in place, and the
 * "last analyzed" counters move, as with any ANALYZE).
 */
export async function sampleStatistics(
  sql: Sql,
  items: readonly SampleItem[],
  options: {
    readonly samples: number;
    readonly appPlanCacheMode: PlanCacheMode;
    /** Called as sample k of n starts (a long bench shows which sample it is on). */
    readonly onSample?: (event: { readonly sample: number; readonly total: number }) => void;
  },
): Promise<{ plans: Map<string, { source: string; mode: PlanMode; facts: PlanFacts }[]>; run: StabilityRun }> {
  const started = performance.now();
  const plans = new Map<string, { source: string; mode: PlanMode; facts: PlanFacts }[]>();
  const tables = [...new Set(items.flatMap((i) => i.relations))].sort();
  const finish = (done: number, skipped?: string) => ({ plans, run: { samples: options.samples, done, tables, ...(skipped ? { skipped } : {}), ms: performance.now() - started } });
  if (options.samples <= 0) return finish(0, "turned off (--stats-samples 0)");
  if (items.length === 0 || tables.length === 0) return finish(0, "no query ran");
  const denied = await tablesWeCannotAnalyze(sql, tables);
  if (denied.length > 0) {
    return finish(0, `the role cannot ANALYZE ${denied.join(", ")} (it needs to own them, or MAINTAIN on PostgreSQL 17): plans under fresh statistics were not checked`);
  }
  let done = 0;
  for (let k = 1; k <= options.samples; k++) {
    options.onSample?.({ sample: k, total: options.samples });
    let failure: string | undefined;
    // The ANALYZE runs as the connecting role (it owns the tables), before the
    // transaction enters the reader role; only the catalog's plans run as that.
    const analyze = async (tx: GuardedSql) => {
      // ANALYZE of a large table can outlast the statement timeout meant for
      // catalog queries (a 300,000-row sample of a 2M-row table on a busy
      // machine): it gets its own, then the session's applies again.
      const [{ timeout }] = (await tx.unsafe(`SELECT current_setting('statement_timeout') AS timeout`)) as unknown as [{ timeout: string }];
      try {
        await tx.unsafe(`SET LOCAL statement_timeout = '${ANALYZE_TIMEOUT}'`);
        await tx.unsafe(`ANALYZE ${tables.map(quoteIdent).join(", ")}`);
        await tx.unsafe(`SELECT set_config('statement_timeout', $1, true)`, [timeout]);
      } catch (error) {
        failure = (error as Error).message;
        throw error;
      }
    };
    const explainAll = async (tx: GuardedSql) => {
      for (const item of items) {
        const modes: PlanMode[] = ["custom"];
        if (item.params.length > 0 && (item.entry.prepared ?? true)) modes.push("generic");
        for (const mode of modes) {
          try {
            const explain = await (tx as unknown as { savepoint: <T>(fn: (sp: typeof tx) => Promise<T>) => Promise<T> }).savepoint((sp) => explainPlan(sp, item.entry.sql, item.params, mode));
            const key = `${item.entry.name}\u0000${item.variant}`;
            const list = plans.get(key) ?? [];
            list.push({ source: `sample ${k} ${mode}`, mode, facts: planFacts(explain) });
            plans.set(key, list);
          } catch {
            // The variant ran in the main pass; a failure here (e.g. a timeout) leaves this sample out for it.
          }
        }
      }
    };
    try {
      await readOnly(sql, explainAll, { beforeReaderRole: analyze });
    } catch (error) {
      if (failure === undefined) throw error;
    }
    if (failure !== undefined) return finish(done, `sample ${k} stopped: ANALYZE failed (${failure}); ${done} sample(s) taken`);
    done++;
  }
  return finish(done);
}
