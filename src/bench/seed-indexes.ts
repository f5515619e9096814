// npm run bench -- seed — seeding into a database that already has the
// performance indexes, both ways, on the same data set: load into the indexes
// (--indexes keep) and drop + rebuild them inside the seed transaction (the
// default). Times, and index sizes per table after each (a row-by-row load
// leaves the indexes bloated; a bulk build does not). A scratch database of
// its own (<database>_seed_bench, recreated, dropped unless --keep).
import { formatBytes, formatMs } from "../base/format.ts";
import { defaultReportPath, writeReportFile } from "../base/report-file.ts";
import { openSql, type DatabaseTarget } from "../db/index.ts";
import { applyMigrations } from "../migrate/graphile.ts";
import { indexCountsByTable } from "../migrate/stats.ts";
import { seedDatabase, currentHourUtc } from "../seed/generate.ts";
import { SEED_TABLES } from "../seed/tables.ts";
import { dropBenchDatabase, recreateBenchDatabase, type SeededBenchOptions } from "./run-bench.ts";

export type SeedIndexPath = "keep" | "rebuild";

export interface SeedIndexRun {
  readonly path: SeedIndexPath;
  readonly totalMs: number;
  /** Rows loaded (and, for rebuild, the indexes rebuilt) inside the seed transaction. */
  readonly loadMs: number;
  readonly rebuildMs: number;
  readonly vacuumMs: number;
  /** Bytes of all indexes per seeded table (base schema's and performance ones) after the seed. */
  readonly indexBytes: Readonly<Record<string, number>>;
}

export interface SeedIndexBenchReport {
  readonly scale: number;
  readonly seed: number;
  readonly database: string;
  readonly note: string;
  readonly runs: readonly SeedIndexRun[];
  readonly reportFile: string | null;
}

export interface SeedIndexBenchOptions extends SeededBenchOptions {
  readonly scale: number;
  readonly seed: number;
  readonly note: string;
  readonly log: (line: string) => void;
}

export async function runSeedIndexBench(server: DatabaseTarget, name: string, options: SeedIndexBenchOptions): Promise<SeedIndexBenchReport> {
  const target = await recreateBenchDatabase(server, name);
  options.log(`scratch database ${target.display}: base schema + the performance indexes (built on empty tables)`);
  try {
    await applyMigrations(target);
    const sql = openSql(target, { max: 1, applicationName: "bollalabz-db seed bench" });
    const runs: SeedIndexRun[] = [];
    const anchor = currentHourUtc();
    try {
      for (const mode of ["keep", "rebuild"] as const) {
        options.log(`seed at scale ${options.scale}, --indexes ${mode}`);
        const result = await seedDatabase(sql, { scale: options.scale, seed: options.seed, anchor, indexes: mode, onProgress: options.onSeedProgress });
        const seeded = new Set(SEED_TABLES.map((t) => t.table));
        const indexBytes = Object.fromEntries((await indexCountsByTable(sql)).filter((t) => seeded.has(t.table)).map((t) => [t.table, t.indexBytes]));
        runs.push({ path: mode, totalMs: result.totalMs, loadMs: result.insertMs, rebuildMs: result.indexes.rebuildMs, vacuumMs: result.vacuumMs, indexBytes });
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
    return writeReport({ scale: options.scale, seed: options.seed, database: target.display, note: options.note, runs, reportFile: null });
  } finally {
    if (!options.keep) await dropBenchDatabase(server, name);
  }
}

function writeReport(report: SeedIndexBenchReport): SeedIndexBenchReport {
  const file = defaultReportPath("seed-bench", "json");
  const withFile = { ...report, reportFile: file };
  writeReportFile(file, withFile);
  return withFile;
}

export function formatSeedIndexBench(report: SeedIndexBenchReport): string {
  const [keep, rebuild] = [report.runs.find((r) => r.path === "keep"), report.runs.find((r) => r.path === "rebuild")];
  const col = (run: SeedIndexRun | undefined, f: (r: SeedIndexRun) => string) => (run ? f(run) : "-").padStart(16);
  const lines = [
    `seeding into the performance indexes, scale ${report.scale} (${report.note})`,
    `${"".padEnd(28)}${"keep".padStart(16)}${"rebuild".padStart(16)}`,
    `${"seed total".padEnd(28)}${col(keep, (r) => formatMs(r.totalMs))}${col(rebuild, (r) => formatMs(r.totalMs))}`,
    `${"  load (in one transaction)".padEnd(28)}${col(keep, (r) => formatMs(r.loadMs))}${col(rebuild, (r) => formatMs(r.loadMs))}`,
    `${"    of which index rebuild".padEnd(28)}${col(keep, () => "-")}${col(rebuild, (r) => formatMs(r.rebuildMs))}`,
    `${"  vacuum analyze".padEnd(28)}${col(keep, (r) => formatMs(r.vacuumMs))}${col(rebuild, (r) => formatMs(r.vacuumMs))}`,
    "index size per table (all its indexes)",
  ];
  let keepTotal = 0;
  let rebuildTotal = 0;
  for (const { table } of SEED_TABLES) {
    keepTotal += keep?.indexBytes[table] ?? 0;
    rebuildTotal += rebuild?.indexBytes[table] ?? 0;
    lines.push(`  ${table.padEnd(26)}${col(keep, (r) => formatBytes(r.indexBytes[table] ?? 0))}${col(rebuild, (r) => formatBytes(r.indexBytes[table] ?? 0))}`);
  }
  lines.push(`  ${"total".padEnd(26)}${col(keep, () => formatBytes(keepTotal))}${col(rebuild, () => formatBytes(rebuildTotal))}`);
  if (report.reportFile) lines.push(`report: ${report.reportFile}`);
  return lines.join("\n");
}
