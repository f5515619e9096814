// How faithfully a statistics twin reproduces production's plans.
//
// 1. "production": a scratch database, migrated, seeded with ANOTHER seed and
//    deliberately skewed shapes (one contact holding 30 % of the messages, a
//    mostly-NULL company column). Its plans are recorded for every catalog
//    query and parameter variant (custom plans, EXPLAIN without ANALYZE, the
//    parameters picked from production's data), its statistics exported, and
//    the database dropped (one large database at a time on this machine).
// 2. the twin: another scratch database, migrated, first seeded at a small
//    scale with the file's statistics restored onto it (what the row
//    estimates are when the pages do not match), then built as verify --stats
//    builds it: default generator data sized to the file's pages, statistics
//    restored. The same queries with the same parameters are planned there,
//    once with the generator's own statistics (the control) and once with the
//    restored ones.
// 3. agreement per variant on the plan's shape (scan node types with their
//    tables and indexes, in tree order); every disagreement is listed with
//    both plans.
import { formatMs } from "../base/format.ts";
import { withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { applyMigrations } from "../migrate/graphile.ts";
import { seedDatabase } from "../seed/generate.ts";
import type { ColumnShare } from "../seed/tables.ts";
import { exportStatistics } from "../stats/export.ts";
import type { StatsFile } from "../stats/format.ts";
import { assertCanRestore, noticeCollector, planRestore, restoreStatistics } from "../stats/restore.ts";
import { buildStatisticsTwin, type TwinReport } from "../stats/twin.ts";
import type { TwinParameter } from "../stats/twin-params.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { explainEstimate, type PlanNode } from "../catalog/explain.ts";
import { pickRows, readOnly } from "../catalog/guarded.ts";
import { planNodes } from "../catalog/plan-analysis.ts";
import { signatureOf } from "../catalog/plan-signature.ts";
import { dropBenchDatabase, recreateBenchDatabase, type SeededBenchOptions } from "./run-bench.ts";

/** The skew the "production" database gets. */
export const PRODUCTION_SHARES: readonly ColumnShare[] = [
  { table: "conversation_messages", column: "contact_id", share: 0.3, value: 1 },
  { table: "phone_contacts", column: "company", share: 0.9, value: null },
];

export interface FidelityOptions extends SeededBenchOptions {
  readonly catalog: readonly CatalogEntry[];
  readonly productionScale: number;
  readonly productionSeed: number;
  readonly twinSeed: number;
  /** Scale of the unsized twin that shows why pages must match. */
  readonly smallScale: number;
  /** Database names on the server (recreated, marked scratch, dropped after unless keep). */
  readonly productionName: string;
  readonly twinName: string;
}

export interface VariantPlans {
  readonly query: string;
  readonly variant: string;
  readonly params: readonly unknown[];
  readonly production: PlanShape;
  readonly control?: PlanShape;
  readonly twin?: PlanShape;
  /** verify --stats's own parameters on the twin (the file's statistics where the entry names them, else the picker on the twin's data), where they say. */
  readonly verifyParams?: { readonly params: readonly unknown[]; readonly source: TwinParameter["source"]; readonly plan?: PlanShape };
  readonly error?: string;
}

export interface PlanShape {
  /** Scan nodes in tree order: type(table)[index]. */
  readonly scans: string;
  /** The whole tree (plan-signature.ts). */
  readonly signature: string;
  readonly rows: number;
  readonly cost: number;
  /** The planner's row estimate of each scan node, in the order of `scans`. */
  readonly scanRows: readonly number[];
}

export interface EstimateCheck {
  readonly table: string;
  readonly fileRows: number;
  readonly filePages: number;
  readonly pages: number;
  /** The planner's row estimate for a scan of the whole table. */
  readonly estimate: number;
}

export interface FidelityResult {
  readonly production: { readonly scale: number; readonly seed: number; readonly shares: readonly ColumnShare[]; readonly seedMs: number };
  readonly exportMs: number;
  readonly fileBytes: number;
  readonly small: { readonly scale: number; readonly estimates: readonly EstimateCheck[] };
  readonly twin: TwinReport;
  readonly twinBuildMs: number;
  readonly sizedEstimates: readonly EstimateCheck[];
  readonly variants: readonly VariantPlans[];
  readonly agreement: {
    readonly compared: number;
    readonly scansSame: number;
    readonly signatureSame: number;
    readonly controlScansSame: number;
    /** Same scans with every scan's row estimate within 10 % of production's: the twin, and the control. */
    readonly estimatesSame: number;
    readonly controlEstimatesSame: number;
    /** With verify --stats's own parameters: variants whose values equal production's picks, and whose plan shape is production's. */
    readonly verifyParamsSame: number;
    readonly verifyScansSame: number;
  };
  readonly totalMs: number;
}

const SCAN = /Scan$/;

function scanLabel(node: PlanNode): string {
  return `${node["Node Type"]}${node["Relation Name"] ? `(${node["Relation Name"]})` : ""}${node["Index Name"] ? `[${node["Index Name"]}]` : ""}`;
}

export function planShape(plan: PlanNode): PlanShape {
  const scans = [...planNodes(plan)].filter((n) => SCAN.test(n["Node Type"]) && (n["Relation Name"] || n["Index Name"]));
  return {
    scans: scans.map(scanLabel).join(" ; "),
    signature: signatureOf(plan),
    rows: Number(plan["Plan Rows"] ?? 0),
    cost: Number(plan["Total Cost"] ?? 0),
    scanRows: scans.map((n) => Number(n["Plan Rows"] ?? 0)),
  };
}

/** Same scans, and every scan's row estimate within 10 % (or 1 row) of production's. */
export function sameEstimates(a: PlanShape | undefined, production: PlanShape): boolean {
  if (!a || a.scans !== production.scans || a.scanRows.length !== production.scanRows.length) return false;
  return a.scanRows.every((rows, i) => Math.abs(rows - production.scanRows[i]!) <= Math.max(1, 0.1 * production.scanRows[i]!));
}

/** Parameters of every variant, picked from production's data. */
async function pickParameters(sql: Sql, catalog: readonly CatalogEntry[]): Promise<{ query: CatalogEntry; variant: string; params: unknown[] }[]> {
  const picked: { query: CatalogEntry; variant: string; params: unknown[] }[] = [];
  for (const entry of catalog) {
    for (const [variant, picker] of Object.entries(entry.params)) {
      const rows = await readOnly(sql, (tx) => pickRows(tx, picker, variant));
      picked.push({ query: entry, variant, params: rows[0] ?? [] });
    }
  }
  return picked;
}

/** verify --stats's parameters for each variant: the file's where the twin found them, else the picker on the twin's data. */
async function verifyParameters(sql: Sql, items: readonly { query: CatalogEntry; variant: string }[], sources: readonly TwinParameter[]) {
  const out: { query: CatalogEntry; variant: string; params: unknown[]; source: TwinParameter["source"] }[] = [];
  for (const item of items) {
    const source = sources.find((p) => p.query === item.query.name && p.variant === item.variant);
    const params = source?.params ? [...source.params] : ((await readOnly(sql, (tx) => pickRows(tx, item.query.params[item.variant]!, item.variant)))[0] ?? []);
    out.push({ query: item.query, variant: item.variant, params, source: source?.source ?? "twin data" });
  }
  return out;
}

/** Each variant with verify --stats's own parameters on the twin and the plan they get. */
function withVerifyParams(variants: readonly VariantPlans[], verifyItems: readonly { params: unknown[]; source: TwinParameter["source"] }[], plans: Map<string, PlanShape | string>): VariantPlans[] {
  return variants.map((v, i) => {
    const item = verifyItems[i]!;
    const plan = plans.get(`${v.query}/${v.variant}`);
    return { ...v, verifyParams: { params: item.params, source: item.source, ...(typeof plan === "object" ? { plan } : {}) } };
  });
}

/** The custom plan's shape of each variant (force_custom_plan: the project's pool plans with the values). */
async function planAll(sql: Sql, items: readonly { query: CatalogEntry; variant: string; params: readonly unknown[] }[]): Promise<Map<string, PlanShape | string>> {
  const out = new Map<string, PlanShape | string>();
  for (const item of items) {
    try {
      const plan = await readOnly(sql, async (tx) => {
        await (tx as unknown as Sql)`SELECT set_config('plan_cache_mode', 'force_custom_plan', true)`;
        return explainEstimate(tx as unknown as Sql, item.query.sql, item.params);
      });
      out.set(`${item.query.name}/${item.variant}`, planShape(plan.Plan));
    } catch (error) {
      out.set(`${item.query.name}/${item.variant}`, (error as Error).message);
    }
  }
  return out;
}

/** Row estimate of a whole-table scan against the file's reltuples, with the pages behind it. */
async function estimateChecks(sql: Sql, file: StatsFile): Promise<EstimateCheck[]> {
  const checks: EstimateCheck[] = [];
  for (const rel of file.relations.filter((r) => r.kind === "table")) {
    const plan = await explainEstimate(sql, `SELECT * FROM "${rel.name.replaceAll('"', '""')}"`, []);
    const [{ pages }] = (await sql`SELECT (pg_relation_size(${rel.name}::regclass) / current_setting('block_size')::int)::int AS pages`) as unknown as [{ pages: number }];
    checks.push({ table: rel.name, fileRows: rel.reltuples, filePages: rel.relpages, pages, estimate: Number(plan.Plan["Plan Rows"] ?? 0) });
  }
  return checks;
}

type PlannedItem = { query: CatalogEntry; variant: string; params: unknown[] };

/** The skewed production database: seeded, every variant planned, its statistics exported; dropped after unless kept. */
async function measureProduction(server: DatabaseTarget, options: FidelityOptions, log: (line: string) => void) {
  const production = await recreateBenchDatabase(server, options.productionName);
  log(`production: ${production.display}, scale ${options.productionScale}, seed ${options.productionSeed}, skewed`);
  try {
    await applyMigrations(production, () => {});
    const measured = await withSql(production, async (sql) => {
      const s0 = performance.now();
      await seedDatabase(sql, { scale: options.productionScale, seed: options.productionSeed, shares: PRODUCTION_SHARES, onProgress: options.onSeedProgress });
      const seedMs = performance.now() - s0;
      const items = await pickParameters(sql, options.catalog);
      const productionPlans = await planAll(sql, items);
      const e0 = performance.now();
      const file = await exportStatistics(sql, { values: true });
      return { file, items, productionPlans, seedMs, exportMs: performance.now() - e0 };
    }, { max: 2, applicationName: "bollalabz-db bench stats-fidelity" });
    log(`production: seeded in ${formatMs(measured.seedMs)}, ${measured.items.length} variants planned, statistics exported in ${formatMs(measured.exportMs)}`);
    return measured;
  } finally {
    if (!options.keep) await dropBenchDatabase(server, options.productionName);
  }
}

/** Each variant's plan on production, on the twin before its statistics were restored (control) and after. */
function variantPlans(items: readonly PlannedItem[], productionPlans: Map<string, PlanShape | string>, controlPlans: Map<string, PlanShape | string>, twinPlans: Map<string, PlanShape | string>): VariantPlans[] {
  return items.map((item) => {
    const key = `${item.query.name}/${item.variant}`;
    const p = productionPlans.get(key);
    const c = controlPlans.get(key);
    const t = twinPlans.get(key);
    const error = [p, c, t].find((x) => typeof x === "string") as string | undefined;
    return {
      query: item.query.name,
      variant: item.variant,
      params: item.params,
      production: typeof p === "object" ? p : { scans: "", signature: "", rows: 0, cost: 0, scanRows: [] },
      ...(typeof c === "object" ? { control: c } : {}),
      ...(typeof t === "object" ? { twin: t } : {}),
      ...(error ? { error } : {}),
    };
  });
}

/** How many variants the twin (and the control) plan like production. */
function agreementOf(variants: readonly VariantPlans[]): FidelityResult["agreement"] {
  const compared = variants.filter((v) => !v.error && v.twin);
  return {
    compared: compared.length,
    scansSame: compared.filter((v) => v.twin!.scans === v.production.scans).length,
    signatureSame: compared.filter((v) => v.twin!.signature === v.production.signature).length,
    controlScansSame: compared.filter((v) => v.control?.scans === v.production.scans).length,
    estimatesSame: compared.filter((v) => sameEstimates(v.twin, v.production)).length,
    controlEstimatesSame: compared.filter((v) => sameEstimates(v.control, v.production)).length,
    verifyParamsSame: compared.filter((v) => v.verifyParams && JSON.stringify(v.verifyParams.params) === JSON.stringify(v.params)).length,
    verifyScansSame: compared.filter((v) => v.verifyParams?.plan?.scans === v.production.scans).length,
  };
}


export async function runStatsFidelity(server: DatabaseTarget, options: FidelityOptions): Promise<FidelityResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const migrateQuietly = (target: DatabaseTarget) => applyMigrations(target, () => {});
  // Restoring needs 18: find out before building production for minutes.
  await withSql(server, (sql) => assertCanRestore(sql, server.display), { max: 1 });

  // 1. production: data, plans, statistics; then dropped.
  const { file, items, productionPlans, seedMs, exportMs } = await measureProduction(server, options, log);

  // 2. the twin.
  const twinTarget = await recreateBenchDatabase(server, options.twinName);
  try {
    await migrateQuietly(twinTarget);
    log(`twin: ${twinTarget.display}; first at scale ${options.smallScale} (pages not matched) ...`);
    const notices = noticeCollector();
    const smallEstimates = await withSql(twinTarget, async (sql) => {
      await seedDatabase(sql, { scale: options.smallScale, seed: options.twinSeed });
      const plan = await planRestore(sql, file, twinTarget.display);
      await restoreStatistics(sql, file, plan, notices);
      return estimateChecks(sql, file);
    }, { max: 2, onNotice: notices.onNotice });

    log("twin: built as verify --stats builds it ...");
    let controlPlans = new Map<string, PlanShape | string>();
    let controlMs = 0;
    const t0 = performance.now();
    const twin = await buildStatisticsTwin(twinTarget, file, {
      seed: options.twinSeed,
      catalog: options.catalog,
      replaceForeignData: true,
      log,
      onSeedProgress: options.onSeedProgress,
      // The control: the twin's data with its own statistics (the twin
      // itself skips this ANALYZE; the restore replaces it). Not part of the
      // build time.
      beforeRestore: async (sql) => {
        const c0 = performance.now();
        await sql`ANALYZE`;
        controlPlans = await planAll(sql, items);
        controlMs = performance.now() - c0;
      },
    });
    const twinBuildMs = performance.now() - t0 - controlMs;
    const { twinPlans, sizedEstimates, verifyItems, verifyPlans } = await withSql(twinTarget, async (sql) => {
      // What verify --stats itself plans: its parameters, not production's.
      const verifyItems = await verifyParameters(sql, items, twin.parameters);
      return { twinPlans: await planAll(sql, items), sizedEstimates: await estimateChecks(sql, file), verifyItems, verifyPlans: await planAll(sql, verifyItems) };
    }, {
      max: 1,
      settings: twin.settings.applied,
    });

    const variants = withVerifyParams(variantPlans(items, productionPlans, controlPlans, twinPlans), verifyItems, verifyPlans);
    return {
      production: { scale: options.productionScale, seed: options.productionSeed, shares: PRODUCTION_SHARES, seedMs },
      exportMs,
      fileBytes: Buffer.byteLength(JSON.stringify(file)),
      small: { scale: options.smallScale, estimates: smallEstimates },
      twin,
      twinBuildMs,
      sizedEstimates,
      variants,
      agreement: agreementOf(variants),
      totalMs: performance.now() - started,
    };
  } finally {
    if (!options.keep) await dropBenchDatabase(server, options.twinName);
  }
}

const pct = (n: number, d: number) => (d === 0 ? "-" : `${((n / d) * 100).toFixed(1)} %`);

export function fidelityMarkdown(r: FidelityResult): string {
  const a = r.agreement;
  const out: string[] = [
    "# Statistics twin fidelity",
    "",
    `- production: scale ${r.production.scale}, seed ${r.production.seed}, shapes: ${r.production.shares.map((s) => `${s.table}.${s.column} ${s.share * 100} % ${s.value === null ? "NULL" : `= ${s.value}`}`).join(", ")}; seeded in ${formatMs(r.production.seedMs)}`,
    `- export: ${formatMs(r.exportMs)}, ${(r.fileBytes / 1024).toFixed(0)} kB`,
    `- twin build (calibration + sized seed + restore; the control's ANALYZE and plans not counted): ${formatMs(r.twinBuildMs)} (calibration ${formatMs(r.twin.data.calibrationMs)}, seed ${formatMs(r.twin.data.seedMs)}, restore ${formatMs(r.twin.restore.ms)}); ${r.twin.restore.relations.length} relations and ${r.twin.restore.columns.length} column statistics restored, ${r.twin.restore.refusals.length} refused`,
    `- **plan shape agreement (scan types, tables, indexes): ${a.scansSame}/${a.compared} variants (${pct(a.scansSame, a.compared)})**; whole plan tree identical: ${a.signatureSame}/${a.compared} (${pct(a.signatureSame, a.compared)}); the same twin with the generator's own statistics (control): ${a.controlScansSame}/${a.compared} (${pct(a.controlScansSame, a.compared)})`,
    `- row estimates of every scan within 10 % of production's: twin ${a.estimatesSame}/${a.compared} (${pct(a.estimatesSame, a.compared)}), control ${a.controlEstimatesSame}/${a.compared} (${pct(a.controlEstimatesSame, a.compared)})`,
    `- with verify --stats's own parameters (the file's statistics where the entry names a source, else the picker on the twin's data): the same values as production's picks for ${a.verifyParamsSame}/${a.compared} variants, the same plan shape as production for ${a.verifyScansSame}/${a.compared} (${pct(a.verifyScansSame, a.compared)})`,
    "",
    "## Row estimates need production's pages",
    "",
    `A whole-table scan's row estimate against the file's reltuples, after restoring the statistics onto the twin at scale ${r.small.scale} (pages not matched) and onto the sized twin.`,
    "",
    "| table | file reltuples | file pages | small: pages | small: estimate | sized: pages | sized: estimate |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.small.estimates.map((s) => {
      const z = r.sizedEstimates.find((x) => x.table === s.table);
      return `| ${s.table} | ${Math.round(s.fileRows)} | ${s.filePages} | ${s.pages} | ${Math.round(s.estimate)} | ${z?.pages ?? "-"} | ${z ? Math.round(z.estimate) : "-"} |`;
    }),
    "",
    "## Disagreements",
    "",
  ];
  const estimates = (p: PlanShape) => p.scanRows.map((n) => Math.round(n)).join(" / ");
  const differing = r.variants.filter((v) => v.error || v.twin?.scans !== v.production.scans);
  if (differing.length === 0) out.push("none");
  for (const v of differing) {
    out.push(`- **${v.query} / ${v.variant}** (params ${JSON.stringify(v.params).slice(0, 80)})${v.error ? `: error ${v.error}` : ""}`);
    out.push(`  - production (${Math.round(v.production.rows)} rows est., cost ${v.production.cost.toFixed(1)}): \`${v.production.signature}\``);
    if (v.twin) out.push(`  - twin (${Math.round(v.twin.rows)} rows est., cost ${v.twin.cost.toFixed(1)}): \`${v.twin.signature}\``);
  }
  const fromFile = r.variants.filter((v) => v.verifyParams?.source === "statistics");
  if (fromFile.length > 0) {
    out.push("", "## Parameters from the file's statistics (verify --stats) against production's picks", "", "| query / variant | production's pick | from the file | plan shape as production's |", "| --- | --- | --- | --- |");
    for (const v of fromFile) out.push(`| ${v.query} / ${v.variant} | ${JSON.stringify(v.params)} | ${JSON.stringify(v.verifyParams!.params)} | ${v.verifyParams!.plan?.scans === v.production.scans ? "yes" : "no"} |`);
  }
  const verifyDiffering = r.variants.filter((v) => !v.error && v.verifyParams && v.verifyParams.plan?.scans !== v.production.scans);
  if (verifyDiffering.length > 0) {
    out.push("", "## Plans with verify --stats's own parameters that differ from production's", "");
    for (const v of verifyDiffering) {
      out.push(`- **${v.query} / ${v.variant}** (production's params ${JSON.stringify(v.params).slice(0, 60)}, verify's ${JSON.stringify(v.verifyParams!.params).slice(0, 60)} from ${v.verifyParams!.source})`);
      out.push(`  - production: \`${v.production.signature}\``);
      if (v.verifyParams!.plan) out.push(`  - twin, verify's params: \`${v.verifyParams!.plan.signature}\``);
    }
  }
  // Where the shape is the same but the estimates moved: what the restored statistics fix (or not).
  const moved = r.variants.filter((v) => !v.error && v.twin?.scans === v.production.scans && (!sameEstimates(v.twin, v.production) || !sameEstimates(v.control, v.production)));
  if (moved.length > 0) {
    out.push("", "## Same plan shape, row estimates compared", "", "| query / variant | production | twin | control (generator statistics) |", "| --- | ---: | ---: | ---: |");
    for (const v of moved) out.push(`| ${v.query} / ${v.variant} | ${estimates(v.production)} | ${estimates(v.twin!)} | ${v.control ? estimates(v.control) : "-"} |`);
  }
  return `${out.join("\n")}\n`;
}
