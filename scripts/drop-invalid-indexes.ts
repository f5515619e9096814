#!/usr/bin/env node
// graphile-migrate beforeAllMigrations hook (.gmrc.cjs): drop the INVALID
// indexes a failed or killed CREATE INDEX CONCURRENTLY left behind, but only
// those a performance migration creates, so the migrations rebuild them.
// graphile-migrate passes the database as GM_DBURL (and sets DATABASE_URL to
// a dummy on purpose). Also usable by hand: DATABASE_URL=... node scripts/drop-invalid-indexes.ts
import { EXIT, UserError } from "../src/base/errors.ts";
import { runCommand } from "../src/commands/run-command.ts";
import { formatHelp, parseFlags } from "../src/base/flags.ts";
import { withSql, maskUrl, parseDatabaseUrl } from "../src/db/index.ts";
import { performanceIndexNames } from "../src/migrate/performance-migrations.ts";
import { dropInvalidIndexes } from "../src/migrate/recovery.ts";

const spec = { usage: "node scripts/drop-invalid-indexes.ts", options: {}, help: {} } as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec) + "\n  database: GM_DBURL (set by graphile-migrate) or DATABASE_URL");
  const url = process.env.GM_DBURL || process.env.DATABASE_URL;
  if (!url || url.includes("@GM_DBURL/")) throw new UserError("No database: set GM_DBURL (graphile-migrate does) or DATABASE_URL.", EXIT.usage);
  parseDatabaseUrl(url, process.env.GM_DBURL ? "GM_DBURL" : "DATABASE_URL");
  const target = { url, display: maskUrl(url), source: "DATABASE_URL" as const };
  return withSql(target, async (sql) => {
    const { dropped } = await dropInvalidIndexes(sql, await performanceIndexNames(), { log: (line) => console.log(line) });
    if (dropped.length > 0) console.log(`dropped ${dropped.length} INVALID index(es); the migrations rebuild them`);
  }, { max: 1, applicationName: "bollalabz-db drop-invalid-indexes" });
});
