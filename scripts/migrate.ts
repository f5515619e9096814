#!/usr/bin/env node
// npm run migrate — apply the committed migrations (graphile-migrate) to
// DATABASE_URL or the embedded server.
import { formatHelp, parseFlags } from "../src/cli/args.ts";
import { runCommand } from "../src/cli/errors.ts";
import { connect, resolveDatabase } from "../src/config/database-url.ts";
import { applyMigrations } from "../src/migrate/graphile.ts";
import { assertServerReady } from "../src/checks/preflight.ts";

const spec = { usage: "npm run migrate --", options: {}, help: {} } as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  const sql = await connect(target, { max: 1 });
  try {
    await assertServerReady(sql, target.display);
  } finally {
    await sql.end();
  }
  await applyMigrations(target, (line) => console.log(line));
});
