// npm run seed -- --scale N [--seed S] [--anchor YYYY-MM-DD]
// Replaces the data in the eight tables with a deterministic, realistic data set.
import { commandFlags } from "../base/flags.ts";
import { withSql } from "../db/index.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { parseAnchor, parseColumnShares, parseIndexMode, printSeedSummary, seedProgressDisplay, DEFAULT_SEED, dataSetFlags, dataSetOptions } from "../seed/cli.ts";
import { seedDatabase } from "../seed/generate.ts";
import type { CommandContext } from "./run-command.ts";

const dataSet = dataSetOptions(
  "size: 1 = 10k contacts / 200k messages, 10 = benchmark scale (default 1; decimals allowed, max 100)",
  `random seed, same seed + scale + anchor = identical data (default ${DEFAULT_SEED})`,
);
const spec = {
  usage: "npm run seed --",
  options: { ...dataSet.options, anchor: { type: "string" }, indexes: { type: "string" }, "replace-data": { type: "boolean" }, nulls: { type: "string", multiple: true }, hot: { type: "string", multiple: true } },
  help: {
    ...dataSet.help,
    anchor: "day the data ends at, YYYY-MM-DD (default: the start of the current UTC hour)",
    indexes: "performance indexes already on the tables: rebuild = drop and rebuild them inside the seed transaction (default), keep = load into them (slower, leaves them bloated)",
    "replace-data": "delete rows the generator did not write (refused by default: exit 4)",
    nulls: "TABLE.COLUMN=SHARE: that share (0-1) of the rows NULL, e.g. phone_contacts.company=0.9 (repeatable)",
    hot: "TABLE.COLUMN=SHARE: that share of the rows get the value 1 (one big tenant), e.g. conversation_messages.contact_id=0.3 (repeatable)",
  },
} as const;

export async function main(argv: string[], { setInterruptedState }: CommandContext): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const { scale, seed } = dataSetFlags(values, 1);
  const anchor = parseAnchor(values.anchor);
  const indexes = parseIndexMode(values.indexes);
  const shares = [...parseColumnShares("nulls", values.nulls), ...parseColumnShares("hot", values.hot)];
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  return withSql(target, async (sql) => {
    console.error(`seeding ${target.display} at scale ${scale} (seed ${seed})`);
    const loading = "seed interrupted while loading: nothing was committed (the seed is one transaction, rolled back when its connection closes); the tables keep their previous rows and indexes; run npm run seed again";
    setInterruptedState(loading);
    const display = seedProgressDisplay();
    const result = await seedDatabase(sql, {
      scale, seed, anchor, indexes, shares,
      replaceForeignData: Boolean(values["replace-data"]),
      onProgress: (event) => {
        // After the COMMIT only VACUUM ANALYZE runs: the data is in.
        if (event.kind === "vacuum-start") setInterruptedState("seed interrupted during VACUUM ANALYZE: the new data is committed; only fresh statistics may be missing (npm run maintenance -- --analyze, or autovacuum, brings them)");
        display(event);
      },
    });
    printSeedSummary(result);
  }, { max: 2, applicationName: "bollalabz-db seed" });
}
