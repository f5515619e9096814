// A statistics twin: this database, migrated like production, filled by the
// generator so that every table has production's number of pages, then given
// production's statistics (./restore.ts). The planner sees production.
//
// Why the pages must match: the planner does not trust pg_class.reltuples as
// a row count. It reads the table's current size in pages and scales:
// rows = reltuples / relpages x actual pages (estimate_rel_size). Production's
// statistics on a table a tenth its size give a tenth of production's row
// estimates (measured: docs/PERFORMANCE.md, "Statistics twin"). So the
// generator writes, per table, the rows that fill production's relpages:
// rows per page measured on a small calibration seed (CALIBRATION_ROWS rows
// per table), times the file's relpages.
import { EXIT, UserError } from "../base/errors.ts";
import { formatMs } from "../base/format.ts";
import { quoteIdent, withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { SEED_MARKER, seedDatabase, type SeedProgress } from "../seed/generate.ts";
import { SEED_TABLES } from "../seed/tables.ts";
import type { StatsFile } from "./format.ts";
import { noticeCollector, planRestore, restoreStatistics, type AutovacuumState, type RestorePlan, type RestoreResult } from "./restore.ts";
import { describeTwinParameters, twinParameters, type TwinParameter } from "./twin-params.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { describeExtended, prepareExtendedStatistics, type ExtendedOutcome } from "./extended.ts";
import { PLANNER_SETTINGS } from "./export.ts";

/** A table whose pages differ from the file's by more than this (and more than one page, the granularity) is reported. */
export const PAGE_TOLERANCE = 0.1;
/** Rows per table of the seed that measures the generator's rows per page. */
export const CALIBRATION_ROWS = 5_000;

export interface TableSize {
  readonly table: string;
  readonly filePages: number;
  readonly pages: number;
  /** pages / filePages - 1 */
  readonly difference: number;
  readonly within: boolean;
  /** The generator does not write this table (derived or foreign): its size follows from the others. */
  readonly generated: boolean;
}

export interface TwinOptions {
  readonly seed: number;
  readonly anchor?: Date;
  /** Let the seed replace rows the generator did not write (--yes). */
  readonly replaceForeignData?: boolean;
  readonly log?: (line: string) => void;
  readonly onSeedProgress?: (event: SeedProgress) => void;
  /** The catalog the twin is built for: its variants' parameter sources are worked out (./twin-params.ts). */
  readonly catalog?: readonly CatalogEntry[];
  /** Called with the sized data just before the restore (the fidelity benchmark's control plans). */
  readonly beforeRestore?: (sql: Sql) => Promise<void>;
}

export interface TwinReport {
  readonly file: { readonly exportedAt: string; readonly serverVersion: string; readonly values: boolean };
  readonly notes: readonly string[];
  /** How the data was sized: kept (already within tolerance) or seeded with these rows. */
  readonly data: { readonly seeded: boolean; readonly rows: Readonly<Record<string, number>>; readonly calibrationMs: number; readonly seedMs: number };
  readonly sizes: readonly TableSize[];
  /** Tables the file has no statistics for: analyzed here (they plan with this database's own). */
  readonly analyzed: readonly string[];
  /** The file's extended statistics objects and what the twin does for each (./extended.ts). */
  readonly extended: readonly ExtendedOutcome[];
  readonly restore: RestoreResult;
  /** Where each catalog variant's parameters come from on the twin (empty without a catalog). */
  readonly parameters: readonly TwinParameter[];
  readonly autovacuum: AutovacuumState;
  /** Planner settings of the file the verify session runs with (those this server knows), and the ones that differ from its own. */
  readonly settings: { readonly applied: Readonly<Record<string, string>>; readonly differing: readonly string[] };
  readonly ms: number;
}

/** Current size in pages of the named tables (pg_relation_size: what the planner reads). */
export async function tablePages(sql: Sql, schema: string, tables: readonly string[]): Promise<Record<string, number>> {
  const rows = await sql<{ name: string; pages: number }[]>`
    SELECT c.relname AS name, (pg_relation_size(c.oid) / current_setting('block_size')::int)::int AS pages
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema} AND c.relname = ANY(${[...tables]})`;
  return Object.fromEntries(rows.map((r) => [r.name, r.pages]));
}

export function compareSizes(file: StatsFile, pages: Readonly<Record<string, number>>): TableSize[] {
  const generated = new Set(SEED_TABLES.map((t) => t.table));
  return file.relations
    .filter((r) => r.kind === "table" && pages[r.name] !== undefined)
    .map((r) => {
      const here = pages[r.name]!;
      const difference = r.relpages === 0 ? (here === 0 ? 0 : Infinity) : here / r.relpages - 1;
      return { table: r.name, filePages: r.relpages, pages: here, difference, within: Math.abs(here - r.relpages) <= Math.max(1, PAGE_TOLERANCE * r.relpages), generated: generated.has(r.name) };
    });
}

/**
 * The seed empties the generated tables and drops and rebuilds their
 * indexes: only their owner may. Checked before anything changes, so a role
 * with MAINTAIN alone (enough for the restore) gets one line, not a failed
 * seed.
 */
async function assertMaySeed(sql: Sql, schema: string, where: string): Promise<void> {
  const rows = await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relname = ANY(${SEED_TABLES.map((t) => t.table)}) AND NOT pg_has_role(c.relowner, 'USAGE') ORDER BY 1`;
  if (rows.length === 0) return;
  throw new UserError(
    `${where}: the twin's data must be generated to the file's sizes, and the role does not own ${rows.map((r) => r.name).join(", ")} (the seed empties the tables and rebuilds their indexes; MAINTAIN is enough only for the restore). Nothing was changed. ` +
      "Run as the tables' owner (the role that ran npm run migrate).",
    EXIT.notReady,
  );
}

/**
 * Rows per generated table so that its pages match the file's: a small
 * calibration seed measures the generator's rows per page, then the real
 * seed writes relpages x that. Skipped when the data already is the
 * generator's and every generated table is within the tolerance.
 */
async function sizeData(sql: Sql, file: StatsFile, options: TwinOptions, where: string): Promise<TwinReport["data"]> {
  const tables = SEED_TABLES.map((t) => t.table).filter((t) => file.relations.some((r) => r.name === t && r.kind === "table"));
  const [{ marker }] = (await sql`SELECT obj_description(to_regclass('phone_contacts'), 'pg_class') AS marker`) as unknown as [{ marker: string | null }];
  const before = compareSizes(file, await tablePages(sql, file.schema, tables));
  if (marker?.startsWith(SEED_MARKER) && before.length === tables.length && before.every((s) => s.within)) {
    options.log?.(`twin: the generated data already has the file's pages (within ${PAGE_TOLERANCE * 100} %): kept`);
    return { seeded: false, rows: {}, calibrationMs: 0, seedMs: 0 };
  }
  await assertMaySeed(sql, file.schema, where);
  const c0 = performance.now();
  options.log?.(`twin: calibrating the generator (${CALIBRATION_ROWS} rows per table) ...`);
  const calibration = Object.fromEntries(SEED_TABLES.map((t) => [t.table, CALIBRATION_ROWS]));
  await seedDatabase(sql, { scale: 1, seed: options.seed, anchor: options.anchor, rows: calibration, replaceForeignData: options.replaceForeignData, analyze: false });
  const measured = await tablePages(sql, file.schema, tables);
  const calibrationMs = performance.now() - c0;
  const rows: Record<string, number> = {};
  for (const t of SEED_TABLES) {
    const filePages = file.relations.find((r) => r.name === t.table && r.kind === "table")?.relpages;
    const rowsPerPage = CALIBRATION_ROWS / Math.max(1, measured[t.table] ?? 1);
    // Tables the file lacks keep their calibration size.
    rows[t.table] = filePages === undefined ? CALIBRATION_ROWS : Math.max(1, Math.round(filePages * rowsPerPage));
  }
  options.log?.(`twin: seeding ${Object.values(rows).reduce((a, b) => a + b, 0).toLocaleString("en-US")} rows sized to the file's pages (calibration ${formatMs(calibrationMs)}) ...`);
  const s0 = performance.now();
  // No ANALYZE: the file's statistics replace it (what the file does not cover is analyzed in analyzeUncovered).
  await seedDatabase(sql, { scale: 1, seed: options.seed, anchor: options.anchor, rows, replaceForeignData: true, onProgress: options.onSeedProgress, analyze: false });
  return { seeded: true, rows, calibrationMs, seedMs: performance.now() - s0 };
}

/**
 * Tables here that the file has no statistics for keep this database's own:
 * the seed did not analyze them (analyze: false), so ANALYZE them now.
 */
async function analyzeUncovered(sql: Sql, file: StatsFile, plan: RestorePlan): Promise<string[]> {
  const covered = new Set(plan.relations.filter((r) => r.kind === "table").map((r) => r.name));
  const rows = await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${file.schema} AND c.relkind IN ('r', 'p', 'm') ORDER BY 1`;
  const uncovered = rows.map((r) => r.name).filter((t) => !covered.has(t));
  for (const t of uncovered) await sql.unsafe(`ANALYZE ${quoteIdent(file.schema)}.${quoteIdent(t)}`);
  return uncovered;
}

/** The file's planner settings this server knows and any role may set at connection time (plan_cache_mode stays verify's own), and those that differ here. */
export async function twinSessionSettings(sql: Sql, file: StatsFile): Promise<TwinReport["settings"]> {
  const names = Object.keys(file.settings).filter((n) => n !== "plan_cache_mode" && (n.startsWith("enable_") || (PLANNER_SETTINGS as readonly string[]).includes(n)));
  const here = await sql<{ name: string; setting: string }[]>`
    SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY(${names}) AND context = 'user'`;
  const applied: Record<string, string> = {};
  const differing: string[] = [];
  for (const h of here) {
    applied[h.name] = file.settings[h.name]!;
    if (h.setting !== file.settings[h.name]) differing.push(`${h.name}: ${h.setting} here, ${file.settings[h.name]} in the file`);
  }
  return { applied, differing };
}

/**
 * Build the twin on `target`: check everything first (version, schema,
 * MAINTAIN; nothing changes on a failure), size the data, restore the
 * statistics in one transaction with autovacuum off on those tables (undo
 * with restoreAutovacuum after the run).
 */
export async function buildStatisticsTwin(target: DatabaseTarget, file: StatsFile, options: TwinOptions): Promise<TwinReport> {
  const notices = noticeCollector();
  return withSql(target, async (sql) => {
    const started = performance.now();
    const plan = await planRestore(sql, file, target.display);
    const data = await sizeData(sql, file, options, target.display);
    const sizes = compareSizes(file, await tablePages(sql, file.schema, file.relations.filter((r) => r.kind === "table").map((r) => r.name)));
    const analyzed = await analyzeUncovered(sql, file, plan);
    const extended = await prepareExtendedStatistics(sql, file);
    await options.beforeRestore?.(sql);
    const { autovacuum, ...restore } = await restoreStatistics(sql, file, plan, notices);
    const settings = await twinSessionSettings(sql, file);
    const parameters = options.catalog ? await twinParameters(sql, file, options.catalog) : [];
    return {
      file: { exportedAt: file.exportedAt, serverVersion: file.serverVersion, values: file.values },
      notes: plan.notes,
      data,
      analyzed,
      extended,
      sizes,
      restore,
      parameters,
      autovacuum,
      settings,
      ms: performance.now() - started,
    };
  }, { max: 2, applicationName: "bollalabz-db stats twin", onNotice: notices.onNotice });
}

/** The twin's part of verify's output. */
export function formatTwinReport(twin: TwinReport): string {
  const lines: string[] = [];
  const { restore } = twin;
  lines.push(`statistics twin (file exported ${twin.file.exportedAt} from PostgreSQL ${twin.file.serverVersion}, ${twin.file.values ? "with values" : "--no-values"}), built in ${formatMs(twin.ms)}`);
  lines.push(twin.data.seeded
    ? `  data: seeded to the file's pages (calibration ${formatMs(twin.data.calibrationMs)}, seed ${formatMs(twin.data.seedMs)})`
    : "  data: already sized, kept");
  lines.push(`  restored: ${restore.relations.length} relations (pages, tuples, all-visible), ${restore.columns.length} column statistics in ${formatMs(restore.ms)}; autovacuum off on ${twin.autovacuum.disabled.length} tables for the run`);
  if (twin.autovacuum.notOwned.length > 0) lines.push(`  autovacuum left on (not the owner): ${twin.autovacuum.notOwned.join(", ")} — an auto-ANALYZE there would replace the restored statistics`);
  lines.push(restore.refusals.length === 0 ? "  refused by the server: none" : `  refused by the server (${restore.refusals.length}):`);
  for (const r of restore.refusals) lines.push(`    ${r.item}: ${r.message}`);
  const off = twin.sizes.filter((s) => !s.within);
  lines.push(off.length === 0 ? `  sizes: every table within ${PAGE_TOLERANCE * 100} % of the file's pages` : `  tables whose size differs from the file by more than ${PAGE_TOLERANCE * 100} % (their row estimates scale with it):`);
  for (const s of off) lines.push(`    ${s.table}: ${s.pages} pages here, ${s.filePages} in the file (${s.difference === Infinity ? "file empty" : `${(s.difference * 100).toFixed(0)} %`})${s.generated ? "" : "; not written by the generator"}`);
  if (twin.analyzed.length > 0) lines.push(`  not in the file, analyzed here (this database's own statistics): ${twin.analyzed.join(", ")}`);
  if (twin.extended.length > 0) lines.push(`  extended statistics (${twin.extended.length}; PostgreSQL 18 has no function to restore them):`);
  for (const e of twin.extended) lines.push(`    ${describeExtended(e)}`);
  if (!twin.file.values) lines.push("  --no-values file: no most-common value, frequency list or histogram of production; equality and range estimates use its null fraction and distinct count only");
  if (twin.settings.differing.length > 0) lines.push(`  planner settings of the file used for the run: ${twin.settings.differing.join("; ")}`);
  if (twin.parameters.length > 0) lines.push(...describeTwinParameters(twin.parameters).map((l) => `  ${l}`));
  for (const n of twin.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}
