// SQL that verify and bench need beside the health checks: EXPLAIN a query,
// the row estimate of every table (for "sequential scan on a large table"),
// the indexes that exist, the raw buffer counters (for a cache hit ratio over
// one workload only) and whether the tables hold any data.
import type { Sql } from "../config/database-url.ts";

/** One element of EXPLAIN (FORMAT JSON)'s top-level array. */
export interface ExplainResult {
  readonly Plan: PlanNode;
  readonly "Planning Time"?: number;
  readonly "Execution Time"?: number;
  readonly Planning?: { readonly "Shared Hit Blocks"?: number; readonly "Shared Read Blocks"?: number };
}

/** The subset of an EXPLAIN JSON plan node this project reads. */
export interface PlanNode {
  readonly "Node Type": string;
  readonly "Relation Name"?: string;
  readonly "Index Name"?: string;
  readonly "Parent Relationship"?: string;
  readonly "Actual Rows"?: number;
  readonly "Actual Loops"?: number;
  readonly "Plan Rows"?: number;
  readonly "Shared Hit Blocks"?: number;
  readonly "Shared Read Blocks"?: number;
  readonly Plans?: readonly PlanNode[];
  readonly [key: string]: unknown;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of a query with its parameters. The
 * query really runs (ANALYZE): only for the read queries of a catalog.
 */
export async function explainAnalyze(sql: Sql, query: string, params: readonly unknown[]): Promise<ExplainResult> {
  const rows = await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query}`, params as never[], { prepare: false });
  const plan = (rows[0] as Record<string, unknown>)["QUERY PLAN"];
  const parsed = (typeof plan === "string" ? JSON.parse(plan) : plan) as ExplainResult[];
  return parsed[0]!;
}

/** Planner row estimates (pg_class.reltuples, kept by ANALYZE/autovacuum) of every table in the schema. */
export async function tableRowEstimates(sql: Sql, schema = "public"): Promise<Map<string, number>> {
  const rows = await sql<{ table: string; rows: number }[]>`
    SELECT c.relname AS "table", greatest(c.reltuples, 0)::bigint AS rows
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p', 'm')`;
  return new Map(rows.map((r) => [r.table, r.rows]));
}

/** Names of the valid indexes in the schema. */
export async function existingIndexNames(sql: Sql, schema = "public"): Promise<Set<string>> {
  const rows = await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND i.indisvalid`;
  return new Set(rows.map((r) => r.name));
}

export interface BufferCounters {
  readonly heapHit: number;
  readonly heapRead: number;
  readonly idxHit: number;
  readonly idxRead: number;
}

/** Raw shared-buffer hit/read block counters of user tables and indexes (snapshot before and after a workload). */
export async function bufferCounters(sql: Sql): Promise<BufferCounters> {
  const [row] = await sql<BufferCounters[]>`
    SELECT coalesce(sum(heap_blks_hit), 0)::bigint AS "heapHit", coalesce(sum(heap_blks_read), 0)::bigint AS "heapRead",
           coalesce(sum(idx_blks_hit), 0)::bigint AS "idxHit", coalesce(sum(idx_blks_read), 0)::bigint AS "idxRead"
    FROM pg_statio_user_tables`;
  return row!;
}

/**
 * Make this session's pending statistics visible to others: PostgreSQL
 * flushes a busy backend's counters at most once a second (or after 10 s
 * idle); this forces the flush at the end of the current statement.
 */
export async function flushSessionStats(sql: Sql): Promise<void> {
  await sql`SELECT pg_stat_force_next_flush()`;
  await sql`SELECT pg_stat_clear_snapshot()`;
}

/** Which of the given tables hold no row at all (cheap: stops at the first row). */
export async function emptyTables(sql: Sql, tables: readonly string[]): Promise<string[]> {
  const empty: string[] = [];
  for (const table of tables) {
    const [row] = await sql<{ has: boolean }[]>`SELECT EXISTS (SELECT 1 FROM ${sql(table)}) AS has`;
    if (!row!.has) empty.push(table);
  }
  return empty;
}

export interface SettingInEffect {
  readonly name: string;
  /** As SHOW prints it; null when the server does not know the setting. */
  readonly value: string | null;
  readonly source: string | null;
}

/** The current values of the named settings, as SHOW prints them. */
export async function settingsInEffect(sql: Sql, names: readonly string[]): Promise<SettingInEffect[]> {
  const result: SettingInEffect[] = [];
  for (const name of names) {
    const [row] = await sql<{ value: string | null; source: string | null }[]>`
      SELECT current_setting(${name}, true) AS value, (SELECT source FROM pg_settings WHERE name = ${name}) AS source`;
    result.push({ name, value: row?.value ?? null, source: row?.source ?? null });
  }
  return result;
}

/**
 * A server-side prepared statement, explained the way the app runs it. A
 * driver that prepares statements (postgres.js does by default) gets custom
 * plans for the first five executions, then PostgreSQL's plan cache may
 * switch to a generic plan (parameters unknown at planning time) for good.
 * EXPLAIN of the bare query always shows a custom plan; EXPLAIN EXECUTE after
 * five executions shows the plan the app's timed runs actually use.
 */
export interface PreparedExplain {
  execute(params: readonly unknown[]): Promise<void>;
  explain(params: readonly unknown[]): Promise<ExplainResult>;
  deallocate(): Promise<void>;
}

/** Executions after which the plan cache may choose a generic plan (PostgreSQL's plancache.c). */
export const CUSTOM_PLAN_EXECUTIONS = 5;

let preparedCounter = 0;

export async function prepareForExplain(sql: Sql, query: string, parameterCount: number): Promise<PreparedExplain> {
  const name = `bollalabz_verify_${process.pid}_${++preparedCounter}`;
  // Simple protocol: the server infers the parameter types as for the app's own prepare.
  await sql.unsafe(`PREPARE ${name} AS ${query}`).simple();
  // EXECUTE's arguments cannot be bind parameters (the server does not infer
  // their types): pass them as literals, quoted by the server from values
  // typed as the prepared statement's parameters.
  const [row] = await sql<{ types: string[] }[]>`
    SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = ${name}`;
  const types = row?.types ?? [];
  const argsFor = async (params: readonly unknown[]): Promise<string> => {
    if (parameterCount === 0) return "";
    const literals: string[] = [];
    for (let i = 0; i < parameterCount; i++) {
      const type = types[i] ?? "text";
      const [lit] = await sql.unsafe(`SELECT quote_nullable(($1::${type})::text) AS lit`, [params[i]] as never[], { prepare: false });
      literals.push(`${(lit as unknown as { lit: string }).lit}::${type}`);
    }
    return `(${literals.join(", ")})`;
  };
  return {
    async execute(params) {
      await sql.unsafe(`EXECUTE ${name}${await argsFor(params)}`, [], { prepare: false });
    },
    async explain(params) {
      const rows = await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE ${name}${await argsFor(params)}`, [], { prepare: false });
      const plan = (rows[0] as Record<string, unknown>)["QUERY PLAN"];
      return ((typeof plan === "string" ? JSON.parse(plan) : plan) as ExplainResult[])[0]!;
    },
    async deallocate() {
      await sql.unsafe(`DEALLOCATE ${name}`, [], { prepare: false }).catch(() => {});
    },
  };
}

/** A generic plan still refers to its parameters ($1...) where a custom plan has the values. */
export function isGenericPlan(explain: ExplainResult): boolean {
  return /\$\d+/.test(JSON.stringify(explain.Plan));
}
