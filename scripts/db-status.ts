#!/usr/bin/env node
// npm run db:status — is the embedded PostgreSQL running, where, and its URL.
// Exit 0 running, 3 not running (so scripts can test it).
import { formatHelp, parseFlags } from "../src/cli/args.ts";
import { EXIT, runCommand } from "../src/cli/errors.ts";
import { embeddedBaseDir } from "../src/config/project.ts";
import { maskUrl } from "../src/config/database-url.ts";
import { embeddedStatus } from "../src/embedded/server.ts";

const spec = {
  usage: "npm run db:status --",
  options: { url: { type: "boolean" } },
  help: { url: "print only the full connection URL (with password), for scripts: export DATABASE_URL=$(npm run -s db:status -- --url)" },
} as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
  const status = embeddedStatus(embeddedBaseDir());
  if (values.url) {
    if (!status.running || !status.server) {
      process.stderr.write("error: the embedded PostgreSQL is not running. Start it with 'npm run db:start'.\n");
      return EXIT.unreachable;
    }
    console.log(status.server.databaseUrl);
    return EXIT.ok;
  }
  if (process.env.DATABASE_URL) console.log(`note: DATABASE_URL is set (${maskUrl(process.env.DATABASE_URL)}); commands use that server, not the embedded one.`);
  if (!status.server || !status.initialised) {
    console.log("embedded PostgreSQL: not initialised (run 'npm run db:start' or 'npm start')");
    return EXIT.unreachable;
  }
  const s = status.server;
  console.log(`embedded PostgreSQL ${s.version.split("-")[0]}: ${status.running ? `running (pid ${s.pid})` : "stopped"}`);
  console.log(`  url:      ${maskUrl(s.databaseUrl)}`);
  console.log(`  data dir: ${s.dataDir}`);
  console.log(`  log:      ${s.logFile}`);
  return status.running ? EXIT.ok : EXIT.unreachable;
});
