// npm run serve — the health API (src/health) on 127.0.0.1:5000 against
// DATABASE_URL or the embedded server. Settings come from the environment
// (docs/health-api.md); Ctrl-C stops it.
import { formatHelp, parseFlags } from "../base/flags.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { ENDPOINTS, startHealthServer } from "../health/server.ts";
import { REFRESH_INTERVAL_SECONDS, startRefreshSchedule } from "../rollups/index.ts";
import type { CommandContext } from "./run-command.ts";

const spec = { usage: "npm run serve --", options: {}, help: {} } as const;

export async function main(argv: string[], { setInterruptedState, onInterrupt }: CommandContext): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) {
    console.log(`${formatHelp(spec)}\nenvironment: HOST PORT HEALTH_API_TOKEN LOG_LEVEL DATABASE_URL POOL_* SLOW_QUERY_MS VERY_SLOW_QUERY_MS (see docs/health-api.md)`);
    return;
  }
  // The command, not the library, decides to start the embedded server.
  const target = process.env.DATABASE_URL?.trim() ? undefined : await resolveDatabase({ log: (line) => console.error(line) });
  const server = await startHealthServer(process.env, { target });
  console.error(`health API on ${server.address} (database ${server.database.config.target.display}, auth ${server.settings.token ? "bearer token" : "off: loopback only"})`);
  for (const endpoint of ENDPOINTS) console.error(`  ${endpoint}`);
  // The analytics views' refresh schedule (the catalog states their staleness).
  const schedule = startRefreshSchedule(server.database.config.target, {
    intervalSeconds: REFRESH_INTERVAL_SECONDS,
    onError: (error) => console.error(`refresh of the analytics views or search side tables failed (retried in ${REFRESH_INTERVAL_SECONDS} s): ${error.message}`),
  });
  console.error(`refreshing the analytics views and filling the search side tables every ${REFRESH_INTERVAL_SECONDS} s`);
  // Ctrl-C / SIGTERM is how serve ends: stop the refresh schedule (a running refresh finishes), close the server
  // (in-flight answers finish), then the one line.
  setInterruptedState("serve stopped: the health server answered its last requests and closed its database connections; the view refresh schedule stopped");
  onInterrupt(async () => {
    await schedule.stop();
    await server.close();
  });
  await new Promise<never>(() => {});
}
