// `npm run migrate:bench`: how long the whole index set takes on realistic
// data, and what a concurrent writer feels meanwhile. It works in a database
// of its own (<database>_migrate_bench on the same server), never in yours:
// base schema only -> seed at --scale -> start the writer -> npm run migrate's
// runner -> stop the writer -> report. A report, not a pass/fail test.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { dropScratchDatabase, recreateScratchDatabase, scratchDatabaseName } from "../config/scratch-database.ts";
import { EXIT, UserError } from "../cli/errors.ts";
import { formatMs } from "../cli/progress.ts";
import { explainConnectionError, maskUrl, openSql, type DatabaseTarget, type Sql } from "../config/database-url.ts";
import { REPORTS_DIR } from "../config/project.ts";
import { seedDatabase, todayUtc, type SeedResult } from "../seed/generate.ts";
import { applyBaseSchema } from "./rollback.ts";
import { migrationProgressDisplay } from "./progress.ts";
import { formatReport, runMigrations, type MigrationReport } from "./run.ts";
import { startWriter, type WriterStats } from "./writer.ts";

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
  const name = scratchDatabaseName(decodeURIComponent(url.pathname.slice(1)), "migrate_bench");
  url.pathname = `/${name}`;
  const bench: DatabaseTarget = { url: url.toString(), display: maskUrl(url.toString()), source: target.source };

  const root = postgres(rootUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await recreateScratchDatabase(root as unknown as Sql, name);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw explainConnectionError(error, { display: maskUrl(rootUrl), source: target.source });
  } finally {
    await root.end({ timeout: 5 });
  }
  options.log(`scratch database ${bench.display}`);

  try {
    await applyBaseSchema(bench);
    const sql = openSql(bench, { max: 1 });
    let seeded: SeedResult;
    try {
      options.log(`seeding at scale ${options.scale} ...`);
      seeded = await seedDatabase(sql, { scale: options.scale, seed: options.seed, anchor: todayUtc() });
      options.log(`seeded in ${formatMs(seeded.totalMs)}`);
    } finally {
      await sql.end({ timeout: 5 });
    }

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
    mkdirSync(REPORTS_DIR, { recursive: true });
    const reportFile = path.join(REPORTS_DIR, `migrate-bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    const report: BenchReport = {
      scale: options.scale,
      database: bench.display,
      seed: { totalMs: seeded.totalMs, tables: seeded.tables },
      migration,
      writer: writerStats,
      goals,
      reportFile,
    };
    writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    if (!options.keep) {
      const cleanup = postgres(rootUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      await dropScratchDatabase(cleanup as unknown as Sql, name).catch(() => {});
      await cleanup.end({ timeout: 5 });
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
