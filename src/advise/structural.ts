// When no index can fix a statement, say so and name the structural fix, with
// the rewritten SQL and (where experiments are allowed) its effect measured on
// the same data: the rewrite's supporting objects (an index, or a table the
// fix would maintain, built here as a TEMP table from the current rows) are
// created inside a transaction that is rolled back, and both forms are timed
// with the same parameter values. A rewrite is advice: printed, never applied.
import { inRolledBackTransaction, type Sql } from "../db/index.ts";
import type { PlanNode } from "../catalog/explain.ts";
import { median } from "../base/statistics.ts";
import { explainAnalyzeRuns, nodesWithAncestors, type StatementPlan } from "./plans.ts";
import { actualRows, type Problem } from "./problems.ts";
import type { SchemaInfo } from "./schema.ts";
import { matchingParenAt } from "./candidates.ts";
import { splitTopLevel } from "./expressions.ts";
import { plannableText } from "./validate.ts";

/** An aggregate over at least this many rows is a rollup's job, not an index's. */
export const LARGE_AGGREGATE_ROWS = 100_000;
/** OFFSET at or above this reads and discards that many rows whatever the index. */
export const LARGE_OFFSET = 1_000;
/** A count reading at least this many rows per call is a maintained counter's job (an index-only count still reads them all). */
export const COUNTER_MIN_ROWS = 1_000;
/** DISTINCT ON reading at least this many rows to keep one per group is a latest-row-per-group problem. */
export const LATEST_PER_GROUP_ROWS = 10_000;

export interface Rewrite {
  /** The statement rewritten (same parameters, same meaning). */
  readonly sql: string;
  /** What the rewrite reads that does not exist yet: an index, or a table maintained on write (created here as a TEMP table to measure). */
  readonly setup: readonly string[];
  /** How the app keeps it true (for a maintained table: the trigger to write). */
  readonly maintenance?: string;
}

export interface RewriteMeasurement {
  readonly beforeMs: number;
  readonly afterMs: number;
  /** Rows returned before and after: a rewrite that changes the result says so. */
  readonly rowsBefore: number;
  readonly rowsAfter: number;
}

export interface StructuralFix {
  readonly statement: string;
  readonly why: string;
  readonly fix: string;
  readonly rewrite?: Rewrite;
  readonly measured?: RewriteMeasurement;
  readonly measureError?: string;
}

const AGGREGATES = new Set(["Aggregate", "HashAggregate", "GroupAggregate", "MixedAggregate"]);

/**
 * The structural fix for a statement, if it has one. Latest-row-per-group,
 * large OFFSETs, counts over thousands of rows and wide aggregates are named
 * even when an index candidate exists (the index helps less than the
 * rewrite; both are reported); the generic "not sargable" advice only when no
 * index candidate serves the statement.
 */
export function structuralFix(plan: StatementPlan, problems: readonly Problem[], schema?: SchemaInfo, parents?: ReadonlyMap<string, ForeignKey>, options: { hasIndexCandidate?: boolean } = {}): StructuralFix | null {
  const text = plannableText(plan);
  const root = plan.timing?.plan.Plan;
  const id = plan.statement.id;
  // DISTINCT ON over many rows: sorted (a problem already) or read in order from an index, every row all the same.
  const uniqueInput = root ? Math.max(0, ...[...nodesWithAncestors(root)].filter(({ node }) => node["Node Type"] === "Unique").map(({ node }) => inputRows(node))) : 0;
  if (/\bDISTINCT\s+ON\b/i.test(text) && (uniqueInput >= LATEST_PER_GROUP_ROWS || problems.some((p) => p.kind === "large-sort" || p.kind === "seq-scan-selective"))) {
    const rewrite = latestPerGroupRewrite(text, schema, parents);
    return {
      statement: id,
      why: "DISTINCT ON keeps one row per group only after reading and sorting every row of every group; an index on (group, order) still visits them all",
      fix: rewrite?.fix ?? "keep the latest row per group maintained (e.g. a last_message_at column on the parent table or a conversations table updated by a trigger, indexed for ORDER BY ... LIMIT), or drive the query from the parent table with LATERAL (... ORDER BY ... LIMIT 1) per row",
      ...(rewrite ? { rewrite: rewrite.rewrite } : {}),
    };
  }
  const offset = /\bOFFSET\s+(\d+)/i.exec(text);
  if (offset && Number(offset[1]) >= LARGE_OFFSET) {
    return { statement: id, why: `OFFSET ${offset[1]} reads and throws away ${offset[1]} rows on every page, whatever the index`, fix: "keyset pagination: WHERE (sort_key, id) < ($last_key, $last_id) ORDER BY sort_key DESC, id DESC LIMIT n" };
  }
  if (root) {
    const aggregate = [...nodesWithAncestors(root)].find(({ node }) => AGGREGATES.has(node["Node Type"]) && inputRows(node) / Math.max(1, node["Actual Loops"] ?? 1) >= COUNTER_MIN_ROWS);
    const counter = aggregate ? counterRewrite(text, schema) : null;
    if (aggregate && counter) {
      return {
        statement: id,
        why: `it counts ${Math.round(inputRows(aggregate.node) / Math.max(1, aggregate.node["Actual Loops"] ?? 1)).toLocaleString("en-US")} rows per call; an index makes that read index-only but still reads every one`,
        fix: `a maintained counter: ${counter.table} (${counter.key}, n), one row per ${counter.key}, kept by an AFTER INSERT/DELETE (and UPDATE OF ${counter.key}) statement trigger on ${counter.source}`,
        rewrite: counter.rewrite,
      };
    }
    if (aggregate && inputRows(aggregate.node) >= LARGE_AGGREGATE_ROWS) {
      const rollup = rollupRewrite(text, schema);
      return {
        statement: id,
        why: `it aggregates ${Math.round(inputRows(aggregate.node)).toLocaleString("en-US")} rows per call; an index can make that read index-only but cannot avoid reading them`,
        fix: rollup
          ? `a rollup table ${rollup.table} maintained on write (a statement trigger, or a scheduled refresh when minutes of staleness are fine) holding the aggregate per ${rollup.keys}`
          : "a rollup table maintained on write (or a materialized view refreshed on a schedule) that stores the aggregate per day/key",
        ...(rollup ? { rewrite: rollup.rewrite } : {}),
      };
    }
  }
  if (!options.hasIndexCandidate && problems.some((p) => p.kind === "seq-scan-selective" || p.kind === "filter-removes-most")) {
    return {
      statement: id,
      why: "its filter compares an expression no index shape here can serve (e.g. a function of a column, an OR across columns, a non-immutable function)",
      fix: "rewrite the condition so a column is compared directly (sargable), or store the expression in a generated column and index that",
    };
  }
  return null;
}

/**
 * A suffix match (`col LIKE '%abc'`, the value the app sent): a btree on
 * reverse(col) serves it as a prefix match once the condition is written
 * `reverse(col) LIKE reverse($n)`; smaller and faster than a trigram index.
 * Offered even when a trigram candidate exists (the report shows both).
 */
export function suffixMatchFix(plan: StatementPlan, schema: SchemaInfo): StructuralFix | null {
  const params = plan.params ?? [];
  const text = plannableText(plan);
  const re = /((?:"?(\w+)"?\.)?"?(\w+)"?)\s+(I?LIKE)\s+(\$(\d+)|'(%[^%_']+)')/gi;
  for (const m of text.matchAll(re)) {
    const value = m[6] ? params[Number(m[6]) - 1] : m[7];
    if (typeof value !== "string" || !/^%[^%_]+$/.test(value)) continue;
    const column = m[3]!.toLowerCase();
    const table = [...schema.values()].find((t) => t.columns.has(column) && new RegExp(String.raw`\b${t.name}\b`, "i").test(text));
    if (!table) continue;
    const ci = m[4]!.toUpperCase() === "ILIKE";
    const col = ci ? `lower(${m[1]})` : m[1]!;
    const val = ci ? `lower(${m[5]})` : m[5]!;
    const indexExpr = ci ? `reverse(lower(${column}))` : `reverse(${column})`;
    const name = `idx_${table.name}_${column}_reverse`.slice(0, 63);
    return {
      statement: plan.statement.id,
      why: `${m[4]!.toUpperCase()} '%…' (a suffix match: ${JSON.stringify(value)}) cannot use a btree on ${column}; a trigram index serves it but is large and costly to write`,
      fix: `index reverse(${column}) and match the reversed pattern as a prefix: CREATE INDEX CONCURRENTLY ${name} ON ${table.name} ((${indexExpr}) text_pattern_ops)`,
      rewrite: { sql: text.replace(m[0]!, `reverse(${col}) LIKE reverse(${val})`), setup: [`CREATE INDEX ${name} ON ${table.name} ((${indexExpr}) text_pattern_ops)`, `ANALYZE ${table.name}`] },
    };
  }
  return null;
}

function inputRows(node: PlanNode): number {
  return node.Plans?.[0] ? actualRows(node.Plans[0]) : 0;
}

// ---- latest row per group ----------------------------------------------------

export interface ForeignKey {
  readonly table: string;
  readonly column: string;
  readonly parent: string;
  readonly parentColumn: string;
}

/** Single-column foreign keys, keyed "table.column" (the parent a latest-per-group query can be driven from). */
export async function readForeignKeys(sql: Sql): Promise<Map<string, ForeignKey>> {
  const rows = await sql<ForeignKey[]>`
    SELECT c.relname AS table, a.attname AS column, p.relname AS parent, pa.attname AS "parentColumn"
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
    JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
    WHERE k.contype = 'f' AND array_length(k.conkey, 1) = 1 AND c.relnamespace = current_schema()::regnamespace`;
  return new Map(rows.map((r) => [`${r.table}.${r.column}`, r]));
}

/** Position of the last top-level occurrence of a keyword. */
function topLevel(s: string, keyword: RegExp): number {
  let depth = 0;
  let found = -1;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "'") i = s.indexOf("'", i + 1);
    else if (s[i] === "(") depth++;
    else if (s[i] === ")") depth--;
    else if (depth === 0 && keyword.test(s.slice(i, i + 12)) && /\W/.test(s[i - 1] ?? " ")) found = i;
  }
  return found;
}

function latestPerGroupRewrite(text: string, schema?: SchemaInfo, parents?: ReadonlyMap<string, ForeignKey>): { fix: string; rewrite: Rewrite } | null {
  if (!schema) return null;
  const start = text.search(/SELECT\s+DISTINCT\s+ON\s*\(/i);
  if (start < 0) return null;
  const inSubquery = text.slice(0, start).trimEnd().endsWith("(");
  const end = inSubquery ? matchingParenAt(text, text.slice(0, start).lastIndexOf("(")) : text.length;
  const inner = text.slice(start, end).trim();
  const m = /^SELECT\s+DISTINCT\s+ON\s*\(\s*(?:(\w+)\.)?(\w+)\s*\)\s*([\s\S]+?)\s+FROM\s+(\w+)(?:\s+(?:AS\s+)?(?!WHERE|JOIN|ORDER|LEFT|INNER)(\w+))?([\s\S]*)$/i.exec(inner);
  if (!m) return null;
  const [, , group, list, table, aliasRaw, restRaw] = m;
  const alias = aliasRaw ?? table!;
  if (!schema.has(table!)) return null;
  const orderAt = topLevel(restRaw!, /^ORDER\s+BY\b/i);
  if (orderAt < 0) return null;
  const beforeOrder = restRaw!.slice(0, orderAt).trim();
  const orderText = restRaw!.slice(orderAt).replace(/^ORDER\s+BY\s+/i, "");
  const limitAt = orderText.search(/\bLIMIT\b/i);
  const orderKeys = (limitAt >= 0 ? orderText.slice(0, limitAt) : orderText).trim().split(/\s*,\s*/);
  const rest = orderKeys.slice(1).join(", ");
  if (!rest) return null;
  const restKeys = rest.split(/\s*,\s*/).map((k) => k.replace(new RegExp(String.raw`^${alias}\.`), ""));
  const orderColumn = restKeys[0]!.replace(/\s+(DESC|ASC).*$/i, "");
  const whereAt = topLevel(beforeOrder, /^WHERE\b/i);
  const joins = whereAt >= 0 ? beforeOrder.slice(0, whereAt).trim() : beforeOrder;
  const where = whereAt >= 0 ? beforeOrder.slice(whereAt).replace(/^WHERE\s+/i, "") : "";
  const index = `CREATE INDEX advise_rewrite_${table}_${group}_latest ON ${table} (${group}, ${restKeys.join(", ")})`;

  // The project maintains the latest message per contact: the inbox reads it.
  const outerLimit = inSubquery && !/\bWHERE\b/i.test(text.slice(end)) ? /\bORDER\s+BY\s+(?:\w+\.)?(\w+)\s+DESC\s+LIMIT\s+(\d+|\$\d+)\s*;?\s*$/i.exec(text.slice(end)) : null;
  if (table === "conversation_messages" && group === "contact_id" && schema.has("conversations") && !where) {
    // Only the outer query's own page of conversations when it orders by recency and limits (the inbox).
    const page = outerLimit && outerLimit[1] === orderColumn && /DESC/i.test(restKeys[0]!) ? ` ORDER BY last_message_at DESC LIMIT ${outerLimit[2]}` : "";
    const base = `SELECT ${list} FROM (SELECT last_message_id FROM conversations${page}) advise_cv JOIN conversation_messages ${alias} ON ${alias}.id = advise_cv.last_message_id${joins ? ` ${joins}` : ""}${page ? "" : ` ORDER BY ${alias}.contact_id`}${!inSubquery && limitAt >= 0 ? ` ${orderText.slice(limitAt)}` : ""}`;
    return {
      fix: "read the project's conversations table (one row per contact with its latest message, maintained by the conversation_messages triggers, indexed by last_message_at): the inbox reads a page of index entries instead of every message",
      rewrite: { sql: inSubquery ? `${text.slice(0, start)}${base}${text.slice(end)}` : base, setup: [] },
    };
  }
  const fk = parents?.get(`${table}.${group}`);
  if (!fk) return null;
  const lateral = `SELECT ${list} FROM ${fk.parent} advise_parent CROSS JOIN LATERAL (SELECT ${alias}.* FROM ${table} ${alias} WHERE ${alias}.${group} = advise_parent.${fk.parentColumn} ORDER BY ${rest} LIMIT 1) ${alias}${joins ? ` ${joins}` : ""}${where ? ` WHERE ${where}` : ""} ORDER BY ${alias}.${group}`;
  if (where) return null; // a filter on the rows changes which row is "latest": not rewritten blindly
  const sqlText = inSubquery ? `${text.slice(0, start)}${lateral}${text.slice(end)}` : lateral;
  return {
    fix: `drive it from ${fk.parent} with LATERAL (... ORDER BY ${rest} LIMIT 1) per ${fk.parent} row, served by an index on ${table} (${group}, ${restKeys.join(", ")}); when it still visits too many ${fk.parent} rows, maintain the latest row per ${group} in a table of its own (as conversations does for messages)`,
    rewrite: { sql: sqlText, setup: [index, `ANALYZE ${table}`] },
  };
}

// ---- counts and rollups --------------------------------------------------------

function counterRewrite(text: string, schema?: SchemaInfo): { table: string; key: string; source: string; rewrite: Rewrite } | null {
  const m = /^SELECT\s+count\(\*\)(?:\s+AS\s+(\w+))?\s+FROM\s+(\w+)(?:\s+(?:AS\s+)?(?!WHERE)(\w+))?\s+WHERE\s+([\s\S]+?)\s*;?$/i.exec(text.trim());
  if (!m || !schema?.has(m[2]!)) return null;
  const [, name, source, alias] = m;
  const terms = splitTopLevel(m[4]!, "AND");
  const keyTerms = terms.map((t) => /^(?:(\w+)\.)?(\w+)\s*=\s*(\$\d+(?:::[\w ]+)?)$/.exec(t.trim())).filter((x): x is RegExpExecArray => x !== null);
  if (keyTerms.length === 0) return null;
  const constant = terms.filter((t) => !/\$\d/.test(t));
  if (constant.length + keyTerms.length !== terms.length) return null;
  const keys = keyTerms.map((k) => k[2]!.toLowerCase());
  if (!keys.every((k) => schema.get(source!)?.columns.has(k))) return null;
  const key = keys.join(", ");
  const strip = (t: string) => (alias ? t.replace(new RegExp(String.raw`\b${alias}\.`, "g"), "") : t);
  const table = `${source}_${keys.join("_")}_counts`.slice(0, 63);
  return {
    table,
    key,
    source: source!,
    rewrite: {
      sql: `SELECT coalesce((SELECT n FROM ${table} WHERE ${keyTerms.map((k) => `${k[2]!.toLowerCase()} = ${k[3]}`).join(" AND ")}), 0)${name ? ` AS ${name}` : " AS count"}`,
      setup: [
        `CREATE TEMP TABLE ${table} AS SELECT ${key}, count(*) AS n FROM ${source}${constant.length ? ` WHERE ${constant.map(strip).join(" AND ")}` : ""} GROUP BY ${key}`,
        `CREATE UNIQUE INDEX ON ${table} (${key})`,
        `ANALYZE ${table}`,
      ],
      maintenance: `an AFTER INSERT OR DELETE statement trigger on ${source} (transition tables) that adds the per-${key} counts of the changed rows${constant.length ? ` matching ${constant.map(strip).join(" AND ")}` : ""}`,
    },
  };
}

/**
 * A grouped aggregate whose WHERE holds equality parameters and constants:
 * the rollup groups by the parameter columns and the statement's own groups,
 * so each call reads its few rollup rows. Decomposable aggregates only.
 */
function rollupRewrite(text: string, schema?: SchemaInfo): { table: string; keys: string; rewrite: Rewrite } | null {
  const m = /^SELECT\s+([\s\S]+?)\s+FROM\s+(\w+)(?:\s+(?:AS\s+)?(?!WHERE|GROUP)(\w+))?(?:\s+WHERE\s+([\s\S]+?))?\s+GROUP\s+BY\s+([\s\S]+?)(\s+ORDER\s+BY\s+[\s\S]+?)?(\s+LIMIT\s+\S+)?\s*;?$/i.exec(text.trim());
  if (!m || !schema?.has(m[2]!)) return null;
  const [, list, source, alias, whereText, groupText, order, limit] = m;
  if (!/\b(count|sum|min|max)\s*\(/i.test(list!) || /\b(avg|array_agg|string_agg|percentile|stddev|count\s*\(\s*DISTINCT)\b/i.test(list!)) return null;
  const terms = whereText ? splitTopLevel(whereText, "AND") : [];
  const params = terms.map((t) => /^(?:(\w+)\.)?(\w+)\s*=\s*(\$\d+(?:::[\w ]+)?)$/.exec(t.trim())).filter((x): x is RegExpExecArray => x !== null);
  const constant = terms.filter((t) => !/\$\d/.test(t));
  if (params.length + constant.length !== terms.length) return null;
  const strip = (t: string) => (alias ? t.replace(new RegExp(String.raw`\b${alias}\.`, "g"), "") : t);
  const items = list!.split(/,(?![^(]*\))/).map((s) => s.trim());
  const names = items.map((item, i) => /\s+AS\s+(\w+)$/i.exec(item)?.[1] ?? /^(?:\w+\.)?(\w+)$/.exec(item)?.[1] ?? `c${i + 1}`);
  const bareItems = items.map((item) => strip(item.replace(/\s+AS\s+\w+$/i, "")));
  const keyCols = params.map((p) => p[2]!.toLowerCase());
  const table = `${source}_rollup`;
  const rollupSelect = [...keyCols, ...bareItems.map((b, i) => `${b} AS ${names[i]}`)].join(", ");
  const orderOut = order ? strip(order).replace(/\b(\w+)\s*\(\s*\*?\s*\w*\s*\)/g, (x) => names[bareItems.indexOf(x.trim())] ?? x) : "";
  return {
    table,
    keys: [...keyCols, strip(groupText!)].join(", "),
    rewrite: {
      sql: `SELECT ${names.join(", ")} FROM ${table}${params.length ? ` WHERE ${params.map((p) => `${p[2]!.toLowerCase()} = ${p[3]}`).join(" AND ")}` : ""}${orderOut}${limit ?? ""}`,
      setup: [
        `CREATE TEMP TABLE ${table} AS SELECT ${rollupSelect} FROM ${source}${constant.length ? ` WHERE ${constant.map(strip).join(" AND ")}` : ""} GROUP BY ${[...keyCols, strip(groupText!)].join(", ")}`,
        ...(keyCols.length ? [`CREATE INDEX ON ${table} (${keyCols.join(", ")})`] : []),
        `ANALYZE ${table}`,
      ],
      maintenance: `a statement trigger on ${source} (or a scheduled refresh) that adds the changed rows' aggregates to their ${table} row`,
    },
  };
}

// ---- measurement ----------------------------------------------------------------

async function timeIn(tx: Sql, query: string, params: readonly unknown[], runs: number): Promise<{ ms: number; rows: number }> {
  const { plan, samplesMs } = await explainAnalyzeRuns(tx, query, params, runs, "ANALYZE");
  return { ms: median(samplesMs), rows: actualRows(plan.Plan) };
}

/**
 * Time the statement and its rewrite with the same values, the rewrite's
 * objects built inside a transaction that is rolled back (they lock the
 * table while the transaction lasts: scratch/development databases only).
 */
export async function measureRewrite(sql: Sql, plan: StatementPlan, fix: StructuralFix, options: { runs?: number; timeoutMs?: number } = {}): Promise<StructuralFix> {
  if (!fix.rewrite || !plan.params) return fix;
  const runs = Math.max(1, options.runs ?? 3);
  try {
    const measured = await inRolledBackTransaction(sql, async (tx) => {
      await tx.unsafe(`SET LOCAL statement_timeout = ${Math.round(options.timeoutMs ?? 120_000)}`);
      const before = await timeIn(tx, plannableText(plan), plan.params!, runs);
      for (const statement of fix.rewrite!.setup) await tx.unsafe(statement);
      const params = plan.params!;
      const used = new Set([...fix.rewrite!.sql.matchAll(/\$(\d+)/g)].map((x) => Number(x[1])));
      // A rewrite may drop parameters (a counter needs only the key): pass what it uses, renumbered.
      const keep = [...used].sort((a, b) => a - b);
      const renumbered = keep.reduce((s, n, i) => s.replace(new RegExp(String.raw`\$${n}(?!\d)`, "g"), `$__${i + 1}`), fix.rewrite!.sql).replace(/\$__/g, "$");
      const after = await timeIn(tx, renumbered, keep.map((n) => params[n - 1]), runs);
      return { beforeMs: round(before.ms), afterMs: round(after.ms), rowsBefore: before.rows, rowsAfter: after.rows };
    });
    return { ...fix, measured };
  } catch (error) {
    return { ...fix, measureError: (error as Error).message };
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
