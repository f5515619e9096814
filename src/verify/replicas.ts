// verify across nodes: a thin layer over the per-target verification. The
// primary is verified as always; then each replica (a hot standby serving
// reads) gets the same catalog run of its own (its own plans and timings),
// a check that every performance index exists there and is valid, and its lag
// before and after. A replica lagging more than the threshold fails the run:
// its answers would be stale, whatever its plans.
import { EXIT, UserError } from "../base/errors.ts";
import { writeReportFile } from "../base/report-file.ts";
import { withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { PERFORMANCE_INDEXES } from "../indexes/performance-indexes.ts";
import { nodeRole, standbyLag, type StandbyLag } from "../replication/status.ts";
import { measureCatchUp } from "../replication/wait.ts";
import type { VerifyReport, WrittenReports } from "./report.ts";
import { verifyTarget, type VerifyTargetOptions } from "./verify.ts";

/** Default --max-replica-lag: reads more than this behind the primary fail verify. */
export const MAX_REPLICA_LAG_SECONDS = 30;

export interface ReplicaIndexCheck {
  /** Performance indexes absent on the replica. */
  readonly missing: readonly string[];
  /** Present but not valid/ready (a concurrent build that failed, replayed). */
  readonly invalid: readonly string[];
}

export interface ReplicaVerification {
  /** replica-1, replica-2, ... in the order given. */
  readonly node: string;
  readonly database: string;
  readonly lagBefore: ReplicaLag;
  readonly lagAfter: ReplicaLag;
  readonly indexes: ReplicaIndexCheck;
  readonly report: VerifyReport;
  readonly written: WrittenReports;
  /** Why this replica fails the run (empty when it passes). */
  readonly problems: readonly string[];
  readonly passed: boolean;
}

export interface MultiNodeVerification {
  readonly primary: { readonly report: VerifyReport; readonly written: WrittenReports };
  readonly replicas: readonly ReplicaVerification[];
  readonly maxReplicaLagSeconds: number;
  /** The primary passed and every replica passed. */
  readonly passed: boolean;
  /** The merged JSON report, when --json was given. */
  readonly json?: string;
}

/** Every performance index on this server: missing ones and invalid ones. */
export async function checkPerformanceIndexes(sql: Sql, schema = "public"): Promise<ReplicaIndexCheck> {
  const names = PERFORMANCE_INDEXES.map((i) => i.name);
  const rows = await sql<{ name: string; valid: boolean }[]>`
    SELECT c.relname AS name, (i.indisvalid AND i.indisready) AS valid
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relname = ANY(${names})`;
  const found = new Map(rows.map((r) => [r.name, r.valid]));
  return { missing: names.filter((n) => !found.has(n)), invalid: names.filter((n) => found.get(n) === false) };
}

/**
 * The standby's own figure (postgres_exporter's pg_replication_lag_seconds) plus
 * `catchUpSeconds`: how long it took to replay the primary's position at the
 * time of asking (null: not within --max-replica-lag). The threshold is judged
 * on the latter, which a long commit-less index build does not inflate.
 */
export type ReplicaLag = StandbyLag & { readonly catchUpSeconds: number | null };

async function replicaLag(primary: DatabaseTarget, target: DatabaseTarget, node: string, maxLagSeconds: number): Promise<ReplicaLag> {
  return withSql(
    target,
    async (sql) => {
      if ((await nodeRole(sql)) !== "standby") {
        throw new UserError(
          `${node} (${target.display}) is not a standby (pg_is_in_recovery() is false): --replica takes the URL of a streaming replica. ` +
            `Verify a primary on its own (DATABASE_URL), or give the replica's URL (embedded: npm run -s db:status -- --replica-urls).`,
          EXIT.usage,
        );
      }
      const lag = await standbyLag(sql);
      const catchUp = await withSql(primary, (primarySql) => measureCatchUp(primarySql, sql, { timeoutMs: maxLagSeconds * 1000 }), { max: 1, applicationName: "bollalabz-db verify" });
      return { ...lag, catchUpSeconds: catchUp.seconds };
    },
    { max: 1, applicationName: "bollalabz-db verify" },
  );
}

/** reports/verify-<time>.md -> reports/verify-<time>-replica-1.md (same for .json). */
export function nodeReportPath(file: string, node: string): string {
  const dot = file.lastIndexOf(".");
  return dot > file.lastIndexOf("/") ? `${file.slice(0, dot)}-${node}${file.slice(dot)}` : `${file}-${node}`;
}

export interface VerifyNodesOptions extends VerifyTargetOptions {
  readonly maxReplicaLagSeconds?: number;
  readonly log?: (line: string) => void;
  /** A progress callback per node ("primary", "replica-1", ...); overrides onProgress. */
  readonly progressFor?: (node: string) => VerifyTargetOptions["onProgress"];
}

/** Verify the primary, then each replica with the same options; merge the outcomes. */
export async function verifyWithReplicas(primary: DatabaseTarget, replicas: readonly DatabaseTarget[], options: VerifyNodesOptions = {}): Promise<MultiNodeVerification> {
  const maxLag = options.maxReplicaLagSeconds ?? MAX_REPLICA_LAG_SECONDS;
  const nodes = replicas.map((target, i) => ({ target, node: `replica-${i + 1}` }));
  // Lag first: a replica that is not a standby, or unreachable, stops the run before minutes of measuring.
  const before = new Map<string, ReplicaLag>();
  for (const { target, node } of nodes) before.set(node, await replicaLag(primary, target, node, maxLag));

  const primaryRun = await verifyTarget(primary, { ...options, json: undefined, onProgress: options.progressFor?.("primary") ?? options.onProgress });
  const results: ReplicaVerification[] = [];
  for (const { target, node } of nodes) {
    options.log?.(`verifying ${node}: ${target.display}`);
    const indexes = await withSql(target, (sql) => checkPerformanceIndexes(sql), { max: 1, applicationName: "bollalabz-db verify" });
    // statsSamples 0: a standby cannot ANALYZE, and its statistics are the primary's (replayed), so
    // plan stability under fresh samples is judged on the primary only.
    const run = await verifyTarget(target, {
      ...options,
      statsSamples: 0,
      // The baseline is the primary's (one file per run); replicas are compared with the primary instead.
      baseline: undefined,
      saveBaseline: undefined,
      json: undefined,
      markdown: nodeReportPath(primaryRun.written.markdown, node),
      onProgress: options.progressFor?.(node) ?? options.onProgress,
    });
    const lagAfter = await replicaLag(primary, target, node, maxLag);
    const lagBefore = before.get(node)!;
    const problems: string[] = [];
    for (const [when, lag] of [["before", lagBefore], ["after", lagAfter]] as const) {
      if (lag.catchUpSeconds === null) {
        problems.push(
          `lagged more than --max-replica-lag ${maxLag} s behind the primary ${when} the run: it did not replay the primary's WAL position within ${maxLag} s ` +
            `(its own pg_replication_lag_seconds: ${lag.lagSeconds.toFixed(1)} s), so its reads are stale. Check its log and network, or raise --max-replica-lag if that much is acceptable`,
        );
      }
    }
    if (!lagAfter.streaming) problems.push("is not streaming from the primary after the run (its WAL receiver is down): check the replica's log and primary_conninfo");
    if (indexes.missing.length) problems.push(`lacks ${indexes.missing.length} performance index(es): ${indexes.missing.join(", ")} (run 'npm run migrate' on the primary and wait for the replica to replay it)`);
    if (indexes.invalid.length) problems.push(`has ${indexes.invalid.length} INVALID performance index(es): ${indexes.invalid.join(", ")} (a failed concurrent build on the primary: 'npm run migrate' there drops and rebuilds them)`);
    if (!run.report.passed) problems.push(`grade ${run.report.grade} is below the minimum ${run.report.minGrade}${run.report.summary.failing.length ? ` (failing: ${run.report.summary.failing.join(", ")})` : ""}`);
    results.push({ node, database: target.display, lagBefore, lagAfter, indexes, report: run.report, written: run.written, problems, passed: problems.length === 0 });
  }
  const passed = primaryRun.report.passed && results.every((r) => r.passed);
  const json = options.json
    ? writeReportFile(options.json, { ...primaryRun.report, passed, primaryPassed: primaryRun.report.passed, maxReplicaLagSeconds: maxLag, replicas: results.map(({ written: _w, ...r }) => r) })
    : undefined;
  return { primary: primaryRun, replicas: results, maxReplicaLagSeconds: maxLag, passed, ...(json ? { json } : {}) };
}

const catchUp = (lag: ReplicaLag) => (lag.catchUpSeconds === null ? "timeout" : lag.catchUpSeconds.toFixed(2));
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "-");

/** One row per node: grade, passing queries, mean and p95 over the catalog, lag, indexes. */
export function formatNodeSummary(result: MultiNodeVerification): string {
  const rows: string[][] = [];
  const p = result.primary.report;
  const p95 = (r: VerifyReport) => {
    const ran = r.queries.filter((q) => q.client.runs > 0);
    return ran.length ? ran.reduce((s, q) => s + q.client.p95, 0) / ran.length : NaN;
  };
  rows.push(["primary", p.grade, `${p.summary.passed}/${p.summary.queries}`, ms(p.summary.meanMs), ms(p95(p)), "-", "-", p.passed ? "pass" : "FAIL"]);
  for (const r of result.replicas) {
    const x = r.report;
    const indexState = r.indexes.missing.length + r.indexes.invalid.length === 0 ? "all valid" : `${r.indexes.missing.length} missing, ${r.indexes.invalid.length} invalid`;
    rows.push([r.node, x.grade, `${x.summary.passed}/${x.summary.queries}`, ms(x.summary.meanMs), ms(p95(x)), `${catchUp(r.lagBefore)} -> ${catchUp(r.lagAfter)} s`, indexState, r.passed ? "pass" : "FAIL"]);
  }
  const header = ["node", "grade", "queries ok", "mean ms", "mean p95 ms", "catch-up before -> after", "perf. indexes", "result"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = ["", "nodes:", line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  for (const r of result.replicas) {
    for (const problem of r.problems) out.push(`${r.node} ${problem}`);
    out.push(`${r.node} report: ${r.written.markdown}`);
  }
  out.push(`all nodes: ${result.passed ? "OK" : "BELOW THE BAR"} (max replica lag ${result.maxReplicaLagSeconds} s)`);
  return out.join("\n");
}
