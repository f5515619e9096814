// graphile-migrate beforeAllMigrations hook (.gmrc.cjs): drop the INVALID
// indexes a failed or killed CREATE INDEX CONCURRENTLY left behind, but only
// those a performance migration creates, so the migrations rebuild them.
// graphile-migrate passes the database as GM_DBURL (and sets DATABASE_URL to
// a dummy on purpose). Also usable by hand: DATABASE_URL=... node scripts/bollalabz-db.ts drop-invalid-indexes
import { EXIT, UserError } from "../base/errors.ts";
import { formatHelp, parseFlags } from "../base/flags.ts";
import { withSql, maskUrl, parseDatabaseUrl } from "../db/index.ts";
import { builtIndexNames, readCommittedMigrations } from "../migrate/performance-migrations.ts";
import { dropInvalidIndexes } from "../migrate/recovery.ts";

const spec = { usage: "node scripts/bollalabz-db.ts drop-invalid-indexes", options: {}, help: {} } as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) return void console.log(formatHelp(spec) + "\n  database: GM_DBURL (set by graphile-migrate) or DATABASE_URL");
  const url = process.env.GM_DBURL || process.env.DATABASE_URL;
  if (!url || url.includes("@GM_DBURL/")) throw new UserError("No database: set GM_DBURL (graphile-migrate does) or DATABASE_URL.", EXIT.usage);
  parseDatabaseUrl(url, process.env.GM_DBURL ? "GM_DBURL" : "DATABASE_URL");
  const target = { url, display: maskUrl(url), source: "DATABASE_URL" as const };
  return withSql(target, async (sql) => {
    const { dropped } = await dropInvalidIndexes(sql, builtIndexNames(await readCommittedMigrations()), { log: (line) => console.log(line) });
    if (dropped.length > 0) console.log(`dropped ${dropped.length} INVALID index(es); the migrations rebuild them`);
  }, { max: 1, applicationName: "bollalabz-db drop-invalid-indexes" });
}
