// npm run deploy — `pulumi up` on the selected stack, then `npm run migrate`
// and `npm run verify` against the container it provisioned.
import { formatHelp, parseFlags } from "../base/flags.ts";
import { runDeploy } from "../deploy/deploy.ts";

const spec = {
  usage: "npm run deploy --",
  options: { stack: { type: "string" } },
  help: { stack: "Pulumi stack to deploy (default: PULUMI_STACK, else the selected stack)" },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) return void console.log(formatHelp(spec));
  await runDeploy({ stack: values.stack });
}
