// npm run bench — the measured before/after: in a dedicated database
// (<database>_bench on the same server, recreated), seed one data set on the
// base schema only, run the catalog and the write-cost measurement, apply the
// performance index migrations, run both again. Writes reports/bench-*.json/.md.
import { commandFlags, integerFlag, outputFileFlag } from "../../base/flags.ts";
import { EXIT, UserError } from "../../base/errors.ts";
import { formatMs } from "../../base/format.ts";
import { progressBar, type ProgressBar } from "../../base/progress.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { dataSetFlags, dataSetOptions } from "../../seed/cli.ts";
import { catalogFromFlag } from "../../catalog/load.ts";
import { DEFAULT_RUNS, DEFAULT_WARMUP } from "../../verify/run-catalog.ts";
import { benchDatabaseName, runBench } from "../../bench/run-bench.ts";
import { buildBenchReport, DEFAULT_NOTE, formatBenchTable, NOTE_FLAG_HELP, writeBenchReports } from "../../bench/report.ts";

const dataSet = dataSetOptions("seed scale of the data set (default 10: 100k contacts, 2M messages)");
const spec = {
  usage: "npm run bench -- [indexes]",
  options: {
    ...dataSet.options,
    runs: { type: "string" },
    warmup: { type: "string" },
    "explain-runs": { type: "string" },
    "write-rows": { type: "string" },
    catalog: { type: "string" },
    database: { type: "string" },
    keep: { type: "boolean" },
    json: { type: "string" },
    markdown: { type: "string" },
    note: { type: "string" },
  },
  help: {
    ...dataSet.help,
    runs: `timed runs per query and parameter variant (default ${DEFAULT_RUNS})`,
    warmup: `warm-up runs (default ${DEFAULT_WARMUP})`,
    "explain-runs": "EXPLAIN ANALYZE runs per variant for the server-side figures (default 10)",
    "write-rows": "rows per insert/update statement in the write-cost measurement (default 10000)",
    catalog: "your own catalog, JSON or YAML (default: the built-in one)",
    database: "name of the bench database, created next to the target (default <database>_bench; recreated, dropped at the end)",
    keep: "keep the bench database afterwards",
    json: "JSON report path (default reports/bench-<timestamp>.json)",
    markdown: "Markdown report path (default reports/bench-<timestamp>.md, chart beside it)",
    note: NOTE_FLAG_HELP,
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const { scale, seed } = dataSetFlags(values, 10);
  const runs = integerFlag("runs", values.runs, DEFAULT_RUNS, 5, 100_000);
  const warmup = integerFlag("warmup", values.warmup, DEFAULT_WARMUP, 0, 10_000);
  const explainRuns = integerFlag("explain-runs", values["explain-runs"], 10, 1, 1000);
  const writeRows = integerFlag("write-rows", values["write-rows"], 10_000, 1, 10_000_000);
  const catalog = catalogFromFlag(values.catalog);
  if (values.database !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(values.database)) {
    throw new UserError(`--database must be a lower-case identifier (letters, digits, _; at most 63), got '${values.database}'. Example: --database bollalabz_bench`);
  }

  const json = outputFileFlag("json", values.json);
  const markdown = outputFileFlag("markdown", values.markdown);

  const server = await resolveDatabase({ log: (l) => console.error(l) });
  const name = values.database ?? benchDatabaseName(server);
  let bar: ProgressBar | undefined;
  const result = await runBench(server, name, {
    scale, seed, catalog, runs, warmup, explainRuns, writeRows,
    keep: values.keep ?? false,
    log: (line) => console.error(line),
    onSeedProgress(e) {
      if (e.kind === "table-start") bar = progressBar(`  seed ${e.table}`, e.rows);
      else if (e.kind === "chunk") bar?.update(e.done);
      else if (e.kind === "table-done") bar?.finish(`  seeded ${e.table.padEnd(26)} ${String(e.rows).padStart(9)} rows  ${formatMs(e.ms)}`);
    },
    onCatalogProgress(phase) {
      let catalogBar: ProgressBar | undefined;
      return (e) => {
        catalogBar ??= progressBar(`  ${phase}`, e.total, "queries");
        catalogBar.update(e.done);
        if (e.done === e.total) catalogBar.finish(`  ${phase}: ${e.total} queries measured`);
      };
    },
  });
  const report = buildBenchReport(result, { runs, warmup, explainRuns, writeRows }, values.note ?? DEFAULT_NOTE);
  console.log(formatBenchTable(report));
  const written = writeBenchReports(report, { json, markdown });
  console.log(`\nreport: ${written.markdown}\njson:   ${written.json}`);
  return EXIT.ok;
}
