// npm run migrate — apply the committed migrations (graphile-migrate) to
// DATABASE_URL or the embedded server: repair what an earlier failed index
// build left, apply, ANALYZE, and report before/after figures (printed and
// as JSON under reports/). Logic: src/migrate/run.ts.
import { commandFlags } from "../base/flags.ts";
import { resolveReadyDatabase } from "../embedded/resolve.ts";
import { migrationProgressDisplay } from "../migrate/progress.ts";
import { formatReport, runMigrations, type MigrationProgress } from "../migrate/run.ts";
import type { CommandContext } from "./run-command.ts";

/** What Ctrl-C leaves at this point of the run (one line, printed by runCommand). */
function migrateInterruptedState(event: MigrationProgress): string {
  if (event.kind === "migration") {
    const building = event.index ? `; the server may still be building ${event.index} (CREATE INDEX CONCURRENTLY goes on until it notices the client is gone)` : "";
    return `migration ${event.file} interrupted (${event.done} of this run's ${event.total} applied before it)${building}; run npm run migrate again: it drops an INVALID leftover index and applies the rest`;
  }
  if (event.kind === "end") return `migrate interrupted after its migrations (${event.done} of ${event.total} applied and recorded), during ANALYZE or the report; run npm run migrate again for fresh statistics`;
  return "migrate interrupted before the first migration started: nothing was applied; run npm run migrate again";
}

const spec = {
  usage: "npm run migrate --",
  options: { "no-report": { type: "boolean" } },
  help: { "no-report": "do not write reports/migrate-<time>.json" },
} as const;

export async function main(argv: string[], { setInterruptedState }: CommandContext): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const target = await resolveReadyDatabase({ log: (l) => console.error(l) });
  console.log(`migrating ${target.display}`);
  setInterruptedState("migrate interrupted before any migration started: nothing was applied; run npm run migrate again");
  const display = migrationProgressDisplay();
  await runMigrations(target, {
    log: (line) => console.log(`  ${line}`),
    writeReport: !values["no-report"],
    onProgress: (event) => {
      setInterruptedState(migrateInterruptedState(event));
      display(event);
    },
    onReport: (report) => console.log(formatReport(report)),
  });
}
