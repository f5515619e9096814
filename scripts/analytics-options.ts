#!/usr/bin/env node
// npm run bench:analytics — measure the options for the 30-day message
// analytics (index-only scan vs rollup table vs materialized view) on the
// current database (DATABASE_URL or the embedded server), server-side times.
// Creates only a scratch schema, dropped afterwards.
import { formatHelp, integerFlag, parseFlags } from "../src/base/flags.ts";
import { EXIT, UserError } from "../src/base/errors.ts";
import { runCommand } from "../src/commands/run-command.ts";
import { withSql } from "../src/db/index.ts";
import { resolveDatabase } from "../src/embedded/resolve.ts";
import { defaultReportPath, writeReportFile } from "../src/base/report-file.ts";
import { formatAnalyticsOptions, measureAnalyticsOptions } from "../src/bench/analytics-options.ts";
import { assertSchemaPresent, tableRowCounts } from "../src/seed/generate.ts";

const spec = {
  usage: "npm run bench:analytics --",
  options: { runs: { type: "string" } },
  help: { runs: "timed runs per option (default 20)" },
} as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
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
});
