// npm run db:start [-- --replicas N] — start the embedded PostgreSQL
// (initialising it on first use) and its local hot standbys: with --replicas N
// exactly N (missing ones are created from a base backup, extra ones removed);
// without it, the replicas it already has.
import { commandFlags, integerFlag } from "../base/flags.ts";
import { EXIT, UserError } from "../base/errors.ts";
import { embeddedBaseDir } from "../base/project-paths.ts";
import { maskUrl } from "../db/index.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { ensureReplicas } from "../embedded/replicas.ts";

const spec = {
  usage: "npm run db:start --",
  options: { replicas: { type: "string" } },
  help: { replicas: "run exactly N local streaming replicas (hot standbys) of the embedded server; 0 removes them (default: keep the ones it has)" },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const count = values.replicas === undefined ? undefined : integerFlag("replicas", values.replicas, 1, 0, 8);
  if (process.env.DATABASE_URL) {
    if (count !== undefined) {
      throw new UserError("--replicas makes local replicas of the embedded server, but DATABASE_URL is set (commands use that server). Unset DATABASE_URL, or give your own replicas to verify/maintenance with --replica URL.", EXIT.usage);
    }
    console.log("DATABASE_URL is set: the commands use that server, so the embedded one is not started. Unset DATABASE_URL to use the embedded server.");
    return;
  }
  const baseDir = embeddedBaseDir();
  const target = await resolveDatabase({ log: (line) => console.log(line) });
  console.log(`embedded PostgreSQL is running: ${target.display}`);
  const change = await ensureReplicas({ baseDir, count, log: (line) => console.log(line) });
  for (const c of change.created) console.log(`created ${c.replica.name} on port ${c.replica.port} in ${(c.ms / 1000).toFixed(1)} s (${(c.copiedBytes / 1024 / 1024).toFixed(0)} MB copied)`);
  for (const r of change.started) console.log(`started ${r.name} on port ${r.port}`);
  for (const r of change.replicas) console.log(`replica ${r.name} (hot standby, read-only): ${maskUrl(r.databaseUrl)}`);
  console.log(`state and credentials: ${baseDir}/embedded.json (full URLs: 'npm run db:status -- --url [--node NAME]', 'npm run db:status -- --replica-urls')`);
}
