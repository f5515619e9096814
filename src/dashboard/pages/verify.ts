// The latest verify report (npm run verify): grade, per-query latency against
// its budget, and the database checks.
import path from "node:path";
import { PROJECT_ROOT } from "../../base/project-paths.ts";
import { barChart } from "../charts.ts";
import { html, type SafeHtml } from "../html.ts";
import { badge, card, figures, load, ms, table } from "../sections.ts";
import { latestVerifyReport } from "../verify-report.ts";
import { DASHBOARD_PREFIX } from "../layout.ts";
import type { PageContext } from "./context.ts";

export async function verifyPage(ctx: PageContext): Promise<SafeHtml> {
  const loaded = await load("verify report", () => latestVerifyReport(ctx.reportsDir), ctx.deadlineMs);
  return card("Latest report", loaded, (latest) => {
    if (!latest) return html`<p class="muted">No verify report in ${path.relative(PROJECT_ROOT, ctx.reportsDir) || ctx.reportsDir} yet. Run <code>npm run verify</code>: it writes reports/verify-&lt;time&gt;.json, which this page shows.</p>`;
    if (latest.kind === "markdown") {
      return html`<p><strong>${latest.title}</strong></p><ul>${latest.facts.map((f) => html`<li>${f}</li>`)}</ul>${
        latest.chart ? html`<img class="report-chart" src="${DASHBOARD_PREFIX}/reports/${latest.chart}" alt="latency per query from ${latest.chart}">` : ""
      }<p class="muted">${path.basename(latest.file)}: the full report is that Markdown file. Run <code>npm run verify -- --json reports/verify-&lt;time&gt;.json</code> to see every query and check here.</p>`;
    }
    const r = latest.report;
    const byMedian = [...r.queries].sort((a, b) => (b.client.median || 0) - (a.client.median || 0));
    return html`${figures([
      ["grade", badge(r.passed ? "ok" : "bad", r.grade)],
      ["minimum", r.minGrade],
      ["queries passed", `${r.summary.passed} of ${r.summary.queries}`],
      ["mean", ms(r.summary.meanMs)],
      ["generated", r.generatedAt],
    ])}<p class="muted">${path.basename(latest.file)} · ${r.database} · ${r.serverVersion}</p>
    <h2>Median latency per query (red: failed its budget)</h2>${barChart({
      title: "Median client-side latency per catalog query",
      rows: byMedian.map((q) => ({ label: q.name, segments: [{ value: q.client.median || 0, tone: q.pass ? "ok" : "bad" }], valueText: `${ms(q.client.median)} / ${ms(q.budgetMs)}` })),
      format: (v) => ms(v),
    })}
    <h2>Database checks</h2>${table(r.checks, [
      { header: "check", cell: (c) => c.name },
      { header: "status", cell: (c) => badge(c.status === "pass" ? "ok" : c.status === "warn" ? "warn" : c.status === "fail" ? "bad" : "info", c.status) },
      { header: "summary", cell: (c) => html`${c.summary}${c.fix && c.status !== "pass" ? html`<br><span class="muted">fix: ${c.fix}</span>` : ""}` },
    ])}
    <h2>Failed queries</h2>${table(
      r.queries.filter((q) => !q.pass),
      [
        { header: "query", cell: (q) => q.name },
        { header: "why", cell: (q) => q.failures.join("; ") },
      ],
      "every query met its budget and plan",
    )}`;
  }, "verify");
}
