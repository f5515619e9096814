// npm run bench: one data set, the same run, before and after the index
// migrations. A dedicated database (recreated each run) gets the base schema
// only, the seed, the catalog (baseline) and the write-cost measurement; then
// the committed migrations build the performance indexes and both are
// measured again.
import { dropScratchDatabase, recreateScratchDatabase, scratchDatabaseBeside } from "../db/scratch-database.ts";
import { EXIT, UserError } from "../base/errors.ts";
import { withDatabase, withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { existingIndexNames } from "../verify/workload-counters.ts";
import { ensureVerifyReaderRole } from "../db/verify-reader-role.ts";
import { applyMigrations } from "../migrate/graphile.ts";
import { applyBaseSchema } from "../migrate/rollback.ts";
import { seedDatabase, type SeedProgress } from "../seed/generate.ts";
import { SEED_TABLES } from "../seed/tables.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { grade, type Grade } from "../verify/grade.ts";
import { runCatalog, type CatalogRun, type RunOptions } from "../verify/run-catalog.ts";
import { TIME_FAILURE } from "../verify/measure-variant.ts";
import { measureWriteCost, type WriteCost } from "./write-cost.ts";

/** What every bench that seeds a database of its own takes: keep it afterwards, where its lines go, the seed's progress. */
export interface SeededBenchOptions {
  /** Keep the bench database afterwards (default: dropped). */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
  readonly onSeedProgress?: (event: SeedProgress) => void;
}

export interface BenchOptions extends SeededBenchOptions {
  readonly scale: number;
  readonly seed: number;
  readonly catalog: readonly CatalogEntry[];
  readonly runs: number;
  readonly warmup: number;
  readonly explainRuns: number;
  readonly writeRows: number;
  readonly onCatalogProgress?: (phase: "baseline" | "indexed") => RunOptions["onProgress"];
}

export interface BenchPhase {
  readonly name: "baseline" | "indexed";
  readonly indexes: number;
  readonly run: CatalogRun;
  readonly grade: Grade;
  readonly planFailures: number;
  readonly writes: readonly WriteCost[];
}

export interface BenchResult {
  readonly database: string;
  readonly scale: number;
  readonly seed: number;
  readonly seedMs: number;
  readonly migrateMs: number;
  readonly phases: readonly [BenchPhase, BenchPhase];
  readonly totalMs: number;
}

/** The bench database's name: the target's, with a _bench suffix (at most 63 bytes). */
export function benchDatabaseName(target: Pick<DatabaseTarget, "url">): string {
  return scratchDatabaseBeside(target, "bench");
}

/** Drop (if present) and create the bench database on the target's server. */
export async function recreateBenchDatabase(server: DatabaseTarget, name: string): Promise<DatabaseTarget> {
  await withSql(
    server,
    (admin) =>
      recreateScratchDatabase(admin, name).catch((error: { code?: string; message?: string }) => {
        if (error.code === "42501") {
          throw new UserError(`The bench needs a database of its own and ${server.display}'s role may not create one (${error.message}). Grant CREATEDB to it, or run the bench against the embedded server (unset DATABASE_URL).`, EXIT.notReady);
        }
        throw error;
      }),
    { max: 1, applicationName: "bollalabz-db bench" },
  );
  return { ...withDatabase(server, name), ...(server.rootUrl ? { rootUrl: server.rootUrl } : {}) };
}

export async function dropBenchDatabase(server: DatabaseTarget, name: string): Promise<void> {
  await withSql(server, (admin) => dropScratchDatabase(admin, name), { max: 1 });
}

async function vacuumAnalyze(sql: Sql): Promise<void> {
  await sql.unsafe(`VACUUM (ANALYZE) ${SEED_TABLES.map((t) => t.table).join(", ")}`);
}

async function measurePhase(sql: Sql, name: BenchPhase["name"], options: BenchOptions): Promise<BenchPhase> {
  const log = options.log ?? (() => {});
  const indexes = (await existingIndexNames(sql)).size;
  log(`${name}: ${indexes} indexes; running ${options.catalog.length} catalog queries`);
  const run = await runCatalog(sql, options.catalog, {
    runs: options.runs,
    warmup: options.warmup,
    explainRuns: options.explainRuns,
    // Before/after figures, not plan stability (verify checks that).
    statsSamples: 0,
    onProgress: options.onCatalogProgress?.(name),
  });
  log(`${name}: measuring write cost (${options.writeRows.toLocaleString("en-US")} rows per statement, rolled back)`);
  const writes = await measureWriteCost(sql, { rows: options.writeRows });
  const ran = run.queries.filter((q) => q.client.runs > 0);
  const meanMs = ran.length === 0 ? Infinity : ran.reduce((s, q) => s + q.client.mean, 0) / ran.length;
  const passed = run.queries.filter((q) => q.pass).length;
  const planFailures = run.queries.filter((q) => q.variants.some((v) => v.failures.some((f) => !TIME_FAILURE.test(f)))).length;
  return { name, indexes, run, grade: grade({ total: run.queries.length, passed, meanMs }), planFailures, writes };
}

/** Runs the whole benchmark in a fresh database named `name` on `server`'s server. */
export async function runBench(server: DatabaseTarget, name: string, options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const target = await recreateBenchDatabase(server, name);
  log(`bench database: ${target.display} (recreated)`);
  try {
    await applyBaseSchema(target, (line) => log(`  ${line}`));
    return await withSql(target, async (sql) => {
      // The catalog runs as verify's reader role: grant it this new database's tables (npm run migrate does it elsewhere).
      await ensureVerifyReaderRole(sql);
      const s0 = performance.now();
      await seedDatabase(sql, { scale: options.scale, seed: options.seed, onProgress: options.onSeedProgress });
      const seedMs = performance.now() - s0;
      const baseline = await measurePhase(sql, "baseline", options);

      await vacuumAnalyze(sql); // the rolled-back writes left dead rows
      log("applying the performance index migrations");
      const m0 = performance.now();
      await applyMigrations(target, (line) => log(`  ${line}`));
      const migrateMs = performance.now() - m0;
      await vacuumAnalyze(sql);
      const indexed = await measurePhase(sql, "indexed", options);
      return { database: target.display, scale: options.scale, seed: options.seed, seedMs, migrateMs, phases: [baseline, indexed], totalMs: performance.now() - started };
    }, { max: 1, applicationName: "bollalabz-db bench" });
  } finally {
    if (!options.keep) await dropBenchDatabase(server, name).catch(() => {});
  }
}
