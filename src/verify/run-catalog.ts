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
import { EMPTY_WORKLOAD, existingIndexNames, sumWorkload, tableRowEstimates, workloadCounters, workloadDelta, type WorkloadDelta } from "./workload-counters.ts";
import { serverMessage, type Sql } from "../db/index.ts";
import { APP_PLAN_CACHE_MODE, type PlanCacheMode } from "../settings/plan-cache.ts";
import { budgetsOf, workFailures } from "../catalog/budgets.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { parameterCount } from "../catalog/load.ts";
import { CatalogStatementError, explainPlan, pickRows, readOnly, runQuery, type GuardedSql, type PlanMode } from "../catalog/guarded.ts";
import { analyzePlan, planFailures, type PlanSummary } from "../catalog/plan-analysis.ts";
import { planFacts, type PlanFacts } from "../catalog/plan-signature.ts";
import { analyzeStability, appRunsGeneric, sampleStatistics, type PlanFlip, type SeenPlan, type StabilityRun } from "../catalog/plan-stability.ts";
import { formatMsCell } from "../base/format.ts";
import { latencyStats, type LatencyStats } from "../base/statistics.ts";

export const DEFAULT_RUNS = 20;
export const DEFAULT_WARMUP = 3;
export const DEFAULT_EXPLAIN_RUNS = 3;
/** Fresh ANALYZE samples the plans are checked under (0 = off). */
export const DEFAULT_STATS_SAMPLES = 3;
/** A slow variant (a seq scan on a big table) stops after this much timed work once it has MIN_RUNS. */
export const DEFAULT_MAX_MS_PER_VARIANT = 15_000;
const MIN_RUNS = 5;

/** Failures that rest on timing (re-measured before they count); the others are deterministic. */
export const TIME_FAILURE = /^(server|client) time /;

export interface RunOptions {
  readonly runs?: number;
  readonly warmup?: number;
  readonly explainRuns?: number;
  readonly maxMsPerVariant?: number;
  readonly seqScanRowThreshold?: number;
  readonly statementTimeoutMs?: number;
  /** Fresh statistics samples to check plans under (default 3; 0 turns it off). */
  readonly statsSamples?: number;
  /** plan_cache_mode of the app's connections (default: what the project's pool sets). */
  readonly appPlanCacheMode?: PlanCacheMode;
  readonly onProgress?: (event: { readonly done: number; readonly total: number; readonly entry: string }) => void;
  /** Per variant (key: query, NUL, variant): parameters to use instead of the picker's (a statistics twin's, from the file) and where they came from. */
  readonly variantParams?: ReadonlyMap<string, { readonly params?: readonly unknown[]; readonly source: string }>;
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

function jsonSafe(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
  return value;
}

/** Pick one variant's parameters: the picker must return exactly one row with as many columns as the query has parameters. */
async function pickParams(tx: GuardedSql, entry: CatalogEntry, variant: string, picker: string): Promise<unknown[]> {
  const expected = parameterCount(entry.sql);
  let rows: unknown[][];
  try {
    rows = await pickRows(tx, picker, variant);
  } catch (error) {
    if (error instanceof CatalogStatementError) throw error;
    throw new Error(`parameter picker '${variant}' failed: ${serverMessage(error)}`);
  }
  if (rows.length === 0) throw new Error(`parameter picker '${variant}' returned no row (is the table empty? run 'npm run seed')`);
  if (rows.length > 1) throw new Error(`parameter picker '${variant}' returned ${rows.length} rows; it must return exactly one (add LIMIT 1)`);
  const values = rows[0]!;
  if (values.length !== expected) throw new Error(`parameter picker '${variant}' returned ${values.length} column(s); the query uses ${expected} parameter(s) ($1..$${expected})`);
  return values;
}

interface Settings {
  readonly runs: number;
  readonly warmup: number;
  readonly explainRuns: number;
  readonly maxMsPerVariant: number;
  readonly seqScanRowThreshold?: number;
  readonly tableRows: Map<string, number>;
  readonly indexes: Set<string>;
  readonly appPlanCacheMode: PlanCacheMode;
}

interface Measurement {
  readonly samples: number[];
  readonly serverSamples: number[];
  readonly plan: PlanSummary;
  readonly custom: PlanFacts;
  readonly generic: PlanFacts | null;
}

/** Timed runs, then the custom plan (explainRuns times) and the generic plan once, in one read-only transaction. */
async function measure(sql: Sql, entry: CatalogEntry, params: unknown[], s: Settings): Promise<Measurement> {
  const prepare = entry.prepared ?? true;
  return readOnly(sql, async (tx) => {
    const samples: number[] = [];
    let spent = 0;
    for (let i = 0; i < s.runs; i++) {
      const t0 = performance.now();
      await runQuery(tx, entry.sql, params, prepare);
      const ms = performance.now() - t0;
      samples.push(ms);
      spent += ms;
      if (samples.length >= MIN_RUNS && spent > s.maxMsPerVariant) break;
    }
    const serverSamples: number[] = [];
    let explain;
    let explainSpent = 0;
    for (let i = 0; i < Math.max(1, s.explainRuns); i++) {
      explain = await explainPlan(tx, entry.sql, params, "custom");
      const ms = explain["Execution Time"] ?? 0;
      serverSamples.push(ms);
      explainSpent += ms;
      if (explainSpent > s.maxMsPerVariant / 2) break;
    }
    const generic = params.length > 0 ? planFacts(await explainPlan(tx, entry.sql, params, "generic")) : null;
    return {
      samples,
      serverSamples,
      plan: analyzePlan(explain!, entry, { tableRows: s.tableRows, seqScanRowThreshold: s.seqScanRowThreshold }),
      custom: planFacts(explain!),
      generic,
    };
  });
}

/**
 * Time failures. Each uses the fastest of its runs: a lower bound of what the
 * query costs, which other processes on the machine can only raise (the
 * median of a 1 ms query was 11 ms with the load average at 10-16 on 2 cores,
 * its fastest run 2-3 ms). Server side: the fastest EXPLAIN ANALYZE execution
 * time. Client side: the fastest timed run minus the fastest SELECT 1 of the
 * same run (the round trip), which adds what the server time leaves out:
 * planning, transfer, the driver.
 */
function timeFailures(m: Measurement, entry: CatalogEntry, floorMin: number): string[] {
  const out: string[] = [];
  const server = latencyStats(m.serverSamples);
  const client = latencyStats(m.samples);
  if (server.min > entry.budgetMs) out.push(`server time ${formatMsCell(server.min)} ms (fastest EXPLAIN ANALYZE of ${server.runs}) over its budget of ${entry.budgetMs} ms`);
  const above = client.min - floorMin;
  if (above > entry.budgetMs) out.push(`client time ${formatMsCell(client.min)} ms (fastest of ${client.runs} runs), ${formatMsCell(above)} ms above the SELECT 1 floor (${formatMsCell(floorMin)} ms), over its budget of ${entry.budgetMs} ms`);
  return out;
}

function deterministicFailures(m: Measurement, entry: CatalogEntry, s: Settings): string[] {
  const budgets = budgetsOf(entry);
  const out = [...planFailures(m.plan, entry, s.indexes), ...workFailures(m.custom, "the plan", budgets)];
  if (m.generic && appRunsGeneric(entry, s.appPlanCacheMode)) out.push(...workFailures(m.generic, "the generic plan (what the prepared statement switches to)", budgets));
  return out;
}

interface Pending {
  entry: CatalogEntry;
  variant: string;
  params: unknown[];
  measurement: Measurement | null;
  failures: string[];
  remeasured: boolean;
  paramSource?: string;
  error?: string;
}

export async function runCatalog(sql: Sql, catalog: readonly CatalogEntry[], options: RunOptions = {}): Promise<CatalogRun> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const appPlanCacheMode = options.appPlanCacheMode ?? APP_PLAN_CACHE_MODE;
  const s: Settings = {
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

async function measureCatalog(sql: Sql, catalog: readonly CatalogEntry[], options: RunOptions, s: Settings, started: number, startedAt: string): Promise<CatalogRun> {
  // The floor: a round trip that does no work.
  for (let i = 0; i < s.warmup; i++) await sql`SELECT 1`;
  const floor: number[] = [];
  for (let i = 0; i < Math.max(s.runs, 20); i++) {
    const t0 = performance.now();
    await sql`SELECT 1`;
    floor.push(performance.now() - t0);
  }

  const pending: Pending[] = [];
  const workloads = new Map<string, WorkloadDelta[]>();
  for (const [index, entry] of catalog.entries()) {
    options.onProgress?.({ done: index, total: catalog.length, entry: entry.name });
    workloads.set(entry.name, []);
    for (const [variant, picker] of Object.entries(entry.params)) {
      const preset = options.variantParams?.get(`${entry.name}\u0000${variant}`);
      const p: Pending = { entry, variant, params: [], measurement: null, failures: [], remeasured: false, paramSource: preset?.source };
      pending.push(p);
      try {
        const prepare = entry.prepared ?? true;
        p.params = await readOnly(sql, async (tx) => {
          const params = preset?.params ? [...preset.params] : await pickParams(tx, entry, variant, picker);
          for (let i = 0; i < s.warmup; i++) await runQuery(tx, entry.sql, params, prepare);
          return params;
        });
        // One more round-trip sample per variant: the floor over the whole run, not just its start.
        const f0 = performance.now();
        await sql`SELECT 1`;
        floor.push(performance.now() - f0);
        const before = await workloadCounters(sql);
        let m = await measure(sql, entry, p.params, s);
        workloads.get(entry.name)!.push(workloadDelta(before, await workloadCounters(sql)));
        let timing = timeFailures(m, entry, latencyStats(floor).min);
        if (timing.length > 0) {
          // An outlier (another process took the CPU) is measured again before it fails anything.
          p.remeasured = true;
          const again = await measure(sql, entry, p.params, s);
          const againTiming = timeFailures(again, entry, latencyStats(floor).min);
          if (againTiming.length <= timing.length) {
            m = again;
            timing = againTiming;
          }
        }
        p.measurement = m;
        p.failures.push(...deterministicFailures(m, entry, s), ...timing);
      } catch (e) {
        const message = e instanceof Error && !("code" in e) ? e.message : serverMessage(e);
        p.error = message;
        p.failures.push(message);
      }
    }
  }
  options.onProgress?.({ done: catalog.length, total: catalog.length, entry: "" });

  // Fresh statistics samples: the plans again under each.
  const ran = pending.filter((p) => p.measurement !== null);
  const stability = await sampleStatistics(sql, ran.map((p) => ({ entry: p.entry, variant: p.variant, params: p.params, relations: [...p.measurement!.custom.relations, ...(p.measurement!.generic?.relations ?? [])] })), {
    samples: options.statsSamples ?? DEFAULT_STATS_SAMPLES,
    appPlanCacheMode: s.appPlanCacheMode,
    onSample: options.onSample,
  });

  const queries: QueryResult[] = catalog.map((entry) => {
    const mine = pending.filter((p) => p.entry === entry);
    const variants: VariantResult[] = [];
    const failures: string[] = [];
    const fixes = new Set<string>();
    for (const p of mine) {
      const m = p.measurement;
      let plans: SeenPlan[] = [];
      let flips: PlanFlip[] = [];
      if (m) {
        const seen: { source: string; mode: PlanMode; facts: PlanFacts }[] = [{ source: "custom", mode: "custom", facts: m.custom }];
        if (m.generic) seen.push({ source: "generic", mode: "generic", facts: m.generic });
        for (const x of stability.plans.get(`${entry.name}\u0000${p.variant}`) ?? []) seen.push(x);
        const analysis = analyzeStability(entry, seen, s.appPlanCacheMode);
        plans = analysis.plans;
        flips = analysis.flips;
        p.failures.push(...analysis.failures);
        for (const f of analysis.fixes) fixes.add(f);
        // Plans only the samples produced must keep the budgets too.
        for (const sp of plans) {
          if (!sp.appRuns || sp.sources.includes("custom") || sp.sources.includes("generic")) continue;
          p.failures.push(...workFailures(sp, `the plan under ${sp.sources[0]}`, budgetsOf(entry)));
        }
      }
      failures.push(...p.failures.map((f) => `${p.variant}: ${f}`));
      variants.push({
        name: p.variant,
        params: p.params.map(jsonSafe),
        ...(p.paramSource !== undefined ? { paramSource: p.paramSource } : {}),
        client: latencyStats(m?.samples ?? []),
        server: latencyStats(m?.serverSamples ?? []),
        plan: m?.plan ?? null,
        genericPlan: m?.generic != null && appRunsGeneric(entry, s.appPlanCacheMode),
        plans,
        flips,
        remeasured: p.remeasured,
        failures: p.failures,
        ...(p.error !== undefined ? { error: p.error } : {}),
      });
    }
    const error = mine.find((p) => p.error !== undefined);
    const parts = workloads.get(entry.name) ?? [];
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
  });
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
