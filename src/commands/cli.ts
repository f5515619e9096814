// The command layer's one entry: `node scripts/bollalabz-db.ts <verb> [flags]`
// (every `npm run <verb>` calls it). Each verb is a module of its own,
// src/commands/<verb>.ts, exporting `main(argv)`: parse the flags, call the
// library, print, return the exit code. runCommand is the one error path.
// Modules load on demand, so a verb pays only for what it imports.
import { EXIT, UserError } from "../base/errors.ts";
import { runCommand, type CommandMain } from "./run-command.ts";

type Verb = { readonly summary: string; readonly load: () => Promise<{ main: CommandMain }> };

/** Verb -> module; npm script names equal these (package.json). */
export const VERBS: Readonly<Record<string, Verb>> = {
  start: { summary: "the whole pipeline: database, migrate, seed, verify", load: () => import("./start.ts") },
  "db:start": { summary: "start the embedded PostgreSQL (and replicas)", load: () => import("./db-start.ts") },
  "db:stop": { summary: "stop the embedded PostgreSQL (data kept)", load: () => import("./db-stop.ts") },
  "db:status": { summary: "state of the embedded PostgreSQL and its replicas", load: () => import("./db-status.ts") },
  migrate: { summary: "apply the committed migrations", load: () => import("./migrate.ts") },
  seed: { summary: "generate the data set", load: () => import("./seed.ts") },
  "stats:export": { summary: "the planner's statistics of the schema as a JSON file (no row read)", load: () => import("./stats-export.ts") },
  rollback: { summary: "drop the performance indexes by exact name", load: () => import("./rollback.ts") },
  verify: { summary: "run the catalog, the database checks and the grade", load: () => import("./verify.ts") },
  "test:performance": { summary: "the spec's name for verify", load: () => import("./verify.ts") },
  bench: { summary: "benchmarks: `bench -- --help` lists them", load: () => import("./bench.ts") },
  serve: { summary: "the health API and dashboard", load: () => import("./serve.ts") },
  capture: { summary: "one capture of the monitor's history", load: () => import("./capture.ts") },
  deploy: { summary: "provision with Pulumi", load: () => import("./deploy.ts") },
  maintenance: { summary: "the maintenance routine", load: () => import("./maintenance.ts") },
  refresh: { summary: "refresh the analytics materialized views once (cron-able)", load: () => import("./refresh.ts") },
  advise: { summary: "index advice from the workload", load: () => import("./advise.ts") },
  "drop-invalid-indexes": { summary: "graphile-migrate hook: drop INVALID performance indexes", load: () => import("./drop-invalid-indexes.ts") },
};

export function formatVerbs(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  return Object.entries(VERBS).map(([verb, v]) => `  ${verb.padEnd(width)}  ${v.summary}`).join("\n");
}

/** Run `argv[0]` with the rest of argv; an unknown verb is a usage error naming the known ones. */
export async function runVerb(argv: readonly string[]): Promise<void> {
  const [verb, ...rest] = argv;
  await runCommand(async (context) => {
    const entry = verb === undefined ? undefined : VERBS[verb];
    if (!entry) {
      throw new UserError(`${verb === undefined ? "No command given" : `Unknown command '${verb}'`}: expected one of\n${formatVerbs()}\nExample: npm run verify`, EXIT.usage);
    }
    return (await entry.load()).main(rest, context);
  }, verb);
}
