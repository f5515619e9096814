// npm run db:stop — stop the embedded PostgreSQL, its replicas first (data kept).
import { formatHelp, parseFlags } from "../base/flags.ts";
import { embeddedBaseDir } from "../base/project-paths.ts";
import { stopEmbedded } from "../embedded/server.ts";

const spec = { usage: "npm run db:stop --", options: {}, help: {} } as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) return void console.log(formatHelp(spec));
  const stopped = stopEmbedded(embeddedBaseDir(), { log: (line) => console.log(line) });
  console.log(stopped ? "embedded PostgreSQL stopped (data kept)" : "embedded PostgreSQL was not running");
}
