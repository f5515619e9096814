// `npm run migrate`: recover from an earlier failed build, apply the pending
// migrations with graphile-migrate, time each one, ANALYZE the tables that
// got indexes, and report before/after figures (printed and as JSON).
import { defaultReportPath, writeReportFile } from "../base/report-file.ts";
import path from "node:path";
import { EXIT, UserError } from "../base/errors.ts";
import { formatBytes, formatMs } from "../base/format.ts";
import { connectionUserError, isConnectionError, quoteIdent, withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { MIGRATIONS_DIR, REPORTS_DIR } from "../base/project-paths.ts";
import { applyMigrations } from "./graphile.ts";
import { searchStatisticsStatements, plannerStatisticsStatements } from "../indexes/performance-indexes.ts";
import { analyzeRollupsLackingStatistics } from "../rollups/index.ts";
import { builtIndexNames, readCommittedMigrations, type CommittedMigration } from "./performance-migrations.ts";
import { dropInvalidIndexes } from "./recovery.ts";
import { withMigrationLock } from "./lock.ts";
import { ensureVerifyReaderRole } from "../db/verify-reader-role.ts";
import { appliedLedgerFilenames, indexStates, missingTables, snapshotDatabase, tablesLackingStatistics, type DatabaseSnapshot } from "./stats.ts";

export { GRAPHILE_MIGRATE_LOCK } from "./lock.ts";

export interface MigrationTiming {
  readonly file: string;
  readonly index: string | null;
  readonly table: string | null;
  readonly ms: number;
  readonly bytes: number | null;
  readonly valid: boolean | null;
}

export interface MigrationReport {
  readonly status: "ok" | "failed";
  readonly database: string;
  readonly startedAt: string;
  readonly before: DatabaseSnapshot;
  readonly after: DatabaseSnapshot | null;
  /** INVALID indexes dropped before the run (left by an earlier failed build). */
  readonly recovered: readonly string[];
  readonly applied: readonly MigrationTiming[];
  readonly analyze: {
    readonly tables: readonly string[];
    readonly ms: number;
    /** Of those, the tables analyzed because indexes built by an earlier (crashed or killed) run had no statistics yet. */
    readonly lackingStatistics: readonly string[];
  } | null;
  readonly totalMs: number;
  readonly error: { readonly message: string; readonly migration: string | null; readonly index: string | null } | null;
  readonly reportFile: string | null;
}

export interface RunOptions {
  readonly log?: (line: string) => void;
  /** Write reports/migrate-<time>.json (default true). */
  readonly writeReport?: boolean;
  readonly reportsDir?: string;
  readonly migrationsFolder?: string;
  readonly pgSettings?: Readonly<Record<string, string>>;
  /** Called as each migration starts (e.g. to sample a concurrent writer per index). */
  readonly onMigrationStart?: (file: string) => void;
  /** Called with the report before runMigrations returns or throws (a failed run has one too). */
  readonly onReport?: (report: MigrationReport) => void;
  /** Progress over the pending set (see src/migrate/progress.ts for the display). */
  readonly onProgress?: (event: MigrationProgress) => void;
}

export type MigrationProgress =
  | { readonly kind: "start"; readonly total: number }
  /** Migration `done + 1` of `total` has started. */
  | { readonly kind: "migration"; readonly done: number; readonly total: number; readonly file: string; readonly index: string | null }
  | { readonly kind: "end"; readonly done: number; readonly total: number; readonly failed: { readonly file: string; readonly index: string | null } | null };

export async function runMigrations(target: DatabaseTarget, options: RunOptions = {}): Promise<MigrationReport> {
  const log = options.log ?? (() => {});
  const migrationsFolder = options.migrationsFolder ?? MIGRATIONS_DIR;
  const startedAt = new Date();
  const t0 = performance.now();
  const committed = await readCommittedMigrations(migrationsFolder);
  const byFile = new Map(committed.map((m) => [m.file, m]));
  const builtNames = builtIndexNames(committed);

  return withSql(target, async (sql) => {
    const pending = await pendingMigrations(sql, committed);
    await assertBaseSchemaPresent(sql, committed, pending);
    const before = await snapshotDatabase(sql);
    const recovered = await withMigrationLock(sql, target, "migrate", async () => (await dropInvalidIndexes(sql, builtNames, { log })).dropped);
    log(pending.length === 0 ? "no pending migrations" : `${pending.length} pending migration(s), ${pending.filter((m) => m.index).length} of them index builds`);
    const { applied, failure: applyFailure } = await applyTimed(target, pending.length, byFile, { ...options, log, migrationsFolder });
    let failure = applyFailure;

    // From here on the server may be gone (it died mid-build, or during the
    // ANALYZE): the report is still written, with what was done, and the
    // figures that need the server are left out.
    // A migration that failed because the server went away is final: the
    // server is not asked again. Its other backends may still answer for a
    // moment while it shuts down (the postmaster signals them one by one), or
    // it may be restarting after a crash, so figures read now would depend on
    // that race; and a vanished host would hold the report for the connect timeout.
    const reachable = whileReachable(failure?.exitCode === EXIT.unreachable ? failure : undefined);
    const touched = [...new Set(applied.flatMap((a) => (byFile.get(a.file)?.index ? [byFile.get(a.file)!.index!.table] : [])))].sort();
    const analyze = failure ? null : await analyzeBuiltTables(sql, committed, touched, reachable, log);
    // verify's reader role (src/db/verify-reader-role.ts), after every run, also
    // when nothing was pending: SELECT on tables this run created, and the
    // role itself on a server that never had it. A NOTICE says what the
    // migrating role may not do; verify then prints the grants to run.
    if (!failure) await reachable.run(() => ensureVerifyReaderRole(sql));
    // The rollups' backfills leave them without statistics (a sequential scan instead of the key range).
    if (!failure) await reachable.run(() => analyzeRollupsLackingStatistics(sql));
    const after = await reachable.run(() => snapshotDatabase(sql));
    const states = new Map(((await reachable.run(() => indexStates(sql, builtNames))) ?? []).map((s) => [s.index, s]));
    if (reachable.lost !== undefined && !failure) failure = connectionUserError(reachable.lost, target, `finish the migration (${applied.length} migration(s) applied; the report has them) on`);
    const timings: MigrationTiming[] = applied.map((a) => {
      const index = byFile.get(a.file)?.index;
      const state = index ? states.get(index.name) : undefined;
      return { file: a.file, index: index?.name ?? null, table: index?.table ?? null, ms: a.ms, bytes: state?.bytes ?? null, valid: state ? state.valid : null };
    });
    const failedFile = failure ? (applied.at(-1)?.file ?? null) : null;
    const report: MigrationReport = {
      status: failure ? "failed" : "ok",
      database: target.display,
      startedAt: startedAt.toISOString(),
      before,
      after,
      recovered,
      applied: timings,
      analyze,
      totalMs: performance.now() - t0,
      error: failure ? { message: failure.message, migration: failedFile, index: failedFile ? (byFile.get(failedFile)?.index?.name ?? null) : null } : null,
      reportFile: null,
    };
    const written = options.writeReport === false ? report : writeReport(report, options.reportsDir ?? REPORTS_DIR);
    options.onReport?.(written);
    if (failure) throw failure;
    const broken = [...states.values()].filter((s) => !s.valid);
    if (broken.length > 0) {
      throw new UserError(`After the migration these performance indexes are INVALID: ${broken.map((b) => b.index).join(", ")}. Run 'npm run migrate' again to rebuild them.`, EXIT.failed);
    }
    return written;
  }, { max: 1, applicationName: "bollalabz-db/migrate" });
}

type AppliedMigration = { file: string; startedAt: number; ms: number };

/** Apply the pending migrations, timing each (a migration's time ends when the next starts) and reporting progress; a failure is returned, not thrown. */
async function applyTimed(
  target: DatabaseTarget,
  total: number,
  byFile: ReadonlyMap<string, CommittedMigration>,
  options: RunOptions & { log: (line: string) => void; migrationsFolder: string },
): Promise<{ applied: AppliedMigration[]; failure: UserError | undefined }> {
  const applied: AppliedMigration[] = [];
  let failure: UserError | undefined;
  if (total > 0) options.onProgress?.({ kind: "start", total });
  const closeLast = () => {
    const last = applied.at(-1);
    if (last && last.ms < 0) last.ms = performance.now() - last.startedAt;
  };
  try {
    await applyMigrations(target, options.log, {
      migrationsFolder: options.migrationsFolder,
      pgSettings: options.pgSettings,
      // We just did the recovery under the migration lock, and we ANALYZE
      // (timed) ourselves; the CLI path runs both as hooks.
      hooks: { before: false, after: false },
      onMigrationStart(file) {
        closeLast();
        applied.push({ file, startedAt: performance.now(), ms: -1 });
        options.onProgress?.({ kind: "migration", done: applied.length - 1, total, file, index: byFile.get(file)?.index?.name ?? null });
        options.onMigrationStart?.(file);
      },
    });
    closeLast();
  } catch (error) {
    closeLast();
    failure = error instanceof UserError ? error : new UserError(String(error), EXIT.failed);
  }
  if (total > 0) {
    const failedAt = failure ? applied.at(-1) : undefined;
    options.onProgress?.({
      kind: "end",
      done: failedAt ? applied.length - 1 : applied.length,
      total,
      failed: failedAt ? { file: failedAt.file, index: byFile.get(failedAt.file)?.index?.name ?? null } : failure ? { file: "(before the first migration)", index: null } : null,
    });
  }
  return { applied, failure };
}

/** Runs work while the server answers; after the first lost connection (or from the start, given `lostAlready`) every run is skipped (null) and `lost` holds the error. */
function whileReachable(lostAlready?: unknown) {
  const state: { lost: unknown; run<T>(work: () => Promise<T>): Promise<T | null> } = {
    lost: lostAlready,
    async run(work) {
      if (state.lost !== undefined) return null;
      try {
        return await work();
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        state.lost = error;
        return null;
      }
    },
  };
  return state;
}

/** ANALYZE the tables whose performance indexes were just built, with their statistics objects; null when there are none. */
async function analyzeBuiltTables(sql: Sql, committed: readonly CommittedMigration[], touched: readonly string[], reachable: ReturnType<typeof whileReachable>, log: (line: string) => void): Promise<MigrationReport["analyze"]> {
  // Also the tables whose performance indexes were built after their last
  // ANALYZE by an earlier run that never got to its own (it crashed, or was
  // killed): expression indexes have no statistics until then.
  const lacking = (await reachable.run(() => tablesLackingStatistics(sql, committed))) ?? [];
  const tables = [...new Set([...touched, ...lacking])].sort();
  if (tables.length === 0) return null;
  return reachable.run(async () => {
    const a0 = performance.now();
    // The same as migrations/after-all-migrations.sql, for these tables.
    for (const statement of [...searchStatisticsStatements(tables), ...plannerStatisticsStatements(tables)]) await sql.unsafe(statement);
    await sql.unsafe(`ANALYZE ${tables.map((t) => t.split(".").map(quoteIdent).join(".")).join(", ")}`);
    // Published now, not within the second: the next run (and any reader) sees last_analyze.
    await sql`SELECT pg_stat_force_next_flush()`;
    const earlier = lacking.filter((t) => !touched.includes(t));
    const analyze = { tables, ms: performance.now() - a0, lackingStatistics: earlier };
    log(`analyzed ${tables.join(", ")} in ${formatMs(analyze.ms)}${earlier.length > 0 ? ` (${earlier.join(", ")}: indexes built by an earlier run had no statistics yet)` : ""}`);
    return analyze;
  });
}

/** Committed migrations not yet in graphile_migrate.migrations (graphile-migrate runs those after the last applied one). */
async function pendingMigrations(sql: Sql, committed: readonly CommittedMigration[]): Promise<CommittedMigration[]> {
  const applied = await appliedLedgerFilenames(sql);
  const last = applied.at(-1);
  return committed.filter((m) => !last || m.ledgerFilename > last);
}

/**
 * A database whose ledger says the base schema is applied but whose tables are
 * gone cannot take the index migrations: say so before building anything.
 */
async function assertBaseSchemaPresent(sql: Sql, committed: readonly CommittedMigration[], pending: readonly CommittedMigration[]): Promise<void> {
  const pendingIndexes = pending.filter((m) => m.index);
  if (pendingIndexes.length === 0) return;
  const firstPending = pending[0]!;
  const baseAlreadyApplied = committed.filter((m) => !m.index && m.ledgerFilename < firstPending.ledgerFilename);
  if (baseAlreadyApplied.length === 0) return; // the base migration runs first in this same run
  // Tables a pending migration of this run creates first (the inbox's conversations) are not missing.
  const createdLater = new Set(
    pending.flatMap((m) => (m.index ? [] : [...(m.body ?? "").matchAll(/CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?/gi)].map((x) => x[1]!.toLowerCase()))),
  );
  const tables = [...new Set(pendingIndexes.map((m) => m.index!.table))].filter((t) => !createdLater.has(t));
  const missing = await missingTables(sql, tables);
  if (missing.length > 0) {
    const first = pendingIndexes.find((m) => missing.includes(m.index!.table))!;
    throw new UserError(
      `Migration ${first.file} (index ${first.index!.name}) cannot run: the base schema is missing (no table ${missing.join(", ")}), although graphile_migrate.migrations records ${baseAlreadyApplied.map((m) => m.file).join(", ")}. ` +
        `Restore the schema, or point DATABASE_URL at the right database (or recreate it and run 'npm run migrate').`,
      EXIT.notReady,
    );
  }
}

function writeReport(report: MigrationReport, dir: string): MigrationReport {
  const withFile = { ...report, reportFile: path.resolve(defaultReportPath("migrate", "json", new Date(report.startedAt), dir)) };
  writeReportFile(withFile.reportFile, withFile);
  return withFile;
}

/** The report as text tables: indexes per table before/after, each applied migration, totals. */
export function formatReport(report: MigrationReport): string {
  const lines: string[] = [];
  const after = new Map((report.after?.indexesPerTable ?? []).map((t) => [t.table, t]));
  const tables = [...new Set([...report.before.indexesPerTable.map((t) => t.table), ...after.keys()])].sort();
  lines.push("", "indexes per table         before   after   index size after");
  for (const table of tables) {
    const b = report.before.indexesPerTable.find((t) => t.table === table);
    const a = after.get(table);
    lines.push(`  ${table.padEnd(26)} ${String(b?.indexes ?? 0).padStart(5)} ${String(a?.indexes ?? "-").padStart(7)}   ${a ? formatBytes(a.indexBytes).padStart(10) : ""}`);
  }
  lines.push(`  ${"total".padEnd(26)} ${String(report.before.totalIndexes).padStart(5)} ${String(report.after?.totalIndexes ?? "-").padStart(7)}`);
  lines.push("", `database size: ${formatBytes(report.before.databaseBytes)} -> ${report.after ? formatBytes(report.after.databaseBytes) : "?"}`);
  if (report.recovered.length > 0) lines.push(`recovered (dropped INVALID, rebuilt): ${report.recovered.join(", ")}`);
  if (report.applied.length > 0) {
    lines.push("", "applied                                               build time        size  valid");
    for (const a of report.applied) {
      const failed = report.error?.migration === a.file;
      lines.push(`  ${(a.index ?? a.file).padEnd(52)} ${formatMs(a.ms).padStart(9)} ${(a.bytes === null ? "" : formatBytes(a.bytes)).padStart(11)}  ${failed ? "FAILED" : a.valid === null ? "" : a.valid ? "yes" : "NO"}`);
    }
  }
  if (report.analyze) lines.push(`ANALYZE ${report.analyze.tables.length} table(s): ${formatMs(report.analyze.ms)}`);
  lines.push(`total: ${formatMs(report.totalMs)}${report.reportFile ? `   report: ${report.reportFile}` : ""}`);
  return lines.join("\n");
}
