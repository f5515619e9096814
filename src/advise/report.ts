// advise output: a terminal summary, a Markdown report under reports/ and, with
// --json FILE, the same as JSON (top-level `candidates` and `redundant`).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { defaultReportPath } from "../base/report-file.ts";
import type { AdviseReport, CandidateReport, StatementReport } from "./advise.ts";
import { UNREPRESENTATIVE } from "./samples.ts";

const md = (s: string) => s.replaceAll("|", "\\|").replace(/\n/g, " ");
const ms = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const bytes = (b: number | null) => (b === null ? "-" : b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1024))} kB`);

function timings(c: CandidateReport): string {
  if (!c.afterMs) return c.beforeMs.map((b) => `${b.statement} ${ms(b.ms)} ms`).join("; ");
  // The pair the verdict judged: per call, the mean over the same value sets of the fastest run.
  return c.afterMs.map((a) => `${a.statement} ${ms(c.beforeMs.find((b) => b.statement === a.statement)?.ms)} -> ${ms(a.ms)} ms per call (${a.valueSets} value set${a.valueSets === 1 ? "" : "s"})${a.usesIndex ? "" : " (not used)"}`).join("; ");
}

/** A rewrite: the SQL (advice, never applied), what it needs, and its measured effect on the same data. */
function rewriteLines(s: AdviseReport["structural"][number], indent: string): string {
  if (!s.rewrite) return "";
  const effect = s.measured
    ? `measured on the same data and values: ${ms(s.measured.beforeMs)} -> ${ms(s.measured.afterMs)} ms (${(s.measured.beforeMs / Math.max(s.measured.afterMs, 0.001)).toFixed(1)}x; rows ${s.measured.rowsBefore} -> ${s.measured.rowsAfter})`
    : s.measureError
      ? `not measured: ${s.measureError}`
      : "not measured (experiments are not allowed on this database)";
  return [
    "",
    `${indent}rewritten: ${s.rewrite.sql}`,
    ...(s.rewrite.setup.length ? [`${indent}needs: ${s.rewrite.setup.filter((x) => !/^ANALYZE /.test(x)).map((x) => x.replace(/^CREATE TEMP TABLE/, "CREATE TABLE")).join("; ")}`] : []),
    ...(s.rewrite.maintenance ? [`${indent}kept true by: ${s.rewrite.maintenance}`] : []),
    `${indent}${effect}`,
  ].join("\n");
}

const rate = (x: number | null) => (x === null ? "-" : `${Math.round(x).toLocaleString("en-US")}/s`);

/** Reads against writes: the measured write cost and the per-hour weighing. */
function writeLine(c: CandidateReport, prefix: string): string {
  if (!c.writeCost && !c.weighing) return "";
  const w = c.writeCost;
  const parts = [
    w ? `writes: insert ${rate(w.insertRowsPerSecWithout)} -> ${rate(w.insertRowsPerSecWith)} rows, update of ${w.updatedColumns.join(", ") || "-"} ${rate(w.updateRowsPerSecWithout)} -> ${rate(w.updateRowsPerSecWith)} rows (without -> with it)${w.notes.length ? ` [${w.notes.join("; ")}]` : ""}` : "",
    c.weighing ? c.weighing.summary : "",
  ].filter(Boolean);
  return parts.length ? `${prefix}${parts.join(`${prefix}`)}` : "";
}

/** Where a statement's values came from and whether they reproduce its rows (no values unless --show-values). */
function valuesLine(s: StatementReport): string {
  const v = s.values;
  const rep = v.representative;
  const judged = rep.verdict === "unchecked" ? `unchecked (${rep.reason})` : rep.verdict === "representative" ? `representative (${rep.rows} rows; the workload got ${rep.rowsPerCall} per call)` : `${UNREPRESENTATIVE}: ${rep.reason}; no candidate is accepted on them`;
  const sets = v.sets ? `; values ${JSON.stringify(v.sets)}` : "";
  return `${v.source}${v.estimatedOnly ? ` (${v.estimatedOnly})` : ""}; ${judged}${v.notes.length ? `; ${v.notes.join("; ")}` : ""}${sets}`;
}

/** The candidate tables' write rates (deltas since the previous advise run) and whether this run's counters were stored. */
function writeRateLines(r: AdviseReport): string[] {
  if (!r.writeRates) return [];
  return [...r.writeRates.map((w) => `write rate ${w}`), ...(r.writeCountersNotStored ? [`write rates of the next run: unknown (${r.writeCountersNotStored})`] : [])];
}

export function formatAdviseSummary(r: AdviseReport): string {
  const lines = [`advise ${r.database} (PostgreSQL ${r.serverVersion}): ${r.workload}`, `values the app sent: ${r.valueLog}`, ...writeRateLines(r), ""];
  for (const s of r.statements) {
    const text = s.query.replace(/\s+/g, " ");
    const head = `- ${s.id} ${text.length > 100 ? `${text.slice(0, 100)}...` : text}\n    ${s.calls !== null ? `${s.calls} calls, ${ms(s.totalMs)} ms total; ` : ""}${s.skipped ?? (s.problems.length ? s.problems.map((p) => p.kind).join(", ") : "no problem found")}${s.medianMs !== null ? ` [${ms(s.medianMs)} ms]` : ""}`;
    lines.push(head, `    values: ${valuesLine(s)}`);
  }
  lines.push("", r.candidates.length ? "Candidate indexes:" : "Candidate indexes: none (every problem is already served, or none was found)");
  for (const c of r.candidates) lines.push(`- ${c.name}: ON ${c.table} ${c.definition}\n    serves ${c.statements.join(", ")}; ${timings(c)}${c.validated ? `; ${bytes(c.bytes)}, built in ${ms(c.buildMs)} ms; ${c.verdict}` : ""}${writeLine(c, "\n    ")}`);
  if (r.alreadyServed.length) lines.push("", `Already served (no suggestion): ${r.alreadyServed.map((s) => `${s.table} ${s.definition} by ${s.by}`).join("; ")}`);
  if (r.structural.length) {
    lines.push("", "Rewrites and structural fixes (where no index helps, or helps less):");
    for (const s of r.structural) lines.push(`- ${s.statement}: ${s.why}. Fix: ${s.fix}${rewriteLines(s, "    ")}`);
  }
  lines.push("", r.overlapsSkipped ? `Overlapping indexes: not measured (${r.overlapsSkipped})` : `Overlapping indexes (measured by hiding each): ${r.redundant.length} of ${r.overlapsMeasured.length} served nearly as well by another`);
  for (const o of r.redundant) lines.push(`- ${o.index} (${bytes(o.bytes)}): ${o.verdict}`);
  return lines.join("\n");
}

export function adviseMarkdown(r: AdviseReport): string {
  const out = [
    "# Index advice",
    "",
    `Database ${r.database}, PostgreSQL ${r.serverVersion}, ${r.startedAt}, ${(r.durationMs / 1000).toFixed(1)} s. Workload: ${r.workload}. Values the app sent: ${r.valueLog}. Experiments: ${r.experiments}.`,
    "",
    ...writeRateLines(r).map((l) => `- ${l}`),
    ...(r.writeRates ? [""] : []),
    "## Candidate indexes",
    "",
  ];
  if (r.candidates.length === 0) out.push("None: no statement has a problem an index would fix, or an existing index already serves it.");
  else {
    out.push("Ranked by time saved per hour of the observed workload net of the write time added at the table's observed write rate.", "");
    out.push("| name | table | definition | statements (before -> after, ms per call: mean over the value sets of the fastest run) | size | build ms | verdict | write cost (measured) | per hour |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const c of r.candidates) out.push(`| \`${c.name}\` | ${c.table} | \`${md(c.definition)}\` | ${md(timings(c))} | ${bytes(c.bytes)} | ${ms(c.buildMs)} | ${md(c.verdict)} | ${md(writeLine({ ...c, weighing: null }, " ").trim() || (c.writeOverhead ?? "-"))} | ${md(c.weighing?.summary ?? "-")} |`);
  }
  if (r.alreadyServed.length) {
    out.push("", "## Already served", "", "| table | would be | served by | statements |", "| --- | --- | --- | --- |");
    for (const s of r.alreadyServed) out.push(`| ${s.table} | \`${md(s.definition)}\` | \`${s.by}\` | ${s.statements.join(", ")} |`);
  }
  out.push("", "## Indexes another index serves nearly as well", "");
  if (r.overlapsSkipped) out.push(`Not measured: ${r.overlapsSkipped}.`);
  else {
    out.push("Each index the workload uses was hidden (DROP INDEX in a transaction, EXPLAIN ANALYZE, ROLLBACK).", "", "| index | size | redundant | verdict | statements (ms with -> without) |", "| --- | --- | --- | --- | --- |");
    for (const o of r.overlapsMeasured) out.push(`| \`${o.index}\` | ${bytes(o.bytes)} | ${o.redundant ? "yes" : "no"} | ${md(o.verdict)} | ${md(o.effects.map((e) => `${e.statement} ${ms(e.beforeMs)} -> ${ms(e.afterMs)}`).join("; "))} |`);
  }
  if (r.structural.length) {
    out.push("", "## Rewrites and structural fixes", "", "Where no index helps (or one helps less): the rewritten SQL is advice, never applied; measured on the same data and values where experiments are allowed.", "");
    for (const s of r.structural) out.push(`- **${s.statement}**: ${s.why}. Structural fix: ${s.fix}.${rewriteLines(s, "  ")}`);
  }
  out.push("", "## Statements", "");
  for (const s of r.statements) {
    out.push(`### ${s.id}`, "", "```sql", s.query, "```", "");
    if (s.calls !== null) out.push(`${s.calls} calls, ${ms(s.totalMs)} ms total, ${ms(s.meanMs)} ms mean.`, "");
    if (s.paramSources.length) out.push(`Parameters: ${s.paramSources.join("; ")}.`, "");
    out.push(`Values: ${md(valuesLine(s))}.`, "");
    if (s.values.plannableSql !== s.query) out.push("Planned as:", "```sql", s.values.plannableSql, "```", "");
    if (s.skipped) out.push(`Plan with values: ${s.skipped}.`, "");
    if (s.genericSkipped) out.push(`Generic plan: ${s.genericSkipped}.`, "");
    if (s.genericPlan) out.push("Generic plan:", "```", s.genericPlan, "```", "");
    if (s.plan) out.push(`Plan with values (${ms(s.medianMs)} ms):`, "```", s.plan, "```", "");
    for (const p of s.problems) out.push(`- **${p.kind}**: ${p.detail}`);
    if (s.candidates.length) out.push(`- candidates: ${s.candidates.join(", ")}`);
    out.push("");
  }
  return `${out.join("\n")}\n`;
}

export function writeAdviseReports(r: AdviseReport, files: { readonly json?: string; readonly markdown?: string }): { markdown: string; json?: string } {
  const markdown = path.resolve(files.markdown ?? defaultReportPath("advise", "md"));
  mkdirSync(path.dirname(markdown), { recursive: true });
  writeFileSync(markdown, adviseMarkdown(r));
  let json: string | undefined;
  if (files.json) {
    json = path.resolve(files.json);
    mkdirSync(path.dirname(json), { recursive: true });
    writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  }
  return { markdown, ...(json ? { json } : {}) };
}
