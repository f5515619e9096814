// npm run migrate — apply the committed migrations (graphile-migrate) to
// DATABASE_URL or the embedded server: repair what an earlier failed index
// build left, apply, ANALYZE, and report before/after figures (printed and
// as JSON under reports/). Logic: src/migrate/run.ts.
import { formatHelp, parseFlags } from "../base/flags.ts";
import { resolveReadyDatabase } from "../embedded/resolve.ts";
import { migrationProgressDisplay } from "../migrate/progress.ts";
import { formatReport, runMigrations } from "../migrate/run.ts";

const spec = {
  usage: "npm run migrate --",
  options: { "no-report": { type: "boolean" } },
  help: { "no-report": "do not write reports/migrate-<time>.json" },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) return void console.log(formatHelp(spec));
  const target = await resolveReadyDatabase({ log: (l) => console.error(l) });
  console.log(`migrating ${target.display}`);
  await runMigrations(target, {
    log: (line) => console.log(`  ${line}`),
    writeReport: !values["no-report"],
    onProgress: migrationProgressDisplay(),
    onReport: (report) => console.log(formatReport(report)),
  });
}
