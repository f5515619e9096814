// The database-wide checks of a verification run, each with its threshold
// and, when it fails, the fix. Only `gating` checks can fail the run (exit 5);
// the others are reported for the operator.
import { checkPgStatStatements } from "../checks/pg-stat-statements.ts";
import { CACHE_HIT_RATIO_MIN, cacheHitRatio, meetsCacheHitGoal } from "../checks/database-health.ts";
import { findInvalidIndexes, findRedundantIndexes, findUnusedIndexes, statsResetAt } from "../checks/index-health.ts";
import { findSettingsDrift } from "../checks/settings-drift.ts";
import type { Sql } from "../db/index.ts";
import { SERVER_SETTINGS } from "../settings/server-settings.ts";
import type { WorkloadDelta } from "./workload-counters.ts";
import { formatPercent } from "../base/format.ts";

/** Spec "Verification Steps": index usage > 80% over the verification workload. */
export const INDEX_USAGE_RATIO_MIN = 0.8;
/** Fewer scans / buffer accesses than this and a ratio says nothing: "insufficient data". */
export const MIN_SCANS_FOR_RATIO = 20;
export const MIN_BLOCKS_FOR_RATIO = 100;

export type CheckStatus = "pass" | "fail" | "warn" | "info" | "insufficient data";

export interface DatabaseCheck {
  readonly name: string;
  readonly status: CheckStatus;
  /** A failing gating check fails the run (exit 5). */
  readonly gating: boolean;
  readonly summary: string;
  readonly value?: number | null;
  readonly threshold?: string;
  readonly fix?: string;
  readonly details?: unknown;
}

const pct = (x: number) => formatPercent(x);

export async function runDatabaseChecks(sql: Sql, workload: WorkloadDelta): Promise<DatabaseCheck[]> {
  const checks: DatabaseCheck[] = [];

  const stat = await checkPgStatStatements(sql);
  checks.push({
    name: "pg_stat_statements",
    status: stat.ok ? "pass" : "fail",
    gating: false,
    summary: stat.ok ? "installed, preloaded, created and readable" : `not ready at step '${stat.failedStep}'`,
    ...(stat.ok ? {} : { fix: stat.steps.find((s) => !s.ok)?.fix }),
    details: stat.steps,
  });

  // Over the measured runs only (timed + EXPLAIN; the warm-up happened before the snapshot).
  const blocks = workload.heapHit + workload.heapRead + workload.idxHit + workload.idxRead;
  const hitRatio = blocks === 0 ? null : (workload.heapHit + workload.idxHit) / blocks;
  const sinceReset = await cacheHitRatio(sql);
  checks.push({
    name: "cache hit ratio",
    status: hitRatio === null || blocks < MIN_BLOCKS_FOR_RATIO ? "insufficient data" : meetsCacheHitGoal(hitRatio) ? "pass" : "warn",
    gating: false,
    value: hitRatio,
    threshold: `> ${pct(CACHE_HIT_RATIO_MIN)}`,
    summary:
      hitRatio === null || blocks < MIN_BLOCKS_FOR_RATIO
        ? `insufficient data: ${blocks} buffer accesses during the measured runs`
        : `${pct(hitRatio)} of ${blocks.toLocaleString("en-US")} buffer accesses during the measured runs after warm-up (since the counters started: tables ${sinceReset.tables === null ? "-" : pct(sinceReset.tables)}, indexes ${sinceReset.indexes === null ? "-" : pct(sinceReset.indexes)})`,
    ...(hitRatio !== null && !meetsCacheHitGoal(hitRatio) ? { fix: "The working set does not fit in shared_buffers: raise shared_buffers (src/settings/server-settings.ts) or the server's memory." } : {}),
    details: { workload: { heapHit: workload.heapHit, heapRead: workload.heapRead, idxHit: workload.idxHit, idxRead: workload.idxRead }, sinceReset },
  });

  const scans = workload.idxScans + workload.seqScans;
  const usage = scans === 0 ? null : workload.idxScans / scans;
  checks.push({
    name: "index usage ratio",
    status: usage === null || scans < MIN_SCANS_FOR_RATIO ? "insufficient data" : usage > INDEX_USAGE_RATIO_MIN ? "pass" : "warn",
    gating: false,
    value: usage,
    threshold: `> ${pct(INDEX_USAGE_RATIO_MIN)} (idx_scan / (idx_scan + seq_scan))`,
    summary:
      usage === null || scans < MIN_SCANS_FOR_RATIO
        ? `insufficient data: ${scans} table scans counted during the measured runs`
        : `${pct(usage)}: ${workload.idxScans} index scans, ${workload.seqScans} sequential scans during the measured runs (counters are database-wide: other sessions add to them)`,
    details: workload.tables,
  });

  const invalid = await findInvalidIndexes(sql);
  checks.push(findingsCheck("invalid indexes", invalid, {
    status: "fail",
    gating: true,
    threshold: "0",
    summary: () => `${invalid.length}: ${invalid.map((i) => i.index).join(", ")}`,
    fix: "An interrupted CREATE INDEX CONCURRENTLY left them: DROP INDEX CONCURRENTLY IF EXISTS <name>; then 'npm run migrate' builds them again.",
  }));

  const unused = await findUnusedIndexes(sql);
  const resetAt = await statsResetAt(sql);
  checks.push(findingsCheck("unused indexes", unused, {
    status: "info",
    summary: () => `${unused.length} never scanned since ${resetAt ? resetAt.toISOString() : "the counters started"}: ${unused.map((u) => u.index).join(", ")}`,
  }));

  const redundant = await findRedundantIndexes(sql);
  checks.push(findingsCheck("redundant indexes", redundant, {
    status: "warn",
    summary: () => redundant.map((r) => `${r.index} (covered by ${r.coveredBy})`).join(", "),
    fix: "Drop the covered index in a migration (DROP INDEX CONCURRENTLY) after checking no query needs it.",
  }));

  const differing = await findSettingsDrift(sql);
  checks.push(findingsCheck("server settings", differing, {
    status: "warn",
    passSummary: `all ${SERVER_SETTINGS.length} match src/settings/server-settings.ts`,
    summary: () => `${differing.length} of ${SERVER_SETTINGS.length} differ: ${differing.map((d) => `${d.name} = ${d.actual ?? "(unknown)"} (expected ${d.expected})`).join(", ")}`,
    fix: "Apply src/settings/server-settings.ts to the server (the embedded server and the Pulumi container do; a managed server needs its parameter group changed).",
  }));

  return checks;
}

/** A check that passes when it finds nothing; each finding is listed in `details`, the fix shown only when there are findings. */
function findingsCheck(
  name: string,
  findings: readonly unknown[],
  verdict: { status: CheckStatus; gating?: boolean; threshold?: string; passSummary?: string; summary: () => string; fix?: string },
): DatabaseCheck {
  const found = findings.length > 0;
  return {
    name,
    status: found ? verdict.status : "pass",
    gating: verdict.gating ?? false,
    value: findings.length,
    ...(verdict.threshold === undefined ? {} : { threshold: verdict.threshold }),
    summary: found ? verdict.summary() : (verdict.passSummary ?? "none"),
    ...(found && verdict.fix ? { fix: verdict.fix } : {}),
    details: findings,
  };
}
