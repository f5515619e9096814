// npm run maintenance — the weekly/monthly routine against DATABASE_URL or the
// embedded server: ANALYZE (stale tables by default), optionally REINDEX
// CONCURRENTLY the bloated indexes (--reindex), then a report of invalid,
// unused and redundant indexes, bloat, dead tuples, sequences and sizes.
// Logic: src/maintenance. Docs: docs/maintenance.md.
import { formatHelp } from "../base/flags.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { formatMaintenanceReport, maintainTarget, MAINTENANCE_EXIT_CODES, MAINTENANCE_SPEC, parseMaintenanceFlags, writeMaintenanceJson } from "../maintenance/index.ts";
import type { CommandContext } from "./run-command.ts";

export async function main(argv: string[], { setInterruptedState }: CommandContext): Promise<number | void> {
  const flags = parseMaintenanceFlags(argv);
  if (flags.help) {
    console.log(`${formatHelp(MAINTENANCE_SPEC)}\n\n${MAINTENANCE_EXIT_CODES}`);
    return;
  }
  const target = await resolveDatabase({ log: (line) => console.error(line) });
  setInterruptedState(
    "maintenance interrupted: ANALYZEs already done stay; a REINDEX CONCURRENTLY in progress may leave an INVALID <index>_ccnew copy, which the server may still be building; run npm run maintenance again: its report lists any INVALID index left, to drop with DROP INDEX CONCURRENTLY",
  );
  const report = await maintainTarget(target, { ...flags.options, log: (line) => console.error(line) });
  console.log(formatMaintenanceReport(report));
  if (flags.json) console.log(`json: ${writeMaintenanceJson(report, flags.json)}`);
  return report.exitCode;
}
