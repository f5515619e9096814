#!/usr/bin/env node
// npm run bench:advise-workload — a workload of ~20 ordinary app queries the
// catalog has never seen, run through the app's pool on a seeded scratch
// database, then advise --validate on it, timed (src/bench/advise-workload.ts).
import { formatHelp, integerFlag, parseFlags, positiveNumberFlag } from "../src/cli/args.ts";
import { runCommand } from "../src/cli/run-command.ts";
import { resolveDatabase } from "../src/embedded/resolve.ts";
import { DEFAULT_SEED } from "../src/seed/cli.ts";
import { formatAdviseWorkload, runAdviseWorkloadBench } from "../src/bench/advise-workload.ts";

const spec = {
  usage: "npm run bench:advise-workload --",
  options: { scale: { type: "string" }, seed: { type: "string" }, rounds: { type: "string" }, keep: { type: "boolean" }, reuse: { type: "boolean" }, "no-validate": { type: "boolean" } },
  help: {
    scale: "seed scale of the scratch database (default 10)",
    seed: `random seed (default ${DEFAULT_SEED})`,
    rounds: "calls per statement; heavy statements get a third (default 10)",
    keep: "keep the scratch database afterwards",
    reuse: "re-use a kept scratch database (no re-seed)",
    "no-validate": "advise without building candidates",
  },
} as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  const result = await runAdviseWorkloadBench(target, {
    scale: positiveNumberFlag("scale", values.scale, 10, 100),
    seed: integerFlag("seed", values.seed, DEFAULT_SEED),
    rounds: integerFlag("rounds", values.rounds, 10, 1, 10_000),
    keep: Boolean(values.keep),
    reuse: Boolean(values.reuse),
    validate: !values["no-validate"],
    log: (l) => console.error(l),
  });
  console.log(formatAdviseWorkload(result));
});
