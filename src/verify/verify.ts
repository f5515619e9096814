// One verification run, usable from scripts/verify.ts, npm start and tests:
// readiness checks, the catalog run, the database checks, the grade.
import { EXIT, UserError } from "../cli/errors.ts";
import { checkPgStatStatements, describeStatStatementsProblem } from "../checks/pg-stat-statements.ts";
import { assertServerReady } from "../checks/preflight.ts";
import { emptyTables } from "../checks/plan-analysis.ts";
import { connect, type DatabaseTarget, type Sql } from "../config/database-url.ts";
import { assertSchemaPresent } from "../seed/generate.ts";
import { SEED_TABLES } from "../seed/tables.ts";
import { CATALOG } from "./catalog.ts";
import { validateCatalog } from "./catalog-file.ts";
import type { CatalogEntry } from "./catalog-types.ts";
import { writeVerifyReports, type WrittenReports } from "./report.ts";
import { runDatabaseChecks, type DatabaseCheck } from "./database-checks.ts";
import { grade, meetsGrade, type Grade } from "./grade.ts";
import { DEFAULT_EXPLAIN_RUNS, DEFAULT_RUNS, DEFAULT_WARMUP, runCatalog, type QueryResult, type RunOptions } from "./run-catalog.ts";
import type { LatencyStats } from "./stats.ts";

export interface VerifyReport {
  readonly tool: "bollalabz-db verify";
  readonly generatedAt: string;
  readonly database: string;
  readonly serverVersion: string;
  readonly catalog: { readonly source: string; readonly entries: number };
  readonly options: { readonly runs: number; readonly warmup: number; readonly explainRuns: number; readonly seqScanRowThreshold: number | null };
  readonly grade: Grade;
  readonly minGrade: Grade;
  readonly meetsMinGrade: boolean;
  /** Grade at or above the minimum and no gating database check failed: exit 0. */
  readonly passed: boolean;
  readonly summary: {
    readonly queries: number;
    readonly passed: number;
    readonly failed: number;
    readonly passRate: number;
    /** Mean over the queries that ran of their mean client-side time (ms): the grade's "mean". */
    readonly meanMs: number;
    readonly failing: readonly string[];
  };
  readonly roundTrip: LatencyStats;
  readonly queries: readonly QueryResult[];
  readonly checks: readonly DatabaseCheck[];
  readonly durationMs: number;
}

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
  return serverVersion;
}

export async function verifyDatabase(sql: Sql, options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const serverVersion = await assertReadyToVerify(sql, options.database);
  const run = await runCatalog(sql, options.catalog, options);
  const checks = await runDatabaseChecks(sql, run.workload);
  const ran = run.queries.filter((q) => q.client.runs > 0);
  const meanMs = ran.length === 0 ? NaN : ran.reduce((s, q) => s + q.client.mean, 0) / ran.length;
  const passed = run.queries.filter((q) => q.pass).length;
  const g = grade({ total: run.queries.length, passed, meanMs: Number.isNaN(meanMs) ? Infinity : meanMs });
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
    },
    grade: g,
    minGrade: options.minGrade,
    meetsMinGrade: meets,
    passed: meets && !checks.some((c) => c.gating && c.status === "fail"),
    summary: {
      queries: run.queries.length,
      passed,
      failed: run.queries.length - passed,
      passRate: run.queries.length === 0 ? 0 : passed / run.queries.length,
      meanMs,
      failing: run.queries.filter((q) => !q.pass).map((q) => q.name),
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
}

/**
 * Verify a database end to end on a connection of its own (one connection:
 * the workload counters are flushed from that session) and write the reports.
 * Used by scripts/verify.ts; `npm start` can call it for its closing grade:
 *   const { report } = await verifyTarget(target); console.log(formatVerifyTable(report));
 */
export async function verifyTarget(target: DatabaseTarget, options: VerifyTargetOptions = {}): Promise<{ report: VerifyReport; written: WrittenReports }> {
  const sql = await connect(target, { max: 1, applicationName: "bollalabz-db verify" });
  try {
    const report = await verifyDatabase(sql, {
      ...options,
      catalog: options.catalog ?? validateCatalog(CATALOG, BUILT_IN_CATALOG),
      catalogSource: options.catalogSource ?? BUILT_IN_CATALOG,
      minGrade: options.minGrade ?? "A",
      database: target.display,
    });
    return { report, written: writeVerifyReports(report, { json: options.json, markdown: options.markdown }) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export const BUILT_IN_CATALOG = "built-in (src/verify/catalog.ts)";
