// stats:export — the planner's view of a schema, read from the catalogs only
// (pg_class, pg_stats, pg_stats_ext, pg_settings) inside a READ ONLY
// transaction: no row of a table is read, nothing is written. Works on
// PostgreSQL 15+. pg_stats shows a column only to a role that may SELECT it
// (ownership, a grant or pg_read_all_data); columns it hides are listed in
// the file, so a restore says what it lacks instead of guessing.
import type { Sql } from "../db/index.ts";
import { STATS_FORMAT, STATS_FORMAT_VERSION, type ColumnStatistics, type ExtendedStatistics, type RelationStatistics, type StatsFile } from "./format.ts";

/** Settings that change which plan wins (costs, memory, switches), exported with the statistics. */
export const PLANNER_SETTINGS = [
  "seq_page_cost", "random_page_cost", "cpu_tuple_cost", "cpu_index_tuple_cost", "cpu_operator_cost",
  "parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size", "min_parallel_index_scan_size",
  "max_parallel_workers_per_gather", "effective_cache_size", "effective_io_concurrency", "work_mem", "hash_mem_multiplier",
  "default_statistics_target", "constraint_exclusion", "cursor_tuple_fraction", "from_collapse_limit", "join_collapse_limit",
  "geqo", "geqo_threshold", "jit", "jit_above_cost", "jit_inline_above_cost", "jit_optimize_above_cost", "plan_cache_mode",
] as const;

export interface ExportOptions {
  /** false = --no-values: leave out most-common values, histogram bounds and element values (samples of real data). */
  readonly values: boolean;
  /** Default: current_schema(). */
  readonly schema?: string;
}

interface RelationRow {
  name: string;
  kind: "table" | "index";
  table: string | null;
  relpages: number;
  reltuples: number;
  relallvisible: number;
  relallfrozen: number | null;
  bytes: number;
  index_bytes: number;
}

interface ColumnRow {
  relation: string;
  column: string;
  attnum: number;
  type: string;
  inherited: boolean;
  null_frac: number | null;
  avg_width: number | null;
  n_distinct: number | null;
  correlation: number | null;
  most_common_vals?: string | null;
  most_common_freqs: number[] | null;
  histogram_bounds?: string | null;
  most_common_elems?: string | null;
  most_common_elem_freqs: number[] | null;
  elem_count_histogram: number[] | null;
  range_length_histogram?: string | null;
  range_empty_frac: number | null;
  range_bounds_histogram?: string | null;
}

/** Export the statistics of every table of the schema (and of their indexes). */
export async function exportStatistics(sql: Sql, options: ExportOptions): Promise<StatsFile> {
  return sql.begin("READ ONLY", async (tx) => {
    const [server] = await tx<{ num: number; version: string; schema: string }[]>`
      SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version,
             coalesce(${options.schema ?? null}::text, current_schema()) AS schema`;
    const { num, version, schema } = server!;
    const relallfrozen = num >= 180000 ? "c.relallfrozen" : "NULL::int";
    const relations = await tx.unsafe<RelationRow[]>(`
      SELECT c.relname AS name, CASE WHEN c.relkind = 'i' THEN 'index' ELSE 'table' END AS kind, t.relname AS "table",
             c.relpages, c.reltuples::float8 AS reltuples, c.relallvisible, ${relallfrozen} AS relallfrozen,
             pg_relation_size(c.oid) AS bytes, CASE WHEN c.relkind = 'i' THEN 0 ELSE pg_indexes_size(c.oid) END AS index_bytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = i.indrelid
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm', 'i') AND (c.relkind <> 'i' OR t.relkind IN ('r', 'p', 'm'))
      ORDER BY c.relkind = 'i', c.relname`, [schema]);

    // Only the fields a mode may reveal are selected: with --no-values the
    // values never leave the server.
    const valueFields = options.values
      ? `s.most_common_vals::text AS most_common_vals, s.histogram_bounds::text AS histogram_bounds, s.most_common_elems::text AS most_common_elems,`
      : "";
    const rangeFields = num >= 170000
      ? `${options.values ? "s.range_length_histogram::text AS range_length_histogram, s.range_bounds_histogram::text AS range_bounds_histogram," : ""} s.range_empty_frac::float8 AS range_empty_frac`
      : "NULL::float8 AS range_empty_frac";
    const columns = await tx.unsafe<ColumnRow[]>(`
      SELECT s.tablename AS relation, s.attname AS "column", a.attnum, format_type(a.atttypid, a.atttypmod) AS type, s.inherited,
             s.null_frac::float8 AS null_frac, s.avg_width, s.n_distinct::float8 AS n_distinct, s.correlation::float8 AS correlation,
             ${valueFields}
             s.most_common_freqs::float8[] AS most_common_freqs, s.most_common_elem_freqs::float8[] AS most_common_elem_freqs,
             s.elem_count_histogram::float8[] AS elem_count_histogram, ${rangeFields}
      FROM pg_stats s
      JOIN pg_namespace n ON n.nspname = s.schemaname
      JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname
      WHERE s.schemaname = $1
      ORDER BY s.tablename, a.attnum, s.inherited`, [schema]);

    const missing = await tx.unsafe<{ name: string }[]>(`
      SELECT c.relname || '.' || a.attname AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm') AND a.attnum > 0 AND NOT a.attisdropped
        AND NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname)
      ORDER BY 1`, [schema]);

    const extendedValues = options.values ? "e.most_common_vals::text[] AS most_common_values, e.most_common_freqs::float8[] AS most_common_freqs," : "";
    const extended = await tx.unsafe<ExtendedRow[]>(`
      SELECT e.tablename AS "table", e.statistics_name AS name, e.attnames::text[] AS columns, e.kinds::text[] AS kinds, e.inherited,
             ${extendedValues} e.n_distinct::text AS n_distinct, e.dependencies::text AS dependencies,
             pg_get_statisticsobjdef(x.oid) AS definition
      FROM pg_stats_ext e
      LEFT JOIN pg_namespace sn ON sn.nspname = e.statistics_schemaname
      LEFT JOIN pg_statistic_ext x ON x.stxname = e.statistics_name AND x.stxnamespace = sn.oid
      WHERE e.schemaname = $1 ORDER BY e.tablename, e.statistics_name`, [schema]);

    const settings = await tx<{ name: string; setting: string }[]>`
      SELECT name, current_setting(name) AS setting FROM pg_settings
      WHERE name = ANY(${[...PLANNER_SETTINGS]}::text[]) OR name LIKE 'enable\\_%' ORDER BY name`;

    return statsFile({ server: { num, version, schema }, values: options.values, relations, columns, extended, settings, missing });
  }) as Promise<StatsFile>;
}

interface ExtendedRow {
  table: string;
  name: string;
  columns: string[];
  kinds: string[];
  inherited: boolean;
  n_distinct: string | null;
  dependencies: string | null;
  most_common_values?: string[] | null;
  most_common_freqs?: number[] | null;
  definition: string | null;
}

/** The file from what the catalog views returned: columns grouped under their relation, values only when exported with them. */
function statsFile(read: {
  readonly server: { readonly num: number; readonly version: string; readonly schema: string };
  readonly values: boolean;
  readonly relations: readonly RelationRow[];
  readonly columns: readonly ColumnRow[];
  readonly extended: readonly ExtendedRow[];
  readonly settings: readonly { name: string; setting: string }[];
  readonly missing: readonly { name: string }[];
}): StatsFile {
  const { relations, columns, extended, settings, missing, values } = read;
  const { num, version, schema } = read.server;
  const byRelation = new Map<string, ColumnStatistics[]>();
  for (const c of columns) {
    const list = byRelation.get(c.relation) ?? [];
    list.push(columnStatistics(c, values));
    byRelation.set(c.relation, list);
  }
  const relationStats: RelationStatistics[] = relations.map((r) => ({
    name: r.name,
    kind: r.kind,
    ...(r.table ? { table: r.table } : {}),
    relpages: r.relpages,
    reltuples: r.reltuples,
    relallvisible: r.relallvisible,
    relallfrozen: r.relallfrozen,
    bytes: r.bytes,
    indexBytes: r.index_bytes,
    columns: byRelation.get(r.name) ?? [],
  }));
  const extendedStats: ExtendedStatistics[] = extended.map((e) => ({
    table: e.table,
    name: e.name,
    columns: e.columns,
    kinds: e.kinds,
    inherited: e.inherited,
    nDistinct: e.n_distinct,
    dependencies: e.dependencies,
    definition: e.definition,
    ...(values ? { mostCommonValues: e.most_common_values ?? null, mostCommonFreqs: e.most_common_freqs ?? null } : {}),
  }));
  return {
    format: STATS_FORMAT,
    formatVersion: STATS_FORMAT_VERSION,
    exportedAt: new Date().toISOString(),
    serverVersion: version,
    serverVersionNum: num,
    schema,
    values,
    settings: Object.fromEntries(settings.map((s) => [s.name, s.setting])),
    relations: relationStats,
    extended: extendedStats,
    columnsWithoutStatistics: missing.map((m) => m.name),
  };
}

function columnStatistics(c: ColumnRow, values: boolean): ColumnStatistics {
  return {
    column: c.column,
    attnum: c.attnum,
    type: c.type,
    inherited: c.inherited,
    nullFrac: c.null_frac,
    avgWidth: c.avg_width,
    nDistinct: c.n_distinct,
    correlation: c.correlation,
    mostCommonFreqs: c.most_common_freqs,
    mostCommonElemFreqs: c.most_common_elem_freqs,
    elemCountHistogram: c.elem_count_histogram,
    rangeEmptyFrac: c.range_empty_frac,
    ...(values
      ? {
          mostCommonVals: c.most_common_vals ?? null,
          histogramBounds: c.histogram_bounds ?? null,
          mostCommonElems: c.most_common_elems ?? null,
          rangeLengthHistogram: c.range_length_histogram ?? null,
          rangeBoundsHistogram: c.range_bounds_histogram ?? null,
        }
      : {}),
  };
}

/** One line per relation for the command's summary. */
export function summarizeExport(file: StatsFile): string {
  const tables = file.relations.filter((r) => r.kind === "table");
  const indexes = file.relations.length - tables.length;
  const columns = file.relations.reduce((n, r) => n + r.columns.length, 0);
  return (
    `${tables.length} tables, ${indexes} indexes, ${columns} column statistics, ${file.extended.length} extended statistics, ` +
    `${Object.keys(file.settings).length} planner settings (PostgreSQL ${file.serverVersion}, schema ${file.schema}, ${file.values ? "with values" : "--no-values: counts and fractions only"})` +
    (file.columnsWithoutStatistics.length > 0 ? `\ncolumns without statistics (never analyzed, or no SELECT privilege): ${file.columnsWithoutStatistics.join(", ")}` : "")
  );
}
