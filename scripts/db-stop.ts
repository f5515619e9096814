#!/usr/bin/env node
// npm run db:stop — stop the embedded PostgreSQL, its replicas first (data kept).
import { formatHelp, parseFlags } from "../src/base/flags.ts";
import { runCommand } from "../src/commands/run-command.ts";
import { embeddedBaseDir } from "../src/base/project-paths.ts";
import { stopEmbedded } from "../src/embedded/server.ts";

const spec = { usage: "npm run db:stop --", options: {}, help: {} } as const;

await runCommand(async () => {
  const { values } = parseFlags(spec);
  if (values.help) return void console.log(formatHelp(spec));
  const stopped = stopEmbedded(embeddedBaseDir(), { log: (line) => console.log(line) });
  console.log(stopped ? "embedded PostgreSQL stopped (data kept)" : "embedded PostgreSQL was not running");
});
