// The maintenance routine (spec "Monitoring & Maintenance", weekly/monthly):
// ANALYZE -> (optional) REINDEX CONCURRENTLY of bloated indexes -> a report of
// everything a person should look at. Reads only, except ANALYZE, the
// requested REINDEX and dropping the transient leftovers of a failed REINDEX.
import { writeReportFile } from "../base/report-file.ts";
import { EXIT, UserError, type ExitCode } from "../base/errors.ts";
import { withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { BLOAT_BYTES_MIN, BLOAT_PERCENT_MIN, estimateBtreeBloat, needsReindex, type BloatThreshold, type IndexBloat } from "../checks/bloat.ts";
import { databaseSizeBytes, largestTables, refreshStatsSnapshot, type TableSize } from "../checks/database-health.ts";
import { measureWorkloadOverlaps, type OverlapReport } from "../advise/advise.ts";
import { findInvalidIndexes, findRedundantIndexes, indexUsage, type IndexUsage, type InvalidIndex, type RedundantIndex } from "../checks/index-health.ts";
import { checkPgStatStatements, type StatStatementsStatus } from "../checks/pg-stat-statements.ts";
import { MIN_SERVER_VERSION_NUM } from "../checks/preflight.ts";
import { findSequencesNearOverflow, SEQUENCE_USED_FRACTION_WARN, type SequenceUsage } from "../checks/sequences.ts";
import { findDeadTupleTables, tableStatistics, type DeadTupleTable } from "../checks/table-maintenance.ts";
import { analyzeTables, type AnalyzeMode, type AnalyzeResult } from "./analyze.ts";
import { CLEANUP_LOCK_TIMEOUT, REINDEX_LOCK_TIMEOUT, reindexConcurrently, type ReindexOutcome } from "./reindex.ts";
import { reportUnusedIndexes, UNUSED_MIN_STATS_DAYS, type UnusedIndexReport } from "./unused-indexes.ts";
import { replicationSlotReport, type SlotReport } from "../replication/slots.ts";
import { mergeUnusedAcrossNodes, replicaIndexUsage, type MergedUnusedReport } from "./replicas.ts";

/** How many tables and indexes the size lists show. */
export const TOP_N = 10;

export interface MaintenanceOptions {
  readonly analyze?: AnalyzeMode;
  readonly reindex?: boolean;
  readonly bloat?: BloatThreshold;
  readonly lockTimeout?: string;
  readonly cleanupLockTimeout?: string;
  readonly minStatsDays?: number;
  readonly schema?: string;
  readonly log?: (line: string) => void;
  /** Measure overlapping indexes (hide each, re-plan the workload) also on a database not marked scratch/development. */
  readonly measureOverlapsAnyway?: boolean;
  /** Skip the overlap measurement. */
  readonly skipOverlaps?: boolean;
  /** Streaming replicas whose index scan counters count too (--replica / DATABASE_REPLICA_URLS). */
  readonly replicas?: readonly DatabaseTarget[];
}

export interface MaintenanceReport {
  readonly database: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly serverVersion: string;
  readonly databaseBytes: number;
  readonly analyze: AnalyzeResult;
  readonly pgStatStatements: StatStatementsStatus;
  /** Merged across the primary and every replica given (nodes, and indexes scanned only on replicas). */
  readonly unused: UnusedIndexReport | MergedUnusedReport;
  /** Replication slots on the primary; inactive ones hold WAL back. */
  readonly replicationSlots: SlotReport;
  readonly redundant: readonly RedundantIndex[];
  /** Indexes another index serves nearly as well, measured on the workload (src/advise/redundancy.ts). */
  readonly overlaps: OverlapReport;
  readonly invalid: readonly InvalidIndex[];
  readonly bloat: { readonly threshold: BloatThreshold; readonly indexes: readonly (IndexBloat & { readonly reindexCandidate: boolean })[] };
  readonly reindex: (ReindexOutcome & { readonly requested: true; readonly lockTimeout: string }) | { readonly requested: false };
  readonly deadTuples: readonly DeadTupleTable[];
  readonly sequences: { readonly warnAtFraction: number; readonly nearOverflow: readonly SequenceUsage[] };
  readonly largestTables: readonly TableSize[];
  readonly largestIndexes: readonly IndexUsage[];
  /** 5 when an invalid index remains or a requested REINDEX stopped; else 0. */
  readonly exitCode: ExitCode;
}

/** Run the routine on an open client (not inside a transaction). */
export async function runMaintenance(sql: Sql, database: string, options: MaintenanceOptions = {}): Promise<MaintenanceReport> {
  const started = new Date();
  const schema = options.schema ?? "public";
  const log = options.log;
  const [{ num, version }] = (await sql`
    SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`) as unknown as [{ num: number; version: string }];
  if (num < MIN_SERVER_VERSION_NUM) throw new UserError(`${database} runs PostgreSQL ${version}; maintenance needs 15 or newer.`, EXIT.notReady);

  const analyze = await analyzeTables(sql, options.analyze ?? "stale", { schema, log });
  const threshold = options.bloat ?? { percent: BLOAT_PERCENT_MIN, bytes: BLOAT_BYTES_MIN };
  const bloatBefore = await estimateBtreeBloat(sql, schema);

  let reindex: MaintenanceReport["reindex"] = { requested: false };
  if (options.reindex) {
    const candidates = bloatBefore.filter((b) => needsReindex(b, threshold));
    log?.(candidates.length === 0 ? "REINDEX: no index passes the bloat threshold" : `REINDEX: ${candidates.length} index(es) pass the bloat threshold`);
    const lockTimeout = options.lockTimeout ?? REINDEX_LOCK_TIMEOUT;
    const outcome = await reindexConcurrently(sql, candidates, { lockTimeout, cleanupLockTimeout: options.cleanupLockTimeout ?? CLEANUP_LOCK_TIMEOUT, log });
    reindex = { requested: true, lockTimeout, ...outcome };
  }

  // The state after ANALYZE and REINDEX.
  await refreshStatsSnapshot(sql);
  const bloat = options.reindex ? await estimateBtreeBloat(sql, schema) : bloatBefore;
  const pgStatStatements = await checkPgStatStatements(sql);
  const [unused, redundant, invalid, tables, sequences, largest, usage, databaseBytes, slots] = await Promise.all([
    reportUnusedIndexes(sql, pgStatStatements, { schema, minDays: options.minStatsDays ?? UNUSED_MIN_STATS_DAYS }),
    findRedundantIndexes(sql, schema),
    findInvalidIndexes(sql, schema),
    tableStatistics(sql, schema),
    findSequencesNearOverflow(sql, schema),
    largestTables(sql, TOP_N, schema),
    indexUsage(sql, schema),
    databaseSizeBytes(sql),
    replicationSlotReport(sql),
  ]);
  const overlaps: OverlapReport = options.skipOverlaps ? { skipped: "--skip-overlaps" } : await measureWorkloadOverlaps(sql, { yes: options.measureOverlapsAnyway, log });
  const reindexStopped = reindex.requested && reindex.stopped;
  return {
    database,
    startedAt: started,
    durationMs: Date.now() - started.getTime(),
    serverVersion: version,
    databaseBytes,
    analyze,
    pgStatStatements,
    unused,
    replicationSlots: slots,
    redundant,
    overlaps,
    invalid,
    bloat: { threshold, indexes: bloat.map((b) => ({ ...b, reindexCandidate: needsReindex(b, threshold) })) },
    reindex,
    deadTuples: findDeadTupleTables(tables),
    sequences: { warnAtFraction: SEQUENCE_USED_FRACTION_WARN, nearOverflow: sequences },
    largestTables: largest,
    largestIndexes: [...usage].sort((a, b) => b.indexBytes - a.indexBytes || a.index.localeCompare(b.index)).slice(0, TOP_N),
    exitCode: invalid.length > 0 || reindexStopped ? EXIT.failed : EXIT.ok,
  };
}

/** Connect to a target (exit 3 when unreachable), run, close. */
export async function maintainTarget(target: DatabaseTarget, options: MaintenanceOptions = {}): Promise<MaintenanceReport> {
  const report = await withSql(target, async (sql) => {
    return await runMaintenance(sql, target.display, options);
  }, { max: 4, applicationName: "bollalabz-db/maintenance" });
  const replicas = options.replicas ?? [];
  if (replicas.length === 0) return report;
  // After the primary's run (its counters are read after ANALYZE too), the replicas' counters.
  const usage = [];
  for (const [i, replica] of replicas.entries()) usage.push(await replicaIndexUsage(replica, `replica-${i + 1}`, options.schema ?? "public"));
  return { ...report, unused: mergeUnusedAcrossNodes(report.unused, target.display, usage) };
}

export function writeMaintenanceJson(report: MaintenanceReport, file: string): string {
  return writeReportFile(file, report);
}
