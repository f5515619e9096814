// npm run rollback — drop exactly the indexes the performance migrations
// create (names read from the migration files; the base schema's indexes
// stay) and remove those migrations from graphile-migrate's ledger, so
// `npm run migrate` builds them again. Logic: src/migrate/rollback.ts.
import { commandFlags } from "../base/flags.ts";
import { formatMs } from "../base/format.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { rollbackPerformanceIndexes } from "../migrate/rollback.ts";
import type { CommandContext } from "./run-command.ts";

const spec = { usage: "npm run rollback --", options: {}, help: {} } as const;

export async function main(argv: string[], { setInterruptedState }: CommandContext): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  console.log(`rolling back the performance indexes on ${target.display}`);
  // The ledger rows go first, then the drops one by one (src/migrate/rollback.ts): either re-run repairs a stop anywhere.
  setInterruptedState("rollback interrupted: some performance indexes may still exist, and their migrations may already be forgotten; run npm run rollback again to finish, or npm run migrate to restore them all");
  const result = await rollbackPerformanceIndexes(target, { log: (line) => console.log(`  ${line}`) });
  if (result.dropped.length === 0 && result.ledgerRowsRemoved.length === 0) {
    return void console.log(`nothing to roll back: no performance index exists${result.ledger ? " and no performance migration is recorded" : " and the database was never migrated (no graphile_migrate schema)"}`);
  }
  console.log(
    `dropped ${result.dropped.length} index(es)` +
      (result.absent.length > 0 ? `, ${result.absent.length} were not there` : "") +
      `, forgot ${result.ledgerRowsRemoved.length} migration(s) in ${formatMs(result.ms)}; 'npm run migrate' restores them`,
  );
}
