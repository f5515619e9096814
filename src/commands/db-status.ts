// npm run db:status — every node of the embedded PostgreSQL (primary and
// replicas): role, port, state, replication lag; or one node's full URL.
// Exit 0 primary running, 3 not running (so scripts can test it).
import { commandFlags } from "../base/flags.ts";
import { EXIT, UserError } from "../base/errors.ts";
import { embeddedBaseDir } from "../base/project-paths.ts";
import { maskUrl } from "../db/index.ts";
import { embeddedNodes, formatNodes } from "../embedded/nodes.ts";
import { embeddedReplicas } from "../embedded/replicas.ts";
import { embeddedStatus } from "../embedded/server.ts";

const spec = {
  usage: "npm run db:status --",
  options: { url: { type: "boolean" }, node: { type: "string" }, "replica-urls": { type: "boolean" }, json: { type: "boolean" } },
  help: {
    url: "print only the full connection URL (with password) of the primary, or of --node: export DATABASE_URL=$(npm run -s db:status -- --url)",
    node: "with --url: which node (primary, replica-1, ...)",
    "replica-urls": "print only the replicas' full URLs, comma-separated: export DATABASE_REPLICA_URLS=$(npm run -s db:status -- --replica-urls)",
    json: "every node as JSON (URLs masked)",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const baseDir = embeddedBaseDir();
  const status = embeddedStatus(baseDir);
  if (values.node !== undefined && !values.url) throw new UserError("--node goes with --url (e.g. --url --node replica-1).", EXIT.usage);
  if (values.url || values["replica-urls"]) {
    if (!status.running || !status.server) {
      process.stderr.write("error: the embedded PostgreSQL is not running. Start it with 'npm run db:start'.\n");
      return EXIT.unreachable;
    }
    const replicas = embeddedReplicas(baseDir);
    if (values["replica-urls"]) {
      console.log(replicas.map((r) => r.databaseUrl).join(","));
      return replicas.length > 0 ? EXIT.ok : EXIT.unreachable;
    }
    if (values.node === undefined || values.node === "primary") return void console.log(status.server.databaseUrl);
    const replica = replicas.find((r) => r.name === values.node);
    if (!replica) throw new UserError(`--node '${values.node}' is not a node of the embedded server; its nodes: ${["primary", ...replicas.map((r) => r.name)].join(", ")}.`, EXIT.usage);
    console.log(replica.databaseUrl);
    return EXIT.ok;
  }
  if (process.env.DATABASE_URL && !values.json) console.log(`note: DATABASE_URL is set (${maskUrl(process.env.DATABASE_URL)}); commands use that server, not the embedded one.`);
  const nodes = await embeddedNodes(baseDir);
  if (!nodes) {
    if (values.json) console.log(JSON.stringify({ initialised: false, nodes: [] }, null, 2));
    else console.log("embedded PostgreSQL: not initialised (run 'npm run db:start' or 'npm start')");
    return EXIT.unreachable;
  }
  if (values.json) console.log(JSON.stringify({ initialised: true, version: status.server!.version, nodes }, null, 2));
  else console.log(formatNodes(status.server!.version, nodes));
  return status.running ? EXIT.ok : EXIT.unreachable;
}
