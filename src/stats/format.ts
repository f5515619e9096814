// The statistics file `npm run stats:export` writes and `verify --stats`
// reads: what the planner knows about every table of a schema (pg_class
// sizes, pg_stats per column, pg_stats_ext) and the settings that shape
// plans. JSON with a format version; no row of the tables is in it, but with
// values (the default) most-common values and histogram bounds ARE samples of
// real column values (emails, names): see README "Production's statistics".
import { readFileSync } from "node:fs";
import { EXIT, UserError } from "../base/errors.ts";

/** Bump on an incompatible change; the loader refuses other versions. */
export const STATS_FORMAT = "bollalabz-db statistics";
export const STATS_FORMAT_VERSION = 1;

/**
 * One column's pg_stats row. Arrays of the column's own type (anyarray in
 * pg_stats) are kept as PostgreSQL's text form, which
 * pg_restore_attribute_stats casts back to the column's type; `type` records
 * that type so a restore onto another type is caught before anything is
 * written. Absent (undefined) in --no-values files: the values fields.
 */
export interface ColumnStatistics {
  readonly column: string;
  /** Position within an index (expression columns of an index are addressed by number). */
  readonly attnum: number;
  /** format_type of the column. */
  readonly type: string;
  readonly inherited: boolean;
  readonly nullFrac: number | null;
  readonly avgWidth: number | null;
  readonly nDistinct: number | null;
  readonly correlation: number | null;
  readonly mostCommonVals?: string | null;
  readonly mostCommonFreqs: readonly number[] | null;
  readonly histogramBounds?: string | null;
  readonly mostCommonElems?: string | null;
  readonly mostCommonElemFreqs: readonly number[] | null;
  readonly elemCountHistogram: readonly number[] | null;
  readonly rangeLengthHistogram?: string | null;
  readonly rangeEmptyFrac: number | null;
  readonly rangeBoundsHistogram?: string | null;
}

export interface RelationStatistics {
  readonly name: string;
  readonly kind: "table" | "index";
  /** For an index: its table. */
  readonly table?: string;
  readonly relpages: number;
  readonly reltuples: number;
  readonly relallvisible: number;
  /** PostgreSQL 18+ only. */
  readonly relallfrozen: number | null;
  /** pg_relation_size (main fork). */
  readonly bytes: number;
  /** Tables: every index together (pg_indexes_size); indexes: 0. */
  readonly indexBytes: number;
  /** Tables: every column of the table; indexes: only expression columns (the only ones ANALYZE keeps statistics for). */
  readonly columns: readonly ColumnStatistics[];
}

/** One pg_stats_ext row, kept as the server reported it (restorable from PostgreSQL 19 on). */
export interface ExtendedStatistics {
  readonly table: string;
  readonly name: string;
  readonly columns: readonly string[];
  readonly kinds: readonly string[];
  readonly inherited: boolean;
  readonly nDistinct?: string | null;
  readonly dependencies?: string | null;
  readonly mostCommonValues?: readonly string[] | null;
  readonly mostCommonFreqs?: readonly number[] | null;
  /** pg_get_statisticsobjdef: the CREATE STATISTICS a twin lacking the object runs (absent in files of earlier exports). */
  readonly definition?: string | null;
}

export interface StatsFile {
  readonly format: typeof STATS_FORMAT;
  readonly formatVersion: number;
  readonly exportedAt: string;
  readonly serverVersion: string;
  readonly serverVersionNum: number;
  readonly schema: string;
  /** false: exported with --no-values (no MCVs, histograms or element values). */
  readonly values: boolean;
  /** The planner settings in effect where it was exported (name -> setting as text). */
  readonly settings: Readonly<Record<string, string>>;
  readonly relations: readonly RelationStatistics[];
  readonly extended: readonly ExtendedStatistics[];
  /** Columns pg_stats did not show (no statistics yet, or no SELECT privilege on them). */
  readonly columnsWithoutStatistics: readonly string[];
}

const fix = "Export it again with 'npm run stats:export -- --out FILE' (the whole file, unedited).";

/**
 * Read and check a statistics file. A missing, truncated or non-JSON file,
 * another format or version, or a malformed relation is one UserError
 * (exit 2) naming the file, what is wrong and the fix.
 */
export function loadStatsFile(file: string): StatsFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UserError(`--stats ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Give the path of a file written by 'npm run stats:export -- --out FILE'.`, EXIT.usage);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(`--stats ${file}: not valid JSON (${(error as Error).message}; truncated?). ${fix}`, EXIT.usage);
  }
  const problem = statsFileProblem(parsed);
  if (problem) throw new UserError(`--stats ${file}: ${problem}. ${fix}`, EXIT.usage);
  return parsed as StatsFile;
}

const isNumber = (x: unknown) => typeof x === "number" && Number.isFinite(x);

/** Why `value` is not a statistics file of this version (undefined when it is). */
export function statsFileProblem(value: unknown): string | undefined {
  const doc = value as Partial<StatsFile> | null;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return "not a statistics file (expected a JSON object)";
  if (doc.format !== STATS_FORMAT) return `not a statistics file (format is ${JSON.stringify(doc.format)}, expected "${STATS_FORMAT}")`;
  if (doc.formatVersion !== STATS_FORMAT_VERSION) return `format version ${JSON.stringify(doc.formatVersion)}, this bollalabz-db reads version ${STATS_FORMAT_VERSION}`;
  if (typeof doc.schema !== "string" || typeof doc.values !== "boolean") return "the schema or values field is missing";
  if (typeof doc.settings !== "object" || doc.settings === null) return "the settings field is missing";
  if (!Array.isArray(doc.relations) || !Array.isArray(doc.extended)) return "the relations or extended field is missing";
  for (const [i, r] of doc.relations.entries()) {
    const rel = r as Partial<RelationStatistics>;
    if (typeof rel?.name !== "string" || (rel.kind !== "table" && rel.kind !== "index")) return `relation #${i + 1} has no name or kind`;
    if (![rel.relpages, rel.reltuples, rel.relallvisible, rel.bytes].every(isNumber)) return `relation ${rel.name} lacks relpages, reltuples, relallvisible or bytes`;
    if (!Array.isArray(rel.columns)) return `relation ${rel.name} has no columns list`;
    for (const c of rel.columns) {
      const col = c as Partial<ColumnStatistics>;
      if (typeof col?.column !== "string" || typeof col.type !== "string" || !isNumber(col.attnum) || typeof col.inherited !== "boolean") {
        return `relation ${rel.name} has a column without name, type, attnum or inherited`;
      }
    }
  }
  return undefined;
}
