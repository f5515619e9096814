// npm run bench -- health-recovery — how soon GET /api/v1/health is 200 again
// after the database comes back: a throwaway embedded server is stopped for
// --down seconds while the health app is probed, then started again; prints
// the time from "accepting connections" to the first 200, per round.
import { rmSync } from "node:fs";
import { commandFlags } from "../../base/flags.ts";
import { UserError } from "../../base/errors.ts";
import { makeTempFolder } from "../../base/project-paths.ts";
import { measureHealthRecovery } from "../../bench/health-recovery.ts";
import { destroyEmbedded, findFreePort, startEmbedded, stopEmbedded } from "../../embedded/server.ts";
import { buildHealthApp } from "../../health/server.ts";
import { POOL_DEFAULTS } from "../../pool/pool-options.ts";
import { createDatabase } from "../../pool/create-database.ts";

const spec = {
  usage: "npm run bench -- health-recovery",
  options: { rounds: { type: "string" }, down: { type: "string" } },
  help: { rounds: "outages to measure (default 3)", down: "seconds the database stays down in each (default 5)" },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const rounds = Number(values.rounds ?? 3);
  const down = Number(values.down ?? 5);
  if (!(Number.isInteger(rounds) && rounds >= 1) || !(down > 0)) throw new UserError(`--rounds must be a whole number >= 1 and --down a number of seconds > 0 (got ${values.rounds}, ${values.down})`);
  const baseDir = makeTempFolder("health-recovery");
  try {
    const port = await findFreePort();
    const server = await startEmbedded({ baseDir, port, portExplicit: true, noSync: true });
    const database = createDatabase({ ...POOL_DEFAULTS, applicationName: "health-recovery-bench", target: { url: server.databaseUrl, display: "bench", source: "DATABASE_URL" } }, { logger: { warn() {}, error() {} } });
    const { app } = await buildHealthApp({ database });
    try {
      for (let round = 1; round <= rounds; round++) {
        const m = await measureHealthRecovery(
          {
            stop: () => void stopEmbedded(baseDir),
            start: async () => void (await startEmbedded({ baseDir, port, portExplicit: true, noSync: true })),
            health: async () => (await app.inject({ url: "/api/v1/health" })).statusCode,
          },
          { downForMs: down * 1000 },
        );
        console.log(`round ${round}: down ${down} s (${m.downAnswers} answers 503), ${m.recovered ? `200 again ${m.recoveryMs.toFixed(0)} ms after the server accepted connections` : `still not 200 after ${m.recoveryMs.toFixed(0)} ms`}`);
      }
    } finally {
      await app.close();
      await database.close({ timeoutSeconds: 1 });
    }
  } finally {
    destroyEmbedded(baseDir);
    rmSync(baseDir, { recursive: true, force: true });
  }
}
