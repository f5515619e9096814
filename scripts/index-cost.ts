#!/usr/bin/env node
// npm run bench:index-cost — per index of the set, its write cost beside its
// read benefit, and the app's bulk writes against a copy of each table with
// only the base schema's keys (src/bench/index-cost.ts). Run it on a seeded
// database of your own (it drops indexes inside rolled-back transactions,
// which takes an ACCESS EXCLUSIVE lock on the table for each sample).
import { formatHelp, integerFlag, parseFlags } from "../src/cli/args.ts";
import { runCommand } from "../src/cli/run-command.ts";
import { withSql } from "../src/db/index.ts";
import { resolveDatabase } from "../src/embedded/resolve.ts";
import { formatIndexCost, measureIndexCost } from "../src/bench/index-cost.ts";
import { CATALOG } from "../src/verify/catalog.ts";

const spec = {
  usage: "npm run bench:index-cost --",
  options: { rows: { type: "string" }, repeats: { type: "string" } },
  help: { rows: "rows per write statement (default 10000)", repeats: "timed repeats per measurement, median reported (default 5)" },
} as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
  const rows = values.rows === undefined ? 10_000 : integerFlag("rows", values.rows, 10_000, 100, 1_000_000);
  const repeats = values.repeats === undefined ? 5 : integerFlag("repeats", values.repeats, 5, 1, 50);
  const target = await resolveDatabase({ log: (line) => console.error(line) });
  const result = await withSql(target, (sql) => measureIndexCost(sql, { rows, repeats, catalog: CATALOG, log: (line) => console.error(line) }), {
    max: 1,
    applicationName: "bollalabz-db index-cost",
  });
  console.log(formatIndexCost(result));
});
