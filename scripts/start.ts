#!/usr/bin/env node
// npm start — the main job: start the embedded server (or use DATABASE_URL),
// apply the migrations, seed realistic data, print a summary.
import { formatHelp, integerFlag, parseFlags, positiveNumberFlag } from "../src/base/flags.ts";
import { runCommand } from "../src/commands/run-command.ts";
import { runStart } from "../src/start/pipeline.ts";
import { DEFAULT_SEED } from "../src/seed/cli.ts";

const spec = {
  usage: "npm start --",
  options: { scale: { type: "string" }, seed: { type: "string" }, "replace-data": { type: "boolean" } },
  help: {
    scale: "seed scale (default 1: 10k contacts, 200k messages; 10 is the benchmark scale)",
    seed: `random seed (default ${DEFAULT_SEED})`,
    "replace-data": "with DATABASE_URL: delete rows the generator did not write (refused by default)",
  },
} as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
  return runStart({
    scale: positiveNumberFlag("scale", values.scale, 1, 100),
    seed: integerFlag("seed", values.seed, DEFAULT_SEED),
    replaceForeignData: Boolean(values["replace-data"]),
  });
});
