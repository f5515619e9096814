// The read-only guard: every catalog statement (the query and its parameter
// pickers) runs through these functions, and nothing else in verify sends
// catalog text to the server. The guard is not a setting, so no catalog entry
// can switch it off. Its layers, each holding on its own:
//
// 1. Static (src/catalog/read-only-sql.ts): PostgreSQL's own parser checks
//    the text is ONE SELECT / WITH / VALUES / TABLE that writes and locks
//    nothing and calls only read-only built-ins (checked by validateCatalog
//    when a catalog is loaded, and here before each statement is sent).
// 2. Extended protocol (`simple: false`): the server itself refuses a second
//    statement in the text (42601), whatever our parsing thinks.
// 3. A READ ONLY transaction that verify opens and always ROLLS BACK: a
//    data-modifying CTE fails with 25006 before it changes a row, and any
//    session setting changed from inside a SELECT is rolled back with it.
// 4. The reader role (src/db/verify-reader-role.ts), entered with SET LOCAL
//    ROLE at the start of that transaction: what a read transaction does not
//    stop (signalling backends, replication slots, statistics resets, server
//    files) needs privileges that role does not have.
import type postgres from "postgres";
import type { Sql } from "../db/index.ts";
import { markOwn } from "../db/own-statements.ts";
import { firstPlan, type ExplainResult } from "./explain.ts";
import { readOnlyQueryProblems } from "./read-only-sql.ts";
import { readerRoleProblem, VERIFY_READER_ROLE } from "../db/verify-reader-role.ts";

/** A client inside one of our read-only transactions. */
export type GuardedSql = postgres.TransactionSql<Record<string, never>> | Sql;

/**
 * Why `text` is not a single read-only query (undefined when it is): every
 * problem, joined. validateCatalog lists them one per line instead.
 */
export function statementProblem(text: string): string | undefined {
  const problems = readOnlyQueryProblems(text);
  return problems.length === 0 ? undefined : problems.join("; ");
}

export class CatalogStatementError extends Error {}

function assertQuery(text: string, what: string): void {
  const problem = statementProblem(text);
  if (problem) throw new CatalogStatementError(`${what} ${problem}`);
}

const ROLLBACK = Symbol("verify read-only rollback");

export interface ReadOnlyOptions {
  /**
   * Work of verify's own that needs the connecting role's privileges (the
   * ANALYZE of a statistics sample), run in the transaction before it enters
   * the reader role. Never catalog text.
   */
  readonly beforeReaderRole?: (tx: GuardedSql) => Promise<void>;
}

/**
 * Run `fn` inside a READ ONLY transaction that is always rolled back, as the
 * reader role. `fn`'s statements that are catalog text must go through
 * runQuery/pickRows/explainPlan.
 */
export async function readOnly<T>(sql: Sql, fn: (tx: GuardedSql) => Promise<T>, options: ReadOnlyOptions = {}): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin("read only", async (tx) => {
      await options.beforeReaderRole?.(tx as GuardedSql);
      await enterReaderRole(tx as GuardedSql, sql);
      result = await fn(tx as GuardedSql);
      await assertStillReader(tx as GuardedSql);
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  } finally {
    // A session-level advisory lock is the one thing a read query (as any
    // role) can leave behind after the rollback: let none outlive the
    // transaction (verify itself takes none).
    await sql`SELECT pg_advisory_unlock_all()`.catch(() => {});
  }
  return result as T;
}

/**
 * A statement that called set_config('role', ...) (refused by the static
 * layer) would have run the rest with the connecting role's rights: the role
 * cannot stop that, so say so loudly instead of grading the entry.
 */
async function assertStillReader(tx: GuardedSql): Promise<void> {
  const [{ user }] = (await tx.unsafe(`SELECT current_user AS user`)) as unknown as [{ user: string }];
  if (user !== VERIFY_READER_ROLE) throw new CatalogStatementError(`a catalog statement left the reader role ${VERIFY_READER_ROLE} (it ran as ${user}): only set_config('role', ...) or SET ROLE can do that, and the catalog must not`);
}

/** SET LOCAL ROLE: until the transaction ends (a savepoint rolled back inside it keeps it). */
async function enterReaderRole(tx: GuardedSql, sql: Sql): Promise<void> {
  try {
    await tx.unsafe(`SET LOCAL ROLE ${VERIFY_READER_ROLE}`);
  } catch (error) {
    // The transaction is aborted now: the user name comes from the client's options.
    throw readerRoleProblem(error, (sql.options as { user?: string }).user ?? "the connecting role") ?? error;
  }
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
    return firstPlan(await tx.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE ${name}${args}`, [], { simple: false } as never));
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
