// Proof, not hypothesis: build each candidate CONCURRENTLY under a temporary
// name, re-time the statements it should serve with several representative
// value sets, record build time and size, measure what it costs writes (a
// rolled-back 10,000-row insert and an update of the columns it covers, with
// and without it; accepted candidates only, after every read), weigh the time it saves per hour of the observed workload
// against the write time it adds at the table's observed write rate, then
// drop it. Runs only on a
// database marked scratch or development (src/db/scratch-database.ts),
// or anywhere with --yes.
import { EXIT, UserError } from "../base/errors.ts";
import type { DatabaseTarget, Sql } from "../db/index.ts";
export { assertMayExperiment } from "../db/scratch-database.ts";
import { quoteIdent } from "../db/quote.ts";
import type { Candidate } from "./candidates.ts";
import { indexesInPlan, inRolledBackTransaction, timeStatement, type StatementPlan } from "./plans.ts";
import type { SchemaInfo } from "./schema.ts";

/** A candidate is accepted when every statement it serves runs in at most this fraction of its time before (Dexter keeps those that halve the cost). */
export const ACCEPT_RATIO = 0.5;
/** Prefix of the temporary indexes: leftovers of an interrupted run are recognised and dropped by it. */
export const TEMP_INDEX_PREFIX = "advise_tmp_";
/** A candidate build may take at most this long. */
export const DEFAULT_BUILD_TIMEOUT_MS = 30 * 60_000;

/** At most this many value sets per statement are timed (the plan's own first). */
export const MAX_VALUE_SETS = 3;
/** Rows of the rolled-back insert that measures an index's write cost. */
export const WRITE_SAMPLE_ROWS = 10_000;

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

export interface StatementEffect {
  readonly statement: string;
  /** Sum over the value sets of the median time per set. */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly valueSets: number;
  /** Per value set: before -> after (ms). */
  readonly perSet: readonly { readonly beforeMs: number; readonly afterMs: number }[];
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

/** Write cost measured on the table, without and with the candidate. */
export interface WriteCost {
  readonly insertRowsPerSecWithout: number | null;
  readonly insertRowsPerSecWith: number | null;
  readonly updateRowsPerSecWithout: number | null;
  readonly updateRowsPerSecWith: number | null;
  /** The columns the update changed (those the index covers; unique ones left out). */
  readonly updatedColumns: readonly string[];
  /** Extra ms per inserted / updated row the index costs (never below 0). */
  readonly insertMsPerRow: number | null;
  readonly updateMsPerRow: number | null;
  readonly notes: readonly string[];
}

/** Time saved per hour of the observed workload against write time added at the observed write rate. */
export interface Weighing {
  /** Calls per hour of each statement (pg_stat_statements calls over its statistics period), when known. */
  readonly callsPerHour: number | null;
  readonly savedMsPerHour: number | null;
  readonly insertsPerHour: number;
  readonly updatesPerHour: number;
  readonly writeMsPerHour: number | null;
  /** saved - write cost, ms per hour (the rank). */
  readonly netMsPerHour: number | null;
  readonly summary: string;
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
  /** Measure the write cost (rolled-back insert/update with and without the index); default true. */
  readonly writeCost?: boolean;
  readonly schema?: SchemaInfo;
  readonly log?: (line: string) => void;
}

// ---- write cost -------------------------------------------------------------

interface TableShape {
  /** Columns an INSERT may set (not identity ALWAYS, not generated). */
  readonly insertable: readonly { name: string; type: string; identity: boolean; unique: boolean; hasDefault: boolean }[];
  /** Columns of each CHECK constraint: updating one of them means updating all of them together (from the same row). */
  readonly checks: readonly (readonly string[])[];
}

async function tableShape(sql: Sql, table: string): Promise<TableShape> {
  const rows = await sql<{ name: string; type: string; identity: string; generated: string; unique: boolean; hasDefault: boolean }[]>`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attidentity AS identity, a.attgenerated AS generated,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND a.attnum = ANY (i.indkey::int2[])) AS unique,
           a.atthasdef AS "hasDefault"
    FROM pg_attribute a
    WHERE a.attrelid = ${table}::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;
  const checks = await sql<{ columns: string[] }[]>`
    SELECT ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)) AS columns
    FROM pg_constraint k WHERE k.conrelid = ${table}::regclass AND k.contype = 'c' AND array_length(k.conkey, 1) > 1`;
  return { insertable: rows.filter((r) => r.generated === "").map((r) => ({ name: r.name, type: r.type, identity: r.identity !== "", unique: r.unique, hasDefault: r.hasDefault })), checks: checks.map((c) => [...c.columns]) };
}

/**
 * Rows like the table's own: copied from existing rows, new keys (identity
 * and defaulted keys left to the table), unique text columns made unique.
 */
function insertCopySql(table: string, shape: TableShape, rows: number, uniqueText: "suffix" | "digits"): string {
  const cols = shape.insertable.filter((c) => !(c.identity || (c.unique && c.hasDefault)));
  // A unique text value made new: a letters-and-digits suffix, or (when a CHECK wants digits only, e.g. a phone number) a synthetic number no row has.
  const newText = (c: string) => (uniqueText === "suffix" ? `${c} || 'w' || g.n` : `CASE WHEN ${c} LIKE '+%' THEN '+9' ELSE '9' END || lpad(g.n::text, 13, '0')`);
  const values = cols.map((c) => (c.unique ? (/char|text/.test(c.type) ? newText(quoteIdent(c.name)) : /int|numeric/.test(c.type) ? `${quoteIdent(c.name)} + (SELECT max(${quoteIdent(c.name)}) FROM ${quoteIdent(table)}) + g.n` : quoteIdent(c.name)) : quoteIdent(c.name)));
  return `INSERT INTO ${quoteIdent(table)} (${cols.map((c) => quoteIdent(c.name)).join(", ")}) SELECT ${values.join(", ")} FROM (SELECT *, row_number() OVER () AS n FROM ${quoteIdent(table)} LIMIT ${rows}) g`;
}

/** Each of `rows` rows gets the covered columns of the next one: real values, changed, so every index on them is maintained. */
function updateSql(table: string, columns: readonly string[], rows: number): string {
  const cols = columns.map(quoteIdent);
  return `WITH src AS (SELECT ctid AS tid, row_number() OVER () AS n, ${cols.join(", ")} FROM ${quoteIdent(table)} LIMIT ${rows}) ` +
    `UPDATE ${quoteIdent(table)} t SET ${cols.map((c) => `${c} = b.${c}`).join(", ")} FROM src a JOIN src b ON b.n = a.n % ${rows} + 1 WHERE t.ctid = a.tid`;
}

/** Rows/s of a write in a rolled-back transaction: the fastest of `runs` (least disturbed by other load), after a warm-up run when asked. */
async function timedWrite(sql: Sql, statement: string, runs: number, warmUp: boolean): Promise<{ rowsPerSec: number; rows: number }> {
  const samples: number[] = [];
  let rows = 0;
  for (let i = warmUp ? 0 : 1; i <= runs; i++) {
    await inRolledBackTransaction(sql, async (tx) => {
      const out = await tx.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`, [], { prepare: false });
      const raw = (out[0] as Record<string, unknown>)["QUERY PLAN"];
      const plan = ((typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan: { Plans?: { "Actual Rows"?: number }[] }; "Execution Time"?: number }[])[0]!;
      rows = plan.Plan.Plans?.[0]?.["Actual Rows"] ?? rows;
      if (i > 0) samples.push(plan["Execution Time"] ?? 0);
    });
  }
  const ms = Math.min(...samples);
  return { rowsPerSec: ms > 0 ? (rows / ms) * 1000 : 0, rows };
}

/** Columns an index definition stores (keys, expression arguments, INCLUDE, predicate). */
export function coveredColumns(definition: string, columns: ReadonlySet<string>): string[] {
  const text = definition.replace(/'(?:[^']|'')*'/g, "''");
  return [...new Set([...text.matchAll(/"?([a-z_][a-z0-9_]*)"?/gi)].map((m) => m[1]!.toLowerCase()).filter((c) => columns.has(c)))];
}

export interface WriteMeasurer {
  measure(label: "without" | "with"): Promise<void>;
  result(): WriteCost;
}

/**
 * Measures a table's insert and update rates: measure("without") before the
 * build, measure("with") after it, measure("without") again after the drop;
 * each side keeps its fastest run (so a busy moment on one side does not
 * pass for the index's cost).
 */
export async function writeCostMeasurer(sql: Sql, table: string, definition: string, runs = 2): Promise<WriteMeasurer> {
  const shape = await tableShape(sql, table);
  const names = new Set(shape.insertable.map((c) => c.name));
  const unique = new Set(shape.insertable.filter((c) => c.unique).map((c) => c.name));
  const covered = coveredColumns(definition, names);
  // Columns a CHECK ties to a covered one change together (from the same source row), or the update breaks it.
  const tied = new Set(covered);
  for (const check of shape.checks) if (check.some((c) => tied.has(c))) for (const c of check) tied.add(c);
  const updatable = [...tied].filter((c) => !unique.has(c));
  const notes: string[] = [];
  if (covered.length > updatable.length) notes.push(`unique column(s) ${covered.filter((c) => unique.has(c)).join(", ")} left out of the update`);
  let inserts = [insertCopySql(table, shape, WRITE_SAMPLE_ROWS, "suffix"), insertCopySql(table, shape, WRITE_SAMPLE_ROWS, "digits")];
  const update = updatable.length ? updateSql(table, updatable, WRITE_SAMPLE_ROWS) : null;
  const got: Record<string, { insert: number | null; update: number | null }> = {};
  const best = (a: number | null | undefined, b: number | null) => (a === null || a === undefined ? b : b === null ? a : Math.max(a, b));
  // One warm-up per statement (the first measurement reads the source rows cold); later rounds are warm.
  const warmed = new Set<string>();
  const attempt = async (statements: string[], what: string): Promise<number | null> => {
    for (const statement of statements) {
      try {
        const rate = (await timedWrite(sql, statement, runs, !warmed.has(statement))).rowsPerSec;
        warmed.add(statement);
        // The first form that works is kept for the later measurements.
        if (what === "insert") inserts = [statement];
        return rate;
      } catch (error) {
        const e = error as { message?: string; code?: string };
        if (statement === statements.at(-1) && !notes.some((n) => n.startsWith(what))) notes.push(`${what} not measured: ${e.message ?? String(error)}${e.code ? ` (SQLSTATE ${e.code})` : ""}`);
      }
    }
    return null;
  };
  return {
    async measure(label) {
      const insert = await attempt(inserts, "insert");
      const updated = update ? await attempt([update], "update") : null;
      got[label] = { insert: best(got[label]?.insert, insert), update: best(got[label]?.update, updated) };
    },
    result() {
      const w = got.without;
      const x = got.with;
      const perRow = (a: number | null | undefined, b: number | null | undefined) => (a && b ? Math.max(0, 1000 / b - 1000 / a) : null);
      return {
        insertRowsPerSecWithout: round(w?.insert ?? null),
        insertRowsPerSecWith: round(x?.insert ?? null),
        updateRowsPerSecWithout: round(w?.update ?? null),
        updateRowsPerSecWith: round(x?.update ?? null),
        updatedColumns: updatable,
        insertMsPerRow: roundSmall(perRow(w?.insert, x?.insert)),
        updateMsPerRow: roundSmall(perRow(w?.update, x?.update)),
        notes: update ? notes : [...notes, "no column it covers can be updated without breaking a unique key: update not measured"],
      };
    },
  };
}

/** Hours the statistics cover: pg_stat_statements since its reset, tables since the database's stats reset (or the server start). */
async function statisticsHours(sql: Sql): Promise<{ statements: number; tables: number }> {
  const [row] = await sql<{ statements: number | null; tables: number }[]>`
    SELECT (SELECT extract(epoch FROM now() - stats_reset) / 3600 FROM pg_stat_statements_info)::float8 AS statements,
           (greatest(extract(epoch FROM now() - coalesce((SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()), pg_postmaster_start_time())), 1) / 3600)::float8 AS tables`.catch(
    async () => sql<{ statements: number | null; tables: number }[]>`
      SELECT NULL::float8 AS statements, (greatest(extract(epoch FROM now() - coalesce((SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()), pg_postmaster_start_time())), 1) / 3600)::float8 AS tables`,
  );
  return { statements: Math.max(row?.statements ?? row?.tables ?? 1, 1 / 3600), tables: Math.max(row?.tables ?? 1, 1 / 3600) };
}

async function writesPerHour(sql: Sql, table: string, hours: number): Promise<{ inserts: number; updates: number }> {
  const [row] = await sql<{ ins: number; upd: number }[]>`
    SELECT n_tup_ins::float8 AS ins, (n_tup_upd - n_tup_hot_upd)::float8 AS upd FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = ${table}`;
  return { inserts: (row?.ins ?? 0) / hours, updates: (row?.upd ?? 0) / hours };
}

/** Weigh a candidate: time it saves per hour against write time it adds per hour. */
export function weigh(effects: readonly StatementEffect[], plans: readonly StatementPlan[], cost: WriteCost | null, hours: { statements: number; tables: number }, writes: { inserts: number; updates: number }): Weighing {
  let known = true;
  let saved = 0;
  let calls = 0;
  for (const e of effects) {
    const p = plans.find((x) => x.statement.id === e.statement);
    if (!p?.statement.calls) {
      known = false;
      continue;
    }
    const perHour = p.statement.calls / hours.statements;
    calls += perHour;
    saved += perHour * ((e.beforeMs - e.afterMs) / Math.max(e.valueSets, 1));
  }
  const writeMs = cost && (cost.insertMsPerRow !== null || cost.updateMsPerRow !== null) ? writes.inserts * (cost.insertMsPerRow ?? 0) + writes.updates * (cost.updateMsPerRow ?? 0) : null;
  const savedMs = known && effects.length ? saved : null;
  const net = savedMs !== null ? savedMs - (writeMs ?? 0) : null;
  const f = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(1)} ms`);
  const summary = [
    savedMs !== null ? `saves ${f(savedMs)} per hour (${Math.round(calls)} calls/h, pg_stat_statements totals over ${hours.statements.toFixed(2)} h)` : "time saved per hour unknown (no call counts: a catalog workload)",
    writeMs !== null ? `adds ${f(writeMs)} of write time per hour (${Math.round(writes.inserts)} inserts/h x ${cost!.insertMsPerRow?.toFixed(4) ?? "?"} ms, ${Math.round(writes.updates)} non-HOT updates/h x ${cost!.updateMsPerRow?.toFixed(4) ?? "?"} ms; pg_stat_user_tables totals over ${hours.tables.toFixed(2)} h, which count bulk loads and earlier advise runs' rolled-back writes too)` : "write time per hour not measured",
    net !== null ? `net ${net >= 0 ? "+" : "-"}${f(Math.abs(net))} per hour` : "",
  ].filter(Boolean).join("; ");
  return { callsPerHour: known ? round(calls) : null, savedMsPerHour: savedMs === null ? null : round(savedMs), insertsPerHour: round(writes.inserts)!, updatesPerHour: round(writes.updates)!, writeMsPerHour: writeMs === null ? null : round(writeMs), netMsPerHour: net === null ? null : round(net), summary };
}

/**
 * Validate candidates one at a time (each measured alone, then dropped).
 *
 * Every read is timed before any write cost is measured: the rolled-back
 * writes clear visibility-map bits on the pages they touch, and an
 * index-only scan timed after them pays heap fetches that the live table,
 * kept vacuumed by autovacuum, does not (a covering candidate then lost to
 * the index it widens). So: all before-times, then each candidate's reads
 * (build, time, drop), then the write cost of the candidates the reads
 * accepted (build again between two measurements without it).
 */
export async function validateCandidates(sql: Sql, candidates: readonly Candidate[], plans: readonly StatementPlan[], options: ValidateOptions = {}): Promise<Validation[]> {
  await dropLeftoverTempIndexes(sql);
  const hours = await statisticsHours(sql);
  // The tables' write rates before this run writes anything: its own rolled-back
  // inserts and updates count in pg_stat_user_tables too (earlier runs' do).
  const writeRates = new Map<string, { inserts: number; updates: number }>();
  for (const table of new Set(candidates.map((c) => c.table))) writeRates.set(table, await writesPerHour(sql, table, hours.tables));
  const servedBy = (c: Candidate) => plans.filter((p) => c.statements.includes(p.statement.id) && p.timing && p.params);
  // Before-times per statement and value set, taken once (the plan's own set is already timed).
  const beforeOf = new Map<string, number[]>();
  for (const p of new Set(candidates.flatMap(servedBy))) {
    if (beforeOf.has(p.statement.id)) continue;
    const times: number[] = [];
    for (const [i, values] of valueSetsOf(p).entries()) times.push(i === 0 && p.timing ? p.timing.medianMs : (await timeStatement(sql, plannableText(p), values, { runs: options.runs })).medianMs);
    beforeOf.set(p.statement.id, times);
  }
  const out: Validation[] = [];
  for (const [i, candidate] of candidates.entries()) {
    const tempName = `${TEMP_INDEX_PREFIX}${process.pid}_${i + 1}`;
    const writeOverhead = await writeOverheadOf(sql, candidate.table);
    const reads = await measureReads(sql, candidate, tempName, servedBy(candidate), beforeOf, options);
    const helped = reads.effects.filter((e) => e.usesIndex && e.afterMs <= e.beforeMs * ACCEPT_RATIO);
    const accepted = !reads.error && reads.effects.length > 0 && helped.length === reads.effects.length;
    out.push({ candidate, tempName, ...reads, writeOverhead, writeCost: null, weighing: null, accepted, verdict: "", ...(reads.error ? { error: reads.error } : {}) });
  }
  for (const [i, v] of out.entries()) {
    let error = v.error;
    let writeCost: WriteCost | null = null;
    if (v.accepted && options.writeCost !== false) {
      try {
        writeCost = await measureWriteCost(sql, v.candidate, v.tempName, options);
      } catch (e) {
        error = describeError(e);
      }
    }
    const weighing = error ? null : weigh(v.effects, plans, writeCost, hours, writeRates.get(v.candidate.table)!);
    const costsMore = weighing?.netMsPerHour !== null && weighing?.netMsPerHour !== undefined && weighing.netMsPerHour < 0;
    const helped = v.effects.filter((e) => e.usesIndex && e.afterMs <= e.beforeMs * ACCEPT_RATIO);
    // Accepted on the reads; the weighing ranks it and says when, at the observed
    // rates, it costs writes more than it saves reads (a bulk load counted in
    // the table's statistics can dominate them: the operator judges).
    const accepted = v.accepted && !error;
    const verdict = error
      ? `build or measurement failed: ${error}`
      : v.effects.length === 0
        ? "no statement with parameter values to measure it on"
        : accepted
          ? `accepted: every statement it serves is at least ${Math.round(1 / ACCEPT_RATIO)}x faster with it over ${Math.max(...v.effects.map((e) => e.valueSets))} value set(s)${costsMore ? "; but at the observed write rate it adds more write time than it saves read time (see the weighing)" : ""}`
          : `rejected: ${v.effects.filter((e) => !helped.includes(e)).map((e) => `${e.statement} ${e.usesIndex ? `only ${ratio(e)}` : "does not use it"}`).join("; ")}`;
    options.log?.(`validate: ${v.candidate.name}: ${verdict}`);
    out[i] = { ...v, writeCost, weighing, accepted, verdict, ...(error ? { error } : {}) };
  }
  // Best first: net time saved per hour, then the per-call saving.
  return out.sort((a, b) => (b.weighing?.netMsPerHour ?? -Infinity) - (a.weighing?.netMsPerHour ?? -Infinity) || saving(b) - saving(a));
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
        perSet.push({ beforeMs: round(before[k]!), afterMs: round(after.medianMs) });
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

/** Insert and update rates of the candidate's table without it, with it (built again), and without it again. */
async function measureWriteCost(sql: Sql, candidate: Candidate, tempName: string, options: ValidateOptions): Promise<WriteCost> {
  const writes = await writeCostMeasurer(sql, candidate.table, candidate.definition);
  try {
    options.log?.(`validate: write cost of ${candidate.table} without ${candidate.name}`);
    await writes.measure("without");
    await buildTemporary(sql, candidate, tempName, options);
    options.log?.(`validate: write cost of ${candidate.table} with ${candidate.name}`);
    await writes.measure("with");
    await dropTemporary(sql, tempName);
    options.log?.(`validate: write cost of ${candidate.table} without ${candidate.name}, again`);
    await writes.measure("without");
    return writes.result();
  } finally {
    await dropTemporary(sql, tempName);
  }
}

const saving = (v: Validation) => v.effects.reduce((s, e) => s + (e.beforeMs - e.afterMs), 0);
function round(x: number): number;
function round(x: number | null): number | null;
function round(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1000) / 1000;
}
const roundSmall = (x: number | null) => (x === null ? null : Math.round(x * 1e6) / 1e6);
const ratio = (e: StatementEffect) => `${(e.beforeMs / Math.max(e.afterMs, 0.001)).toFixed(1)}x faster`;
