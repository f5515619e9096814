// Proof, not hypothesis: build each candidate CONCURRENTLY under a temporary
// name, re-time the statements it should serve with several representative
// value sets, record build time and size, drop it; then, for the accepted
// ones only and after every read, measure what it costs writes
// (write-cost.ts) and weigh the time it saves per hour of the observed
// workload against the write time it adds at the table's observed write rate
// (weighing.ts). Runs only on a database marked scratch or development
// (src/db/scratch-database.ts), or anywhere with --yes.
//
// Times are the fastest of the timed EXPLAIN ANALYZE runs after a warm-up,
// before and after taken the same way in the same phase: what `npm run
// verify` judges (its server time is the fastest EXPLAIN ANALYZE run), so the
// two agree on the same queries before and after `npm run migrate`.
import type { Sql } from "../db/index.ts";
export { assertMayExperiment } from "../db/scratch-database.ts";
import { quoteIdent } from "../db/quote.ts";
import type { Candidate } from "./candidates.ts";
import { indexesInPlan, timeStatement, type StatementPlan } from "./plans.ts";
import type { SchemaInfo } from "./schema.ts";
import { statementHours, weigh, writeOverheadOf, type StatementEffect, type Weighing, type WriteOverhead } from "./weighing.ts";
import { writeCostMeasurer, type WriteCost } from "./write-cost.ts";
import type { WriteRate } from "./write-rates.ts";
export { WRITE_SAMPLE_ROWS, coveredColumns, writeCostMeasurer, type WriteCost } from "./write-cost.ts";
export type { StatementEffect, Weighing, WriteOverhead } from "./weighing.ts";

/** A candidate is accepted when every statement it serves runs in at most this fraction of its time before (Dexter keeps those that halve the cost). */
export const ACCEPT_RATIO = 0.5;
/** Prefix of the temporary indexes: leftovers of an interrupted run are recognised and dropped by it. */
export const TEMP_INDEX_PREFIX = "advise_tmp_";
/** A candidate build may take at most this long. */
export const DEFAULT_BUILD_TIMEOUT_MS = 30 * 60_000;

/** At most this many value sets per statement are timed (the plan's own first). */
export const MAX_VALUE_SETS = 3;

/**
 * The value sets a statement is measured with: the plan's own, then the
 * others the workload supplied (the app's logged values or inferred joint
 * sets: `valueSets` on the statement), at most MAX_VALUE_SETS, distinct.
 */
export function valueSetsOf(plan: StatementPlan): unknown[][] {
  const own = plan.params ? [[...plan.params]] : [];
  const sample = (plan as { sample?: { valueSets?: readonly (readonly unknown[])[] } }).sample;
  const given = (plan.statement as { valueSets?: readonly (readonly unknown[])[] }).valueSets;
  const more = [...(sample?.valueSets ?? []), ...(given ?? [])].map((v) => [...v]);
  const seen = new Set<string>();
  const out: unknown[][] = [];
  for (const v of [...own, ...more]) {
    const key = JSON.stringify(v);
    if (seen.has(key) || v.length !== (own[0]?.length ?? v.length)) continue;
    seen.add(key);
    out.push(v);
    if (out.length >= MAX_VALUE_SETS) break;
  }
  return out;
}

/**
 * The text to plan and time with a value set: the sample's plannable SQL
 * (normalized text made plannable, samples.ts) when there is one, else the
 * statement's own text.
 */
export function plannableText(plan: StatementPlan): string {
  return (plan as { sample?: { plannableSql?: string } }).sample?.plannableSql ?? plan.statement.query;
}

export interface Validation {
  readonly candidate: Candidate;
  readonly tempName: string;
  readonly buildMs: number;
  readonly bytes: number;
  readonly effects: readonly StatementEffect[];
  readonly writeOverhead: WriteOverhead;
  readonly writeCost: WriteCost | null;
  readonly weighing: Weighing | null;
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

export interface ValidateOptions {
  readonly runs?: number;
  readonly buildTimeoutMs?: number;
  /** Measure the write cost (rolled-back insert/update with and without the index); default true. */
  readonly writeCost?: boolean;
  readonly schema?: SchemaInfo;
  readonly log?: (line: string) => void;
  /** Write rates per table since the previous advise run (write-rates.ts), read before this run writes anything. */
  readonly writeRates?: ReadonlyMap<string, WriteRate>;
  /** A readable name per statement id for verdicts (default: the id). */
  readonly labelOf?: (id: string) => string;
}

const UNKNOWN_RATE: WriteRate = { known: false, why: "write rate unknown: not read" };

/** The fastest timed run: what verify judges, least disturbed by other load. */
const fastest = (samples: readonly number[]) => Math.min(...samples);

/**
 * Validate candidates one at a time (each measured alone, then dropped).
 *
 * Every read is timed before any write cost is measured: the rolled-back
 * writes clear visibility-map bits on the pages they touch, and an
 * index-only scan timed after them pays heap fetches that the live table,
 * kept vacuumed by autovacuum, does not (a covering candidate then lost to
 * the index it widens). So: all before-times, then each candidate's reads
 * (build, time, drop), then the write cost of the candidates the reads
 * accepted (without it once per statement and table, then built again).
 */
export async function validateCandidates(sql: Sql, candidates: readonly Candidate[], plans: readonly StatementPlan[], options: ValidateOptions = {}): Promise<Validation[]> {
  await dropLeftoverTempIndexes(sql);
  const hours = await statementHours(sql);
  const rateOf = (table: string) => options.writeRates?.get(table) ?? UNKNOWN_RATE;
  const servedBy = (c: Candidate) => plans.filter((p) => c.statements.includes(p.statement.id) && p.timing && p.params);
  const beforeOf = await beforeTimes(sql, [...new Set(candidates.flatMap(servedBy))], options);
  const out: Validation[] = [];
  for (const [i, candidate] of candidates.entries()) {
    const tempName = `${TEMP_INDEX_PREFIX}${process.pid}_${i + 1}`;
    const writeOverhead = await writeOverheadOf(sql, candidate.table, rateOf(candidate.table));
    const reads = await measureReads(sql, candidate, tempName, servedBy(candidate), beforeOf, options);
    const accepted = !reads.error && reads.effects.length > 0 && reads.effects.every(helps);
    out.push({ candidate, tempName, ...reads, writeOverhead, writeCost: null, weighing: null, accepted, verdict: "", ...(reads.error ? { error: reads.error } : {}) });
  }
  const label = options.labelOf ?? ((id: string) => id);
  // A table's rates without the candidates, measured once per statement for the run.
  const withoutRates = new Map<string, number>();
  for (const [i, v] of supersede(out, label).entries()) out[i] = await weighAccepted(sql, v, plans, hours, rateOf(v.candidate.table), withoutRates, options);
  // Best first: net time saved per hour, then the per-call saving.
  return out.sort((a, b) => (b.weighing?.netMsPerHour ?? -Infinity) - (a.weighing?.netMsPerHour ?? -Infinity) || saving(b) - saving(a));
}

const helps = (e: StatementEffect) => e.usesIndex && e.afterMs <= e.beforeMs * ACCEPT_RATIO;

const perCall = (e: StatementEffect) => e.afterMs / Math.max(e.valueSets, 1);

/**
 * One index per statement: an accepted candidate whose every statement another
 * accepted candidate serves at least as fast is not needed (a second index
 * would only cost writes: after migrate the planner picks the better one, and
 * verify times that one). The slowest are judged first, against those still
 * standing. Before any write cost is measured, so none is spent on them.
 */
export function supersede(validations: readonly Validation[], label: (id: string) => string): Validation[] {
  const average = (v: Validation) => v.effects.reduce((s, e) => s + perCall(e), 0) / Math.max(v.effects.length, 1);
  const standing = new Set(validations.filter((x) => x.accepted));
  const out = new Map<Validation, Validation>();
  for (const v of [...standing].sort((a, b) => average(b) - average(a))) {
    const by = v.effects.map((e) => {
      const rivals = [...standing].flatMap((w) => (w === v ? [] : w.effects.filter((x) => x.statement === e.statement && perCall(x) <= perCall(e)).map((x) => ({ w, ms: perCall(x) }))));
      const best = rivals.sort((a, b) => a.ms - b.ms)[0];
      return best ? `${best.w.candidate.name} serves ${label(e.statement)} at least as fast (${round(best.ms)} vs ${round(perCall(e))} ms per call)` : null;
    });
    if (v.effects.length === 0 || by.some((x) => x === null)) continue;
    standing.delete(v);
    out.set(v, { ...v, accepted: false, verdict: `not needed: ${by.join("; ")}` });
  }
  return validations.map((v) => out.get(v) ?? v);
}

/** Why a candidate was rejected: each statement it did not help, by its readable label, with the per-call pair judged. */
export function rejectedReason(effects: readonly StatementEffect[], label: (id: string) => string): string {
  return `rejected: ${effects.filter((e) => !helps(e)).map((e) => `${label(e.statement)} ${e.usesIndex ? `only ${ratio(e)}` : "does not use it"}`).join("; ")}`;
}

/**
 * Before-times per statement and value set, all taken in this phase (warm,
 * as the after-times are), not the planning pass's: a time taken minutes
 * earlier under other load is not the pair the verdict should judge.
 */
async function beforeTimes(sql: Sql, served: readonly StatementPlan[], options: ValidateOptions): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const p of served) {
    if (out.has(p.statement.id)) continue;
    const times: number[] = [];
    for (const values of valueSetsOf(p)) times.push(fastest((await timeStatement(sql, plannableText(p), values, { runs: options.runs })).samplesMs));
    out.set(p.statement.id, times);
  }
  return out;
}

/** The write cost of an accepted candidate, its weighing, and the verdict. */
async function weighAccepted(sql: Sql, v: Validation, plans: readonly StatementPlan[], hours: number, rate: WriteRate, withoutRates: Map<string, number>, options: ValidateOptions): Promise<Validation> {
  let error = v.error;
  let writeCost: WriteCost | null = null;
  if (v.accepted && options.writeCost !== false) {
    try {
      writeCost = await measureWriteCost(sql, v.candidate, v.tempName, withoutRates, options);
    } catch (e) {
      error = describeError(e);
    }
  }
  const weighing = error ? null : weigh(v.effects, plans, writeCost, hours, rate);
  const costsMore = weighing?.netMsPerHour !== null && weighing?.netMsPerHour !== undefined && weighing.netMsPerHour < 0;
  const label = options.labelOf ?? ((id: string) => id);
  // Accepted on the reads; the weighing ranks it and says when, at the observed
  // rates, it costs writes more than it saves reads (the operator judges).
  const accepted = v.accepted && !error;
  const verdict = error
    ? `build or measurement failed: ${error}`
    : v.verdict
      ? v.verdict
      : v.effects.length === 0
        ? "no statement with parameter values to measure it on"
        : accepted
          ? `accepted: every statement it serves is at least ${Math.round(1 / ACCEPT_RATIO)}x faster with it over ${Math.max(...v.effects.map((e) => e.valueSets))} value set(s)${costsMore ? "; but at the observed write rate it adds more write time than it saves read time (see the weighing)" : ""}`
          : rejectedReason(v.effects, label);
  options.log?.(`validate: ${v.candidate.name}: ${verdict}`);
  return { ...v, writeCost, weighing, accepted, verdict, ...(error ? { error } : {}) };
}

const describeError = (e: unknown) => {
  const err = e as { message?: string; code?: string };
  return `${err.message ?? String(e)}${err.code ? ` (SQLSTATE ${err.code})` : ""}`;
};

/** Build a candidate under a temporary name, CONCURRENTLY, within the build timeout. */
async function buildTemporary(sql: Sql, candidate: Candidate, tempName: string, options: ValidateOptions): Promise<number> {
  options.log?.(`validate: building ${candidate.table} ${candidate.definition} as ${tempName}`);
  await sql.unsafe(`SET statement_timeout = ${Math.round(options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS)}`);
  const t0 = performance.now();
  await sql.unsafe(`CREATE INDEX CONCURRENTLY ${quoteIdent(tempName)} ON ${quoteIdent(candidate.table)} ${candidate.definition}`);
  const ms = performance.now() - t0;
  await sql.unsafe("RESET statement_timeout");
  return ms;
}

async function dropTemporary(sql: Sql, tempName: string): Promise<void> {
  await sql.unsafe("RESET statement_timeout").catch(() => {});
  await sql.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(tempName)}`);
}

/** Build the candidate, re-time every statement it should serve with each value set, drop it. */
async function measureReads(sql: Sql, candidate: Candidate, tempName: string, served: readonly StatementPlan[], beforeOf: ReadonlyMap<string, number[]>, options: ValidateOptions): Promise<{ buildMs: number; bytes: number; effects: StatementEffect[]; error?: string }> {
  let buildMs = 0;
  let bytes = 0;
  const effects: StatementEffect[] = [];
  try {
    buildMs = await buildTemporary(sql, candidate, tempName, options);
    // Expression indexes are costed from their own statistics.
    if (candidate.kind === "expression") await sql.unsafe(`ANALYZE ${quoteIdent(candidate.table)}`);
    const [size] = await sql<{ bytes: number }[]>`SELECT pg_relation_size(${tempName}::regclass)::float8 AS bytes`;
    bytes = size?.bytes ?? 0;
    for (const p of served) {
      const before = beforeOf.get(p.statement.id)!;
      const perSet: { beforeMs: number; afterMs: number }[] = [];
      let usesIndex = false;
      let indexesAfter: string[] = [];
      for (const [k, values] of valueSetsOf(p).entries()) {
        const after = await timeStatement(sql, plannableText(p), values, { runs: options.runs });
        const used = indexesInPlan(after.plan.Plan);
        usesIndex ||= used.includes(tempName);
        if (k === 0) indexesAfter = used.map((u) => (u === tempName ? candidate.name : u));
        perSet.push({ beforeMs: round(before[k]!), afterMs: round(fastest(after.samplesMs)) });
      }
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      effects.push({ statement: p.statement.id, beforeMs: round(sum(perSet.map((x) => x.beforeMs))), afterMs: round(sum(perSet.map((x) => x.afterMs))), valueSets: perSet.length, perSet, usesIndex, indexesAfter });
    }
    return { buildMs: round(buildMs), bytes, effects };
  } catch (e) {
    return { buildMs: round(buildMs), bytes, effects, error: describeError(e) };
  } finally {
    await dropTemporary(sql, tempName);
  }
}

/**
 * Insert and update rates of the candidate's table without it (once per
 * statement and table in a run: `withoutRates`) and with it (built again).
 */
async function measureWriteCost(sql: Sql, candidate: Candidate, tempName: string, withoutRates: Map<string, number>, options: ValidateOptions): Promise<WriteCost> {
  const writes = await writeCostMeasurer(sql, candidate.table, candidate.definition, undefined, withoutRates);
  try {
    options.log?.(`validate: write cost of ${candidate.table} without ${candidate.name}`);
    await writes.measure("without");
    await buildTemporary(sql, candidate, tempName, options);
    options.log?.(`validate: write cost of ${candidate.table} with ${candidate.name}`);
    await writes.measure("with");
    return writes.result();
  } finally {
    await dropTemporary(sql, tempName);
    // The rolled-back writes left dead rows and cleared visibility-map bits: an
    // index-only scan (a covering index once migrate builds it) would pay heap
    // fetches until autovacuum came by, and verify would time that. Leave the
    // table as it was.
    await sql.unsafe(`VACUUM ${quoteIdent(candidate.table)}`).catch(() => {});
  }
}

const saving = (v: Validation) => v.effects.reduce((s, e) => s + (e.beforeMs - e.afterMs), 0);
function round(x: number): number;
function round(x: number | null): number | null;
function round(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1000) / 1000;
}
const ratio = (e: StatementEffect) => `${(e.beforeMs / Math.max(e.afterMs, 0.001)).toFixed(1)}x faster (${round(e.beforeMs / e.valueSets)} -> ${round(e.afterMs / e.valueSets)} ms per call over ${e.valueSets} value set(s))`;
