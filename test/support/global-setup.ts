// Starts one throwaway embedded PostgreSQL (same settings module as
// `npm start`, plus durability off for speed) for the whole test run, in the
// system temp dir on a free port. Every server a killed earlier run left
// behind (this one's and the ones test files start, test/support/server-dirs.ts)
// and every process it started is stopped and removed first.
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { destroyEmbedded, findFreePort, startEmbedded } from "../../src/embedded/server.ts";
import { SUITE_OWNER_ENV, suiteOwnerToken, sweepOrphanedProcesses, sweepOrphanedServers, TEST_SERVER_PREFIX } from "./server-dirs.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the `postgres` maintenance database of the test server (superuser). */
    testRootUrl: string;
    testServerBaseDir: string;
  }
}

export default async function setup(project: TestProject) {
  sweepOrphanedProcesses();
  sweepOrphanedServers();
  // Inherited by the workers and everything they start (the shared server below too): a later run sweeps them if this one is killed.
  process.env[SUITE_OWNER_ENV] = suiteOwnerToken();
  const baseDir = path.join(tmpdir(), `${TEST_SERVER_PREFIX}${process.pid}`);
  const server = await startEmbedded({
    baseDir,
    // A wish, not a pin: if another process takes it before the server binds
    // it, the server retries on another free port.
    port: await findFreePort(),
    database: "bollalabz_test",
    noSync: true,
    extraSettings: [
      { name: "fsync", value: "off", reason: "throwaway test cluster" },
      { name: "synchronous_commit", value: "off", reason: "throwaway test cluster" },
      { name: "full_page_writes", value: "off", reason: "throwaway test cluster" },
    ],
  });
  project.provide("testRootUrl", server.rootUrl);
  project.provide("testServerBaseDir", baseDir);
  return () => destroyEmbedded(baseDir);
}
