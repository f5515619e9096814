// Where each catalog variant's parameters come from on a statistics twin.
//
// A picker ("the heaviest contact") is a query on the data, and a twin's data
// is the generator's, not production's: the twin's heaviest contact is not
// production's, and production's statistics (restored) give it the
// frequency of whatever value production's most common one is. So a variant
// whose entry names a statistics source (paramsFromStatistics) takes its
// value from the file: the column's most common value, or the middle bound
// of its histogram for a typical one. Where the file has no such value (a
// --no-values file, a column without a most-common list or histogram), and
// for every other variant, the picker runs on the twin's data as usual, and
// the report says so.
import { parseSync } from "libpg-query";
import type { Sql } from "../db/index.ts";
import type { CatalogEntry, StatisticsParam } from "../catalog/types.ts";
import type { StatsFile } from "./format.ts";

export interface TwinParameter {
  readonly query: string;
  readonly variant: string;
  /** statistics: from the file; twin data: the picker ran on the twin's generated data; constant: the picker reads no table. */
  readonly source: "statistics" | "twin data" | "constant";
  /** What exactly. */
  readonly detail: string;
  /** A variant with a statistics source whose file could not give it: why. */
  readonly fallback?: string;
  /** The values ($1..$n), for source statistics. */
  readonly params?: readonly unknown[];
}

/** The key runCatalog's presets use for a variant. */
export const variantKey = (query: string, variant: string) => `${query}\u0000${variant}`;

/** Whether a picker's SQL reads a table (a constant such as SELECT '%term%' does not). */
export function pickerReadsTables(picker: string): boolean {
  try {
    return JSON.stringify(parseSync(picker)).includes('"RangeVar"');
  } catch {
    return true;
  }
}

/** One parameter from the file, or why the file cannot give it. */
async function fromStatistics(sql: Sql, file: StatsFile, source: StatisticsParam): Promise<{ value: unknown; detail: string } | { missing: string }> {
  const [table, column] = source.column.split(".") as [string, string];
  const stats = file.relations.find((r) => r.kind === "table" && r.name === table)?.columns.find((c) => c.column === column && !c.inherited);
  if (!stats) return { missing: `the file has no statistics for ${source.column}` };
  if (!file.values) return { missing: "the file was exported with --no-values (it holds no value of production's data)" };
  const array = source.value === "most_common" ? stats.mostCommonVals : stats.histogramBounds;
  if (!array) return { missing: `the file has no ${source.value === "most_common" ? "most-common values" : "histogram"} for ${source.column}` };
  // The text form becomes the column's type on the server (the restore checked the type matches the file's).
  const [live] = await sql<{ type: string | null }[]>`
    SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
    WHERE a.attrelid = to_regclass(quote_ident(${file.schema}) || '.' || quote_ident(${table})) AND a.attname = ${column} AND NOT a.attisdropped`;
  if (!live?.type) return { missing: `${source.column} is not in this database` };
  const [row] = await sql.unsafe<{ value: unknown; n: number }[]>(
    `SELECT CASE WHEN $2 THEN a[1] ELSE a[(array_length(a, 1) + 1) / 2] END AS value, array_length(a, 1) AS n FROM (SELECT $1::text::${live.type}[] AS a) s`,
    [array, source.value === "most_common"] as never[],
  );
  if (source.value === "most_common") {
    const freq = stats.mostCommonFreqs?.[0];
    return { value: row!.value, detail: `${source.column}'s most common value${freq === undefined ? "" : ` (${(freq * 100).toFixed(1)} % of the rows)`}` };
  }
  return { value: row!.value, detail: `${source.column}'s middle histogram bound (${Math.ceil(row!.n / 2)} of ${row!.n}; not among its most common values)` };
}

/** The source of every variant's parameters on the twin, with the values of those taken from the file. */
export async function twinParameters(sql: Sql, file: StatsFile, catalog: readonly CatalogEntry[]): Promise<TwinParameter[]> {
  const out: TwinParameter[] = [];
  for (const entry of catalog) {
    for (const [variant, picker] of Object.entries(entry.params)) {
      const sources = entry.paramsFromStatistics?.[variant];
      const base = { query: entry.name, variant };
      if (!sources) {
        out.push(pickerReadsTables(picker) ? { ...base, source: "twin data", detail: "the picker's query on the twin's generated data" } : { ...base, source: "constant", detail: "the picker reads no table" });
        continue;
      }
      const values: unknown[] = [];
      const details: string[] = [];
      let missing: string | undefined;
      for (const s of sources) {
        const got = await fromStatistics(sql, file, s);
        if ("missing" in got) {
          missing = got.missing;
          break;
        }
        values.push(got.value);
        details.push(got.detail);
      }
      out.push(missing === undefined
        ? { ...base, source: "statistics", detail: details.join("; "), params: values }
        : { ...base, source: "twin data", detail: "the picker's query on the twin's generated data", fallback: missing });
    }
  }
  return out;
}

/** The report's lines: the variants valued from the file, and those of a statistics source that fell back to the twin's data, with why. */
export function describeTwinParameters(list: readonly TwinParameter[]): string[] {
  const fromFile = list.filter((p) => p.source === "statistics");
  const fromTwin = list.filter((p) => p.source === "twin data");
  const lines = [`parameters: ${fromFile.length} variants from the file's statistics, ${fromTwin.length} from the twin's generated data (production's values may differ), ${list.length - fromFile.length - fromTwin.length} constants`];
  // One line per value: the heavy contact serves many entries.
  const byValue = new Map<string, string[]>();
  for (const p of fromFile) {
    const what = `${JSON.stringify(p.params)}, ${p.detail}`;
    byValue.set(what, [...(byValue.get(what) ?? []), `${p.query}/${p.variant}`]);
  }
  for (const [what, variants] of byValue) lines.push(`  ${what}: ${variants.join(", ")}`);
  const byReason = new Map<string, string[]>();
  for (const p of fromTwin.filter((x) => x.fallback)) byReason.set(p.fallback!, [...(byReason.get(p.fallback!) ?? []), `${p.query}/${p.variant}`]);
  for (const [reason, variants] of byReason) lines.push(`  from the twin's data instead of the file (${reason}): ${variants.join(", ")}`);
  return lines;
}
