// Plans for the workload's statements. On PostgreSQL 16+ the generic plan
// (EXPLAIN (GENERIC_PLAN): what a prepared statement may switch to, planned
// without values). On every version a plan with values (the statement's own
// or values from the column statistics, parameters.ts) that is also run under
// EXPLAIN ANALYZE to time it; writes are rolled back. A statement whose
// parameters cannot be filled is reported as skipped, with the reason.
import { firstPlan, type ExplainResult, type PlanNode } from "../catalog/explain.ts";
import { inRolledBackTransaction, type Sql } from "../db/index.ts";
import type { StatementSample } from "./samples.ts";
import { buildSample } from "./workload-samples.ts";
import type { SchemaInfo } from "./schema.ts";
import type { WorkloadStatement } from "./statements.ts";
import { median } from "../base/statistics.ts";


export const GENERIC_PLAN_MIN_VERSION = 160000;
export const DEFAULT_TIMED_RUNS = 3;
/** No single timed run of a workload statement may take longer (ms). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

export interface Timing {
  readonly plan: ExplainResult;
  /** Median EXPLAIN ANALYZE "Execution Time" over the timed runs. */
  readonly medianMs: number;
  readonly samplesMs: readonly number[];
}

export interface StatementPlan {
  readonly statement: WorkloadStatement;
  /** The values timed (sample.valueSets[0]); null when none, or when they are unrepresentative (nothing is validated on them). */
  readonly params: readonly unknown[] | null;
  readonly paramSources: readonly string[];
  /** PostgreSQL 16+: EXPLAIN (GENERIC_PLAN, VERBOSE). */
  readonly generic: ExplainResult | null;
  readonly genericSkipped?: string;
  /** The plan with values, analyzed (actual rows), and its timing. */
  readonly timing: Timing | null;
  /** Why there is no plan with values. */
  readonly skipped?: string;
  /** Where the parameters and values come from (samples.ts). */
  readonly sample: StatementSample;
  /** No values: problems come from the generic plan's estimates, and why. */
  readonly estimatedOnly?: string;
}

/**
 * EXPLAIN (`options`, FORMAT JSON) a statement on `tx` `runs` times after one
 * warm-up: the last plan and the execution time of each timed run.
 */
export async function explainAnalyzeRuns(tx: Sql, query: string, params: readonly unknown[], runs: number, options: "ANALYZE" | "ANALYZE, VERBOSE" | "ANALYZE, BUFFERS, VERBOSE"): Promise<{ plan: ExplainResult; samplesMs: number[] }> {
  const samplesMs: number[] = [];
  let plan: ExplainResult | undefined;
  for (let i = 0; i <= runs; i++) {
    plan = firstPlan(await tx.unsafe(`EXPLAIN (${options}, FORMAT JSON) ${query}`, params as never[], { prepare: false }));
    if (i > 0) samplesMs.push(plan["Execution Time"] ?? 0);
  }
  return { plan: plan!, samplesMs };
}

/** EXPLAIN (ANALYZE, BUFFERS, VERBOSE) a statement `runs` times after one warm-up, in a rolled-back transaction. */
export async function timeStatement(sql: Sql, query: string, params: readonly unknown[], options: { runs?: number; timeoutMs?: number } = {}): Promise<Timing> {
  const runs = Math.max(1, options.runs ?? DEFAULT_TIMED_RUNS);
  return inRolledBackTransaction(sql, async (tx) => {
    await tx.unsafe(`SET LOCAL statement_timeout = ${Math.round(options.timeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS)}`);
    const { plan, samplesMs } = await explainAnalyzeRuns(tx, query, params, runs, "ANALYZE, BUFFERS, VERBOSE");
    return { plan, medianMs: median(samplesMs), samplesMs };
  });
}

/** Plan only (no execution), with values. */
export async function explainWithValues(sql: Sql, query: string, params: readonly unknown[]): Promise<ExplainResult> {
  return firstPlan(await sql.unsafe(`EXPLAIN (VERBOSE, FORMAT JSON) ${query}`, params as never[], { prepare: false }));
}

export async function explainGeneric(sql: Sql, query: string): Promise<ExplainResult> {
  return firstPlan(await sql.unsafe(`EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) ${query}`, [], { prepare: false }));
}

function message(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return `${e.message ?? String(error)}${e.code && /^[0-9A-Z]{5}$/.test(e.code) ? ` (SQLSTATE ${e.code})` : ""}`;
}

/**
 * A generic plan on PostgreSQL < 16: PREPARE, then EXPLAIN EXECUTE under
 * plan_cache_mode = force_generic_plan (the plan is built without looking at
 * the NULLs passed), in a rolled-back transaction, deallocated after.
 */
export async function explainGenericPrepared(sql: Sql, query: string, paramCount: number): Promise<ExplainResult> {
  return inRolledBackTransaction(sql, async (tx) => {
    await tx.unsafe("SET LOCAL plan_cache_mode = force_generic_plan");
    await tx.unsafe(`PREPARE advise_generic AS ${query}`);
    try {
      const args = paramCount > 0 ? `(${Array.from({ length: paramCount }, () => "NULL").join(", ")})` : "";
      return firstPlan(await tx.unsafe(`EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE advise_generic${args}`));
    } finally {
      await tx.unsafe("DEALLOCATE advise_generic").catch(() => {});
    }
  });
}

/**
 * The generic plan read as if it had run: estimated rows as actual rows, and
 * for a sequential scan with a filter the rest of the table as removed by
 * it. findProblems then finds the plan's problems where no value is known
 * (the report says they are estimates).
 */
export function estimatedAsAnalyzed(plan: ExplainResult, tableRows: (table: string) => number): ExplainResult {
  const convert = (n: PlanNode): PlanNode => {
    const rows = (n["Plan Rows"] as number | undefined) ?? 0;
    const table = n["Relation Name"] as string | undefined;
    const removed = table && /Seq Scan/.test(n["Node Type"]) && n.Filter ? Math.max(0, tableRows(table) - rows) : 0;
    return { ...n, "Actual Rows": rows, "Actual Loops": 1, ...(removed ? { "Rows Removed by Filter": removed } : {}), ...(n.Plans ? { Plans: n.Plans.map(convert) } : {}) } as PlanNode;
  };
  return { ...plan, Plan: convert(plan.Plan) };
}

export interface PlanOptions {
  readonly runs?: number;
  readonly timeoutMs?: number;
  /** The statement's sample (workload-samples.ts); built here when absent. */
  readonly sample?: StatementSample;
}

export async function planStatement(sql: Sql, statement: WorkloadStatement, schema: SchemaInfo, versionNum: number, options: PlanOptions = {}): Promise<StatementPlan> {
  const sample = options.sample ?? (await buildSample(sql, statement, schema));
  // Plans, timings, candidates and validation all work on the plannable text.
  const planned: WorkloadStatement = { ...statement, query: sample.plannableSql };
  let generic: ExplainResult | null = null;
  let genericSkipped: string | undefined;
  try {
    generic = versionNum >= GENERIC_PLAN_MIN_VERSION ? await explainGeneric(sql, sample.plannableSql) : await explainGenericPrepared(sql, sample.plannableSql, sample.paramTypes.length);
  } catch (error) {
    genericSkipped = `${versionNum >= GENERIC_PLAN_MIN_VERSION ? "EXPLAIN (GENERIC_PLAN)" : `PREPARE + force_generic_plan (PostgreSQL ${Math.floor(versionNum / 10000)} has no EXPLAIN (GENERIC_PLAN))`} failed: ${message(error)}`;
  }
  const values = sample.valueSets[0];
  const paramSources = sample.parameters.map((p) => `$${p.n} ${p.context}${p.from && !p.context.includes(p.from) ? `: ${p.from}` : ""}`);
  if (!values) {
    const why = sample.notes.filter((n) => n.startsWith("no value")).join("; ");
    return {
      statement: planned,
      sample,
      params: null,
      paramSources,
      generic,
      genericSkipped,
      timing: null,
      ...(generic ? { estimatedOnly: `problems from the generic plan's estimates (${why})` } : { skipped: `skipped, because ${why || "no values were found"} and ${genericSkipped ?? "there is no generic plan"}` }),
    };
  }
  // Unrepresentative values: the plan is shown, but nothing may be validated on it.
  const params = sample.representative.verdict === "unrepresentative" ? null : values;
  try {
    const timing = await timeStatement(sql, sample.plannableSql, values, options);
    return { statement: planned, sample, params, paramSources, generic, genericSkipped, timing };
  } catch (error) {
    return { statement: planned, sample, params: null, paramSources, generic, genericSkipped, timing: null, skipped: `skipped, because running it with the ${sample.source} values failed: ${message(error)}` };
  }
}

/** Every node of a plan with its ancestors (nearest last). */
export function* nodesWithAncestors(node: PlanNode, ancestors: readonly PlanNode[] = []): Generator<{ node: PlanNode; ancestors: readonly PlanNode[] }> {
  yield { node, ancestors };
  for (const child of node.Plans ?? []) yield* nodesWithAncestors(child, [...ancestors, node]);
}

/** Indexes a plan uses. */
export function indexesInPlan(plan: PlanNode): string[] {
  const out = new Set<string>();
  for (const { node } of nodesWithAncestors(plan)) if (typeof node["Index Name"] === "string") out.add(node["Index Name"]);
  return [...out];
}
