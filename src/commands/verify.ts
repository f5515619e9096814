// npm run verify (alias: npm run test:performance) — run the query catalog
// against DATABASE_URL or the embedded server, check plans and the database,
// grade the result and exit non-zero below --min-grade, so it can gate a deploy.
import { formatHelp, integerFlag, outputFileFlag, parseFlags, positiveNumberFlag } from "../base/flags.ts";
import { EXIT, UserError } from "../base/errors.ts";
import { progressBar, type ProgressBar } from "../base/progress.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { BUILT_IN_CATALOG, catalogFromFlag } from "../catalog/load.ts";
import { parseGrade } from "../verify/grade.ts";
import { SEQ_SCAN_ROW_THRESHOLD } from "../catalog/plan-analysis.ts";
import { formatVerifyTable } from "../verify/report.ts";
import { DEFAULT_RUNS, DEFAULT_STATS_SAMPLES, DEFAULT_WARMUP } from "../verify/run-catalog.ts";
import { APP_PLAN_CACHE_MODE, PLAN_CACHE_MODES, parsePlanCacheMode } from "../settings/plan-cache.ts";
import { verifyTarget } from "../verify/verify.ts";
import { loadBaseline } from "../verify/baseline.ts";
import { replicaTargets, REPLICA_URLS_ENV } from "../replication/targets.ts";
import { formatNodeSummary, MAX_REPLICA_LAG_SECONDS, verifyWithReplicas, type VerifyNodesOptions } from "../verify/replicas.ts";
import type { DatabaseTarget } from "../db/index.ts";
import { loadStatsFile } from "../stats/format.ts";
import { verifyWithStatistics } from "../verify/stats-twin.ts";
import { seedProgressDisplay } from "../seed/cli.ts";
import type { CommandContext } from "./run-command.ts";

const spec = {
  usage: "npm run verify --",
  options: {
    runs: { type: "string" },
    warmup: { type: "string" },
    catalog: { type: "string" },
    json: { type: "string" },
    markdown: { type: "string" },
    "min-grade": { type: "string" },
    "seq-scan-rows": { type: "string" },
    "stats-samples": { type: "string" },
    "plan-cache-mode": { type: "string" },
    "save-baseline": { type: "string" },
    baseline: { type: "string" },
    replica: { type: "string", multiple: true },
    "max-replica-lag": { type: "string" },
    stats: { type: "string" },
    yes: { type: "boolean" },
  },
  help: {
    runs: `timed runs per query and parameter variant (default ${DEFAULT_RUNS}, at least 5)`,
    warmup: `untimed warm-up runs before them (default ${DEFAULT_WARMUP})`,
    catalog: "your own catalog, JSON or YAML (default: the built-in src/catalog/entries.ts)",
    json: "also write the machine-readable report to this file",
    markdown: "Markdown report path (default reports/verify-<timestamp>.md, chart beside it as .svg)",
    "min-grade": "exit 5 below this grade: A+, A, B, C, D or F (default A)",
    "seq-scan-rows": `a sequential scan on a table with at least this many rows fails a query (default ${SEQ_SCAN_ROW_THRESHOLD})`,
    "stats-samples": `fresh ANALYZE samples to check every plan under (default ${DEFAULT_STATS_SAMPLES}; 0 = off)`,
    "plan-cache-mode": `plan_cache_mode of the app's connections: ${PLAN_CACHE_MODES.join(", ")} (default ${APP_PLAN_CACHE_MODE}, what the project's pool sets)`,
    "save-baseline": "record per query and variant the plan signature, buffers, rows and server time in this JSON file",
    baseline: "compare with a saved baseline: exit 5 on a regression (expected index lost, costlier plan, buffers doubled)",
    replica: `also verify this streaming replica (repeatable; default: ${REPLICA_URLS_ENV}, comma-separated): catalog, plans, performance indexes, lag`,
    "max-replica-lag": `a replica more than this many seconds behind the primary fails the run (default ${MAX_REPLICA_LAG_SECONDS})`,
    stats: "a file of npm run stats:export: build a statistics twin here (data sized to its pages, its statistics restored; PostgreSQL 18+) and verify against it (implies --stats-samples 0)",
    yes: "--stats: build the twin even on a database not marked scratch/development (its data and statistics are replaced)",
  },
} as const;

export async function main(argv: string[], { setInterruptedState }: CommandContext): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) {
    console.log(formatHelp(spec));
    console.log("\nexit codes: 0 grade at or above --min-grade; 2 bad flag or catalog; --stats: bad or truncated file, another schema, PostgreSQL < 18,\n            a database not marked scratch/development without --yes; 3 database unreachable;\n            4 not ready (no pg_stat_statements, no schema, no data, cannot enter the reader role bollalabz_verify; --stats: no MAINTAIN on the tables);\n            5 below --min-grade, an invalid index, or a regression against --baseline; 130/143 interrupted (SIGINT/SIGTERM)");
    return;
  }
  const runs = integerFlag("runs", values.runs, DEFAULT_RUNS, 5, 100_000);
  const warmup = integerFlag("warmup", values.warmup, DEFAULT_WARMUP, 0, 10_000);
  const seqScanRowThreshold = integerFlag("seq-scan-rows", values["seq-scan-rows"], SEQ_SCAN_ROW_THRESHOLD, 0);
  const minGrade = parseGrade(values["min-grade"]);
  const statsSamples = integerFlag("stats-samples", values["stats-samples"], DEFAULT_STATS_SAMPLES, 0, 100);
  const appPlanCacheMode = parsePlanCacheMode(values["plan-cache-mode"]);
  const catalog = catalogFromFlag(values.catalog);
  const json = outputFileFlag("json", values.json);
  const markdown = outputFileFlag("markdown", values.markdown);
  const saveBaseline = outputFileFlag("save-baseline", values["save-baseline"]);
  // Read before the run: a missing or bad baseline fails in a second, not after minutes.
  const baseline = values.baseline !== undefined ? { file: values.baseline, baseline: loadBaseline(values.baseline) } : undefined;

  const statsFile = values.stats !== undefined ? loadStatsFile(values.stats) : undefined;
  if (statsFile && statsSamples > 0 && values["stats-samples"] !== undefined) {
    throw new UserError(`--stats restores the file's statistics and --stats-samples ${statsSamples} would ANALYZE over them: leave --stats-samples out (--stats implies 0).`);
  }
  const replicas = replicaTargets(values.replica);
  if (statsFile && replicas.length > 0) throw new UserError("--stats builds a twin on the primary; a replica cannot take restored statistics. Leave out --replica (and DATABASE_REPLICA_URLS) with --stats.");
  const maxReplicaLagSeconds = positiveNumberFlag("max-replica-lag", values["max-replica-lag"], MAX_REPLICA_LAG_SECONDS, 86_400);

  setInterruptedState("verify interrupted: nothing changed on the server (the catalog runs read-only as the reader role and every transaction, the ANALYZE samples too, is rolled back) and no report was written; run npm run verify again");
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  console.error(`verifying ${target.display}: ${catalog.length} queries, ${runs} runs each after ${warmup} warm-up`);
  // The same run options for the primary alone and for primary + replicas.
  const runOptions = {
    catalog,
    catalogSource: values.catalog ?? BUILT_IN_CATALOG,
    minGrade,
    runs,
    warmup,
    seqScanRowThreshold,
    statsSamples,
    appPlanCacheMode,
    json,
    markdown,
    baseline,
    saveBaseline,
  };
  if (replicas.length > 0) return verifyPrimaryAndReplicas(target, replicas, { ...runOptions, maxReplicaLagSeconds });
  // Created on the first progress event: readiness errors come before it.
  let bar: ProgressBar | undefined;
  const onProgress = (e: { done: number }) => (bar ??= progressBar("verify", catalog.length, "queries")).update(e.done);
  const { report, written } = statsFile
    ? await verifyWithStatistics(target, statsFile, { ...runOptions, onProgress, yes: values.yes === true, log: (l) => console.error(l), onSeedProgress: seedProgressDisplay("  ") })
    : await verifyTarget(target, { ...runOptions, onProgress });
  bar?.finish(`ran ${catalog.length} queries in ${(report.durationMs / 1000).toFixed(1)} s`);
  console.log(formatVerifyTable(report));
  console.log(`\nreport: ${written.markdown}${written.json ? `\njson:   ${written.json}` : ""}`);
  return report.passed ? EXIT.ok : EXIT.failed;
}

/** --replica: the catalog on the primary and on each replica, a progress bar and a table for each, then the summary across nodes. */
async function verifyPrimaryAndReplicas(target: DatabaseTarget, replicas: readonly DatabaseTarget[], runOptions: VerifyNodesOptions & Required<Pick<VerifyNodesOptions, "catalog">>): Promise<number> {
  const catalog = runOptions.catalog;
  console.error(`and ${replicas.length} replica(s): ${replicas.map((r) => r.display).join(", ")}`);
  const bars = new Map<string, ProgressBar>();
  const result = await verifyWithReplicas(target, replicas, {
    ...runOptions,
    log: (l) => console.error(l),
    progressFor: (node) => (e) => {
      let bar = bars.get(node);
      if (!bar) bars.set(node, (bar = progressBar(`verify ${node}`, catalog.length, "queries")));
      bar.update(e.done);
      if (e.done === catalog.length) bar.finish(`${node}: ran ${catalog.length} queries`);
    },
  });
  console.log(`== primary: ${result.primary.report.database}`);
  console.log(formatVerifyTable(result.primary.report));
  for (const r of result.replicas) {
    console.log(`\n== ${r.node}: ${r.database}`);
    console.log(formatVerifyTable(r.report));
  }
  console.log(formatNodeSummary(result));
  console.log(`\nreport: ${result.primary.written.markdown}${result.json ? `\njson:   ${result.json}` : ""}`);
  return result.passed ? EXIT.ok : EXIT.failed;
}
