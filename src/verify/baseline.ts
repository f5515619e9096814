// Baselines (the idea of RegreSQL, with plans and buffers instead of cost
// alone): `verify --save-baseline FILE` records, per query and parameter
// variant, the plan signature, the buffers and rows one execution touches and
// the server time; `verify --baseline FILE` compares a run against it and
// fails (exit 5) on a regression, naming the query, the variant and what
// changed:
//   - the expected index is no longer used;
//   - the plan signature changed to a costlier plan (planner total cost up);
//   - the buffers per execution at least doubled (and by at least
//     MIN_BUFFER_GROWTH, so 3 -> 6 buffers is not a regression).
// Server time is recorded for the reader, not compared: it depends on the
// machine. The file is JSON meant for code review: stable key order, one
// value per line, the plan as one readable string.
import { readFileSync } from "node:fs";
import { EXIT, UserError } from "../base/errors.ts";
import { writeReportFile } from "../base/report-file.ts";
import type { PlanCacheMode } from "../settings/plan-cache.ts";
import type { PlanFacts } from "../catalog/plan-signature.ts";
import type { QueryResult } from "./run-catalog.ts";

/** What a baseline is made from and compared with: these fields of a verify report (report.ts prints the comparison, so this file must not import it). */
export interface BaselineSource {
  readonly generatedAt: string;
  readonly database: string;
  readonly serverVersion: string;
  readonly appPlanCacheMode: PlanCacheMode;
  readonly queries: readonly QueryResult[];
}

export const BASELINE_TOOL = "bollalabz-db verify baseline";
export const BASELINE_VERSION = 1;
export const MIN_BUFFER_GROWTH = 10;

/** The custom plan's facts, as the baseline file records them (its signature as `plan`, its total cost as `planCost`). */
export interface BaselineVariant extends Pick<PlanFacts, "indexes" | "buffers" | "rows" | "rowsRead"> {
  /** Signature of the plan the app runs (custom; see src/catalog/plan-signature.ts). */
  readonly plan: string;
  readonly planCost: number;
  readonly expectedIndexUsed: boolean;
  readonly serverMs: number | null;
}

export interface Baseline {
  readonly tool: typeof BASELINE_TOOL;
  readonly version: number;
  readonly savedAt: string;
  readonly database: string;
  readonly serverVersion: string;
  readonly appPlanCacheMode: string;
  /** query name -> variant name -> figures (catalog order). */
  readonly queries: Readonly<Record<string, Readonly<Record<string, BaselineVariant>>>>;
}

export interface Regression {
  readonly query: string;
  readonly variant: string;
  readonly what: "expected index lost" | "costlier plan" | "buffers doubled";
  readonly detail: string;
}

export interface BaselineComparison {
  readonly file: string;
  readonly regressions: readonly Regression[];
  /** Not regressions: queries or variants new or gone since the baseline, improvements. */
  readonly notes: readonly string[];
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export function baselineFromReport(report: BaselineSource): Baseline {
  const queries: Record<string, Record<string, BaselineVariant>> = {};
  for (const q of report.queries) {
    const variants: Record<string, BaselineVariant> = {};
    for (const v of q.variants) {
      const custom = v.plans.find((p) => p.sources.includes("custom"));
      if (!custom || !v.plan) continue;
      variants[v.name] = {
        plan: custom.signature,
        planCost: round(custom.totalCost, 2),
        indexes: custom.indexes,
        expectedIndexUsed: v.plan.expectedIndexUsed || v.plan.expectationWaived,
        buffers: custom.buffers,
        rows: custom.rows,
        rowsRead: custom.rowsRead,
        serverMs: Number.isNaN(v.server.median) ? null : round(v.server.median),
      };
    }
    if (Object.keys(variants).length > 0) queries[q.name] = variants;
  }
  return {
    tool: BASELINE_TOOL,
    version: BASELINE_VERSION,
    savedAt: report.generatedAt,
    database: report.database,
    serverVersion: report.serverVersion,
    appPlanCacheMode: report.appPlanCacheMode,
    queries,
  };
}

/** Pretty-printed with 2 spaces: a reviewer sees one changed figure per changed line. */
export function baselineJson(baseline: Baseline): string {
  return `${JSON.stringify(baseline, null, 2)}\n`;
}

export function writeBaseline(file: string, baseline: Baseline): string {
  return writeReportFile(file, baselineJson(baseline));
}

/** Read and check a baseline file; exit 2 with what is wrong and the fix. */
export function loadBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UserError(`Cannot read the baseline file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Record one first: npm run verify -- --save-baseline ${file}`, EXIT.usage);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`The baseline file ${file} is not valid JSON (${(error as Error).message}). Record it again: npm run verify -- --save-baseline ${file}`, EXIT.usage);
  }
  const b = raw as Partial<Baseline>;
  if (!b || typeof b !== "object" || b.tool !== BASELINE_TOOL || typeof b.queries !== "object" || b.queries === null) {
    throw new UserError(`${file} is not a verify baseline (expected "tool": "${BASELINE_TOOL}" and a "queries" object). Record one with: npm run verify -- --save-baseline ${file}`, EXIT.usage);
  }
  if (b.version !== BASELINE_VERSION) {
    throw new UserError(`${file} is a version ${String(b.version)} baseline; this verify reads version ${BASELINE_VERSION}. Record it again with: npm run verify -- --save-baseline ${file}`, EXIT.usage);
  }
  for (const [query, variants] of Object.entries(b.queries)) {
    for (const [variant, v] of Object.entries(variants ?? {})) {
      const ok = v && typeof v.plan === "string" && typeof v.planCost === "number" && typeof v.buffers === "number" && typeof v.expectedIndexUsed === "boolean";
      if (!ok) throw new UserError(`${file}: queries.${query}.${variant} needs plan (string), planCost, buffers (numbers) and expectedIndexUsed (boolean). Record the baseline again.`, EXIT.usage);
    }
  }
  return b as Baseline;
}

export function compareWithBaseline(report: BaselineSource, baseline: Baseline, file: string): BaselineComparison {
  const now = baselineFromReport(report);
  const regressions: Regression[] = [];
  const notes: string[] = [];
  for (const [query, variants] of Object.entries(baseline.queries)) {
    const current = now.queries[query];
    if (!current) {
      notes.push(`${query}: in the baseline, not measured now${report.queries.some((q) => q.name === query) ? " (it failed to run)" : " (not in the catalog)"}`);
      continue;
    }
    for (const [variant, before] of Object.entries(variants)) {
      const after = current[variant];
      if (!after) {
        notes.push(`${query}/${variant}: in the baseline, not measured now`);
        continue;
      }
      if (before.expectedIndexUsed && !after.expectedIndexUsed) {
        const q = report.queries.find((x) => x.name === query);
        const lost = q?.variants.find((v) => v.name === variant)?.plan?.missingIndexes ?? [];
        regressions.push({ query, variant, what: "expected index lost", detail: `${lost.join(", ") || q?.expectIndexes.join(", ")} no longer used; plan was ${before.plan}, now ${after.plan}` });
      }
      if (after.plan !== before.plan && after.planCost > before.planCost) {
        regressions.push({ query, variant, what: "costlier plan", detail: `plan changed from ${before.plan} (cost ${before.planCost}, ${before.buffers} buffers) to ${after.plan} (cost ${after.planCost}, ${after.buffers} buffers)` });
      } else if (after.plan !== before.plan) {
        notes.push(`${query}/${variant}: plan changed to a cheaper one: ${before.plan} (cost ${before.planCost}) -> ${after.plan} (cost ${after.planCost})`);
      }
      if (after.buffers >= 2 * before.buffers && after.buffers - before.buffers >= MIN_BUFFER_GROWTH) {
        regressions.push({ query, variant, what: "buffers doubled", detail: `${before.buffers} -> ${after.buffers} buffers per execution (${(after.buffers / Math.max(1, before.buffers)).toFixed(1)}x)` });
      }
    }
  }
  for (const query of Object.keys(now.queries)) if (!baseline.queries[query]) notes.push(`${query}: new since the baseline`);
  return { file, regressions, notes };
}

export function formatComparison(c: BaselineComparison): string {
  const out = [`baseline ${c.file}: ${c.regressions.length === 0 ? "no regression" : `${c.regressions.length} regression(s)`}`];
  for (const r of c.regressions) out.push(`  REGRESSION ${r.query}/${r.variant}: ${r.what}: ${r.detail}`);
  for (const n of c.notes) out.push(`  note: ${n}`);
  return out.join("\n");
}
