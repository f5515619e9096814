#!/usr/bin/env node
// npm run db:start — start the embedded PostgreSQL (initialising it on first use).
import { formatHelp, parseFlags } from "../src/cli/args.ts";
import { runCommand } from "../src/cli/errors.ts";
import { embeddedBaseDir } from "../src/config/project.ts";
import { resolveDatabase } from "../src/config/database-url.ts";

const spec = { usage: "npm run db:start --", options: {}, help: {} } as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
  if (process.env.DATABASE_URL) {
    console.log("DATABASE_URL is set: the commands use that server, so the embedded one is not started. Unset DATABASE_URL to use the embedded server.");
    return;
  }
  const target = await resolveDatabase({ log: (line) => console.log(line) });
  console.log(`embedded PostgreSQL is running: ${target.display}`);
  console.log(`state and credentials: ${embeddedBaseDir()}/embedded.json (print the full URL with 'npm run db:status -- --url')`);
});
