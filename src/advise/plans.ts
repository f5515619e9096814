// Plans for the workload's statements. On PostgreSQL 16+ the generic plan
// (EXPLAIN (GENERIC_PLAN): what a prepared statement may switch to, planned
// without values). On every version a plan with values (the statement's own
// or values from the column statistics, parameters.ts) that is also run under
// EXPLAIN ANALYZE to time it; writes are rolled back. A statement whose
// parameters cannot be filled is reported as skipped, with the reason.
import type { ExplainResult, PlanNode } from "../catalog/explain.ts";
import type { Sql } from "../db/index.ts";
import { parametersFromStatistics } from "./parameters.ts";
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
  readonly params: readonly unknown[] | null;
  readonly paramSources: readonly string[];
  /** PostgreSQL 16+: EXPLAIN (GENERIC_PLAN, VERBOSE). */
  readonly generic: ExplainResult | null;
  readonly genericSkipped?: string;
  /** The plan with values, analyzed (actual rows), and its timing. */
  readonly timing: Timing | null;
  /** Why there is no plan with values. */
  readonly skipped?: string;
}

class RolledBack extends Error {}

/** Run fn in a transaction that is always rolled back (the statement may write). */
export async function inRolledBackTransaction<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  let result: T;
  try {
    await sql.begin(async (tx) => {
      result = await fn(tx as unknown as Sql);
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return result!;
}

function parseExplain(rows: readonly unknown[]): ExplainResult {
  const plan = (rows[0] as Record<string, unknown>)["QUERY PLAN"];
  return ((typeof plan === "string" ? JSON.parse(plan) : plan) as ExplainResult[])[0]!;
}

/** EXPLAIN (ANALYZE, BUFFERS, VERBOSE) a statement `runs` times after one warm-up, in a rolled-back transaction. */
export async function timeStatement(sql: Sql, query: string, params: readonly unknown[], options: { runs?: number; timeoutMs?: number } = {}): Promise<Timing> {
  const runs = Math.max(1, options.runs ?? DEFAULT_TIMED_RUNS);
  return inRolledBackTransaction(sql, async (tx) => {
    await tx.unsafe(`SET LOCAL statement_timeout = ${Math.round(options.timeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS)}`);
    const samples: number[] = [];
    let plan: ExplainResult | undefined;
    for (let i = 0; i <= runs; i++) {
      plan = parseExplain(await tx.unsafe(`EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) ${query}`, params as never[], { prepare: false }));
      if (i > 0) samples.push(plan["Execution Time"] ?? 0);
    }
    return { plan: plan!, medianMs: median(samples), samplesMs: samples };
  });
}

/** Plan only (no execution), with values. */
export async function explainWithValues(sql: Sql, query: string, params: readonly unknown[]): Promise<ExplainResult> {
  return parseExplain(await sql.unsafe(`EXPLAIN (VERBOSE, FORMAT JSON) ${query}`, params as never[], { prepare: false }));
}

export async function explainGeneric(sql: Sql, query: string): Promise<ExplainResult> {
  return parseExplain(await sql.unsafe(`EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) ${query}`, [], { prepare: false }));
}

function message(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return `${e.message ?? String(error)}${e.code && /^[0-9A-Z]{5}$/.test(e.code) ? ` (SQLSTATE ${e.code})` : ""}`;
}

export async function planStatement(sql: Sql, statement: WorkloadStatement, schema: SchemaInfo, versionNum: number, options: { runs?: number; timeoutMs?: number } = {}): Promise<StatementPlan> {
  let generic: ExplainResult | null = null;
  let genericSkipped: string | undefined;
  if (versionNum >= GENERIC_PLAN_MIN_VERSION) {
    try {
      generic = await explainGeneric(sql, statement.query);
    } catch (error) {
      genericSkipped = `EXPLAIN (GENERIC_PLAN) failed: ${message(error)}`;
    }
  } else {
    genericSkipped = `PostgreSQL ${Math.floor(versionNum / 10000)} has no EXPLAIN (GENERIC_PLAN) (16+); planned with values from the column statistics instead`;
  }
  let params: readonly unknown[] | null = statement.params ?? null;
  let paramSources: readonly string[] = params ? ["the catalog entry's parameter picker"] : [];
  if (!params) {
    const inferred = await parametersFromStatistics(sql, statement.query, schema);
    if (!inferred.ok) return { statement, params: null, paramSources: [], generic, genericSkipped, timing: null, skipped: `skipped, because ${inferred.reason}` };
    params = inferred.values;
    paramSources = inferred.sources;
  }
  try {
    const timing = await timeStatement(sql, statement.query, params, options);
    return { statement, params, paramSources, generic, genericSkipped, timing };
  } catch (error) {
    return { statement, params, paramSources, generic, genericSkipped, timing: null, skipped: `skipped, because running it with ${JSON.stringify(params)} failed: ${message(error)}` };
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
