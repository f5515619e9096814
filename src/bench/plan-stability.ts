// The plan-stability benchmark: the catalog's plans under N fresh ANALYZE
// samples (default 20), and for every variant the best and the slowest plan
// the app can run, side by side. The "no plan more than 10x slower than its
// best" bar of issue #11, measured with verify's own machinery
// (src/verify/run-catalog.ts + plan-stability.ts), so the script and the gate
// cannot disagree.
import type { Sql } from "../db/index.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { FLIP_MAX_RATIO, FLIP_MIN_MS } from "../catalog/plan-stability.ts";
import { runCatalog, type CatalogRun } from "../verify/run-catalog.ts";
import type { PlanCacheMode } from "../settings/plan-cache.ts";
import { formatMsCell } from "../base/format.ts";

export interface StabilityRow {
  readonly query: string;
  readonly variant: string;
  /** Distinct plans the app can run, over the custom plan and every sample. */
  readonly plans: number;
  readonly bestMs: number | null;
  readonly worstMs: number | null;
  readonly ratio: number;
  readonly worstPlan: string;
  readonly worstSources: readonly string[];
  readonly fails: boolean;
}

/** The variants of a bench run whose slowest plan fails the bar. */
export const failingVariants = (b: StabilityBench): readonly StabilityRow[] => b.rows.filter((r) => r.fails);

export interface StabilityBench {
  readonly samples: number;
  readonly ms: number;
  readonly rows: readonly StabilityRow[];
  readonly run: CatalogRun;
}

export async function measurePlanStability(sql: Sql, catalog: readonly CatalogEntry[], options: {
    samples: number;
    appPlanCacheMode?: PlanCacheMode;
    onProgress?: (e: { done: number; total: number; entry: string }) => void;
    onSample?: (e: { sample: number; total: number }) => void;
  }): Promise<StabilityBench> {
  const started = performance.now();
  const run = await runCatalog(sql, catalog, { runs: 5, warmup: 1, explainRuns: 1, statsSamples: options.samples, appPlanCacheMode: options.appPlanCacheMode, onProgress: options.onProgress, onSample: options.onSample });
  const rows: StabilityRow[] = [];
  for (const q of run.queries) {
    for (const v of q.variants) {
      const app = v.plans.filter((p) => p.appRuns && p.executionMs !== null);
      if (app.length === 0) continue;
      const best = app.reduce((a, p) => (p.executionMs! < a.executionMs! ? p : a));
      const worst = app.reduce((a, p) => (p.executionMs! > a.executionMs! ? p : a));
      const ratio = best.executionMs! > 0 ? worst.executionMs! / best.executionMs! : 1;
      rows.push({
        query: q.name,
        variant: v.name,
        plans: app.length,
        bestMs: best.executionMs,
        worstMs: worst.executionMs,
        ratio,
        worstPlan: worst.signature,
        worstSources: worst.sources,
        fails: ratio > FLIP_MAX_RATIO && worst.executionMs! - best.executionMs! >= FLIP_MIN_MS,
      });
    }
  }
  return { samples: run.stability.done, ms: performance.now() - started, rows, run };
}

export function formatPlanStability(b: StabilityBench): string {
  const flipped = b.rows.filter((r) => r.plans > 1);
  const all = [`${"query/variant".padEnd(48)} ${"plans".padStart(5)} ${"best ms".padStart(9)} ${"slowest ms".padStart(10)} ${"ratio".padStart(7)}`];
  for (const r of b.rows) all.push(`${`${r.query}/${r.variant}`.padEnd(48)} ${String(r.plans).padStart(5)} ${formatMsCell(r.bestMs).padStart(9)} ${formatMsCell(r.worstMs).padStart(10)} ${`${r.ratio.toFixed(1)}x`.padStart(7)}${r.fails ? "  FAIL" : ""}`);
  const out = [
    `${b.samples} fresh ANALYZE samples of ${b.run.stability.tables.length} tables (${b.run.stability.skipped ?? "rolled back after each"}), ${b.rows.length} variants, app plan_cache_mode ${b.run.appPlanCacheMode}, ${(b.ms / 1000).toFixed(0)} s`,
    ...all,
    "",
    `${flipped.length} variant(s) got more than one plan the app can run:`,
  ];
  for (const r of flipped) {
    out.push(`  ${r.query}/${r.variant}: ${r.plans} plans, best ${formatMsCell(r.bestMs)} ms, slowest ${formatMsCell(r.worstMs)} ms (${r.ratio.toFixed(1)}x) ${r.fails ? "FAIL" : "ok"}`, `      slowest: ${r.worstPlan} [${r.worstSources.join(", ")}]`);
  }
  const maxRatio = b.rows.reduce((m, r) => Math.max(m, r.ratio), 1);
  const failing = failingVariants(b);
  out.push(
    failing.length === 0
      ? `result: no plan of the catalog is more than ${FLIP_MAX_RATIO}x slower than its best (largest ratio ${maxRatio.toFixed(1)}x)`
      : `result: ${failing.length} variant(s) have a plan more than ${FLIP_MAX_RATIO}x slower than their best: ${failing.map((r) => `${r.query}/${r.variant}`).join(", ")}`,
  );
  return out.join("\n");
}
