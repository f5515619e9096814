// npm run db:stop — stop the embedded PostgreSQL, its replicas first (data kept).
import { commandFlags } from "../base/flags.ts";
import { embeddedBaseDir } from "../base/project-paths.ts";
import { stopEmbedded } from "../embedded/server.ts";

const spec = { usage: "npm run db:stop --", options: {}, help: {} } as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const stopped = stopEmbedded(embeddedBaseDir(), { log: (line) => console.log(line) });
  console.log(stopped ? "embedded PostgreSQL stopped (data kept)" : "embedded PostgreSQL was not running");
}
