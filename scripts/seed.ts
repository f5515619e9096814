#!/usr/bin/env node
// npm run seed -- --scale N [--seed S] [--anchor YYYY-MM-DD]
// Replaces the data in the eight tables with a deterministic, realistic data set.
import { formatHelp, integerFlag, parseFlags, positiveNumberFlag } from "../src/cli/args.ts";
import { runCommand } from "../src/cli/errors.ts";
import { formatMs } from "../src/cli/format.ts";
import { progressBar, type ProgressBar } from "../src/cli/progress.ts";
import { withSql } from "../src/db/index.ts";
import { resolveDatabase } from "../src/embedded/resolve.ts";
import { parseAnchor, printSeedSummary, DEFAULT_SEED } from "../src/seed/cli.ts";
import { seedDatabase } from "../src/seed/generate.ts";

const spec = {
  usage: "npm run seed --",
  options: { scale: { type: "string" }, seed: { type: "string" }, anchor: { type: "string" }, "replace-data": { type: "boolean" } },
  help: {
    scale: "size: 1 = 10k contacts / 200k messages, 10 = benchmark scale (default 1; decimals allowed, max 100)",
    seed: `random seed, same seed + scale + anchor = identical data (default ${DEFAULT_SEED})`,
    anchor: "day the data is relative to, YYYY-MM-DD (default today, UTC)",
    "replace-data": "delete rows the generator did not write (refused by default: exit 4)",
  },
} as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
  const scale = positiveNumberFlag("scale", values.scale, 1, 100);
  const seed = integerFlag("seed", values.seed, DEFAULT_SEED);
  const anchor = parseAnchor(values.anchor);
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  return withSql(target, async (sql) => {
    console.error(`seeding ${target.display} at scale ${scale} (seed ${seed})`);
    let bar: ProgressBar | undefined;
    const result = await seedDatabase(sql, {
      scale, seed, anchor,
      replaceForeignData: Boolean(values["replace-data"]),
      onProgress(e) {
        if (e.kind === "table-start") bar = progressBar(`[${e.index + 1}/${e.total}] ${e.table}`, e.rows);
        else if (e.kind === "chunk") bar?.update(e.done);
        else if (e.kind === "table-done") bar?.finish(`  ${e.table.padEnd(26)} ${String(e.rows).padStart(9)} rows  ${formatMs(e.ms)}`);
        else if (e.kind === "vacuum-start") bar = progressBar("VACUUM ANALYZE", 1, "steps");
        else if (e.kind === "vacuum-done") bar?.finish(`  ${"VACUUM ANALYZE".padEnd(26)} ${"".padStart(9)}       ${formatMs(e.ms)}`);
      },
    });
    printSeedSummary(result);
  }, { max: 2, applicationName: "bollalabz-db seed" });
});
