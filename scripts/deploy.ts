#!/usr/bin/env node
// npm run deploy — `pulumi up` on the selected stack, then `npm run migrate`
// and `npm run verify` against the container it provisioned.
import { formatHelp, parseFlags } from "../src/base/flags.ts";
import { runCommand } from "../src/commands/run-command.ts";
import { runDeploy } from "../src/deploy/deploy.ts";

const spec = {
  usage: "npm run deploy --",
  options: { stack: { type: "string" } },
  help: { stack: "Pulumi stack to deploy (default: PULUMI_STACK, else the selected stack)" },
} as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
  await runDeploy({ stack: values.stack });
});
