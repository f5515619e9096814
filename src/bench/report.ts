// The measured before/after table (replacing the spec's "Expected
// Performance Improvements"), the write cost, and the targets of issue 4,
// as a terminal table, JSON and Markdown (+ SVG chart) under reports/.
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { barChartSvg } from "../verify/chart.ts";
import { defaultReportPath, writeReportFile } from "../base/report-file.ts";
import type { QueryResult } from "../verify/run-catalog.ts";
import { formatMsCell, formatPercent } from "../base/format.ts";
import type { LatencyStats } from "../base/statistics.ts";
import type { BenchResult } from "./run-bench.ts";

/** Issue 4's targets (benchmark figures at scale 10 on 2 cores, server-side). */
export const TARGETS = {
  pointListSearch: { medianMs: 1, p95Ms: 2 },
  analytics: { p95Ms: 20 },
  improvement: 0.9,
} as const;

export interface BenchQueryRow {
  readonly name: string;
  readonly kind: string;
  readonly baseline: { readonly client: LatencyStats; readonly server: LatencyStats; readonly pass: boolean; readonly error?: string };
  readonly indexed: { readonly client: LatencyStats; readonly server: LatencyStats; readonly pass: boolean; readonly indexesUsed: readonly string[]; readonly failures: readonly string[]; readonly error?: string };
  /** 1 - after median / baseline median (client-side); null when either did not run. */
  readonly improvement: number | null;
  readonly serverImprovement: number | null;
  readonly target: { readonly latencyMet: boolean; readonly improvementMet: boolean; readonly description: string };
}

function targetFor(q: QueryResult, improvement: number | null): BenchQueryRow["target"] {
  const improvementMet = improvement !== null && improvement >= TARGETS.improvement;
  if (q.kind === "analytics") {
    return { latencyMet: q.server.p95 <= TARGETS.analytics.p95Ms, improvementMet, description: `server p95 <= ${TARGETS.analytics.p95Ms} ms` };
  }
  const t = TARGETS.pointListSearch;
  return { latencyMet: q.server.median <= t.medianMs && q.server.p95 <= t.p95Ms, improvementMet, description: `server median <= ${t.medianMs} ms, p95 <= ${t.p95Ms} ms` };
}

const ratio = (before: number, after: number) => (Number.isFinite(before) && Number.isFinite(after) && before > 0 ? 1 - after / before : null);

export function benchRows(result: BenchResult): BenchQueryRow[] {
  const [baseline, indexed] = result.phases;
  return indexed.run.queries.map((after) => {
    const before = baseline.run.queries.find((q) => q.name === after.name)!;
    const improvement = ratio(before.client.median, after.client.median);
    return {
      name: after.name,
      kind: after.kind,
      baseline: { client: before.client, server: before.server, pass: before.pass, ...(before.error ? { error: before.error } : {}) },
      indexed: {
        client: after.client,
        server: after.server,
        pass: after.pass,
        indexesUsed: [...new Set(after.variants.flatMap((v) => v.plan?.indexesUsed ?? []))].sort(),
        failures: after.failures,
        ...(after.error ? { error: after.error } : {}),
      },
      improvement,
      serverImprovement: ratio(before.server.median, after.server.median),
      target: targetFor(after, improvement),
    };
  });
}

export interface BenchReport {
  readonly tool: "bollalabz-db bench";
  readonly generatedAt: string;
  readonly database: string;
  readonly scale: number;
  readonly seed: number;
  readonly machine: { readonly cpus: number; readonly loadavg: readonly number[]; readonly note: string };
  readonly options: { readonly runs: number; readonly warmup: number; readonly explainRuns: number; readonly writeRows: number };
  readonly durations: { readonly seedMs: number; readonly migrateMs: number; readonly totalMs: number };
  readonly roundTrip: { readonly baseline: LatencyStats; readonly indexed: LatencyStats };
  readonly indexes: { readonly baseline: number; readonly indexed: number };
  readonly grade: { readonly baseline: string; readonly indexed: string };
  readonly planFailures: { readonly baseline: number; readonly indexed: number };
  readonly targets: { readonly latencyMet: number; readonly improvementMet: number; readonly queries: number; readonly missed: readonly string[] };
  readonly queries: readonly BenchQueryRow[];
  readonly writes: readonly {
    readonly table: string;
    readonly operation: string;
    readonly rows: number;
    readonly baselineRowsPerSecond: number;
    readonly indexedRowsPerSecond: number;
    /** indexed / baseline - 1 (negative = slower with the indexes). */
    readonly change: number;
  }[];
}

/** --note of the benches whose report records the machine: its help, and what the report says without it. */
export const NOTE_FLAG_HELP = "a note about the machine for the report (e.g. other work running)";
export const DEFAULT_NOTE = "single run; other processes on the machine were not controlled";

export function buildBenchReport(result: BenchResult, options: BenchReport["options"], note: string): BenchReport {
  const [baseline, indexed] = result.phases;
  const queries = benchRows(result);
  return {
    tool: "bollalabz-db bench",
    generatedAt: new Date().toISOString(),
    database: result.database,
    scale: result.scale,
    seed: result.seed,
    machine: { cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100), note },
    options,
    durations: { seedMs: result.seedMs, migrateMs: result.migrateMs, totalMs: result.totalMs },
    roundTrip: { baseline: baseline.run.roundTrip, indexed: indexed.run.roundTrip },
    indexes: { baseline: baseline.indexes, indexed: indexed.indexes },
    grade: { baseline: baseline.grade, indexed: indexed.grade },
    planFailures: { baseline: baseline.planFailures, indexed: indexed.planFailures },
    targets: {
      latencyMet: queries.filter((q) => q.target.latencyMet).length,
      improvementMet: queries.filter((q) => q.target.improvementMet).length,
      queries: queries.length,
      missed: queries.filter((q) => !q.target.latencyMet || !q.target.improvementMet).map((q) => q.name),
    },
    queries,
    writes: baseline.writes.map((b) => {
      const a = indexed.writes.find((w) => w.table === b.table && w.operation === b.operation)!;
      return { table: b.table, operation: b.operation, rows: b.rows, baselineRowsPerSecond: b.rowsPerSecond, indexedRowsPerSecond: a.rowsPerSecond, change: a.rowsPerSecond / b.rowsPerSecond - 1 };
    }),
  };
}

const pct = (x: number | null) => (x === null ? "-" : formatPercent(x));
const num = (x: number) => Math.round(x).toLocaleString("en-US");

function table(header: readonly string[], rows: readonly (readonly string[])[], left = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function queryCells(q: BenchQueryRow): string[] {
  return [
    q.name,
    formatMsCell(q.baseline.client.median),
    formatMsCell(q.baseline.client.p95),
    formatMsCell(q.indexed.client.median),
    formatMsCell(q.indexed.client.p95),
    pct(q.improvement),
    formatMsCell(q.baseline.server.median),
    formatMsCell(q.indexed.server.median),
    formatMsCell(q.indexed.server.p95),
    q.target.latencyMet && q.target.improvementMet ? "met" : !q.target.latencyMet && !q.target.improvementMet ? "missed both" : !q.target.latencyMet ? "latency missed" : "<90% faster",
    q.indexed.pass ? "pass" : "FAIL",
  ];
}

const QUERY_HEADER = ["query", "base med", "base p95", "after med", "after p95", "improvement", "srv base", "srv after", "srv p95", "target", "verify"];

export function formatBenchTable(report: BenchReport): string {
  const out = [
    table(QUERY_HEADER, report.queries.map(queryCells)),
    `(client-side ms unless "srv" = EXPLAIN ANALYZE execution time; improvement = 1 - after median / baseline median)`,
    `SELECT 1 round trip (the floor): baseline median ${formatMsCell(report.roundTrip.baseline.median)} ms, after ${formatMsCell(report.roundTrip.indexed.median)} ms`,
    "",
    "write cost (rows/s, one statement of N rows, rolled back):",
    table(
      ["table", "operation", "rows", "without indexes", "with indexes", "change"],
      report.writes.map((w) => [w.table, w.operation, num(w.rows), num(w.baselineRowsPerSecond), num(w.indexedRowsPerSecond), pct(w.change)]),
      2,
    ),
    "",
    `indexes: ${report.indexes.baseline} -> ${report.indexes.indexed}; grade ${report.grade.baseline} -> ${report.grade.indexed}; queries with plan failures ${report.planFailures.baseline} -> ${report.planFailures.indexed}`,
    `targets: latency met by ${report.targets.latencyMet}/${report.targets.queries}, >= 90% faster: ${report.targets.improvementMet}/${report.targets.queries}${report.targets.missed.length > 0 ? `; missed: ${report.targets.missed.join(", ")}` : ""}`,
  ];
  return out.join("\n");
}

export function benchChartSvg(report: BenchReport): string {
  return barChartSvg(
    `Median latency before/after the performance indexes (client-side, scale ${report.scale})`,
    report.queries.map((q) => q.name),
    [
      { label: "baseline median", color: "#d65f5f", values: report.queries.map((q) => q.baseline.client.median) },
      { label: "after median", color: "#6acc64", values: report.queries.map((q) => q.indexed.client.median) },
    ],
  );
}

export function benchMarkdown(report: BenchReport, chartFile?: string): string {
  const md = (header: readonly string[], rows: readonly (readonly string[])[]) =>
    [`| ${header.join(" | ")} |`, `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  const out = [
    `# Benchmark: before/after the performance indexes (scale ${report.scale})`,
    "",
    `- generated ${report.generatedAt}; database \`${report.database}\` (seed ${report.seed}); ${report.machine.cpus} CPUs, load average ${report.machine.loadavg.join(" / ")}`,
    `- ${report.machine.note}`,
    `- ${report.options.runs} timed runs per parameter variant after ${report.options.warmup} warm-up runs; ${report.options.explainRuns} EXPLAIN ANALYZE runs for the server-side figures`,
    `- seed ${(report.durations.seedMs / 1000).toFixed(1)} s, index migrations ${(report.durations.migrateMs / 1000).toFixed(1)} s, whole bench ${(report.durations.totalMs / 1000).toFixed(1)} s`,
    `- SELECT 1 round trip (the floor): baseline median ${formatMsCell(report.roundTrip.baseline.median)} ms / p95 ${formatMsCell(report.roundTrip.baseline.p95)} ms; after median ${formatMsCell(report.roundTrip.indexed.median)} ms / p95 ${formatMsCell(report.roundTrip.indexed.p95)} ms`,
    `- indexes ${report.indexes.baseline} -> ${report.indexes.indexed}; verify grade ${report.grade.baseline} -> **${report.grade.indexed}**; queries with plan failures ${report.planFailures.baseline} -> ${report.planFailures.indexed}`,
    `- targets (point/list/search: server median <= 1 ms and p95 <= 2 ms; analytics: server p95 <= 20 ms; every query >= 90% faster): latency met by ${report.targets.latencyMet}/${report.targets.queries}, improvement met by ${report.targets.improvementMet}/${report.targets.queries}`,
    "",
    "## Per query (ms)",
    "",
    "Client-side figures include the round trip; \"srv\" is EXPLAIN ANALYZE execution time.",
    "",
    md(QUERY_HEADER, report.queries.map(queryCells)),
  ];
  if (chartFile) out.push("", `![before/after](${chartFile})`);
  const missed = report.queries.filter((q) => !q.target.latencyMet || !q.target.improvementMet);
  if (missed.length > 0) {
    out.push("", "## Targets missed", "");
    for (const q of missed) {
      const why = [!q.target.latencyMet ? `${q.target.description} (got median ${formatMsCell(q.indexed.server.median)}, p95 ${formatMsCell(q.indexed.server.p95)})` : "", !q.target.improvementMet ? `improvement ${pct(q.improvement)} < 90%` : ""].filter(Boolean);
      out.push(`- **${q.name}** (${q.kind}): ${why.join("; ")}${q.indexed.failures.length > 0 ? `; verify: ${q.indexed.failures.join("; ")}` : ""}`);
    }
  }
  out.push(
    "",
    "## Write cost",
    "",
    "One set-based statement of N rows in a transaction that is rolled back, median of 3; index maintenance is per row, so this isolates it from per-statement and commit overhead.",
    "",
    md(["table", "operation", "rows", "rows/s without indexes", "rows/s with indexes", "change"], report.writes.map((w) => [w.table, w.operation, num(w.rows), num(w.baselineRowsPerSecond), num(w.indexedRowsPerSecond), pct(w.change)])),
  );
  return `${out.join("\n")}\n`;
}

export function writeBenchReports(report: BenchReport, files: { readonly json?: string; readonly markdown?: string }): { json: string; markdown: string; chart: string } {
  const now = new Date(report.generatedAt);
  const json = path.resolve(files.json ?? defaultReportPath("bench", "json", now));
  const markdown = path.resolve(files.markdown ?? defaultReportPath("bench", "md", now));
  const chart = markdown.replace(/\.md$/i, "") + ".svg";
  writeReportFile(json, report);
  writeReportFile(chart, benchChartSvg(report));
  writeReportFile(markdown, benchMarkdown(report, path.basename(chart)));
  return { json, markdown, chart };
}
