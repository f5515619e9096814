// `npm run bench -- migrate`: how long the whole index set takes on realistic
// data, and what a concurrent writer feels meanwhile. It works in a database
// of its own (<database>_migrate_bench on the same server), never in yours:
// base schema only -> seed at --scale -> start the writer -> npm run migrate's
// runner -> stop the writer -> report. A report, not a pass/fail test.
import path from "node:path";
import { dropScratchDatabase, recreateScratchDatabase, scratchDatabaseBeside } from "../db/scratch-database.ts";
import { EXIT, UserError } from "../base/errors.ts";
import { formatMs } from "../base/format.ts";
import { maskUrl, withSql, type DatabaseTarget } from "../db/index.ts";
import { defaultReportPath, writeReportFile } from "../base/report-file.ts";
import { seedDatabase, currentHourUtc, type SeedResult } from "../seed/generate.ts";
import { applyBaseSchema } from "../migrate/rollback.ts";
import { migrationProgressDisplay } from "../migrate/progress.ts";
import { formatReport, runMigrations, type MigrationReport } from "../migrate/run.ts";
import { startWriter, type WriterStats } from "./concurrent-writer.ts";

/** Goals of the issue: the whole set within 5 minutes at scale 10, a writer never waiting more than 200 ms. */
export const BENCH_GOALS = { totalMs: 5 * 60_000, writerWorstMs: 200 } as const;

export interface BenchOptions {
  readonly scale: number;
  readonly seed: number;
  /** Pause between the writer's statements (ms). */
  readonly writerPauseMs: number;
  readonly keep: boolean;
  readonly log: (line: string) => void;
}

export interface BenchReport {
  readonly scale: number;
  readonly database: string;
  readonly seed: Pick<SeedResult, "totalMs" | "tables">;
  readonly migration: MigrationReport;
  readonly writer: WriterStats;
  readonly goals: { readonly totalMs: number; readonly writerWorstMs: number; readonly totalMet: boolean; readonly writerMet: boolean };
  readonly reportFile: string;
}

export async function runMigrationBench(target: DatabaseTarget, options: BenchOptions): Promise<BenchReport> {
  const rootUrl = target.rootUrl ?? process.env.ROOT_DATABASE_URL;
  if (!rootUrl) {
    throw new UserError("The migration bench creates a scratch database and needs a superuser connection: set ROOT_DATABASE_URL (the embedded server provides one).", EXIT.usage);
  }
  const url = new URL(target.url);
  const name = scratchDatabaseBeside(target, "migrate_bench");
  url.pathname = `/${name}`;
  const bench: DatabaseTarget = { url: url.toString(), display: maskUrl(url.toString()), source: target.source };

  const root: DatabaseTarget = { url: rootUrl, display: maskUrl(rootUrl), source: target.rootUrl ? target.source : "ROOT_DATABASE_URL" };
  await withSql(root, (sql) => recreateScratchDatabase(sql, name), { max: 1 });
  options.log(`scratch database ${bench.display}`);

  try {
    await applyBaseSchema(bench);
    options.log(`seeding at scale ${options.scale} ...`);
    const seeded = await withSql(bench, (sql) => seedDatabase(sql, { scale: options.scale, seed: options.seed, anchor: currentHourUtc() }), { max: 1 });
    options.log(`seeded in ${formatMs(seeded.totalMs)}`);

    const writer = await startWriter(bench, { pauseMs: options.writerPauseMs });
    let migration: MigrationReport;
    let writerStats: WriterStats;
    try {
      migration = await runMigrations(bench, { log: (line) => options.log(`  ${line}`), onProgress: migrationProgressDisplay("  index migrations") });
    } finally {
      writerStats = await writer.stop();
    }
    const goals = {
      ...BENCH_GOALS,
      totalMet: migration.totalMs <= BENCH_GOALS.totalMs,
      writerMet: writerStats.worstMs <= BENCH_GOALS.writerWorstMs,
    };
    const reportFile = path.resolve(defaultReportPath("migrate-bench", "json"));
    const report: BenchReport = {
      scale: options.scale,
      database: bench.display,
      seed: { totalMs: seeded.totalMs, tables: seeded.tables },
      migration,
      writer: writerStats,
      goals,
      reportFile,
    };
    writeReportFile(reportFile, report);
    return report;
  } finally {
    if (!options.keep) {
      await withSql(root, (sql) => dropScratchDatabase(sql, name), { max: 1 }).catch(() => {});
    }
  }
}

export function formatBenchReport(report: BenchReport): string {
  const mark = (met: boolean) => (met ? "met" : "MISSED");
  const migration = report.migration;
  const longest = [...migration.applied].sort((a, b) => b.ms - a.ms).slice(0, 5);
  return [
    formatReport(migration),
    "",
    `== migration bench, scale ${report.scale} ==`,
    `  indexes built         ${migration.applied.filter((a) => a.index).length}`,
    `  total migration time  ${formatMs(migration.totalMs).padStart(9)}   goal <= ${formatMs(report.goals.totalMs)}: ${mark(report.goals.totalMet)}`,
    `  writer worst latency  ${formatMs(report.writer.worstMs).padStart(9)}   goal <= ${report.goals.writerWorstMs} ms: ${mark(report.goals.writerMet)}` +
      `   (${report.writer.statements} statements, p99 ${formatMs(report.writer.p99Ms)}, ${report.writer.errors} errors, worst: ${report.writer.worstStatement})`,
    `  slowest builds        ${longest.map((l) => `${l.index ?? l.file} ${formatMs(l.ms)}`).join(", ")}`,
    `  report: ${report.reportFile}`,
  ].join("\n");
}
