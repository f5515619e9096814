// What the seed does with the performance indexes already on its tables.
//
// Loading rows into 61 indexes maintains each index row by row: at scale 10
// that took 241 s instead of 25 s on the bare schema, and left the indexes
// bloated (random-order inserts split pages; conversation_messages 545 MB of
// indexes against 431 MB built in one pass). So by default the seed drops the
// performance indexes INSIDE its transaction (it holds ACCESS EXCLUSIVE on the
// eight tables and empties them anyway, so nobody could use them meanwhile),
// loads, and rebuilds each from its exact definition (pg_get_indexdef) before
// COMMIT. One transaction: a failure or a killed seed rolls back to the
// indexes and data as they were; graphile-migrate's ledger is never touched,
// because the same indexes exist before and after.
import { quoteIdent, type Sql } from "../db/index.ts";
import { PERFORMANCE_INDEXES } from "../indexes/performance-indexes.ts";
import { SEARCH_TABLES } from "../rollups/index.ts";
import { SEED_TABLES } from "./tables.ts";

/** rebuild (default): drop and rebuild the performance indexes present; keep: load into them (slower, bloated). */
export type SeedIndexMode = "rebuild" | "keep";
export const SEED_INDEX_MODES: readonly SeedIndexMode[] = ["rebuild", "keep"];

export interface ExistingIndex {
  readonly name: string;
  readonly table: string;
  /** pg_get_indexdef: the plain CREATE INDEX that recreates it exactly. */
  readonly definition: string;
}

export interface IndexPlan {
  readonly strategy: "rebuild" | "keep" | "none";
  /** Why, in one sentence (the seed prints it). */
  readonly reason: string;
  /** The valid performance indexes on the seeded tables. */
  readonly indexes: readonly ExistingIndex[];
}

/**
 * The valid performance indexes on the seeded tables. INVALID ones (left by a
 * failed concurrent build) stay as they are: `npm run migrate` drops and
 * rebuilds those, and its ledger knows they are not applied.
 */
export async function existingPerformanceIndexes(sql: Sql): Promise<ExistingIndex[]> {
  const names = PERFORMANCE_INDEXES.map((i) => i.name);
  // The search side tables too: the seed refills them (derived tables).
  const tables = [...SEED_TABLES.map((t) => t.table), ...SEARCH_TABLES.map((t) => t.table)];
  return sql<ExistingIndex[]>`
    SELECT c.relname AS name, t.relname AS "table", pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND i.indisvalid
      AND c.relname = ANY(${names}) AND t.relname = ANY(${tables})
    ORDER BY t.relname, c.relname`;
}

export function planIndexes(mode: SeedIndexMode, indexes: readonly ExistingIndex[]): IndexPlan {
  const n = indexes.length;
  if (n === 0) return { strategy: "none", reason: "no performance indexes on these tables yet: plain load (npm run migrate builds them)", indexes };
  if (mode === "keep") {
    return {
      strategy: "keep",
      reason: `--indexes keep: loading into the ${n} performance indexes row by row (at scale 10 about 2x slower than rebuilding them, and it leaves them bloated, 28% larger; 'npm run maintenance -- --reindex' compacts them)`,
      indexes,
    };
  }
  return {
    strategy: "rebuild",
    reason:
      `${n} performance indexes exist: dropping them inside the seed transaction and rebuilding them after the load ` +
      "(one bulk build per index is much faster than row-by-row maintenance and leaves no bloat; a failure rolls everything back)",
    indexes,
  };
}

/** DROP inside the seed transaction (which already holds ACCESS EXCLUSIVE on the tables). */
export function dropIndexesStatement(indexes: readonly ExistingIndex[]): string {
  return `DROP INDEX ${indexes.map((i) => quoteIdent(i.name)).join(", ")}`;
}
