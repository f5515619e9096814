// npm start — the main job: start the embedded server (or use DATABASE_URL),
// apply the migrations, seed realistic data, print a summary.
import { formatHelp, integerFlag, parseFlags, positiveNumberFlag } from "../base/flags.ts";
import { runStart } from "../start/pipeline.ts";
import { DEFAULT_SEED } from "../seed/cli.ts";

const spec = {
  usage: "npm start --",
  options: { scale: { type: "string" }, seed: { type: "string" }, "replace-data": { type: "boolean" } },
  help: {
    scale: "seed scale (default 1: 10k contacts, 200k messages; 10 is the benchmark scale)",
    seed: `random seed (default ${DEFAULT_SEED})`,
    "replace-data": "with DATABASE_URL: delete rows the generator did not write (refused by default)",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) return void console.log(formatHelp(spec));
  return runStart({
    scale: positiveNumberFlag("scale", values.scale, 1, 100),
    seed: integerFlag("seed", values.seed, DEFAULT_SEED),
    replaceForeignData: Boolean(values["replace-data"]),
  });
}
