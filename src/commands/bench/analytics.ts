// npm run bench -- analytics — measure the options for the 30-day message
// analytics (index-only scan vs rollup table vs materialized view) on the
// current database (DATABASE_URL or the embedded server), server-side times.
// Creates only a scratch schema, dropped afterwards.
import { commandFlags, integerFlag } from "../../base/flags.ts";
import { EXIT, UserError } from "../../base/errors.ts";
import { withSql } from "../../db/index.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { defaultReportPath, writeReportFile } from "../../base/report-file.ts";
import { formatAnalyticsOptions, measureAnalyticsOptions } from "../../bench/analytics-options.ts";
import { assertSchemaPresent, tableRowCounts } from "../../seed/generate.ts";

const spec = {
  usage: "npm run bench -- analytics",
  options: { runs: { type: "string" } },
  help: { runs: "timed runs per option (default 20)" },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const runs = integerFlag("runs", values.runs, 20, 1, 1000);
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  return withSql(target, async (sql) => {
    await assertSchemaPresent(sql);
    const counts = await tableRowCounts(sql);
    if (!counts.conversation_messages) throw new UserError("conversation_messages is empty: run 'npm run seed -- --scale 10' first.", EXIT.notReady);
    console.log(`measuring on ${target.display}: ${counts.conversation_messages.toLocaleString("en-US")} messages, ${runs} runs per option (server-side execution time, ms)`);
    const rows = await measureAnalyticsOptions(sql, runs);
    console.log(formatAnalyticsOptions(rows));
    const file = writeReportFile(defaultReportPath("analytics-options", "json"), { database: target.display, messages: counts.conversation_messages, runs, options: rows });
    console.log(`report: ${file}`);
  }, { max: 1, applicationName: "bollalabz-db bench:analytics" });
}
