// The read-only guard: every catalog statement (the query and its parameter
// pickers) runs through these functions, and nothing else in verify sends
// catalog text to the server. The guard is not a setting, so no catalog entry
// can switch it off:
//
// 1. Single statement, query kind: the text must be one SELECT / WITH /
//    VALUES / TABLE statement (checked here at run time, and by
//    validateCatalog when a file is loaded). `SET ...`, `COMMIT`, `RESET`,
//    `COPY ... TO PROGRAM` and friends never reach the server.
// 2. Extended protocol (`simple: false`): the server itself refuses a second
//    statement in the text (42601), whatever our parsing thinks.
// 3. Inside a READ ONLY transaction that verify opens and always ROLLS BACK:
//    a data-modifying CTE fails with 25006 before it changes a row, and
//    set_config() from inside a SELECT cannot make the transaction writable
//    (read-write mode must be set before the first query) — any session
//    setting it changes is rolled back with the transaction.
//
// Why a transaction and not a read-only role: verify runs against production
// with the deploy's URL; creating or granting a role needs CREATEROLE there and
// is itself a change, and a role switched to with SET ROLE can be switched
// back by a `RESET ROLE` statement. The transaction needs no privilege and
// holds on any server (the role would remain the stronger guard against
// non-transactional side effects such as dblink; the statement-kind rule
// keeps COPY TO PROGRAM out).
import type postgres from "postgres";
import type { Sql } from "../db/index.ts";
import { markOwn } from "../db/own-statements.ts";
import type { ExplainResult } from "./explain.ts";

/** A client inside one of our read-only transactions. */
export type GuardedSql = postgres.TransactionSql<Record<string, never>> | Sql;

/** Text without quoted literals, quoted identifiers and comments (for statement checks only). */
function stripLiteralsAndComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/--[^\n]*/g, " ")
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, "''");
}

/**
 * Why `text` is not a single read query (undefined when it is). Shared by
 * the catalog validation (exit 2 before anything runs) and the run-time guard.
 */
export function statementProblem(text: string): string | undefined {
  const stripped = stripLiteralsAndComments(text).trim();
  if (stripped === "") return "is empty";
  if (/;\s*\S/.test(stripped)) return "must be a single statement (found ';' followed by more text)";
  const keyword = /^[(\s]*([A-Za-z]+)/.exec(stripped)?.[1]?.toUpperCase();
  if (!keyword || !["SELECT", "WITH", "VALUES", "TABLE"].includes(keyword)) {
    return `must be a read query (SELECT, WITH, VALUES or TABLE), not ${keyword ?? "this"}: verify runs the catalog read-only`;
  }
  return undefined;
}

export class CatalogStatementError extends Error {}

function assertQuery(text: string, what: string): void {
  const problem = statementProblem(text);
  if (problem) throw new CatalogStatementError(`${what} ${problem}`);
}

const ROLLBACK = Symbol("verify read-only rollback");

/**
 * Run `fn` inside a READ ONLY transaction that is always rolled back. `fn`'s
 * statements that are catalog text must go through runQuery/pickRow/explainPlan.
 */
export async function readOnly<T>(sql: Sql, fn: (tx: GuardedSql) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin("read only", async (tx) => {
      result = await fn(tx as GuardedSql);
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return result as T;
}

/** One execution of a catalog query (as the app sends it: prepared or not). */
export function runQuery(tx: GuardedSql, query: string, params: readonly unknown[], prepare: boolean) {
  assertQuery(query, "the catalog query");
  return tx.unsafe(query, params as never[], { prepare, simple: false } as never);
}

/** A parameter picker's rows, as arrays of column values. */
export async function pickRows(tx: GuardedSql, picker: string, variant: string): Promise<unknown[][]> {
  assertQuery(picker, `parameter picker '${variant}'`);
  return (await tx.unsafe(markOwn(picker), [], { prepare: false, simple: false } as never).values()) as unknown as unknown[][];
}

/** Which plan to explain: planned with the values (custom) or without them (generic, what a prepared statement may switch to). */
export type PlanMode = "custom" | "generic";

let statementCounter = 0;

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the catalog query as a prepared statement
 * with plan_cache_mode forced for it: `custom` plans with the parameter
 * values, `generic` plans without them (the plan the app's prepared statement
 * switches to after five executions, when PostgreSQL's plan cache finds it
 * cheap enough). Works the same on PostgreSQL 15 and 17 (EXPLAIN
 * (GENERIC_PLAN) exists only from 16 and cannot ANALYZE). The session's
 * plan_cache_mode is restored afterwards.
 */
export async function explainPlan(tx: GuardedSql, query: string, params: readonly unknown[], mode: PlanMode): Promise<ExplainResult> {
  assertQuery(query, "the catalog query");
  const name = `bollalabz_verify_${process.pid}_${++statementCounter}`;
  const [{ previous }] = (await tx.unsafe(`SELECT current_setting('plan_cache_mode') AS previous`, [], { simple: false } as never)) as unknown as [{ previous: string }];
  await tx.unsafe(`SELECT set_config('plan_cache_mode', $1, true)`, [mode === "custom" ? "force_custom_plan" : "force_generic_plan"] as never[]);
  // Extended protocol: a second statement hidden in `query` is refused by the server.
  await tx.unsafe(`PREPARE ${name} AS ${query}`, [], { simple: false } as never);
  try {
    const args = await executeArguments(tx, name, params);
    const rows = await tx.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE ${name}${args}`, [], { simple: false } as never);
    const plan = (rows[0] as Record<string, unknown>)["QUERY PLAN"];
    return ((typeof plan === "string" ? JSON.parse(plan) : plan) as ExplainResult[])[0]!;
  } finally {
    await tx.unsafe(`DEALLOCATE ${name}`, [], { simple: false } as never).catch(() => {});
    await tx.unsafe(`SELECT set_config('plan_cache_mode', $1, true)`, [previous] as never[]).catch(() => {});
  }
}

/**
 * EXECUTE's arguments cannot be bind parameters (the server would not infer
 * their types): literals quoted by the server from values typed as the
 * prepared statement's parameters.
 */
async function executeArguments(tx: GuardedSql, name: string, params: readonly unknown[]): Promise<string> {
  if (params.length === 0) return "";
  const [row] = (await tx.unsafe(`SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = $1`, [name] as never[])) as unknown as [{ types: string[] } | undefined];
  const types = row?.types ?? [];
  const literals: string[] = [];
  for (let i = 0; i < types.length; i++) {
    const type = types[i] ?? "text";
    const [lit] = (await tx.unsafe(markOwn(`SELECT quote_nullable(($1::${type})::text) AS lit`), [params[i]] as never[])) as unknown as [{ lit: string }];
    literals.push(`${lit.lit}::${type}`);
  }
  return `(${literals.join(", ")})`;
}
