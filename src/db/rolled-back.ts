// A transaction that is always rolled back: advise runs workload statements
// (writes too) under EXPLAIN ANALYZE, and the benchmarks time writes, and
// neither may leave a trace.
import type { Sql } from "./client.ts";

class RolledBack extends Error {}

/** Run fn in a transaction that is always rolled back (the statement may write). */
export async function inRolledBackTransaction<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  let result: T;
  try {
    await sql.begin(async (tx) => {
      result = await fn(tx as unknown as Sql);
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return result!;
}
