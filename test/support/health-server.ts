// The health API on a throwaway server of the test's own, which the test
// stops and starts again (the shared test server must stay up). The restarts
// come back on the same port: the pool's URL names it.
import { rmSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll } from "vitest";
import { destroyEmbedded, startEmbedded, stopEmbedded } from "../../src/embedded/server.ts";
import { buildHealthApp } from "../../src/health/server.ts";
import { POOL_DEFAULTS } from "../../src/pool/pool-options.ts";
import { createDatabase, type Database } from "../../src/pool/create-database.ts";
import { restartablePort } from "./ports.ts";
import { suiteServerDir } from "./server-dirs.ts";

export interface RestartableHealthApp {
  readonly app: FastifyInstance;
  /** The app's pool. */
  readonly database: Database;
  /** The name of the server's database. */
  readonly databaseName: string;
  /** Stops the server (immediately; the pool and the app stay). */
  stop(): void;
  /** Starts it again on its port. */
  start(): Promise<void>;
}

/** Registers the block's hooks: server, pool and app before its tests, all gone after them. `name` names the server's folder and the pool's application_name. */
export function restartableHealthApp(name: string, options: { readonly token?: string } = {}): RestartableHealthApp {
  let baseDir: string | undefined;
  let port: number;
  let app: FastifyInstance | undefined;
  let database: Database | undefined;
  let databaseName: string;
  const start = async () => void (await startEmbedded({ baseDir: baseDir!, port, portExplicit: true, noSync: true }));
  beforeAll(async () => {
    baseDir = suiteServerDir(name);
    port = await restartablePort();
    const server = await startEmbedded({ baseDir, port, portExplicit: true, noSync: true });
    databaseName = server.database;
    database = createDatabase({ ...POOL_DEFAULTS, applicationName: name, target: { url: server.databaseUrl, display: name, source: "DATABASE_URL" } }, { logger: { warn() {}, error() {} } });
    ({ app } = await buildHealthApp({ database, token: options.token }));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await database?.close({ timeoutSeconds: 1 });
    if (baseDir) {
      destroyEmbedded(baseDir);
      rmSync(baseDir, { recursive: true, force: true });
    }
  });
  return {
    get app() {
      return app!;
    },
    get database() {
      return database!;
    },
    get databaseName() {
      return databaseName;
    },
    stop: () => void stopEmbedded(baseDir!),
    start,
  };
}
