// The other direction: indexes whose statements another index serves nearly
// as well. Measured, not guessed from column lists: for each index the
// workload uses, DROP INDEX inside a transaction, re-plan and time the
// statements that used it (EXPLAIN ANALYZE), ROLLBACK. The drop takes an
// ACCESS EXCLUSIVE lock on the table until the rollback, so this runs only on
// a scratch/development database (or with --yes), one index at a time, with a
// short lock_timeout.
import { inRolledBackTransaction, type Sql } from "../db/index.ts";
import { quoteIdent } from "../db/quote.ts";
import { median } from "../base/statistics.ts";
import { explainAnalyzeRuns, indexesInPlan, nodesWithAncestors, type StatementPlan } from "./plans.ts";
import type { ExplainResult } from "../catalog/explain.ts";
import type { SchemaInfo } from "./schema.ts";
import { plannableText, valueSetsOf } from "./validate.ts";
import { actualRows } from "./problems.ts";
import type { PlanNode } from "../catalog/explain.ts";
import { SEQ_SCAN_ROW_THRESHOLD } from "../catalog/plan-analysis.ts";

/** "Nearly as well": every statement at most this many times slower... */
export const NEARLY_AS_WELL_RATIO = 1.5;
/** ...or at most this much slower in absolute terms (timer noise on sub-millisecond statements)... */
export const NEARLY_AS_WELL_SLACK_MS = 0.2;
/** ...as long as that is not more than this many times slower (0.04 -> 0.2 ms is 5x: not "nearly as well"). */
export const NEARLY_AS_WELL_MAX_RATIO = 3;
export const HIDE_LOCK_TIMEOUT = "2s";

export interface HiddenEffect {
  readonly statement: string;
  /** Sums over the value sets. */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly valueSets: number;
  /** Largest sequential scan (rows read) the statement does with the index hidden, over its value sets. */
  readonly seqScanRows: number;
  readonly beforeCost: number;
  readonly afterCost: number;
  /** Indexes the plan uses with this one hidden. */
  readonly indexesAfter: readonly string[];
}

export interface IndexOverlap {
  readonly table: string;
  readonly index: string;
  readonly bytes: number;
  readonly effects: readonly HiddenEffect[];
  /** Every statement that used it runs nearly as well without it. */
  readonly redundant: boolean;
  /** The indexes that take over. */
  readonly servedBy: readonly string[];
  readonly verdict: string;
  readonly error?: string;
}

export interface RedundancyOptions {
  readonly runs?: number;
  /** Only these indexes (default: every index the workload uses that backs no constraint). */
  readonly indexes?: readonly string[];
  /**
   * Never redundant when hiding it yields a sequential scan over more rows
   * than this. The default is the threshold at which `npm run verify` fails a
   * query for a sequential scan (SEQ_SCAN_ROW_THRESHOLD, its --seq-scan-rows
   * default), so advise never proposes a drop that verify would then fail. A
   * scan that fast on today's data still grows with the table; the index does not.
   */
  readonly seqScanRows?: number;
  readonly log?: (line: string) => void;
}

/** Rows the plan's sequential scans read (returned + removed by filter), the largest. */
export function largestSeqScan(plan: PlanNode): number {
  let most = 0;
  for (const { node } of nodesWithAncestors(plan)) {
    if (node["Node Type"] !== "Seq Scan" && node["Node Type"] !== "Parallel Seq Scan") continue;
    const loops = Math.max(1, (node["Actual Loops"] as number | undefined) ?? 1);
    most = Math.max(most, actualRows(node) + ((node["Rows Removed by Filter"] as number | undefined) ?? 0) * loops);
  }
  return most;
}

async function timeIn(tx: Sql, query: string, params: readonly unknown[], runs: number): Promise<{ plan: ExplainResult; ms: number }> {
  const { plan, samplesMs } = await explainAnalyzeRuns(tx, query, params, runs, "ANALYZE, VERBOSE");
  return { plan, ms: median(samplesMs) };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const cost = (p: ExplainResult) => (p.Plan["Total Cost"] as number | undefined) ?? 0;

/** Is `after` nearly as good as `before`? */
export function nearlyAsWell(beforeMs: number, afterMs: number): boolean {
  return afterMs <= beforeMs * NEARLY_AS_WELL_RATIO || (afterMs <= beforeMs + NEARLY_AS_WELL_SLACK_MS && afterMs <= beforeMs * NEARLY_AS_WELL_MAX_RATIO);
}

export async function measureOverlaps(sql: Sql, plans: readonly StatementPlan[], schema: SchemaInfo, options: RedundancyOptions = {}): Promise<IndexOverlap[]> {
  const runs = Math.max(1, options.runs ?? 3);
  const seqLimit = options.seqScanRows ?? SEQ_SCAN_ROW_THRESHOLD;
  const usable = plans.filter((p) => p.timing && p.params);
  const users = new Map<string, StatementPlan[]>();
  for (const p of usable) for (const ix of indexesInPlan(p.timing!.plan.Plan)) users.set(ix, [...(users.get(ix) ?? []), p]);
  const all = [...schema.values()].flatMap((t) => t.indexes);
  const wanted = all.filter((ix) => !ix.constraint && ix.valid && users.has(ix.name) && (!options.indexes || options.indexes.includes(ix.name)));
  const out: IndexOverlap[] = [];
  for (const ix of wanted) {
    const statements = users.get(ix.name)!;
    options.log?.(`overlap: hiding ${ix.name} (used by ${statements.length} statement(s))`);
    const effects: HiddenEffect[] = [];
    let error: string | undefined;
    try {
      // Before, per value set (the plan's own set is already timed).
      const before = new Map<string, number[]>();
      for (const p of statements) {
        const sets = valueSetsOf(p);
        const times: number[] = [];
        for (const [k, values] of sets.entries()) times.push(k === 0 ? p.timing!.medianMs : (await timeIn(sql, plannableText(p), values, runs)).ms);
        before.set(p.statement.id, times);
      }
      await inRolledBackTransaction(sql, async (tx) => {
        await tx.unsafe(`SET LOCAL lock_timeout = '${HIDE_LOCK_TIMEOUT}'`);
        await tx.unsafe(`DROP INDEX ${quoteIdent(ix.name)}`);
        for (const p of statements) {
          let afterMs = 0;
          let seq = 0;
          let first: ExplainResult | undefined;
          const sets = valueSetsOf(p);
          for (const values of sets) {
            const after = await timeIn(tx, plannableText(p), values, runs);
            first ??= after.plan;
            afterMs += after.ms;
            seq = Math.max(seq, largestSeqScan(after.plan.Plan));
          }
          effects.push({
            statement: p.statement.id,
            beforeMs: round(before.get(p.statement.id)!.reduce((a, b) => a + b, 0)),
            afterMs: round(afterMs),
            valueSets: sets.length,
            seqScanRows: seq,
            beforeCost: Math.round(cost(p.timing!.plan)),
            afterCost: Math.round(cost(first!)),
            indexesAfter: indexesInPlan(first!.Plan),
          });
        }
      });
    } catch (e) {
      const err = e as { message?: string; code?: string };
      error = err.code === "55P03" ? `could not lock ${ix.table} within ${HIDE_LOCK_TIMEOUT}` : `${err.message ?? String(e)}`;
    }
    const seqScan = effects.find((e) => e.seqScanRows > seqLimit);
    const redundant = !error && effects.length > 0 && !seqScan && effects.every((e) => nearlyAsWell(e.beforeMs, e.afterMs));
    const servedBy = [...new Set(effects.flatMap((e) => e.indexesAfter))];
    const worst = effects.reduce<HiddenEffect | null>((w, e) => (!w || e.afterMs / Math.max(e.beforeMs, 0.001) > w.afterMs / Math.max(w.beforeMs, 0.001) ? e : w), null);
    const verdict = error
      ? `not measured: ${error}`
      : seqScan
        ? `needed: without it ${seqScan.statement} reads ${seqScan.seqScanRows.toLocaleString("en-US")} rows sequentially (more than --seq-scan-rows ${seqLimit.toLocaleString("en-US")}; ${seqScan.beforeMs.toFixed(3)} -> ${seqScan.afterMs.toFixed(3)} ms over ${seqScan.valueSets} value set(s))`
        : redundant
        ? `nearly as well without it${servedBy.length ? ` (served by ${servedBy.join(", ")})` : " (small sequential scan)"}: worst ${worst!.statement} ${worst!.beforeMs.toFixed(3)} -> ${worst!.afterMs.toFixed(3)} ms over ${worst!.valueSets} value set(s)`
        : `needed: ${worst!.statement} ${worst!.beforeMs.toFixed(3)} -> ${worst!.afterMs.toFixed(3)} ms without it`;
    out.push({ table: ix.table, index: ix.name, bytes: ix.bytes, effects, redundant, servedBy, verdict, ...(error ? { error } : {}) });
  }
  return out;
}
