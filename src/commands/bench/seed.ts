// npm run bench -- seed [--scale N] — seeding into existing performance
// indexes: load into them (keep) vs drop and rebuild them in the seed
// transaction (the default), times and index sizes per table. Logic:
// src/bench/seed-indexes.ts.
import { commandFlags } from "../../base/flags.ts";
import { EXIT } from "../../base/errors.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { formatSeedIndexBench, runSeedIndexBench } from "../../bench/seed-indexes.ts";
import { DEFAULT_NOTE, NOTE_FLAG_HELP } from "../../bench/report.ts";
import { scratchDatabaseBeside } from "../../db/scratch-database.ts";
import { dataSetFlags, dataSetOptions, seedProgressDisplay } from "../../seed/cli.ts";

const dataSet = dataSetOptions("seed scale (default 10: 100k contacts, 2M messages)");
const spec = {
  usage: "npm run bench -- seed",
  options: { ...dataSet.options, keep: { type: "boolean" }, note: { type: "string" } },
  help: {
    ...dataSet.help,
    keep: "keep the scratch database <database>_seed_bench afterwards",
    note: NOTE_FLAG_HELP,
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  // Every flag is checked before the server is started or reached.
  const options = {
    ...dataSetFlags(values, 10),
    keep: values.keep ?? false,
    note: values.note ?? DEFAULT_NOTE,
    log: (line: string) => console.error(line),
    onSeedProgress: seedProgressDisplay("  "),
  };
  const server = await resolveDatabase({ log: (l) => console.error(l) });
  const report = await runSeedIndexBench(server, scratchDatabaseBeside(server, "seed_bench"), options);
  console.log(formatSeedIndexBench(report));
  return EXIT.ok;
}
