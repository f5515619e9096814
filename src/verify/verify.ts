// One verification run, usable from src/commands/verify.ts, npm start and tests:
// readiness checks, the catalog run, the database checks, the grade.
import { EXIT, UserError } from "../base/errors.ts";
import { checkPgStatStatements, describeStatStatementsProblem } from "../checks/pg-stat-statements.ts";
import { assertServerReady } from "../checks/preflight.ts";
import { emptyTables } from "./workload-counters.ts";
import { withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { assertSchemaPresent } from "../seed/generate.ts";
import { SEED_TABLES } from "../seed/tables.ts";
import { BUILT_IN_CATALOG, builtInCatalog } from "../catalog/load.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { readOnly } from "../catalog/guarded.ts";
import { VERIFY_READER_ROLE } from "../db/verify-reader-role.ts";
import { writeVerifyReports, type VerifyReport, type WrittenReports } from "./report.ts";
import { runDatabaseChecks } from "./database-checks.ts";
import { checkFreshness } from "../rollups/index.ts";
import { tablesWithUnsetVisibilityMap, xminHolders } from "../checks/xmin-horizon.ts";
import { grade, meetsGrade, type Grade } from "./grade.ts";
import type { TwinReport } from "../stats/twin.ts";
import { baselineFromReport, compareWithBaseline, writeBaseline, type Baseline } from "./baseline.ts";
import { DEFAULT_EXPLAIN_RUNS, DEFAULT_RUNS, DEFAULT_STATS_SAMPLES, DEFAULT_WARMUP, runCatalog, type RunOptions } from "./run-catalog.ts";

export interface VerifyOptions extends RunOptions {
  readonly catalog: readonly CatalogEntry[];
  readonly catalogSource: string;
  readonly minGrade: Grade;
  /** Masked URL for the report. */
  readonly database: string;
}

/**
 * The database must be ready before measuring: PostgreSQL >= 15 with
 * pg_stat_statements preloaded and created, the schema migrated, data seeded.
 * Each missing piece is one clear UserError with exit code 4.
 */
export async function assertReadyToVerify(sql: Sql, where: string): Promise<string> {
  const { serverVersion } = await assertServerReady(sql, where);
  const stat = await checkPgStatStatements(sql);
  if (stat.failedStep === "created") throw new UserError(`${where}: ${describeStatStatementsProblem(stat)}`, EXIT.notReady);
  await assertSchemaPresent(sql);
  const tables = SEED_TABLES.map((t) => t.table);
  const empty = await emptyTables(sql, tables);
  if (empty.length === tables.length) {
    throw new UserError(`${where} has the schema but no data (every table is empty): there is nothing to measure. Run 'npm run seed' (e.g. 'npm run seed -- --scale 1') first.`, EXIT.notReady);
  }
  await assertReaderRoleReady(sql, where, tables);
  return serverVersion;
}

/**
 * The catalog runs as the reader role (src/db/verify-reader-role.ts): it must
 * exist, this connection must be allowed to enter it, and it must SELECT the
 * app's tables. Checked before anything is measured (exit 4 with the fix).
 */
async function assertReaderRoleReady(sql: Sql, where: string, tables: readonly string[]): Promise<void> {
  const denied = await readOnly(sql, async (tx) => {
    const rows = (await tx.unsafe(`SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL AND NOT has_table_privilege(t, 'SELECT')`, [tables as string[]] as never[])) as unknown as { t: string }[];
    return rows.map((r) => r.t);
  });
  if (denied.length > 0) {
    throw new UserError(
      `${where}: verify runs catalog SQL as the role ${VERIFY_READER_ROLE}, which may not SELECT ${denied.join(", ")}. Fix: run 'npm run migrate' (it grants SELECT on the app's tables), or as the tables' owner: GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${VERIFY_READER_ROLE};`,
      EXIT.notReady,
    );
  }
}

export async function verifyDatabase(sql: Sql, options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const serverVersion = await assertReadyToVerify(sql, options.database);
  const preflight = {
    freshness: await checkFreshness(sql),
    visibility: { tables: await tablesWithUnsetVisibilityMap(sql, SEED_TABLES.map((t) => t.table)), holders: await xminHolders(sql, null) },
  };
  const run = await runCatalog(sql, options.catalog, options);
  const checks = await runDatabaseChecks(sql, run.workload, preflight);
  // Raw-table references (referenceFor) are measured and reported, not graded.
  const graded = run.queries.filter((q) => q.referenceFor === undefined);
  const ran = graded.filter((q) => q.client.runs > 0);
  const meanMs = ran.length === 0 ? NaN : ran.reduce((s, q) => s + q.client.mean, 0) / ran.length;
  const passed = graded.filter((q) => q.pass).length;
  const g = grade({ total: graded.length, passed, meanMs: Number.isNaN(meanMs) ? Infinity : meanMs });
  const meets = meetsGrade(g, options.minGrade);
  return {
    tool: "bollalabz-db verify",
    generatedAt: new Date().toISOString(),
    database: options.database,
    serverVersion,
    catalog: { source: options.catalogSource, entries: options.catalog.length },
    options: {
      runs: options.runs ?? DEFAULT_RUNS,
      warmup: options.warmup ?? DEFAULT_WARMUP,
      explainRuns: options.explainRuns ?? DEFAULT_EXPLAIN_RUNS,
      seqScanRowThreshold: options.seqScanRowThreshold ?? null,
      statsSamples: options.statsSamples ?? DEFAULT_STATS_SAMPLES,
    },
    appPlanCacheMode: run.appPlanCacheMode,
    stability: run.stability,
    grade: g,
    minGrade: options.minGrade,
    meetsMinGrade: meets,
    passed: meets && !checks.some((c) => c.gating && c.status === "fail"),
    summary: {
      queries: graded.length,
      passed,
      failed: graded.length - passed,
      passRate: graded.length === 0 ? 0 : passed / graded.length,
      meanMs,
      failing: graded.filter((q) => !q.pass).map((q) => q.name),
      references: run.queries.length - graded.length,
    },
    roundTrip: run.roundTrip,
    queries: run.queries,
    checks,
    durationMs: performance.now() - started,
  };
}

export interface VerifyTargetOptions extends Partial<Omit<VerifyOptions, "database">> {
  /** Where to write reports (Markdown default: reports/verify-<timestamp>.md). */
  readonly json?: string;
  readonly markdown?: string;
  /** Compare against this baseline (loaded up front with loadBaseline): a regression fails the run (exit 5). */
  readonly baseline?: { readonly file: string; readonly baseline: Baseline };
  /** Record this run as a baseline file. */
  readonly saveBaseline?: string;
  /** Session settings of the verify connection (--stats: the file's planner settings). */
  readonly sessionSettings?: Readonly<Record<string, string>>;
  /** --stats: the twin built before the run, reported with it. */
  readonly statsTwin?: TwinReport;
}

/**
 * Verify a database end to end on a connection of its own (one connection:
 * the workload counters are flushed from that session) and write the reports.
 * Used by src/commands/verify.ts; `npm start` can call it for its closing grade:
 *   const { report } = await verifyTarget(target); console.log(formatVerifyTable(report));
 */
export async function verifyTarget(target: DatabaseTarget, options: VerifyTargetOptions = {}): Promise<{ report: VerifyReport; written: WrittenReports }> {
  return withSql(target, async (sql) => {
    let report = await verifyDatabase(sql, {
      ...options,
      catalog: options.catalog ?? builtInCatalog(),
      catalogSource: options.catalogSource ?? BUILT_IN_CATALOG,
      minGrade: options.minGrade ?? "A",
      database: target.display,
    });
    if (options.statsTwin) {
      report = { ...report, statsTwin: options.statsTwin, stability: { ...report.stability, skipped: "--stats: the restored statistics stand (a fresh ANALYZE sample would replace them)" } };
    }
    report = withBaseline(report, options);
    return { report, written: writeVerifyReports(report, { json: options.json, markdown: options.markdown }) };
  }, { max: 1, applicationName: "bollalabz-db/verify", settings: options.sessionSettings });
}

/** Save and/or compare the baseline; a regression makes the run fail. */
export function withBaseline(report: VerifyReport, options: Pick<VerifyTargetOptions, "baseline" | "saveBaseline">): VerifyReport {
  let result = report;
  if (options.baseline) {
    const comparison = compareWithBaseline(report, options.baseline.baseline, options.baseline.file);
    result = { ...result, baseline: comparison, passed: result.passed && comparison.regressions.length === 0 };
  }
  if (options.saveBaseline) {
    const saved = writeBaseline(options.saveBaseline, baselineFromReport(report));
    result = { ...result, savedBaseline: saved };
  }
  return result;
}

