// The newest verify report under reports/ (reports/verify-*.json, written by
// `npm run verify`), read back for the dashboard. The file is input like any
// other: its shape is checked and every value is escaped when rendered.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";

/** The fields the dashboard shows (a subset of src/verify/verify.ts VerifyReport). */
export interface VerifyReportView {
  readonly generatedAt: string;
  readonly database: string;
  readonly serverVersion: string;
  readonly grade: string;
  readonly minGrade: string;
  readonly passed: boolean;
  readonly summary: { readonly queries: number; readonly passed: number; readonly failed: number; readonly meanMs: number };
  readonly queries: readonly { readonly name: string; readonly kind: string; readonly budgetMs: number; readonly pass: boolean; readonly failures: readonly string[]; readonly client: { readonly median: number; readonly p95: number } }[];
  readonly checks: readonly { readonly name: string; readonly status: string; readonly summary: string; readonly fix?: string }[];
}

/** `npm run verify --json FILE` writes the JSON report: shown in full. */
export interface LatestJsonReport {
  readonly kind: "json";
  readonly file: string;
  readonly modifiedAt: Date;
  readonly report: VerifyReportView;
}

/** Plain `npm run verify` writes Markdown plus an SVG chart: shown as its headline and chart. */
export interface LatestMarkdownReport {
  readonly kind: "markdown";
  readonly file: string;
  readonly modifiedAt: Date;
  /** "Verification report: grade A+" (the first heading). */
  readonly title: string;
  /** The "- key: value" lines under the heading (database, generated, result, ...). */
  readonly facts: readonly string[];
  /** The chart written beside it (verify-<time>.svg), when present: a file name in the reports folder. */
  readonly chart?: string;
}

export type LatestVerifyReport = LatestJsonReport | LatestMarkdownReport;

/** Names the dashboard serves from the reports folder: verify charts only. */
export const VERIFY_CHART_NAME = /^verify-[A-Za-z0-9._-]+\.svg$/;

/** Larger files are not verify reports (the built-in catalog's report is ~200 kB). */
const MAX_REPORT_BYTES = 20 * 1024 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === "string" ? v : "");
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : NaN);

/** Pick out the shown fields; undefined when the JSON is not a verify report. */
export function readVerifyReport(json: unknown): VerifyReportView | undefined {
  if (!isObject(json) || json.tool !== "bollalabz-db verify" || typeof json.grade !== "string" || !Array.isArray(json.queries) || !Array.isArray(json.checks)) return undefined;
  const summary = isObject(json.summary) ? json.summary : {};
  return {
    generatedAt: str(json.generatedAt),
    database: str(json.database),
    serverVersion: str(json.serverVersion),
    grade: json.grade,
    minGrade: str(json.minGrade),
    passed: json.passed === true,
    summary: { queries: num(summary.queries), passed: num(summary.passed), failed: num(summary.failed), meanMs: num(summary.meanMs) },
    queries: json.queries.filter(isObject).map((q) => {
      const client = isObject(q.client) ? q.client : {};
      return {
        name: str(q.name),
        kind: str(q.kind),
        budgetMs: num(q.budgetMs),
        pass: q.pass === true,
        failures: Array.isArray(q.failures) ? q.failures.map(str) : [],
        client: { median: num(client.median), p95: num(client.p95) },
      };
    }),
    checks: json.checks.filter(isObject).map((c) => ({ name: str(c.name), status: str(c.status), summary: str(c.summary), ...(typeof c.fix === "string" ? { fix: c.fix } : {}) })),
  };
}

/** The headline of a verify Markdown report; undefined when the text is not one. */
export function readVerifyMarkdown(text: string): { title: string; facts: string[] } | undefined {
  const lines = text.split("\n");
  const title = /^# (Verification report.*)$/.exec(lines[0] ?? "")?.[1];
  if (!title) return undefined;
  const facts: string[] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith("- ")) facts.push(line.slice(2).replace(/\*\*|`/g, ""));
    else if (facts.length > 0) break;
  }
  return { title, facts };
}

/** The most recently written verify report (JSON or Markdown) that parses as one; null when there is none. */
export async function latestVerifyReport(reportsDir: string): Promise<LatestVerifyReport | null> {
  let names: string[];
  try {
    names = (await readdir(reportsDir)).filter((n) => /^verify-.*\.(json|md)$/.test(n));
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return null;
    throw error;
  }
  const files = await Promise.all(
    names.map(async (name) => {
      const file = path.join(reportsDir, name);
      const s = await stat(file);
      return { file, name, modifiedAt: s.mtime, size: s.size };
    }),
  );
  // Newest first; of a JSON and a Markdown written by one run, the JSON (it has everything).
  files.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime() || Number(b.name.endsWith(".json")) - Number(a.name.endsWith(".json")) || b.name.localeCompare(a.name));
  for (const candidate of files) {
    if (candidate.size > MAX_REPORT_BYTES) continue;
    const text = await readFile(candidate.file, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    if (candidate.name.endsWith(".md")) {
      const markdown = readVerifyMarkdown(text);
      if (!markdown) continue;
      const chartName = candidate.name.replace(/\.md$/, ".svg");
      const chart = VERIFY_CHART_NAME.test(chartName) && (await stat(path.join(reportsDir, chartName)).then((s) => s.isFile(), () => false)) ? chartName : undefined;
      return { kind: "markdown", file: candidate.file, modifiedAt: candidate.modifiedAt, ...markdown, ...(chart ? { chart } : {}) };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      continue; // half-written or not JSON: try the next newest
    }
    const report = readVerifyReport(json);
    if (report) return { kind: "json", file: candidate.file, modifiedAt: candidate.modifiedAt, report };
  }
  return null;
}
