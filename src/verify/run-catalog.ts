// Runs a catalog against ONE database target: for every entry and parameter
// variant, pick the parameters from the data, warm up, time N runs
// client-side, then EXPLAIN (ANALYZE, BUFFERS) the custom plan (planned with
// the values) and, for a query the app prepares, the generic plan (planned
// without them: what a prepared statement switches to after five executions),
// each timed. Then K fresh statistics samples (ANALYZE of the tables the
// catalog reads, inside a transaction that is rolled back) and the plans
// again under each: a variant whose plan changes shape is a flip, and a flip
// to a plan more than 10x slower fails the entry (src/catalog/plan-stability.ts).
//
// Every catalog statement runs through src/catalog/guarded.ts: single read
// statement, extended protocol, inside a READ ONLY transaction that is rolled
// back. An entry that errors fails with its name and the server's message;
// the run goes on.
//
// Pass/fail rests on evidence that does not depend on machine load: plan
// shape, the expected index, buffers and rows per execution against the
// entry's budget; then server-side execution time, and client latency minus
// the SELECT 1 floor of the same run, each the fastest of its runs (load only
// adds). A variant that fails only on time is measured again before it fails.
//
// Give it a client with ONE connection (`max: 1`): the scan and buffer
// counters are flushed from that session around the timed runs, so the
// workload's own index usage and cache hit ratio can be measured. A second
// target (a replica) is measured by calling runCatalog again with its client.
import { EMPTY_WORKLOAD, existingIndexNames, sumWorkload, tableRowEstimates, type WorkloadDelta } from "./workload-counters.ts";
import type { Sql } from "../db/index.ts";
import { APP_PLAN_CACHE_MODE, type PlanCacheMode } from "../settings/plan-cache.ts";
import { budgetsOf, workFailures } from "../catalog/budgets.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import type { PlanMode } from "../catalog/guarded.ts";
import type { PlanSummary } from "../catalog/plan-analysis.ts";
import type { PlanFacts } from "../catalog/plan-signature.ts";
import { analyzeStability, appRunsGeneric, sampleStatistics, type PlanFlip, type SeenPlan, type StabilityRun } from "../catalog/plan-stability.ts";
import { latencyStats, type LatencyStats } from "../base/statistics.ts";
import { measureRoundTrip, measureVariant, type MeasuredVariant, type MeasureSettings, type VariantParams } from "./measure-variant.ts";

export const DEFAULT_RUNS = 20;
export const DEFAULT_WARMUP = 3;
export const DEFAULT_EXPLAIN_RUNS = 3;
/** Fresh ANALYZE samples the plans are checked under (0 = off). */
export const DEFAULT_STATS_SAMPLES = 3;
/** A slow variant (a seq scan on a big table) stops after this much timed work once it has MIN_RUNS. */
export const DEFAULT_MAX_MS_PER_VARIANT = 15_000;

/** The measurement settings (defaults above), and the rest of the run. */
export interface RunOptions extends Partial<Pick<MeasureSettings, "runs" | "warmup" | "explainRuns" | "maxMsPerVariant" | "seqScanRowThreshold">> {
  readonly statementTimeoutMs?: number;
  /** Fresh statistics samples to check plans under (default 3; 0 turns it off). */
  readonly statsSamples?: number;
  /** plan_cache_mode of the app's connections (default: what the project's pool sets). */
  readonly appPlanCacheMode?: PlanCacheMode;
  readonly onProgress?: (event: { readonly done: number; readonly total: number; readonly entry: string }) => void;
  /** Per variant (key: query, NUL, variant): parameters to use instead of the picker's (a statistics twin's, from the file) and where they came from. */
  readonly variantParams?: ReadonlyMap<string, VariantParams>;
  /** Called as each fresh statistics sample starts (after the main pass). */
  readonly onSample?: (event: { readonly sample: number; readonly total: number }) => void;
}

export interface VariantResult {
  readonly name: string;
  /** The parameters used ($1..$n), JSON-safe. */
  readonly params: readonly unknown[];
  /** Where they came from, when the caller said (a statistics twin: the file's statistics or the twin's data). */
  readonly paramSource?: string;
  readonly client: LatencyStats;
  /** EXPLAIN ANALYZE "Execution Time" samples of the custom plan. */
  readonly server: LatencyStats;
  /** The custom plan (planned with the values), summarised for the expected-index and seq-scan checks. */
  readonly plan: PlanSummary | null;
  /** The app's prepared statement may run the generic plan (prepared query with parameters, plan_cache_mode auto). */
  readonly genericPlan: boolean;
  /** Every distinct plan seen (custom, generic, under each statistics sample), with its signature. */
  readonly plans: readonly SeenPlan[];
  readonly flips: readonly PlanFlip[];
  /** Failed on time first and was measured again. */
  readonly remeasured: boolean;
  readonly failures: readonly string[];
  readonly error?: string;
}

export interface QueryResult {
  readonly name: string;
  readonly title: string;
  readonly kind: CatalogEntry["kind"];
  readonly budgetMs: number;
  readonly budgetBuffers: number | null;
  readonly budgetRows: number | null;
  readonly seqScanOk: boolean;
  readonly prepared: boolean;
  readonly expectIndexes: readonly string[];
  readonly expectMode: "all" | "any";
  /** From the catalog entry: how stale its answer may be (s). */
  readonly maxStalenessSeconds?: number;
  /** From the catalog entry: a raw-table reference, reported but not graded. */
  readonly referenceFor?: string;
  readonly pass: boolean;
  /** Every reason it fails, prefixed with the variant. */
  readonly failures: readonly string[];
  /** The concrete fixes verify recommends for the flips and traps it found. */
  readonly fixes: readonly string[];
  /** Set when the entry could not run at all (server message). */
  readonly error?: string;
  /** All variants' timed runs together. */
  readonly client: LatencyStats;
  readonly server: LatencyStats;
  readonly variants: readonly VariantResult[];
  /** Scan and buffer counter deltas over this entry's timed runs (database-wide). */
  readonly workload: WorkloadDelta;
}

export interface CatalogRun {
  readonly queries: readonly QueryResult[];
  /** SELECT 1 measured the same way (20 runs up front, one between variants): the client round-trip floor. */
  readonly roundTrip: LatencyStats;
  /** Sum over every entry's timed runs. */
  readonly workload: WorkloadDelta;
  readonly appPlanCacheMode: PlanCacheMode;
  readonly stability: StabilityRun;
  readonly startedAt: string;
  readonly ms: number;
}

/** A plan seen under one statistics sample, keyed by entry and variant. */
type SampledPlan = { readonly source: string; readonly mode: PlanMode; readonly facts: PlanFacts };
type SampledPlans = ReadonlyMap<string, readonly SampledPlan[]>;

function jsonSafe(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
  return value;
}

export async function runCatalog(sql: Sql, catalog: readonly CatalogEntry[], options: RunOptions = {}): Promise<CatalogRun> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const appPlanCacheMode = options.appPlanCacheMode ?? APP_PLAN_CACHE_MODE;
  const s: MeasureSettings = {
    runs: options.runs ?? DEFAULT_RUNS,
    warmup: options.warmup ?? DEFAULT_WARMUP,
    explainRuns: options.explainRuns ?? DEFAULT_EXPLAIN_RUNS,
    maxMsPerVariant: options.maxMsPerVariant ?? DEFAULT_MAX_MS_PER_VARIANT,
    seqScanRowThreshold: options.seqScanRowThreshold,
    tableRows: await tableRowEstimates(sql),
    indexes: await existingIndexNames(sql),
    appPlanCacheMode,
  };
  await sql.unsafe(`SET statement_timeout = ${Math.round(options.statementTimeoutMs ?? 60_000)}`);
  // The timed runs behave like the app's connections (prepared statements
  // switch to generic plans only under 'auto').
  await sql.unsafe(`SET plan_cache_mode = ${appPlanCacheMode}`);
  try {
    return await measureCatalog(sql, catalog, options, s, started, startedAt);
  } finally {
    await sql`RESET plan_cache_mode`.catch(() => {});
  }
}

async function measureCatalog(sql: Sql, catalog: readonly CatalogEntry[], options: RunOptions, s: MeasureSettings, started: number, startedAt: string): Promise<CatalogRun> {
  const floor = await measureRoundTrip(sql, s);
  const measured: MeasuredVariant[] = [];
  for (const [index, entry] of catalog.entries()) {
    options.onProgress?.({ done: index, total: catalog.length, entry: entry.name });
    for (const [variant, picker] of Object.entries(entry.params)) {
      measured.push(await measureVariant(sql, entry, variant, picker, s, floor, options.variantParams?.get(`${entry.name}\u0000${variant}`)));
    }
  }
  options.onProgress?.({ done: catalog.length, total: catalog.length, entry: "" });

  // Fresh statistics samples: the plans again under each.
  const ran = measured.filter((p) => p.measurement !== null);
  const stability = await sampleStatistics(sql, ran.map((p) => ({ entry: p.entry, variant: p.variant, params: p.params, relations: [...p.measurement!.custom.relations, ...(p.measurement!.generic?.relations ?? [])] })), {
    samples: options.statsSamples ?? DEFAULT_STATS_SAMPLES,
    appPlanCacheMode: s.appPlanCacheMode,
    onSample: options.onSample,
  });

  const queries = catalog.map((entry) => queryResult(entry, measured.filter((p) => p.entry === entry), stability.plans, s.appPlanCacheMode));
  return {
    queries,
    roundTrip: latencyStats(floor),
    workload: sumWorkload(queries.map((q) => q.workload)),
    appPlanCacheMode: s.appPlanCacheMode,
    stability: stability.run,
    startedAt,
    ms: performance.now() - started,
  };
}

/** One entry's verdict: its variants' failures, with the plans each ran under (custom, generic, every statistics sample) judged for flips. */
function queryResult(entry: CatalogEntry, mine: readonly MeasuredVariant[], samplePlans: SampledPlans, appPlanCacheMode: PlanCacheMode): QueryResult {
  const failures: string[] = [];
  const fixes = new Set<string>();
  const variants = mine.map((p) => {
    const variant = variantResult(entry, p, samplePlans.get(`${entry.name}\u0000${p.variant}`) ?? [], appPlanCacheMode);
    for (const f of variant.fixes) fixes.add(f);
    failures.push(...variant.result.failures.map((f) => `${p.variant}: ${f}`));
    return variant.result;
  });
  const error = mine.find((p) => p.error !== undefined);
  const parts = mine.flatMap((p) => (p.workload ? [p.workload] : []));
  const budgets = budgetsOf(entry);
  return {
    name: entry.name,
    title: entry.title,
    kind: entry.kind,
    budgetMs: entry.budgetMs,
    budgetBuffers: budgets.buffers,
    budgetRows: budgets.rows,
    seqScanOk: entry.seqScanOk ?? false,
    prepared: entry.prepared ?? true,
    expectIndexes: entry.expectIndexes,
    expectMode: entry.expectMode ?? "all",
    ...(entry.maxStalenessSeconds !== undefined ? { maxStalenessSeconds: entry.maxStalenessSeconds } : {}),
    ...(entry.referenceFor !== undefined ? { referenceFor: entry.referenceFor } : {}),
    pass: failures.length === 0,
    failures,
    fixes: [...fixes],
    ...(error ? { error: `${error.variant}: ${error.error}` } : {}),
    client: latencyStats(mine.flatMap((p) => p.measurement?.samples ?? [])),
    server: latencyStats(mine.flatMap((p) => p.measurement?.serverSamples ?? [])),
    variants,
    workload: parts.length > 0 ? sumWorkload(parts) : EMPTY_WORKLOAD,
  };
}

/** One variant's result; its flips and the budgets of plans only the statistics samples produced add to its failures. */
function variantResult(entry: CatalogEntry, p: MeasuredVariant, sampled: readonly SampledPlan[], appPlanCacheMode: PlanCacheMode): { result: VariantResult; fixes: readonly string[] } {
  const m = p.measurement;
  let plans: SeenPlan[] = [];
  let flips: PlanFlip[] = [];
  let fixes: readonly string[] = [];
  if (m) {
    const seen: SampledPlan[] = [{ source: "custom", mode: "custom", facts: m.custom }];
    if (m.generic) seen.push({ source: "generic", mode: "generic", facts: m.generic });
    seen.push(...sampled);
    const analysis = analyzeStability(entry, seen, appPlanCacheMode);
    plans = analysis.plans;
    flips = analysis.flips;
    fixes = analysis.fixes;
    p.failures.push(...analysis.failures);
    // Plans only the samples produced must keep the budgets too.
    for (const sp of plans) {
      if (!sp.appRuns || sp.sources.includes("custom") || sp.sources.includes("generic")) continue;
      p.failures.push(...workFailures(sp, `the plan under ${sp.sources[0]}`, budgetsOf(entry)));
    }
  }
  const result: VariantResult = {
    name: p.variant,
    params: p.params.map(jsonSafe),
    ...(p.paramSource !== undefined ? { paramSource: p.paramSource } : {}),
    client: latencyStats(m?.samples ?? []),
    server: latencyStats(m?.serverSamples ?? []),
    plan: m?.plan ?? null,
    genericPlan: m?.generic != null && appRunsGeneric(entry, appPlanCacheMode),
    plans,
    flips,
    remeasured: p.remeasured,
    failures: p.failures,
    ...(p.error !== undefined ? { error: p.error } : {}),
  };
  return { result, fixes };
}
