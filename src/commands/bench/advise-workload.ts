// npm run bench -- advise-workload [--scale N] — a workload of ~20 ordinary
// app queries the catalog has never seen, run through the app's pool on a
// seeded scratch database, then advise --validate on it, timed. Logic:
// src/bench/advise-workload.ts.
import { formatHelp, integerFlag, parseFlags } from "../../base/flags.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { dataSetFlags, dataSetOptions } from "../../seed/cli.ts";
import { formatAdviseWorkload, runAdviseWorkloadBench } from "../../bench/advise-workload.ts";

const dataSet = dataSetOptions("seed scale of the scratch database (default 10)");
const spec = {
  usage: "npm run bench -- advise-workload",
  options: { ...dataSet.options, rounds: { type: "string" }, keep: { type: "boolean" }, reuse: { type: "boolean" }, "no-validate": { type: "boolean" }, "no-verify": { type: "boolean" } },
  help: {
    ...dataSet.help,
    rounds: "calls per statement; heavy statements get a third (default 10)",
    keep: "keep the scratch database <database>_advise_bench afterwards",
    reuse: "re-use a kept scratch database (no re-seed)",
    "no-validate": "advise without building candidates",
    "no-verify": "do not compare advise's before/after with verify --catalog's (built as migrate builds them, then dropped)",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) {
    console.log(formatHelp(spec));
    return;
  }
  const options = {
    ...dataSetFlags(values, 10),
    rounds: integerFlag("rounds", values.rounds, 10, 1, 10_000),
    keep: Boolean(values.keep),
    reuse: Boolean(values.reuse),
    validate: !values["no-validate"],
    verify: !values["no-verify"],
    log: (l: string) => console.error(l),
  };
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  console.log(formatAdviseWorkload(await runAdviseWorkloadBench(target, options)));
}
