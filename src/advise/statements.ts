// The workload advise looks at: the top statements of pg_stat_statements by
// total execution time (this database only), or the verification catalog.
// The project's own monitoring and migration statements are left out: an
// index suggested for a catalog query over pg_class helps nobody.
import { disallowedCalls } from "../catalog/read-only-sql.ts";
import type { Sql } from "../db/index.ts";
import { markOwn, OWN_STATEMENT_MARK } from "../db/own-statements.ts";
import type { CatalogEntry } from "../catalog/types.ts";

export interface WorkloadStatement {
  /** queryid for pg_stat_statements, the entry name for a catalog. */
  readonly id: string;
  readonly source: "pg_stat_statements" | "catalog";
  /** As the app sends it, $1..$n for parameters (pg_stat_statements replaces constants by $n too). */
  readonly query: string;
  readonly calls: number | null;
  readonly totalMs: number | null;
  readonly meanMs: number | null;
  /** pg_stat_statements rows / calls: what one call returned (or changed) on average. */
  readonly rowsPerCall?: number | null;
  /**
   * Parameter values known for it (a catalog entry's picker result). When
   * absent, plans.ts takes values from the column statistics.
   */
  readonly params?: readonly unknown[];
}

export interface StatementFilter {
  readonly minCalls?: number;
  readonly minTotalMs?: number;
  readonly limit?: number;
  /** Statements whose text matches are left out (the user's own noise). */
  readonly exclude?: RegExp;
}

export const DEFAULT_LIMIT = 20;
export const DEFAULT_MIN_CALLS = 2;
export const DEFAULT_MIN_TOTAL_MS = 0;

/**
 * Statements that belong to monitoring, migrations or this toolkit, never to
 * the application: catalog and statistics views, graphile-migrate's ledger,
 * EXPLAIN/utility commands, transaction control.
 */
export const OWN_STATEMENT_PATTERNS: readonly RegExp[] = [
  /\bpg_(stat|class|index|namespace|catalog|database|settings|locks|roles|am|attribute|extension|prepared|available|get_|relation_size|total_relation|size_|backend|try_advisory|advisory|sleep|sequence|sequences|stats|indexes|tables|constraint|type|proc|description|opclass|collation|trigger|depend|inherits)/i,
  /\binformation_schema\./i,
  /\bgraphile_migrate\./i,
  /^\s*(EXPLAIN|SET|RESET|SHOW|BEGIN|COMMIT|ROLLBACK|START|SAVEPOINT|RELEASE|PREPARE|EXECUTE|DEALLOCATE|ANALYZE|VACUUM|CREATE|DROP|ALTER|COMMENT|GRANT|REVOKE|TRUNCATE|COPY|LOCK|DISCARD|LISTEN|NOTIFY|DO|CALL|REINDEX|CLUSTER|CHECKPOINT|REFRESH)\b/i,
  /^\s*SELECT\s+(\$\d+|\d+|1)\s*(AS\s+\w+)?\s*;?\s*$/i,
  /\bcurrent_setting\s*\(/i,
  /\bset_config\s*\(/i,
];

/** Statements an index can speed up at all: reads, and writes that find their rows by a condition. */
export function isIndexableStatement(query: string): boolean {
  const text = query.replace(/^\s*(--[^\n]*\n\s*)*/, "");
  if (/^\s*INSERT\b/i.test(text) && !/\bSELECT\b[\s\S]*\bWHERE\b/i.test(text)) return false;
  return /^\s*(SELECT|WITH|UPDATE|DELETE|TABLE|INSERT)\b/i.test(text);
}

export function isOwnStatement(query: string): boolean {
  return query.includes(OWN_STATEMENT_MARK) || OWN_STATEMENT_PATTERNS.some((p) => p.test(query));
}

export interface WorkloadSelection {
  readonly statements: WorkloadStatement[];
  /** Statements pg_stat_statements holds that were left out, by reason. */
  readonly leftOut: { readonly own: number; readonly notIndexable: number; readonly sideEffects: number; readonly excluded: number };
}

interface StatRow {
  id: string;
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rowsPerCall: number;
}

/** The top statements by total time after the filters. Assumes pg_stat_statements is ready (checkPgStatStatements). */
export async function topWorkloadStatements(sql: Sql, filter: StatementFilter = {}): Promise<WorkloadStatement[]> {
  return (await selectWorkload(sql, filter)).statements;
}

/** The top statements and how many were left out ahead of them (own, not indexable, --exclude). */
export async function selectWorkload(sql: Sql, filter: StatementFilter = {}): Promise<WorkloadSelection> {
  const minCalls = filter.minCalls ?? DEFAULT_MIN_CALLS;
  const minTotalMs = filter.minTotalMs ?? DEFAULT_MIN_TOTAL_MS;
  const limit = filter.limit ?? DEFAULT_LIMIT;
  // Several queryids can share a text (different search_path or user): summed per text.
  const rows = await sql<StatRow[]>`
    SELECT min(queryid)::text AS id, query, sum(calls)::float8 AS calls,
           sum(total_exec_time)::float8 AS "totalMs", (sum(total_exec_time) / greatest(sum(calls), 1))::float8 AS "meanMs",
           (sum(rows)::float8 / greatest(sum(calls), 1))::float8 AS "rowsPerCall"
    FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND query <> '<insufficient privilege>' AND toplevel
    GROUP BY query
    HAVING sum(calls) >= ${minCalls} AND sum(total_exec_time) >= ${minTotalMs}
    ORDER BY sum(total_exec_time) DESC, min(queryid)`;
  const out: WorkloadStatement[] = [];
  const leftOut = { own: 0, notIndexable: 0, sideEffects: 0, excluded: 0 };
  for (const r of rows) {
    if (out.length >= limit) break;
    if (isOwnStatement(r.query)) {
      leftOut.own++;
      continue;
    }
    if (!isIndexableStatement(r.query)) {
      leftOut.notIndexable++;
      continue;
    }
    // Advise re-runs these with EXPLAIN ANALYZE: never one that calls a function with side effects (src/catalog/read-only-sql.ts).
    if (disallowedCalls(r.query).length > 0) {
      leftOut.sideEffects++;
      continue;
    }
    if (filter.exclude?.test(r.query)) {
      leftOut.excluded++;
      continue;
    }
    out.push({ id: r.id, source: "pg_stat_statements", query: r.query.trim(), calls: r.calls, totalMs: round3(r.totalMs), meanMs: round3(r.meanMs), rowsPerCall: round3(r.rowsPerCall) });
  }
  return { statements: out, leftOut };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * A catalog as a workload: one statement per entry and parameter variant
 * (id `entry` or `entry:variant`), with the parameters its picker takes from
 * the data: an index may matter only for one variant (a rare search term).
 * A picker that fails leaves the values to the column statistics.
 */
export async function catalogWorkload(sql: Sql, catalog: readonly CatalogEntry[], filter: Pick<StatementFilter, "exclude"> = {}): Promise<WorkloadStatement[]> {
  const out: WorkloadStatement[] = [];
  for (const entry of catalog) {
    if (filter.exclude?.test(entry.sql) || filter.exclude?.test(entry.name)) continue;
    const variants = Object.entries(entry.params);
    for (const [variant, picker] of variants.length > 0 ? variants : [["default", "SELECT"] as const]) {
      let params: unknown[] | undefined;
      try {
        const [row] = await sql.unsafe(markOwn(picker), [], { prepare: false });
        params = row ? Object.values(row as Record<string, unknown>) : undefined;
      } catch {
        params = undefined;
      }
      out.push({
        id: variants.length > 1 ? `${entry.name}:${variant}` : entry.name,
        source: "catalog",
        query: entry.sql.replace(/\s+/g, " ").trim(),
        calls: null,
        totalMs: null,
        meanMs: null,
        ...(params ? { params } : {}),
      });
    }
  }
  return out;
}
