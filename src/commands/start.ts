// npm start — the main job: start the embedded server (or use DATABASE_URL),
// apply the migrations, seed realistic data, print a summary.
import { commandFlags } from "../base/flags.ts";
import { runStart } from "../start/pipeline.ts";
import { dataSetFlags, dataSetOptions } from "../seed/cli.ts";

const dataSet = dataSetOptions("seed scale (default 1: 10k contacts, 200k messages; 10 is the benchmark scale)");
const spec = {
  usage: "npm start --",
  options: { ...dataSet.options, "replace-data": { type: "boolean" } },
  help: {
    ...dataSet.help,
    "replace-data": "with DATABASE_URL: delete rows the generator did not write (refused by default)",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  return runStart({
    ...dataSetFlags(values, 1),
    replaceForeignData: Boolean(values["replace-data"]),
  });
}
