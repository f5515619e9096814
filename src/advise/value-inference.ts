// Values for a statement whose values the log does not hold, chosen JOINTLY:
// every parameter gets a few candidates from its context (pg_stats values of
// the column it is compared with, words of the column for LIKE, elements of an
// array column, a LIMIT from rows per call, intervals, units), then the
// combination whose estimated rows come closest to what one call returned in
// the workload (pg_stat_statements rows / calls) is picked and checked by
// running it: values that each look plausible can match no row together
// (status = 'a' AND kind = 'b'), and an index measured on an empty result
// proves nothing.
import { arrayLiteral } from "../db/quote.ts";
import { inRolledBackTransaction, type Sql } from "../db/index.ts";
import { firstPlan } from "../catalog/explain.ts";
import type { ColumnRef, ParamContext, ParamRole } from "./parameter-contexts.ts";
import { parametersFromStatistics } from "./parameters.ts";
import type { Representativeness } from "./samples.ts";
import type { SchemaInfo } from "./schema.ts";

/** Rows within this factor of rows per call are "about" what the workload got. */
export const REPRESENTATIVE_FACTOR = 5;
/** Candidate combinations planned (EXPLAIN, no execution) per statement. */
export const MAX_ESTIMATES = 40;
/** Combinations run to check their rows, per statement. */
export const MAX_CHECK_RUNS = 3;
/** One check run may take at most this long (ms). */
export const CHECK_TIMEOUT_MS = 15_000;
/** Value sets handed on per statement. */
export const VALUE_SETS = 3;

interface ColumnStats {
  readonly mcv: readonly string[];
  readonly histogram: readonly string[];
  readonly elems: readonly string[];
}

async function columnStats(sql: Sql, c: ColumnRef, cache: Map<string, ColumnStats>): Promise<ColumnStats> {
  const key = `${c.table}.${c.column}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const [row] = await sql<{ mcv: string[] | null; histogram: string[] | null; elems: string[] | null }[]>`
    SELECT most_common_vals::text::text[] AS mcv, histogram_bounds::text::text[] AS histogram, most_common_elems::text::text[] AS elems
    FROM pg_stats WHERE schemaname = current_schema() AND tablename = ${c.table} AND attname = ${c.column} AND NOT inherited`;
  const stats = { mcv: row?.mcv ?? [], histogram: row?.histogram ?? [], elems: row?.elems ?? [] };
  cache.set(key, stats);
  return stats;
}

const at = (xs: readonly string[], fraction: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(xs.length * fraction) - 1))]! : undefined);
const distinct = <T>(xs: readonly (T | undefined)[]) => [...new Set(xs.filter((x): x is T => x !== undefined))];


function comparisonValues(stats: ColumnStats, op: string): string[] {
  const h = stats.histogram;
  const fractions = op === ">" || op === ">=" ? [0.9, 0.75, 0.97, 0.5] : op === "<" || op === "<=" ? [0.1, 0.25, 0.03, 0.5] : [0.5, 0.25, 0.75];
  const fromHistogram = fractions.map((f) => at(h, f));
  // Equality: the common values first (the calls that read many rows), then typical ones.
  return distinct(op === "=" ? [...stats.mcv.slice(0, 3), ...fromHistogram, ...stats.mcv.slice(3, 6)] : [...fromHistogram, ...stats.mcv.slice(0, 2)]);
}

const WORD = /[A-Za-z]{4,}/g;

/** Candidate values per parameter, best guess first; [] when the context gives none. */
async function candidatesFor(sql: Sql, role: ParamRole, rowsPerCall: number | null, cache: Map<string, ColumnStats>): Promise<{ values: (string | null)[]; from: string }> {
  switch (role.kind) {
    case "limit": {
      const rpc = rowsPerCall !== null && rowsPerCall >= 1 ? Math.round(rowsPerCall) : null;
      return { values: distinct([rpc !== null ? String(rpc) : undefined, "50", "20", "100"]), from: rpc !== null ? "rows per call" : "a common page size" };
    }
    case "offset":
      return { values: ["0"], from: "the first page" };
    case "length":
      return { values: ["100"], from: "a typical preview length" };
    case "position":
      return { values: ["1"], from: "the start" };
    case "time-unit":
      return { values: ["day", "hour", "week", "month"], from: "common units" };
    case "interval":
      return { values: ["1 day", "7 days", "30 days", "1 hour", "90 days"], from: "common intervals" };
    case "days":
      return { values: ["7", "30", "1", "90"], from: "common day counts" };
    case "compare":
    case "assign": {
      const stats = await columnStats(sql, role.column, cache);
      const op = role.kind === "compare" ? role.op : "=";
      const values = comparisonValues(stats, op).map((v) => (role.kind === "compare" && role.wrap === "lower" ? v.toLowerCase() : role.kind === "compare" && role.wrap === "upper" ? v.toUpperCase() : v));
      return { values, from: `pg_stats of ${role.column.table}.${role.column.column}` };
    }
    case "in": {
      const stats = await columnStats(sql, role.column, cache);
      const pool = comparisonValues(stats, "=");
      // The k-th list member takes the k-th value: a list of distinct values.
      return { values: distinct([pool[role.index % Math.max(pool.length, 1)], ...pool.slice(role.index + 1)]), from: `pg_stats of ${role.column.table}.${role.column.column}` };
    }
    case "any": {
      const stats = await columnStats(sql, role.column, cache);
      const pool = comparisonValues(stats, "=");
      if (pool.length === 0) return { values: [], from: `pg_stats of ${role.column.table}.${role.column.column} (none)` };
      return { values: distinct([arrayLiteral(pool.slice(0, 3)), arrayLiteral(pool.slice(0, 1)), arrayLiteral(pool.slice(0, 10))]), from: `pg_stats of ${role.column.table}.${role.column.column}` };
    }
    case "element": {
      const stats = await columnStats(sql, role.column, cache);
      return { values: stats.elems.slice(0, 6), from: `pg_stats most common elements of ${role.column.table}.${role.column.column}` };
    }
    case "like": {
      const stats = await columnStats(sql, role.column, cache);
      const words = distinct([...stats.mcv, ...stats.histogram].flatMap((v) => v.match(WORD) ?? []).map((w) => (role.caseInsensitive ? w.toLowerCase() : w)));
      // Words in the middle of the distribution: neither the rarest nor the commonest.
      const picks = distinct([words[Math.floor(words.length / 2)], words[0], words[Math.floor(words.length / 4)], words.at(-1)]);
      return { values: [...picks.map((w) => `%${w}%`), ...picks.slice(0, 1).map((w) => `${w}%`)], from: `words of ${role.column.table}.${role.column.column} (pg_stats)` };
    }
    case "unknown":
      return { values: [], from: role.why };
  }
}

export interface JointChoice {
  readonly valueSets: (string | null)[][];
  readonly representative: Representativeness;
  readonly from: readonly string[];
  /** Parameters without any value (then nothing was run). */
  readonly missing: readonly { readonly n: number; readonly why: string }[];
}

function rootRows(plan: { Plan: Record<string, unknown> }, key: "Plan Rows" | "Actual Rows"): number {
  let node = plan.Plan as { [k: string]: unknown; Plans?: Record<string, unknown>[] };
  // A write returns no rows without RETURNING; its input is what pg_stat_statements counts.
  if (node["Node Type"] === "ModifyTable" && node.Plans?.[0]) node = node.Plans[0] as typeof node;
  return Number(node[key] ?? 0) * (key === "Actual Rows" ? Math.max(1, Number(node["Actual Loops"] ?? 1)) : 1);
}

function distance(rows: number, target: number): number {
  return Math.abs(Math.log((rows + 1) / (target + 1)));
}

/** Rows within REPRESENTATIVE_FACTOR of rows per call, and rows when the workload got rows. */
export function judgeRows(rows: number, rowsPerCall: number): Representativeness {
  const ok = rowsPerCall >= 0.5 ? rows > 0 && rows <= rowsPerCall * REPRESENTATIVE_FACTOR && rows >= rowsPerCall / REPRESENTATIVE_FACTOR : rows <= Math.max(1, rowsPerCall * REPRESENTATIVE_FACTOR);
  if (ok) return { verdict: "representative", rowsPerCall, rows };
  return {
    verdict: "unrepresentative",
    rowsPerCall,
    rows,
    reason: rows === 0 && rowsPerCall >= 0.5 ? `the values match no row, the workload got ${fmt(rowsPerCall)} per call` : `the values return ${fmt(rows)} rows, the workload got ${fmt(rowsPerCall)} per call (more than ${REPRESENTATIVE_FACTOR}x apart)`,
  };
}

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : String(Math.round(x * 10) / 10));

async function explainRows(sql: Sql, query: string, values: readonly (string | null)[]): Promise<number | null> {
  try {
    return rootRows(firstPlan(await sql.unsafe(`EXPLAIN (FORMAT JSON) ${query}`, values as never[], { prepare: false })), "Plan Rows");
  } catch {
    return null;
  }
}

/** Run it (rolled back, with a timeout) and count the rows it returns or changes. */
export async function actualRows(sql: Sql, query: string, values: readonly (string | null)[], timeoutMs = CHECK_TIMEOUT_MS): Promise<number | null> {
  try {
    return await inRolledBackTransaction(sql, async (tx) => {
      await tx.unsafe(`SET LOCAL statement_timeout = ${Math.round(timeoutMs)}`);
      return rootRows(firstPlan(await tx.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${query}`, values as never[], { prepare: false })), "Actual Rows");
    });
  } catch {
    return null;
  }
}

/**
 * Values for every parameter, chosen together: coordinate descent on the
 * estimated rows towards rows per call, then the best few combinations run
 * and judged on their real rows. Without rows per call (a catalog entry) the
 * first candidates are taken and nothing is judged.
 */
export async function chooseValuesJointly(sql: Sql, plannableSql: string, originalSql: string, params: readonly ParamContext[], schema: SchemaInfo, rowsPerCall: number | null, isWrite: boolean): Promise<JointChoice> {
  const cache = new Map<string, ColumnStats>();
  const lists: (string | null)[][] = [];
  const from: string[] = [];
  const missing: { n: number; why: string }[] = [];
  let legacy: readonly unknown[] | null = null;
  for (const p of params) {
    let c = await candidatesFor(sql, p.role, rowsPerCall, cache);
    if (c.values.length === 0) {
      // The older text patterns still know a few shapes (a jsonb key compared with $n).
      legacy ??= await parametersFromStatistics(sql, originalSql, schema).then((r) => (r.ok ? r.values : []), () => []);
      const v = legacy[p.n - 1];
      if (v !== undefined && v !== null) c = { values: [String(v)], from: "a value from the table (text pattern)" };
    }
    if (c.values.length === 0) missing.push({ n: p.n, why: p.role.kind === "unknown" ? p.role.why : `no ${c.from}` });
    lists.push(c.values);
    from.push(c.from);
  }
  if (missing.length > 0) return { valueSets: [], representative: { verdict: "unchecked", reason: "no values" }, from, missing };
  if (lists.length === 0) {
    const rows = rowsPerCall === null || isWrite ? null : await actualRows(sql, plannableSql, []);
    return { valueSets: [[]], representative: rows === null || rowsPerCall === null ? { verdict: "unchecked", reason: "no parameters" } : judgeRows(rows, rowsPerCall), from, missing };
  }
  const first = lists.map((l) => l[0]!);
  if (rowsPerCall === null) return { valueSets: [first], representative: { verdict: "unchecked", reason: "no rows per call to compare with (not from pg_stat_statements)" }, from, missing };

  // Coordinate descent on estimates.
  const scored = new Map<string, { set: (string | null)[]; d: number }>();
  let estimates = 0;
  const score = async (set: (string | null)[]) => {
    const key = JSON.stringify(set);
    const seen = scored.get(key);
    if (seen) return seen.d;
    if (estimates >= MAX_ESTIMATES) return Infinity;
    estimates++;
    const est = await explainRows(sql, plannableSql, set);
    const d = est === null ? Infinity : distance(est, rowsPerCall);
    scored.set(key, { set, d });
    return d;
  };
  let best: (string | null)[] = [...first];
  let bestD = await score(best);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < lists.length; i++) {
      for (const v of lists[i]!.slice(1)) {
        const trial = [...best];
        trial[i] = v;
        const d = await score(trial);
        if (d < bestD) {
          best = trial;
          bestD = d;
        }
      }
    }
  }
  const ranked = [...scored.values()].filter((x) => Number.isFinite(x.d)).sort((a, b) => a.d - b.d).map((x) => x.set);
  if (ranked.length === 0) ranked.push(first);
  if (isWrite) return { valueSets: ranked.slice(0, VALUE_SETS), representative: { verdict: "unchecked", reason: "a write: its rows were not counted (it would change data)" }, from, missing };
  // Check the best few by running them; representative ones first.
  const checked: { set: (string | null)[]; verdict: Representativeness }[] = [];
  for (const set of ranked.slice(0, MAX_CHECK_RUNS)) {
    const rows = await actualRows(sql, plannableSql, set);
    if (rows === null) continue;
    const verdict = judgeRows(rows, rowsPerCall);
    checked.push({ set, verdict });
    if (verdict.verdict === "representative" && checked.filter((c) => c.verdict.verdict === "representative").length >= 2) break;
  }
  const good = checked.filter((c) => c.verdict.verdict === "representative");
  const sets = [...good.map((c) => c.set), ...ranked.filter((s) => !good.some((g) => g.set === s))].slice(0, VALUE_SETS);
  const representative = good[0]?.verdict ?? checked[0]?.verdict ?? { verdict: "unchecked" as const, reason: "no combination could be run within the time limit" };
  return { valueSets: sets, representative, from, missing };
}
