// npm run bench -- index-cost [--rows N --repeats K] — per index of the set,
// its write cost beside its read benefit, and the app's bulk writes against a
// copy of each table with only the base schema's keys (src/bench/index-cost.ts).
// Run it on a seeded database of your own: it drops indexes inside rolled-back
// transactions (an ACCESS EXCLUSIVE lock on the table for each sample).
import { commandFlags, integerFlag } from "../../base/flags.ts";
import { withSql } from "../../db/index.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { formatIndexCost, measureIndexCost } from "../../bench/index-cost.ts";
import { CATALOG } from "../../catalog/entries.ts";

const spec = {
  usage: "npm run bench -- index-cost",
  options: { rows: { type: "string" }, repeats: { type: "string" } },
  help: { rows: "rows per write statement (default 10000)", repeats: "timed repeats per measurement, median reported (default 5)" },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const rows = integerFlag("rows", values.rows, 10_000, 100, 1_000_000);
  const repeats = integerFlag("repeats", values.repeats, 5, 1, 50);
  const target = await resolveDatabase({ log: (line) => console.error(line) });
  const result = await withSql(target, (sql) => measureIndexCost(sql, { rows, repeats, catalog: CATALOG, log: (line) => console.error(line) }), {
    max: 1,
    applicationName: "bollalabz-db index-cost",
  });
  console.log(formatIndexCost(result));
}
