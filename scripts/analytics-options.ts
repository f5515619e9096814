#!/usr/bin/env node
// npm run bench:analytics — measure the options for the 30-day message
// analytics (index-only scan vs rollup table vs materialized view) on the
// current database (DATABASE_URL or the embedded server), server-side times.
// Creates only a scratch schema, dropped afterwards.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { formatHelp, integerFlag, parseFlags } from "../src/cli/args.ts";
import { EXIT, UserError, runCommand } from "../src/cli/errors.ts";
import { connect, resolveDatabase } from "../src/config/database-url.ts";
import { REPORTS_DIR } from "../src/config/project.ts";
import { formatAnalyticsOptions, measureAnalyticsOptions } from "../src/analytics/rollup-options.ts";
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
  const sql = await connect(target, { max: 1, applicationName: "bollalabz-db bench:analytics" });
  try {
    await assertSchemaPresent(sql);
    const counts = await tableRowCounts(sql);
    if (!counts.conversation_messages) throw new UserError("conversation_messages is empty: run 'npm run seed -- --scale 10' first.", EXIT.notReady);
    console.log(`measuring on ${target.display}: ${counts.conversation_messages.toLocaleString("en-US")} messages, ${runs} runs per option (server-side execution time, ms)`);
    const rows = await measureAnalyticsOptions(sql, runs);
    console.log(formatAnalyticsOptions(rows));
    mkdirSync(REPORTS_DIR, { recursive: true });
    const file = path.join(REPORTS_DIR, `analytics-options-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, JSON.stringify({ database: target.display, messages: counts.conversation_messages, runs, options: rows }, null, 2) + "\n");
    console.log(`report: ${file}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
});
