// npm run bench -- migrate — build the whole index set on realistic data in a
// scratch database (<database>_migrate_bench) while a writer inserts and
// updates rows; report total time, each index's build time and size, and the
// writer's worst statement latency. Logic: src/bench/migrate-bench.ts.
import { commandFlags, integerFlag } from "../../base/flags.ts";
import { resolveReadyDatabase } from "../../embedded/resolve.ts";
import { formatBenchReport, runMigrationBench } from "../../bench/migrate-bench.ts";
import { dataSetFlags, dataSetOptions } from "../../seed/cli.ts";

const dataSet = dataSetOptions("seed scale of the scratch database (default 10: 100k contacts, 2M messages)");
const spec = {
  usage: "npm run bench -- migrate",
  options: { ...dataSet.options, "writer-pause": { type: "string" }, keep: { type: "boolean" } },
  help: {
    ...dataSet.help,
    "writer-pause": "ms between the concurrent writer's statements (default 5)",
    keep: "keep the scratch database afterwards",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const { scale, seed } = dataSetFlags(values, 10);
  const writerPauseMs = integerFlag("writer-pause", values["writer-pause"], 5, 0, 10_000);
  const target = await resolveReadyDatabase({ log: (l) => console.error(l) });
  const report = await runMigrationBench(target, { scale, seed, writerPauseMs, keep: Boolean(values.keep), log: (line) => console.log(line) });
  console.log(formatBenchReport(report));
}
