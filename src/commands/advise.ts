// npm run advise — from the app's real workload (pg_stat_statements, or a
// catalog) to candidate indexes, proven by building them (--validate) and
// committed as migrations (--write); plus the indexes another index serves
// nearly as well. Logic: src/advise. Docs: docs/advise.md.
import { formatHelp } from "../base/flags.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { adviseTarget } from "../advise/advise.ts";
import { ADVISE_EXIT_CODES, ADVISE_SPEC, parseAdviseFlags } from "../advise/flags.ts";
import { formatAdviseSummary, writeAdviseReports } from "../advise/report.ts";
import { assertCurrentMigrationEmpty, writeAcceptedMigrations } from "../advise/write.ts";
import { seedProgressDisplay } from "../seed/cli.ts";
import { withStatisticsTwin } from "../verify/stats-twin.ts";
import type { CommandContext } from "./run-command.ts";

export async function main(argv: string[], { setInterruptedState }: CommandContext): Promise<number | void> {
  const flags = parseAdviseFlags(argv);
  if (flags.help) {
    console.log(`${formatHelp(ADVISE_SPEC)}\n\n${ADVISE_EXIT_CODES}`);
    return;
  }
  // Before any build: --write with someone's work in current.sql is refused in the first second (exit 2).
  if (flags.write) assertCurrentMigrationEmpty();
  const target = await resolveDatabase({ log: (line) => console.error(line) });
  setInterruptedState("advise interrupted: a temporary index (advise_tmp_*) it was building may be left, and the server may still be building it; the next npm run advise -- --validate drops such leftovers first; no report was written");
  const log = (line: string) => console.error(line);
  const report = flags.stats
    ? await withStatisticsTwin(target, flags.stats, "advise --stats", { yes: flags.yes, log, onSeedProgress: seedProgressDisplay("  ") }, (twin) =>
        adviseTarget(target, { ...flags, log, sessionSettings: twin.settings.applied }),
      )
    : await adviseTarget(target, { ...flags, log });
  console.log(formatAdviseSummary(report));
  const written = writeAdviseReports(report, flags);
  console.log(`\nreport: ${written.markdown}${written.json ? `\njson:   ${written.json}` : ""}`);
  if (flags.write) {
    const migrations = await writeAcceptedMigrations(target, report, { log: (line) => console.error(line) });
    for (const m of migrations.committed) console.log(`committed ${m.file}: ${m.statement}`);
    if (migrations.committed.length === 0) console.log("--write: no accepted candidate, nothing committed");
    else console.log(`--write wrote ${migrations.committed.length} migration(s) and applied none: npm run migrate applies them`);
  }
}
