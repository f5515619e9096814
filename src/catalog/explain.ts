// EXPLAIN the way the app runs a query: one-off (custom plan) or as a
// server-side prepared statement after the plan cache has had its say.
import type { Sql } from "../db/index.ts";
import { markOwn } from "../db/own-statements.ts";

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
  return firstPlan(await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query}`, params as never[], { prepare: false }));
}

/** The plan of an EXPLAIN (FORMAT JSON) result (the driver returns it as text or parsed): the one parse every caller uses. */
export function firstPlan(rows: readonly unknown[]): ExplainResult {
  const plan = (rows[0] as Record<string, unknown>)["QUERY PLAN"];
  return ((typeof plan === "string" ? JSON.parse(plan) : plan) as ExplainResult[])[0]!;
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
      const [lit] = await sql.unsafe(markOwn(`SELECT quote_nullable(($1::${type})::text) AS lit`), [params[i]] as never[], { prepare: false });
      literals.push(`${(lit as unknown as { lit: string }).lit}::${type}`);
    }
    return `(${literals.join(", ")})`;
  };
  return {
    async execute(params) {
      await sql.unsafe(`EXECUTE ${name}${await argsFor(params)}`, [], { prepare: false });
    },
    async explain(params) {
      return firstPlan(await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE ${name}${await argsFor(params)}`, [], { prepare: false }));
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

/**
 * EXPLAIN (FORMAT JSON) without ANALYZE: the plan the planner picks for the
 * query with these values, from statistics alone. Nothing runs, so it is the
 * same on a database of any size whose statistics say the same.
 */
export async function explainEstimate(sql: Sql, query: string, params: readonly unknown[]): Promise<ExplainResult> {
  return firstPlan(await sql.unsafe(`EXPLAIN (FORMAT JSON) ${query}`, params as never[], { prepare: false }));
}
