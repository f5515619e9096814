// npm run deploy — `pulumi up` on the selected stack, then `npm run migrate`
// and `npm run verify` against the container it provisioned.
import { commandFlags } from "../base/flags.ts";
import { runDeploy } from "../deploy/deploy.ts";
import { loadStatsFile } from "../stats/format.ts";

const spec = {
  usage: "npm run deploy --",
  options: { stack: { type: "string" }, stats: { type: "string" } },
  help: {
    stack: "Pulumi stack to deploy (default: PULUMI_STACK, else the selected stack)",
    stats: "a stats:export file of production: first migrate the embedded server and verify it as production's statistics twin; a failure deploys nothing",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  // Read now: a bad file fails in a second, before any tool runs.
  if (values.stats !== undefined) loadStatsFile(values.stats);
  await runDeploy({ stack: values.stack, stats: values.stats });
}
