// npm run stats:export -- --out FILE [--no-values] — the planner's statistics
// of every table of the schema (sizes, pg_stats, pg_stats_ext, planner
// settings) as one JSON file, read from the catalogs in a READ ONLY
// transaction: no row is read. `verify --stats FILE` rebuilds them on a twin.
// Against DATABASE_URL (any PostgreSQL 15+) or the embedded server. Logic: src/stats/.
import { formatHelp, outputFileFlag, parseFlags } from "../base/flags.ts";
import { formatMs } from "../base/format.ts";
import { writeReportFile } from "../base/report-file.ts";
import { EXIT, UserError } from "../base/errors.ts";
import { withSql } from "../db/index.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { exportStatistics, summarizeExport } from "../stats/export.ts";

const spec = {
  usage: "npm run stats:export --",
  options: { out: { type: "string" }, "no-values": { type: "boolean" }, schema: { type: "string" } },
  help: {
    out: "the JSON file to write (required)",
    "no-values": "leave out most-common values, histogram bounds and element values (samples of real data); keep counts and fractions",
    schema: "the schema to export (default: the connection's current_schema())",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) return void console.log(`${formatHelp(spec)}\nexit codes: 0 written, 2 bad flag, 3 database unreachable, 4 the schema has no table`);
  if (values.out === undefined) throw new UserError(`--out FILE is required: where to write the statistics. Example: npm run stats:export -- --out prod-stats.json\n${formatHelp(spec)}`);
  const out = outputFileFlag("out", values.out)!;
  const target = await resolveDatabase({ log: (line) => console.error(line) });
  const started = performance.now();
  const file = await withSql(target, (sql) => exportStatistics(sql, { values: values["no-values"] !== true, schema: values.schema }), { max: 1, applicationName: "bollalabz-db stats:export" });
  const ms = performance.now() - started;
  if (!file.relations.some((r) => r.kind === "table")) {
    throw new UserError(`${target.display}: schema '${file.schema}' has no table to export. Pass --schema NAME, or migrate the database first.`, EXIT.notReady);
  }
  writeReportFile(out, file);
  console.log(`exported ${summarizeExport(file)} in ${formatMs(ms)}\nwrote ${out}`);
}
