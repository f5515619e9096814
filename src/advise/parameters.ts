// Parameter values for a normalized statement ($1..$n), taken from the column
// statistics (pg_stats) of the column each parameter is compared with, so a
// statement from pg_stat_statements can be planned with values (PostgreSQL 15
// has no EXPLAIN (GENERIC_PLAN)) and timed. When a parameter is not compared
// with a column we can identify, the statement is skipped and the reason
// says which parameter and why.
import type { Sql } from "../db/index.ts";
import type { SchemaInfo } from "./schema.ts";

export type ParameterResult = { readonly ok: true; readonly values: readonly unknown[]; readonly sources: readonly string[] } | { readonly ok: false; readonly reason: string };

/** Highest $n in a statement. */
export function parameterCount(query: string): number {
  let max = 0;
  for (const m of query.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}

const NOT_ALIASES = new Set(["where", "on", "join", "left", "right", "inner", "outer", "full", "cross", "lateral", "group", "order", "limit", "offset", "using", "natural", "set", "returning", "union", "having", "window", "for", "as", "tablesample", "values", "select"]);

/** alias -> table for the tables named in FROM / JOIN / UPDATE / DELETE FROM. */
export function tableAliases(query: string, schema: SchemaInfo): Map<string, string> {
  const aliases = new Map<string, string>();
  const re = /\b(?:FROM|JOIN|UPDATE|INTO)\s+(?:ONLY\s+)?(?:"?(\w+)"?\.)?"?(\w+)"?(?:\s+(?:AS\s+)?(\w+))?/gi;
  for (const m of query.matchAll(re)) {
    const table = m[2]!.toLowerCase();
    if (!schema.has(table)) continue;
    aliases.set(table, table);
    const alias = m[3]?.toLowerCase();
    if (alias && !NOT_ALIASES.has(alias)) aliases.set(alias, table);
  }
  return aliases;
}

interface ColumnRef {
  readonly table: string;
  readonly column: string;
}

function resolveColumn(qualifier: string | undefined, column: string, aliases: Map<string, string>, schema: SchemaInfo): ColumnRef | null {
  const col = column.toLowerCase();
  if (qualifier) {
    const table = aliases.get(qualifier.toLowerCase());
    return table && schema.get(table)?.columns.has(col) ? { table, column: col } : null;
  }
  const tables = [...new Set(aliases.values())].filter((t) => schema.get(t)?.columns.has(col));
  return tables.length === 1 ? { table: tables[0]!, column: col } : null;
}

type Use =
  | { kind: "compare"; op: string; ref: ColumnRef; wrap?: "lower" }
  | { kind: "json-key"; key: string; ref: ColumnRef; op: string }
  | { kind: "limit" }
  | { kind: "offset" }
  | { kind: "interval" };

const OPS = String.raw`(=|<>|!=|<=|>=|<|>|(?:NOT\s+)?I?LIKE|@>|\?|&&)`;
// A column, not part of an arithmetic or concatenation expression (`a + id = $1` compares an expression).
const COL = String.raw`(?<![-+*/%|)]\s*)(?:"?(\w+)"?\.)?"?(\w+)"?`;

function findUse(query: string, n: number, aliases: Map<string, string>, schema: SchemaInfo): Use | null {
  const p = String.raw`\$${n}(?!\d)`;
  const tests: [RegExp, (m: RegExpExecArray) => Use | null][] = [
    [new RegExp(String.raw`\bLIMIT\s+${p}`, "i"), () => ({ kind: "limit" })],
    [new RegExp(String.raw`\bOFFSET\s+${p}`, "i"), () => ({ kind: "offset" })],
    [new RegExp(String.raw`${p}\s*::\s*interval`, "i"), () => ({ kind: "interval" })],
    [new RegExp(String.raw`lower\s*\(\s*${COL}\s*\)\s*${OPS}\s*(?:lower\s*\(\s*)?${p}`, "i"), (m) => ref(m[1], m[2], (r) => ({ kind: "compare", op: m[3]!, ref: r, wrap: "lower" }))],
    [new RegExp(String.raw`\(?\s*${COL}\s*->>\s*'([^']+)'\s*\)?\s*${OPS}\s*${p}`, "i"), (m) => ref(m[1], m[2], (r) => ({ kind: "json-key", key: m[3]!, ref: r, op: m[4]! }))],
    [new RegExp(String.raw`${COL}\s*@>\s*jsonb_build_object\s*\(\s*'([^']+)'\s*,\s*${p}`, "i"), (m) => ref(m[1], m[2], (r) => ({ kind: "json-key", key: m[3]!, ref: r, op: "=" }))],
    [new RegExp(String.raw`${COL}\s*${OPS}\s*(?:ANY\s*\(\s*)?${p}`, "i"), (m) => ref(m[1], m[2], (r) => ({ kind: "compare", op: m[3]!, ref: r }))],
    [new RegExp(String.raw`${COL}\s+(?:NOT\s+)?IN\s*\(\s*(?:\$\d+\s*,\s*)*${p}`, "i"), (m) => ref(m[1], m[2], (r) => ({ kind: "compare", op: "=", ref: r }))],
    [new RegExp(String.raw`${COL}\s+BETWEEN\s+${p}`, "i"), (m) => ref(m[1], m[2], (r) => ({ kind: "compare", op: ">=", ref: r }))],
    [new RegExp(String.raw`${COL}\s+BETWEEN\s+\$\d+\s+AND\s+${p}`, "i"), (m) => ref(m[1], m[2], (r) => ({ kind: "compare", op: "<=", ref: r }))],
    [new RegExp(String.raw`${p}\s*${OPS}\s*${COL}(?!\s*[-+*/%|(])`, "i"), (m) => ref(m[2], m[3], (r) => ({ kind: "compare", op: flip(m[1]!), ref: r }))],
  ];
  function ref(q: string | undefined, c: string | undefined, make: (r: ColumnRef) => Use): Use | null {
    if (!c) return null;
    const r = resolveColumn(q, c, aliases, schema);
    return r ? make(r) : null;
  }
  for (const [re, make] of tests) {
    const m = re.exec(query);
    if (m) {
      const use = make(m);
      if (use) return use;
    }
  }
  return null;
}

function flip(op: string): string {
  return ({ "<": ">", ">": "<", "<=": ">=", ">=": "<=" } as Record<string, string>)[op] ?? op;
}

/** A value from the column statistics: the histogram (or most-common list) at a fraction of its length. */
async function statisticsValue(sql: Sql, r: ColumnRef, fraction: number): Promise<string | null> {
  const [row] = await sql<{ v: string | null }[]>`
    SELECT CASE
             WHEN histogram_bounds IS NOT NULL THEN (histogram_bounds::text::text[])[greatest(1, ceil(array_length(histogram_bounds::text::text[], 1) * ${fraction}::float8)::int)]
             WHEN most_common_vals IS NOT NULL THEN (most_common_vals::text::text[])[greatest(1, ceil(array_length(most_common_vals::text::text[], 1) * ${fraction}::float8)::int)]
           END AS v
    FROM pg_stats WHERE schemaname = current_schema() AND tablename = ${r.table} AND attname = ${r.column} AND NOT inherited`;
  return row?.v ?? null;
}

/** jsonb and other columns without a usable histogram: one value from the table itself. */
async function sampledJsonValue(sql: Sql, r: ColumnRef, key: string): Promise<string | null> {
  const rows = await sql.unsafe(`SELECT ("${r.column}" ->> $1) AS v FROM "${r.table}" WHERE "${r.column}" ? $1 LIMIT 1`, [key], { prepare: false });
  return (rows[0] as { v?: string } | undefined)?.v ?? null;
}

const SEARCH_WORD = /[A-Za-z]{4,}/;

/** Values for $1..$n, or why there are none. */
export async function parametersFromStatistics(sql: Sql, query: string, schema: SchemaInfo): Promise<ParameterResult> {
  const count = parameterCount(query);
  if (count === 0) return { ok: true, values: [], sources: [] };
  const aliases = tableAliases(query, schema);
  const values: unknown[] = [];
  const sources: string[] = [];
  for (let n = 1; n <= count; n++) {
    const use = findUse(query, n, aliases, schema);
    if (!use) return { ok: false, reason: `$${n} is not compared with a column of a known table (no column statistics to take a value from)` };
    let value: string | null = null;
    let source: string;
    switch (use.kind) {
      case "limit":
        value = "50";
        source = "LIMIT: 50";
        break;
      case "offset":
        value = "0";
        source = "OFFSET: 0";
        break;
      case "interval":
        value = "1 day";
        source = "interval: 1 day";
        break;
      case "json-key":
        value = await sampledJsonValue(sql, use.ref, use.key);
        source = `${use.ref.table}.${use.ref.column} ->> '${use.key}' (a value from the table)`;
        break;
      case "compare": {
        const op = use.op.toUpperCase().replace(/\s+/g, " ");
        const fraction = op === ">" || op === ">=" ? 0.9 : op === "<" || op === "<=" ? 0.1 : 0.5;
        const v = await statisticsValue(sql, use.ref, fraction);
        source = `${use.ref.table}.${use.ref.column} ${op} (pg_stats at ${Math.round(fraction * 100)}%)`;
        if (v !== null && /LIKE/.test(op)) {
          const word = SEARCH_WORD.exec(v)?.[0] ?? v.slice(0, 4);
          value = `%${word.toLowerCase()}%`;
        } else if (v !== null && op === "@>" ) {
          value = null;
        } else value = v !== null && use.wrap === "lower" ? v.toLowerCase() : v;
        break;
      }
    }
    if (value === null) return { ok: false, reason: `$${n}: ${source} has no statistics (run ANALYZE) or no value to use` };
    values.push(value);
    sources.push(`$${n} = ${JSON.stringify(value)} from ${source}`);
  }
  return { ok: true, values, sources };
}
