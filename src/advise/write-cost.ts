// What an index costs writes, measured: rows/s of a rolled-back 10,000-row
// insert (rows copied from the table's own, new keys) and of an update of the
// columns the index covers, without it, with it and without it again
// (validate.ts builds and drops it in between). Each side keeps its fastest
// run, so a busy moment on one side does not pass for the index's cost.
import { inRolledBackTransaction, type Sql } from "../db/index.ts";
import { quoteIdent } from "../db/quote.ts";
import { firstPlan } from "../catalog/explain.ts";

/** Rows of the rolled-back insert that measures an index's write cost. */
export const WRITE_SAMPLE_ROWS = 10_000;

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
      const plan = firstPlan(await tx.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`, [], { prepare: false }));
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
 * build, measure("with") after it; each side keeps its fastest run (so a
 * busy moment on one side does not pass for the index's cost). A rate
 * "without" is taken once per statement and run: `withoutRates` carries it
 * from one candidate of the table to the next (the insert is the same for
 * every candidate, the update whenever they cover the same columns).
 */
export async function writeCostMeasurer(sql: Sql, table: string, definition: string, runs = 2, withoutRates = new Map<string, number>()): Promise<WriteMeasurer> {
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
  const attempt = async (statements: string[], what: string, label: "without" | "with"): Promise<number | null> => {
    for (const statement of statements) {
      try {
        const known = label === "without" ? withoutRates.get(statement) : undefined;
        const rate = known ?? (await timedWrite(sql, statement, runs, !warmed.has(statement))).rowsPerSec;
        warmed.add(statement);
        if (label === "without") withoutRates.set(statement, rate);
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
      const insert = await attempt(inserts, "insert", label);
      const updated = update ? await attempt([update], "update", label) : null;
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

function round(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1000) / 1000;
}
const roundSmall = (x: number | null) => (x === null ? null : Math.round(x * 1e6) / 1e6);
