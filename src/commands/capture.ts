// npm run capture — one monitor capture for cron (npm run serve does the same
// every MONITOR_CAPTURE_INTERVAL_MINUTES): pg_stat_statements deltas, the
// day's table/index sizes when not taken yet, retention. Against DATABASE_URL
// or the embedded server. Logic: src/observe/capture.ts.
//   */5 * * * *  cd /srv/bollalabz-db && DATABASE_URL=... npm run --silent capture
import { formatHelp, integerFlag, parseFlags } from "../base/flags.ts";
import { EXIT } from "../base/errors.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { captureTarget, formatCaptureResult, STATEMENT_RETENTION_DAYS } from "../observe/capture.ts";

const spec = {
  usage: "npm run capture --",
  options: { sizes: { type: "boolean" }, "retention-days": { type: "string" } },
  help: {
    sizes: "take the size snapshot even if today's exists (it replaces today's)",
    "retention-days": `days of statement history kept (default ${STATEMENT_RETENTION_DAYS}, 1-90; match MONITOR_RETENTION_DAYS of npm run serve)`,
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) return void console.log(`${formatHelp(spec)}\nexit codes: 0 captured, 2 bad flag, 3 database unreachable, 4 pg_stat_statements not ready (sizes were still taken)`);
  const retention = integerFlag("retention-days", values["retention-days"], STATEMENT_RETENTION_DAYS, 1, 90);
  const target = await resolveDatabase({ log: (line) => console.error(line) });
  const result = await captureTarget(target, { statementRetentionDays: retention, forceSpace: values.sizes === true });
  console.log(formatCaptureResult(result));
  return result.skipped.length > 0 ? EXIT.notReady : EXIT.ok;
}
