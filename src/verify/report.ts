// Output of a verification run: a readable terminal table, the JSON report
// (top-level `grade`, `queries`, `checks`) and a Markdown report with an SVG
// latency chart under reports/.
import { formatTwinReport, type TwinReport } from "../stats/twin.ts";
import path from "node:path";
import { defaultReportPath, writeReportFile } from "../base/report-file.ts";
import { barChartSvg } from "./chart.ts";
import { describeScans } from "../catalog/plan-analysis.ts";
import type { QueryResult } from "./run-catalog.ts";
import { formatMsCell } from "../base/format.ts";
import type { DatabaseCheck } from "./database-checks.ts";
import type { Grade } from "./grade.ts";
import type { LatencyStats } from "../base/statistics.ts";
import type { StabilityRun } from "../catalog/plan-stability.ts";
import { formatComparison, type BaselineComparison } from "./baseline.ts";
import type { PlanCacheMode } from "../settings/plan-cache.ts";


/** What one verification run found (src/verify/verify.ts builds it; this module prints and writes it). */
export interface VerifyReport {
  readonly tool: "bollalabz-db verify";
  readonly generatedAt: string;
  readonly database: string;
  readonly serverVersion: string;
  readonly catalog: { readonly source: string; readonly entries: number };
  readonly options: { readonly runs: number; readonly warmup: number; readonly explainRuns: number; readonly seqScanRowThreshold: number | null; readonly statsSamples: number };
  /** plan_cache_mode the catalog was judged under (the app's connections'). */
  readonly appPlanCacheMode: PlanCacheMode;
  /** The fresh statistics samples the plans were checked under. */
  readonly stability: StabilityRun;
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
    /** Raw-table reference entries measured beside the rollups they replace (not graded). */
    readonly references?: number;
  };
  readonly roundTrip: LatencyStats;
  readonly queries: readonly QueryResult[];
  readonly checks: readonly DatabaseCheck[];
  readonly durationMs: number;
  /** --baseline: the comparison (regressions fail the run). */
  readonly baseline?: BaselineComparison;
  /** --save-baseline: the file written. */
  readonly savedBaseline?: string;
  /** --stats FILE: the statistics twin the run measured (restored, refused, sizes). */
  readonly statsTwin?: TwinReport;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function planCell(q: QueryResult): string {
  const plans = q.variants.filter((v) => v.plan).map((v) => describeScans(v.plan!));
  return [...new Set(plans)].join(" | ") || "-";
}

/** A raw-table reference is not graded: it says what it is the reference of. */
function resultCell(q: QueryResult, fail: string): string {
  if (q.referenceFor !== undefined) return `reference for ${q.referenceFor}`;
  return q.pass ? "pass" : fail;
}

export function formatVerifyTable(report: VerifyReport): string {
  const rows = report.queries.map((q) => [
    q.name,
    q.kind,
    String(q.client.runs),
    formatMsCell(q.client.min),
    formatMsCell(q.client.median),
    formatMsCell(q.client.mean),
    formatMsCell(q.client.p95),
    formatMsCell(q.client.max),
    formatMsCell(q.server.min),
    String(q.budgetMs),
    resultCell(q, "FAIL"),
  ]);
  const out = [
    table(["query", "kind", "runs", "min", "median", "mean", "p95", "max", "server", "budget", "result"], rows, new Set([2, 3, 4, 5, 6, 7, 8, 9])),
    `(client-side ms over all parameter variants; server = fastest EXPLAIN ANALYZE execution time (judged with min: the fastest run, minus the floor, against the budget); SELECT 1 round trip median ${formatMsCell(report.roundTrip.median)} ms)`,
  ];
  const failing = report.queries.filter((q) => !q.pass && q.referenceFor === undefined);
  if (failing.length > 0) {
    out.push("", "failures:");
    for (const q of failing) for (const f of q.failures) out.push(`  ${q.name}: ${f}`);
  }
  out.push("", ...formatFlips(report));
  out.push("", "database checks:");
  for (const c of report.checks) {
    out.push(`  [${c.status}] ${c.name}: ${c.summary}${c.status === "fail" || c.status === "warn" ? (c.fix ? `\n      fix: ${c.fix}` : "") : ""}`);
  }
  const s = report.summary;
  out.push(
    "",
    `grade ${report.grade}: ${s.passed}/${s.queries} queries pass (${(s.passRate * 100).toFixed(0)}%), mean ${formatMsCell(s.meanMs)} ms; minimum ${report.minGrade}: ${report.passed ? "OK" : "BELOW THE BAR"}`,
  );
  if (!report.meetsMinGrade && s.failing.length > 0) out.push(`failing queries: ${s.failing.join(", ")}`);
  if (report.baseline) out.push("", formatComparison(report.baseline));
  if (report.savedBaseline) out.push(`baseline saved: ${report.savedBaseline}`);
  const gatingFailed = report.checks.filter((c) => c.gating && c.status === "fail");
  if (gatingFailed.length > 0) out.push(`failed checks: ${gatingFailed.map((c) => c.name).join(", ")}`);
  return out.join("\n");
}

/** The plan flips side by side (best plan | the other plan), and the fix verify recommends for each query. */
export function formatFlips(report: VerifyReport): string[] {
  const st = report.stability;
  const head = `plan stability: custom and generic plans${st.done > 0 ? `, and under ${st.done} fresh statistics sample(s) of ${st.tables.length} tables` : ""}; app plan_cache_mode = ${report.appPlanCacheMode}${st.skipped ? ` (statistics samples: ${st.skipped})` : ""}`;
  const out = [head];
  for (const q of report.queries) {
    for (const v of q.variants) {
      for (const f of v.flips) {
        if (f.ratio < 2 && !f.fails) continue;
        const ratio = f.ratio >= 100 ? f.ratio.toFixed(0) : f.ratio.toFixed(1);
        const side = (label: string, p: typeof f.best) => `    ${label} ${formatMsCell(p.executionMs).padStart(8)} ms ${String(p.buffers).padStart(7)} buf  ${p.signature}  [${p.sources.join(", ")}]`;
        out.push(`  ${q.name}/${v.name}: ${ratio}x slower — ${f.fails ? "FAIL" : f.appRuns ? "within the rule" : "the app never runs it"}`, side("best ", f.best), side("other", f.other));
      }
    }
  }
  if (out.length === 1) out.push("  no flip to a plan at least 2x slower");
  const fixes = report.queries.filter((q) => q.fixes.length > 0);
  if (fixes.length > 0) {
    out.push("", "recommended fixes:");
    for (const q of fixes) for (const f of q.fixes) out.push(`  ${q.name}: ${f}`);
  }
  return out;
}

export function verifyChartSvg(report: VerifyReport): string {
  const ran = report.queries.filter((q) => q.client.runs > 0);
  return barChartSvg(
    `Query latency (client-side, ${report.database}, grade ${report.grade})`,
    ran.map((q) => q.name),
    [
      { label: "median", color: "#4878d0", values: ran.map((q) => q.client.median) },
      { label: "p95", color: "#ee854a", values: ran.map((q) => q.client.p95) },
      { label: "budget", color: "#cccccc", values: ran.map((q) => q.budgetMs) },
    ],
  );
}

const mdEscape = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function markdownReport(report: VerifyReport, chartFile?: string): string {
  const s = report.summary;
  const out: string[] = [
    `# Verification report: grade ${report.grade}`,
    "",
    `- database: \`${report.database}\` (PostgreSQL ${report.serverVersion})`,
    `- generated: ${report.generatedAt}, took ${(report.durationMs / 1000).toFixed(1)} s`,
    `- catalog: ${report.catalog.source} (${report.catalog.entries} queries); ${report.options.runs} timed runs per parameter variant after ${report.options.warmup} warm-up runs, ${report.options.explainRuns} EXPLAIN ANALYZE runs`,
    `- result: ${s.passed}/${s.queries} queries pass (${(s.passRate * 100).toFixed(1)}%), mean ${formatMsCell(s.meanMs)} ms; minimum grade ${report.minGrade}: **${report.passed ? "OK" : "below the bar"}**`,
    `- SELECT 1 round trip (the floor): median ${formatMsCell(report.roundTrip.median)} ms, p95 ${formatMsCell(report.roundTrip.p95)} ms`,
    "",
    "Grade: A+ every query passes and the mean is under 50 ms; A every query passes and the mean is under 100 ms; B at least 90% pass; C 80%; D 70%; F below. A query passes when every parameter variant uses its expected index(es), reads no large table sequentially (unless allowed), keeps buffers and rows per execution within budget for every plan the app can run, has no plan flip to a plan more than 10x slower, and keeps its server-side time and its client-side time above the SELECT 1 floor (each the fastest of its runs) within the time budget (a variant failing on time is measured again first).",
    "",
    "## Queries (client-side ms)",
    "",
    "| query | kind | runs | min | median | mean | p95 | max | server median | budget | plan | result |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ...report.queries.map(
      (q) =>
        `| ${q.name} | ${q.kind} | ${q.client.runs} | ${formatMsCell(q.client.min)} | ${formatMsCell(q.client.median)} | ${formatMsCell(q.client.mean)} | ${formatMsCell(q.client.p95)} | ${formatMsCell(q.client.max)} | ${formatMsCell(q.server.median)} | ${q.budgetMs} | ${mdEscape(planCell(q))} | ${resultCell(q, "**FAIL**")} |`,
    ),
  ];
  if (chartFile) out.push("", `![latency per query](${chartFile})`);
  const failing = report.queries.filter((q) => !q.pass && q.referenceFor === undefined);
  if (failing.length > 0) {
    out.push("", "## Failures", "");
    for (const q of failing) for (const f of q.failures) out.push(`- **${q.name}**: ${mdEscape(f)}`);
  }
  out.push("", "## Parameter variants", "", "| query | variant | params | median | p95 | server | plan | indexes used | shared hit / read |", "| --- | --- | --- | ---: | ---: | ---: | --- | --- | ---: |");
  for (const q of report.queries) {
    for (const v of q.variants) {
      out.push(
        `| ${q.name} | ${v.name} | ${mdEscape(JSON.stringify(v.params).slice(0, 60) + (v.paramSource ? ` (from ${v.paramSource})` : ""))} | ${formatMsCell(v.client.median)} | ${formatMsCell(v.client.p95)} | ${formatMsCell(v.server.median)} | ${v.plan ? (v.genericPlan ? "generic" : "custom") : "-"} | ${mdEscape(v.plan?.indexesUsed.join(", ") || "-")} | ${v.plan ? `${v.plan.sharedHitBlocks} / ${v.plan.sharedReadBlocks}` : "-"} |`,
      );
    }
  }
  out.push("", "## Plans seen per variant", "", `Custom plan, generic plan and the plans under ${report.stability.done} fresh statistics sample(s)${report.stability.skipped ? ` (${mdEscape(report.stability.skipped)})` : ""}; the app's plan_cache_mode: ${report.appPlanCacheMode}.`, "", "| query | variant | plan signature | seen as | ms | buffers | rows read | app runs it |", "| --- | --- | --- | --- | ---: | ---: | ---: | --- |");
  for (const q of report.queries) {
    for (const v of q.variants) {
      for (const p of v.plans) out.push(`| ${q.name} | ${v.name} | ${mdEscape(p.signature)} | ${p.sources.join(", ")} | ${formatMsCell(p.executionMs)} | ${p.buffers} | ${p.rowsRead} | ${p.appRuns ? "yes" : "no"} |`);
    }
  }
  const fixes = report.queries.filter((q) => q.fixes.length > 0);
  if (fixes.length > 0) {
    out.push("", "## Recommended fixes", "");
    for (const q of fixes) for (const f of q.fixes) out.push(`- **${q.name}**: ${mdEscape(f)}`);
  }
  if (report.baseline) {
    out.push("", "## Baseline", "", `Compared with \`${report.baseline.file}\`: ${report.baseline.regressions.length} regression(s).`, "");
    for (const r of report.baseline.regressions) out.push(`- **${r.query} / ${r.variant}**: ${r.what}: ${mdEscape(r.detail)}`);
    for (const n of report.baseline.notes) out.push(`- note: ${mdEscape(n)}`);
  }
  if (report.statsTwin) out.push("", "## Statistics twin", "", "```text", formatTwinReport(report.statsTwin), "```");
  out.push("", "## Database checks", "", "| check | status | result | fix |", "| --- | --- | --- | --- |");
  for (const c of report.checks) out.push(`| ${c.name}${c.gating ? " (gating)" : ""} | ${c.status} | ${mdEscape(c.summary)} | ${mdEscape(c.status === "pass" ? "" : (c.fix ?? ""))} |`);
  return `${out.join("\n")}\n`;
}

export interface WrittenReports {
  readonly json?: string;
  readonly markdown: string;
  readonly chart: string;
}

export function writeVerifyReports(report: VerifyReport, files: { readonly json?: string; readonly markdown?: string }): WrittenReports {
  const markdown = path.resolve(files.markdown ?? defaultReportPath("verify", "md"));
  const chart = markdown.replace(/\.md$/i, "") + ".svg";
  writeReportFile(chart, verifyChartSvg(report));
  writeReportFile(markdown, markdownReport(report, path.basename(chart)));
  const json = files.json ? writeReportFile(files.json, report) : undefined;
  return { ...(json ? { json } : {}), markdown, chart };
}
