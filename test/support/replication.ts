// A primary and one streaming hot standby of its own, for tests about
// replication (reusable: any test file can start a pair). The primary is a
// throwaway embedded server like the global test server (same settings
// module, durability off); the standby is made by src/embedded/replicas.ts,
// exactly as `npm run db:start -- --replicas 1` makes it.
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { maskUrl, openSql, type DatabaseTarget, type Sql } from "../../src/db/index.ts";
import { createReplica, embeddedReplicas, startReplicas, type EmbeddedReplica } from "../../src/embedded/replicas.ts";
import { destroyEmbedded, findFreePort, replicaDataDir, startEmbedded, stopCluster, type EmbeddedServer } from "../../src/embedded/server.ts";
import { waitForCatchUp } from "../../src/replication/wait.ts";
import type { ServerSetting } from "../../src/settings/server-settings.ts";
import { PAIR_PREFIX } from "./server-dirs.ts";

const THROWAWAY: readonly ServerSetting[] = [
  { name: "fsync", value: "off", reason: "throwaway test cluster" },
  { name: "synchronous_commit", value: "off", reason: "throwaway test cluster" },
];

export interface ReplicationPair {
  readonly baseDir: string;
  readonly primary: EmbeddedServer;
  /** The application database on the primary (superuser), with graphile-migrate's root and shadow URLs. */
  readonly primaryTarget: DatabaseTarget;
  /** The same database on the standby (read-only). */
  readonly standbyTarget: DatabaseTarget;
  readonly replica: EmbeddedReplica;
  /** Clients on each (closed by destroy()). */
  readonly primarySql: Sql;
  readonly standbySql: Sql;
  /** Wait until the standby has replayed everything the primary wrote so far. */
  catchUp(timeoutMs?: number): Promise<void>;
  stopStandby(): void;
  startStandby(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startReplicationPair(prefix = "repl"): Promise<ReplicationPair> {
  const baseDir = path.join(tmpdir(), `${PAIR_PREFIX}${process.pid}-${prefix}-${randomBytes(3).toString("hex")}`);
  const primary = await startEmbedded({ baseDir, port: await findFreePort(), portExplicit: true, database: `${prefix}_db`, noSync: true, extraSettings: THROWAWAY });
  const { replica } = await createReplica({ baseDir, extraSettings: THROWAWAY });
  const primaryTarget: DatabaseTarget = { url: primary.databaseUrl, display: maskUrl(primary.databaseUrl), source: "DATABASE_URL", rootUrl: primary.rootUrl, shadowUrl: primary.shadowUrl };
  const standbyTarget: DatabaseTarget = { url: replica.databaseUrl, display: maskUrl(replica.databaseUrl), source: "DATABASE_URL" };
  const primarySql = openSql(primaryTarget, { max: 4 });
  let standbySql = openSql(standbyTarget, { max: 4 });
  const pair: ReplicationPair = {
    baseDir,
    primary,
    primaryTarget,
    get standbyTarget() {
      return standbyTarget;
    },
    replica,
    primarySql,
    get standbySql() {
      return standbySql;
    },
    async catchUp(timeoutMs = 60_000) {
      await waitForCatchUp(primarySql, standbySql, { timeoutMs });
    },
    stopStandby() {
      stopCluster(replicaDataDir(replica));
    },
    async startStandby() {
      await startReplicas({ baseDir, extraSettings: THROWAWAY });
      const [now] = embeddedReplicas(baseDir);
      if (now!.port !== replica.port) throw new Error(`the standby came back on port ${now!.port}, not ${replica.port}`);
      await standbySql.end({ timeout: 1 }).catch(() => {});
      standbySql = openSql(standbyTarget, { max: 4 });
    },
    async destroy() {
      await Promise.all([primarySql.end({ timeout: 2 }), standbySql.end({ timeout: 2 })]).catch(() => {});
      destroyEmbedded(baseDir);
    },
  };
  await pair.catchUp();
  return pair;
}
