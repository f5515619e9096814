// Runs a catalog against a database: for every entry and parameter variant,
// pick the parameters from the data, warm up, time N runs client-side, then
// EXPLAIN (ANALYZE, BUFFERS) it for the server-side time and the plan, as a
// prepared statement after five executions: the plan the app's prepared
// statements really use (possibly the generic one), not a one-off custom plan. An
// entry that errors (bad SQL, unknown table, a picker returning no row) fails
// with its name and the server's message; the run goes on.
//
// Give it a client with ONE connection (`max: 1`): the scan and buffer
// counters are flushed from that session around the timed runs, so the
// workload's own index usage and cache hit ratio can be measured.
import { CUSTOM_PLAN_EXECUTIONS, explainAnalyze, isGenericPlan, prepareForExplain, type PreparedExplain } from "./explain.ts";
import { bufferCounters, existingIndexNames, flushSessionStats, tableRowEstimates, type BufferCounters } from "./workload-counters.ts";
import { scanCounters, type ScanCounters } from "../checks/database-health.ts";
import type { Sql } from "../db/index.ts";
import type { CatalogEntry } from "./catalog-types.ts";
import { parameterCount } from "./catalog-file.ts";
import { analyzePlan, planFailures, type PlanSummary } from "./plan-analysis.ts";
import { latencyStats, fmtMs, type LatencyStats } from "./stats.ts";

export const DEFAULT_RUNS = 20;
export const DEFAULT_WARMUP = 3;
export const DEFAULT_EXPLAIN_RUNS = 3;
/** A slow variant (a seq scan on a big table) stops after this much timed work once it has MIN_RUNS. */
export const DEFAULT_MAX_MS_PER_VARIANT = 15_000;
const MIN_RUNS = 5;

export interface RunOptions {
  readonly runs?: number;
  readonly warmup?: number;
  readonly explainRuns?: number;
  readonly maxMsPerVariant?: number;
  readonly seqScanRowThreshold?: number;
  readonly statementTimeoutMs?: number;
  readonly onProgress?: (event: { readonly done: number; readonly total: number; readonly entry: string }) => void;
}

export interface VariantResult {
  readonly name: string;
  /** The parameters used ($1..$n), JSON-safe. */
  readonly params: readonly unknown[];
  readonly client: LatencyStats;
  /** EXPLAIN ANALYZE "Execution Time" samples. */
  readonly server: LatencyStats;
  readonly plan: PlanSummary | null;
  /** The prepared statement ran a generic plan (parameters unknown when planned), as the app's driver would. */
  readonly genericPlan: boolean;
  readonly failures: readonly string[];
  readonly error?: string;
}

export interface QueryResult {
  readonly name: string;
  readonly title: string;
  readonly kind: CatalogEntry["kind"];
  readonly budgetMs: number;
  readonly seqScanOk: boolean;
  readonly expectIndexes: readonly string[];
  readonly expectMode: "all" | "any";
  readonly pass: boolean;
  /** Every reason it fails, prefixed with the variant. */
  readonly failures: readonly string[];
  /** Set when the entry could not run at all (server message). */
  readonly error?: string;
  /** All variants' timed runs together. */
  readonly client: LatencyStats;
  readonly server: LatencyStats;
  readonly variants: readonly VariantResult[];
  /** Scan and buffer counter deltas over this entry's timed runs (database-wide). */
  readonly workload: WorkloadDelta;
}

export interface WorkloadDelta {
  readonly seqScans: number;
  readonly idxScans: number;
  readonly heapHit: number;
  readonly heapRead: number;
  readonly idxHit: number;
  readonly idxRead: number;
  /** Per table, tables with any scan only. */
  readonly tables: readonly { readonly table: string; readonly seqScans: number; readonly idxScans: number }[];
}

export interface CatalogRun {
  readonly queries: readonly QueryResult[];
  /** SELECT 1 measured the same way (20 runs up front, one between variants): the client round-trip floor. */
  readonly roundTrip: LatencyStats;
  /** Sum over every entry's timed runs. */
  readonly workload: WorkloadDelta;
  readonly startedAt: string;
  readonly ms: number;
}

/** A server error as one line: message, SQLSTATE and the position's context. */
export function serverMessage(error: unknown): string {
  const e = error as { message?: string; code?: string; detail?: string; hint?: string };
  const parts = [e.message ?? String(error)];
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  return `${parts.join("; ")}${e.code && /^[0-9A-Z]{5}$/.test(e.code) ? ` (SQLSTATE ${e.code})` : ""}`;
}

function jsonSafe(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
  return value;
}

async function counters(sql: Sql): Promise<{ scans: ScanCounters[]; buffers: BufferCounters }> {
  await flushSessionStats(sql);
  return { scans: await scanCounters(sql), buffers: await bufferCounters(sql) };
}

function delta(before: Awaited<ReturnType<typeof counters>>, after: Awaited<ReturnType<typeof counters>>): WorkloadDelta {
  const tables = after.scans
    .map((a) => {
      const b = before.scans.find((x) => x.table === a.table);
      return { table: a.table, seqScans: a.seqScans - (b?.seqScans ?? 0), idxScans: a.idxScans - (b?.idxScans ?? 0) };
    })
    .filter((t) => t.seqScans > 0 || t.idxScans > 0);
  return {
    seqScans: tables.reduce((s, t) => s + t.seqScans, 0),
    idxScans: tables.reduce((s, t) => s + t.idxScans, 0),
    heapHit: after.buffers.heapHit - before.buffers.heapHit,
    heapRead: after.buffers.heapRead - before.buffers.heapRead,
    idxHit: after.buffers.idxHit - before.buffers.idxHit,
    idxRead: after.buffers.idxRead - before.buffers.idxRead,
    tables,
  };
}

export function sumWorkload(parts: readonly WorkloadDelta[]): WorkloadDelta {
  const tables = new Map<string, { seqScans: number; idxScans: number }>();
  for (const p of parts) {
    for (const t of p.tables) {
      const acc = tables.get(t.table) ?? { seqScans: 0, idxScans: 0 };
      tables.set(t.table, { seqScans: acc.seqScans + t.seqScans, idxScans: acc.idxScans + t.idxScans });
    }
  }
  const sum = (k: "seqScans" | "idxScans" | "heapHit" | "heapRead" | "idxHit" | "idxRead") => parts.reduce((s, p) => s + p[k], 0);
  return {
    seqScans: sum("seqScans"), idxScans: sum("idxScans"), heapHit: sum("heapHit"), heapRead: sum("heapRead"), idxHit: sum("idxHit"), idxRead: sum("idxRead"),
    tables: [...tables].map(([table, v]) => ({ table, ...v })).sort((a, b) => a.table.localeCompare(b.table)),
  };
}

const EMPTY_WORKLOAD: WorkloadDelta = { seqScans: 0, idxScans: 0, heapHit: 0, heapRead: 0, idxHit: 0, idxRead: 0, tables: [] };

/** Pick one variant's parameters: the picker must return exactly one row with as many columns as the query has parameters. */
async function pickParams(sql: Sql, entry: CatalogEntry, variant: string, picker: string): Promise<unknown[]> {
  const expected = parameterCount(entry.sql);
  let rows: unknown[][];
  try {
    rows = (await sql.unsafe(picker, [], { prepare: false }).values()) as unknown as unknown[][];
  } catch (error) {
    throw new Error(`parameter picker '${variant}' failed: ${serverMessage(error)}`);
  }
  if (rows.length === 0) throw new Error(`parameter picker '${variant}' returned no row (is the table empty? run 'npm run seed')`);
  if (rows.length > 1) throw new Error(`parameter picker '${variant}' returned ${rows.length} rows; it must return exactly one (add LIMIT 1)`);
  const values = rows[0]!;
  if (values.length !== expected) throw new Error(`parameter picker '${variant}' returned ${values.length} column(s); the query uses ${expected} parameter(s) ($1..$${expected})`);
  return values;
}

/** The same interface as prepareForExplain, for a query the app sends unprepared (planned with its values every time). */
function unpreparedExplain(sql: Sql, query: string): PreparedExplain {
  return {
    async execute(params) {
      await sql.unsafe(query, params as never[], { prepare: false });
    },
    explain: (params) => explainAnalyze(sql, query, params),
    async deallocate() {},
  };
}

async function runVariant(sql: Sql, entry: CatalogEntry, variant: string, params: unknown[], options: Required<Pick<RunOptions, "runs" | "warmup" | "explainRuns" | "maxMsPerVariant">> & { tableRows: Map<string, number>; indexes: Set<string>; seqScanRowThreshold?: number }) {
  const prepare = entry.prepared ?? true;
  const exec = () => sql.unsafe(entry.sql, params as never[], { prepare });
  for (let i = 0; i < options.warmup; i++) await exec();
  const samples: number[] = [];
  let spent = 0;
  for (let i = 0; i < options.runs; i++) {
    const t0 = performance.now();
    await exec();
    const ms = performance.now() - t0;
    samples.push(ms);
    spent += ms;
    if (samples.length >= MIN_RUNS && spent > options.maxMsPerVariant) break;
  }
  // The plan the timed runs use: for a prepared query, the prepared statement
  // after the plan cache's five custom-plan executions (it may have switched
  // to a generic plan); for an unprepared one, a plan made with the values.
  const serverSamples: number[] = [];
  let plan: PlanSummary | null = null;
  let generic = false;
  const prepared = prepare ? await prepareForExplain(sql, entry.sql, params.length) : unpreparedExplain(sql, entry.sql);
  try {
    for (let i = 0; i < CUSTOM_PLAN_EXECUTIONS; i++) await prepared.execute(params);
    let explainSpent = 0;
    for (let i = 0; i < Math.max(1, options.explainRuns); i++) {
      const explain = await prepared.explain(params);
      if (explain["Execution Time"] !== undefined) {
        serverSamples.push(explain["Execution Time"]);
        explainSpent += explain["Execution Time"];
      }
      generic = isGenericPlan(explain);
      plan = analyzePlan(explain, entry, { tableRows: options.tableRows, seqScanRowThreshold: options.seqScanRowThreshold });
      if (explainSpent > options.maxMsPerVariant / 2) break;
    }
  } finally {
    await prepared.deallocate();
  }
  const client = latencyStats(samples);
  const failures = planFailures(plan!, entry, options.indexes);
  if (failures.length > 0 && generic) {
    failures.push("that is the generic plan the prepared statement switches to after 5 executions (parameters unknown at planning); a custom plan may differ: see EXPLAIN (GENERIC_PLAN), or run this query with plan_cache_mode = force_custom_plan");
  }
  if (client.p95 > entry.budgetMs) failures.push(`p95 ${fmtMs(client.p95)} ms over its budget of ${entry.budgetMs} ms`);
  return { samples, client, server: latencyStats(serverSamples), serverSamples, plan, generic, failures };
}

export async function runCatalog(sql: Sql, catalog: readonly CatalogEntry[], options: RunOptions = {}): Promise<CatalogRun> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const opts = {
    runs: options.runs ?? DEFAULT_RUNS,
    warmup: options.warmup ?? DEFAULT_WARMUP,
    explainRuns: options.explainRuns ?? DEFAULT_EXPLAIN_RUNS,
    maxMsPerVariant: options.maxMsPerVariant ?? DEFAULT_MAX_MS_PER_VARIANT,
    seqScanRowThreshold: options.seqScanRowThreshold,
    tableRows: await tableRowEstimates(sql),
    indexes: await existingIndexNames(sql),
  };
  await sql.unsafe(`SET statement_timeout = ${Math.round(options.statementTimeoutMs ?? 60_000)}`);
  // Catalog queries (and their parameter pickers) run dozens of times, also
  // under EXPLAIN ANALYZE, often against production right after a deploy: a
  // catalog entry that writes must fail alone (SQLSTATE 25006), not change
  // data. (The session is the caller's single connection: max 1.)
  await sql`SET default_transaction_read_only = on`;
  try {
    return await measureCatalog(sql, catalog, options, opts, started, startedAt);
  } finally {
    await sql`SET default_transaction_read_only = off`.catch(() => {});
  }
}

async function measureCatalog(
  sql: Sql,
  catalog: readonly CatalogEntry[],
  options: RunOptions,
  opts: Required<Pick<RunOptions, "runs" | "warmup" | "explainRuns" | "maxMsPerVariant">> & { seqScanRowThreshold?: number; tableRows: Map<string, number>; indexes: Set<string> },
  started: number,
  startedAt: string,
): Promise<CatalogRun> {

  // The floor: a round trip that does no work.
  for (let i = 0; i < opts.warmup; i++) await sql`SELECT 1`;
  const floor: number[] = [];
  for (let i = 0; i < Math.max(opts.runs, 20); i++) {
    const t0 = performance.now();
    await sql`SELECT 1`;
    floor.push(performance.now() - t0);
  }

  const queries: QueryResult[] = [];
  for (const [index, entry] of catalog.entries()) {
    options.onProgress?.({ done: index, total: catalog.length, entry: entry.name });
    const variants: VariantResult[] = [];
    const failures: string[] = [];
    const allClient: number[] = [];
    const allServer: number[] = [];
    const workloads: WorkloadDelta[] = [];
    let error: string | undefined;
    for (const [variant, picker] of Object.entries(entry.params)) {
      let params: unknown[] = [];
      try {
        params = await pickParams(sql, entry, variant, picker);
        // Warm-up happens inside runVariant, before the counters are read.
        for (let i = 0; i < opts.warmup; i++) await sql.unsafe(entry.sql, params as never[], { prepare: entry.prepared ?? true });
        // One more round-trip sample per variant: the floor over the whole run, not just its start.
        const f0 = performance.now();
        await sql`SELECT 1`;
        floor.push(performance.now() - f0);
        const before = await counters(sql);
        const r = await runVariant(sql, entry, variant, params, { ...opts, warmup: 0 });
        workloads.push(delta(before, await counters(sql)));
        allClient.push(...r.samples);
        allServer.push(...r.serverSamples);
        failures.push(...r.failures.map((f) => `${variant}: ${f}`));
        variants.push({ name: variant, params: params.map(jsonSafe), client: r.client, server: r.server, plan: r.plan, genericPlan: r.generic, failures: r.failures });
      } catch (e) {
        const message = e instanceof Error && !("code" in e) ? e.message : serverMessage(e);
        error ??= `${variant}: ${message}`;
        failures.push(`${variant}: ${message}`);
        variants.push({ name: variant, params: params.map(jsonSafe), client: latencyStats([]), server: latencyStats([]), plan: null, genericPlan: false, failures: [message], error: message });
        // A failed statement inside the session leaves nothing open (autocommit); carry on.
      }
    }
    queries.push({
      name: entry.name,
      title: entry.title,
      kind: entry.kind,
      budgetMs: entry.budgetMs,
      seqScanOk: entry.seqScanOk ?? false,
      expectIndexes: entry.expectIndexes,
      expectMode: entry.expectMode ?? "all",
      pass: failures.length === 0,
      failures,
      ...(error !== undefined ? { error } : {}),
      client: latencyStats(allClient),
      server: latencyStats(allServer),
      variants,
      workload: workloads.length > 0 ? sumWorkload(workloads) : EMPTY_WORKLOAD,
    });
  }
  options.onProgress?.({ done: catalog.length, total: catalog.length, entry: "" });
  return { queries, roundTrip: latencyStats(floor), workload: sumWorkload(queries.map((q) => q.workload)), startedAt, ms: performance.now() - started };
}
