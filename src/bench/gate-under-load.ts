// Does the gate flap with machine load? The same catalog graded twice against
// the same database: once as the machine is, once with CPU hogs of our own
// (busy-looping child processes, one per hog), and the two verdicts side by
// side. The grade rests on plan shape, expected index, buffers and rows
// (deterministic), server time, and client latency above the SELECT 1 floor
// of the same run (load raises both), so they must be equal.
import { spawn, type ChildProcess } from "node:child_process";
import type { Sql } from "../db/index.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import type { VerifyReport } from "../verify/report.ts";
import { formatMsCell } from "../base/format.ts";
import { verifyDatabase } from "../verify/verify.ts";

export interface GateUnderLoad {
  readonly hogs: number;
  readonly quiet: VerifyReport;
  readonly loaded: VerifyReport;
  readonly sameGrade: boolean;
  /** Queries whose pass/fail differs between the two runs. */
  readonly differing: readonly string[];
  readonly loadAverage: { readonly quiet: number; readonly loaded: number };
}

/** Start `n` busy-looping processes; resolves once every one is running. */
async function startHogs(n: number): Promise<ChildProcess[]> {
  const hogs: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, ["-e", "process.stdout.write('busy\\n'); for (;;) {}"], { stdio: ["ignore", "pipe", "ignore"] });
    hogs.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once("data", () => resolve());
      child.once("error", reject);
    });
  }
  return hogs;
}

function stopHogs(hogs: readonly ChildProcess[]): void {
  for (const h of hogs) if (h.exitCode === null) h.kill("SIGKILL");
}

export async function gradeQuietAndLoaded(
  sql: Sql,
  options: { catalog: readonly CatalogEntry[]; catalogSource: string; database: string; hogs: number; runs?: number; statsSamples?: number; loadAverage: () => number },
): Promise<GateUnderLoad> {
  const common = { catalog: options.catalog, catalogSource: options.catalogSource, database: options.database, minGrade: "A" as const, runs: options.runs, statsSamples: options.statsSamples ?? 0 };
  const quietLoad = options.loadAverage();
  const quiet = await verifyDatabase(sql, common);
  const hogs = await startHogs(options.hogs);
  let loaded: VerifyReport;
  let loadedLoad: number;
  try {
    loaded = await verifyDatabase(sql, common);
    loadedLoad = options.loadAverage();
  } finally {
    stopHogs(hogs);
  }
  const differing = quiet.queries.filter((q) => loaded.queries.find((l) => l.name === q.name)?.pass !== q.pass).map((q) => q.name);
  return { hogs: options.hogs, quiet, loaded, sameGrade: quiet.grade === loaded.grade, differing, loadAverage: { quiet: quietLoad, loaded: loadedLoad } };
}

export function formatGateUnderLoad(r: GateUnderLoad): string {
  const row = (label: string, a: string, b: string) => `${label.padEnd(34)} ${a.padStart(14)} ${b.padStart(14)}`;
  const q = r.quiet;
  const l = r.loaded;
  const out = [
    row("", "as is", `${r.hogs} CPU hogs`),
    row("grade", q.grade, l.grade),
    row("queries passing", `${q.summary.passed}/${q.summary.queries}`, `${l.summary.passed}/${l.summary.queries}`),
    row("mean client ms (grade's mean)", formatMsCell(q.summary.meanMs), formatMsCell(l.summary.meanMs)),
    row("SELECT 1 floor median / p95 ms", `${formatMsCell(q.roundTrip.median)} / ${formatMsCell(q.roundTrip.p95)}`, `${formatMsCell(l.roundTrip.median)} / ${formatMsCell(l.roundTrip.p95)}`),
    row("variants measured again (time)", String(q.queries.flatMap((x) => x.variants).filter((v) => v.remeasured).length), String(l.queries.flatMap((x) => x.variants).filter((v) => v.remeasured).length)),
    row("1-minute load average after", r.loadAverage.quiet.toFixed(1), r.loadAverage.loaded.toFixed(1)),
    "",
    r.sameGrade && r.differing.length === 0 ? `same verdict: grade ${q.grade} both times, the same queries pass` : `DIFFERENT verdicts: grade ${q.grade} vs ${l.grade}; queries that differ: ${r.differing.join(", ") || "-"}`,
  ];
  for (const [label, rep] of [["as is", q], ["with hogs", l]] as const) {
    const failing = rep.queries.filter((x) => !x.pass);
    if (failing.length > 0) out.push(`failures ${label}:`, ...failing.flatMap((x) => x.failures.map((f) => `  ${x.name}: ${f}`)));
  }
  return out.join("\n");
}
