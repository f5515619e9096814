// Step 1 of the routine: refresh planner statistics. `stale` (the default)
// analyzes only the tables whose statistics are missing or out of date
// (src/checks/table-maintenance.ts), `all` every table, `none` nothing.
import { quoteIdent, type Sql } from "../db/index.ts";
import { findStaleTables, tableStatistics } from "../checks/table-maintenance.ts";

export const ANALYZE_MODES = ["all", "stale", "none"] as const;
export type AnalyzeMode = (typeof ANALYZE_MODES)[number];

export interface AnalyzedTable {
  readonly table: string;
  /** Why it was analyzed ("all tables" in mode all). */
  readonly reason: string;
  readonly ms: number;
}

export interface AnalyzeResult {
  readonly mode: AnalyzeMode;
  /** Tables in the schema. */
  readonly tablesChecked: number;
  readonly analyzed: readonly AnalyzedTable[];
  readonly ms: number;
}

export async function analyzeTables(sql: Sql, mode: AnalyzeMode, options: { schema?: string; log?: (line: string) => void } = {}): Promise<AnalyzeResult> {
  const schema = options.schema ?? "public";
  const started = performance.now();
  const tables = await tableStatistics(sql, schema);
  const todo = mode === "none" ? [] : mode === "all" ? tables.map((t) => ({ table: t.table, reason: "all tables" })) : findStaleTables(tables);
  const analyzed: AnalyzedTable[] = [];
  if (todo.length > 0) {
    const session = await sql.reserve();
    try {
      for (const { table, reason } of todo) {
        const t0 = performance.now();
        await session.unsafe(`ANALYZE ${quoteIdent(schema)}.${quoteIdent(table)}`);
        const ms = performance.now() - t0;
        options.log?.(`ANALYZE ${table} (${reason}): ${ms.toFixed(0)} ms`);
        analyzed.push({ table, reason, ms });
      }
      // A backend publishes its table statistics (last_analyze too) at most
      // once a second: flush now (PG 15+), so the report that follows and a
      // run right after see these ANALYZEs instead of "never analyzed".
      await session`SELECT pg_stat_force_next_flush()`;
    } finally {
      session.release();
    }
  }
  return { mode, tablesChecked: tables.length, analyzed, ms: performance.now() - started };
}
