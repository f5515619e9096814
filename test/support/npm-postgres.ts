// Throwaway PostgreSQL servers of any major the npm packages ship (15-18,
// src/embedded/binaries.ts), started exactly as the embedded default starts
// (src/embedded/server.ts: initdb, pg_ctl, the postgres user when root, a free
// 127.0.0.1 port), in the system temp dir, deleted on stop().
//
//   settings "project": the project's SERVER_SETTINGS (what `npm start` runs);
//   settings "untuned": PostgreSQL's own defaults (what a new managed server
//     looks like: random_page_cost 4, shared_buffers 128MB, plan_cache_mode
//     auto, ...) plus only what verify requires, pg_stat_statements preloaded.
// Both add fsync=off (durability of a throwaway cluster; no effect on plans).
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { destroyEmbedded, findFreePort, startEmbedded } from "../../src/embedded/server.ts";
import type { ServerSetting } from "../../src/settings/server-settings.ts";
import { SUITE_PREFIX } from "./server-dirs.ts";

/** Settings added to PostgreSQL's defaults on an untuned server, each because verify cannot run without it. */
export const UNTUNED_REQUIRED_SETTINGS: readonly ServerSetting[] = [
  { name: "shared_preload_libraries", value: "pg_stat_statements", reason: "verify and advise read pg_stat_statements" },
];

export interface NpmPostgres {
  /** The `postgres` maintenance database, superuser (scram password; never logged). */
  readonly rootUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly major: number;
  /** URL of another database on this cluster (create it first through rootUrl). */
  urlFor(database: string): string;
  /** Stop the server and delete the cluster (idempotent). */
  stop(): void;
}

const THROWAWAY: readonly ServerSetting[] = [{ name: "fsync", value: "off", reason: "throwaway test cluster" }];

export async function startNpmPostgres(major: number, settings: "project" | "untuned"): Promise<NpmPostgres> {
  const baseDir = path.join(tmpdir(), `${SUITE_PREFIX}${process.pid}-npmpg${major}-${randomBytes(3).toString("hex")}`);
  try {
    const server = await startEmbedded({
      baseDir,
      major,
      port: await findFreePort(),
      database: "postgres",
      noSync: true,
      serverSettings: settings === "untuned" ? UNTUNED_REQUIRED_SETTINGS : undefined,
      extraSettings: THROWAWAY,
    });
    const base = new URL(server.rootUrl);
    return {
      rootUrl: server.rootUrl,
      port: server.port,
      dataDir: server.dataDir,
      major,
      urlFor(database) {
        const url = new URL(base);
        url.pathname = `/${encodeURIComponent(database)}`;
        return url.toString();
      },
      stop: () => destroyEmbedded(baseDir),
    };
  } catch (error) {
    destroyEmbedded(baseDir);
    throw error;
  }
}

/** PostgreSQL 15 from npm with PostgreSQL's default settings. */
export const startUntunedPg15 = () => startNpmPostgres(15, "untuned");
