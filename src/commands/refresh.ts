// npm run refresh — refresh the analytics materialized views once (each
// CONCURRENTLY: readers are not blocked) and fill the search side tables up
// to the newest rows (committed batches), against DATABASE_URL or the embedded
// server. Cron-able: `* * * * * cd /app && npm run -s refresh`. `npm run serve`
// runs the same on a schedule. Exit 0 refreshed (or nothing to refresh), 3
// unreachable, 5 a refresh failed.
import { formatHelp, parseFlags } from "../base/flags.ts";
import { withSql } from "../db/index.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { REFRESHED_VIEWS, SEARCH_TABLES, indexSearchTables, refreshViews } from "../rollups/index.ts";

const spec = { usage: "npm run refresh --", options: {}, help: {} } as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) {
    console.log(`${formatHelp(spec)}\nrefreshes: ${[...REFRESHED_VIEWS.map((v) => `${v.view} (max staleness ${v.maxStalenessSeconds} s)`), ...SEARCH_TABLES.map((t) => `${t.table} (max staleness ${t.maxStalenessSeconds} s)`)].join(", ")}`);
    return;
  }
  const target = await resolveDatabase({ log: (line) => console.error(line) });
  const [done, indexed] = await withSql(target, async (sql) => [await refreshViews(sql), await indexSearchTables(sql)] as const, { max: 1, applicationName: "bollalabz-db refresh" });
  if (done.length === 0) console.log("no materialized views to refresh (migration 000075 not applied: run 'npm run migrate')");
  for (const r of done) console.log(`refreshed ${r.view} in ${r.ms.toFixed(0)} ms`);
  for (const r of indexed) {
    const lag = r.state === "current" ? "up to the newest row" : "up to where a writer's open transaction holds it (the next run continues)";
    console.log(`indexed ${r.table} ${lag}: ${r.advancedIds} new id(s), ${r.repaired} row(s) repaired by the sweep, ${r.ms.toFixed(0)} ms`);
  }
}
