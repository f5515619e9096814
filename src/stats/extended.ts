// Extended statistics (CREATE STATISTICS) on a statistics twin.
//
// PostgreSQL 18 restores a table's statistics and its columns'
// (pg_restore_relation_stats, pg_restore_attribute_stats) but has no function
// for extended statistics: production's n-distinct, dependencies, MCV lists
// and expression statistics cannot be put onto the twin. What the twin does
// instead: every statistics object of the file exists on the twin (the
// migrations made it, or the twin creates it from the file's definition for
// the run and drops it after), and ANALYZE computes it from the twin's
// generated data, restricted to the columns the object reads. That happens
// before the restore, which then replaces those columns' own statistics with
// the file's; the object keeps the twin's values. The report says so per
// object.
import { parseSync } from "libpg-query";
import { quoteIdent, type Sql } from "../db/index.ts";
import type { ExtendedStatistics, StatsFile } from "./format.ts";

export interface ExtendedOutcome {
  readonly name: string;
  readonly table: string;
  /** pg_stats_ext kinds: d (dependencies), f (n-distinct), m (MCV), e (expressions). */
  readonly kinds: readonly string[];
  /** present: the twin has the object; created: made for this run (dropped after); missing: neither (the twin plans without it). */
  readonly state: "present" | "created" | "missing";
  /** Columns ANALYZE read to compute it (empty when missing). */
  readonly analyzed: readonly string[];
  /** Why it is missing. */
  readonly reason?: string;
}

/** The one statement of a CREATE STATISTICS definition from the file, or why it cannot be run. */
export function createStatisticsProblem(definition: string | null | undefined): string | undefined {
  if (!definition) return "the file has no definition for it (exported by an earlier bollalabz-db)";
  try {
    const stmts = (parseSync(definition) as { stmts?: { stmt: Record<string, unknown> }[] }).stmts ?? [];
    if (stmts.length !== 1 || !("CreateStatsStmt" in stmts[0]!.stmt)) return "its definition in the file is not one CREATE STATISTICS statement";
  } catch {
    return "its definition in the file does not parse";
  }
  return undefined;
}

/** The statistics object's columns (plain and inside expressions), from its dependencies. */
async function objectColumns(sql: Sql, schema: string, name: string): Promise<{ table: string; columns: string[] } | undefined> {
  const rows = await sql<{ table: string; column: string | null }[]>`
    SELECT t.relname AS "table", a.attname AS "column"
    FROM pg_statistic_ext x
    JOIN pg_namespace n ON n.oid = x.stxnamespace
    JOIN pg_class t ON t.oid = x.stxrelid
    LEFT JOIN pg_depend d ON d.classid = 'pg_statistic_ext'::regclass AND d.objid = x.oid AND d.refobjid = x.stxrelid AND d.refobjsubid > 0
    LEFT JOIN pg_attribute a ON a.attrelid = x.stxrelid AND a.attnum = d.refobjsubid
    WHERE n.nspname = ${schema} AND x.stxname = ${name}`;
  if (rows.length === 0) return undefined;
  return { table: rows[0]!.table, columns: rows.flatMap((r) => (r.column ? [r.column] : [])) };
}

/**
 * Make every extended statistics object of the file exist on the twin and
 * compute it from the twin's data (ANALYZE of its columns). Objects the
 * twin lacks are created from the file's definition (a single CREATE
 * STATISTICS, checked with PostgreSQL's parser before it runs).
 */
export async function prepareExtendedStatistics(sql: Sql, file: StatsFile): Promise<ExtendedOutcome[]> {
  const outcomes: ExtendedOutcome[] = [];
  for (const e of uniqueObjects(file.extended)) {
    let found = await objectColumns(sql, file.schema, e.name);
    let state: ExtendedOutcome["state"] = "present";
    if (!found) {
      const problem = createStatisticsProblem(e.definition);
      if (problem) {
        outcomes.push({ name: e.name, table: e.table, kinds: e.kinds, state: "missing", analyzed: [], reason: problem });
        continue;
      }
      try {
        await sql.unsafe(e.definition!, [], { prepare: false, simple: false } as never);
      } catch (error) {
        outcomes.push({ name: e.name, table: e.table, kinds: e.kinds, state: "missing", analyzed: [], reason: `CREATE STATISTICS failed here: ${(error as Error).message}` });
        continue;
      }
      found = await objectColumns(sql, file.schema, e.name);
      state = "created";
    }
    if (!found || found.columns.length === 0) {
      outcomes.push({ name: e.name, table: e.table, kinds: e.kinds, state, analyzed: [] });
      continue;
    }
    await sql.unsafe(`ANALYZE ${quoteIdent(file.schema)}.${quoteIdent(found.table)} (${found.columns.map(quoteIdent).join(", ")})`);
    outcomes.push({ name: e.name, table: found.table, kinds: e.kinds, state, analyzed: found.columns });
  }
  return outcomes;
}

/** pg_stats_ext has a row per object and `inherited`: one per object here. */
function uniqueObjects(list: readonly ExtendedStatistics[]): ExtendedStatistics[] {
  const seen = new Set<string>();
  return list.filter((e) => !seen.has(e.name) && seen.add(e.name));
}

/** Drop the objects prepareExtendedStatistics created for the run. */
export async function dropCreatedStatistics(sql: Sql, schema: string, outcomes: readonly ExtendedOutcome[]): Promise<void> {
  for (const o of outcomes.filter((x) => x.state === "created")) await sql.unsafe(`DROP STATISTICS IF EXISTS ${quoteIdent(schema)}.${quoteIdent(o.name)}`);
}

const KIND_NAMES: Readonly<Record<string, string>> = { d: "dependencies", f: "n-distinct", m: "MCV list", e: "expression statistics" };

/** One line per object for the twin's report. */
export function describeExtended(o: ExtendedOutcome): string {
  const what = `${o.name} on ${o.table} (${o.kinds.map((k) => KIND_NAMES[k] ?? k).join(", ")})`;
  if (o.state === "missing") return `${what}: not on this twin (${o.reason}); plans that use it in production are planned without it here`;
  const made = o.state === "created" ? "created for the run (dropped after) and " : "";
  return `${what}: ${made}computed by ANALYZE from the twin's generated data${o.analyzed.length > 0 ? ` (${o.analyzed.join(", ")})` : ""}, not production's: PostgreSQL 18 cannot restore extended statistics`;
}
