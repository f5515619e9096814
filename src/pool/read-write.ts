// Reads on the replicas, writes on the primary: one pool (createDatabase) per
// server, and the routing an app needs around replication lag.
//
// A streaming replica is behind the primary by its replay lag (usually
// milliseconds, seconds under a bulk write or an index build). A read that
// tolerates that goes to `reader()`. A read that must see the caller's own
// write ("read your writes") takes the primary's WAL position after the write
// (`positionAfterWrite()`) and asks `readerAfter(position)`: a replica that has
// replayed that far, else the primary. docs/SCALING.md shows both in use.
//
// Library code: it opens pools to the URLs it is given and never starts a server.
import type { DatabaseTarget } from "../db/index.ts";
import { REPLICA_URLS_ENV, replicaTargets } from "../replication/targets.ts";
import { poolConfigFromEnv, type PoolConfig } from "./pool-options.ts";
import { createDatabase, type CreateDatabaseOptions, type Database } from "./create-database.ts";

export interface ReadWriteConfig {
  readonly primary: PoolConfig;
  /** One per replica; the same pool settings as the primary, the replica's URL. */
  readonly replicas: readonly PoolConfig[];
}

/**
 * The primary from DATABASE_URL (or `target`) and the replicas from
 * DATABASE_REPLICA_URLS (comma-separated, may be empty), with the POOL_*
 * settings for every pool. Every problem is reported at once (UserError, exit 2).
 */
export function readWriteConfigFromEnv(env: NodeJS.ProcessEnv = process.env, options: { target?: DatabaseTarget } = {}): ReadWriteConfig {
  const primary = poolConfigFromEnv(env, options);
  const replicas = replicaTargets(undefined, env).map((t) => ({ ...primary, target: { url: t.url, display: t.display, source: REPLICA_URLS_ENV } }));
  return { primary, replicas };
}

export interface ReadWriteDatabase {
  /** Writes, and reads that must see the newest data. */
  readonly primary: Database;
  /** One pool per replica, in the order given (empty: every read goes to the primary). */
  readonly replicas: readonly Database[];
  /** For reads that tolerate replication lag: the replicas in turn, or the primary when there are none. */
  reader(): Database;
  /**
   * For a read that must see a write committed at `position` (from
   * positionAfterWrite): the next replica in turn if it has replayed that far
   * (one short query), else the primary. Never waits.
   */
  readerAfter(position: string): Promise<Database>;
  /** The primary's WAL position now. Call it after your write commits; keep it with the user's session. */
  positionAfterWrite(): Promise<string>;
  close(options?: { timeoutSeconds?: number }): Promise<void>;
}

export function createReadWriteDatabase(config: ReadWriteConfig, options: CreateDatabaseOptions = {}): ReadWriteDatabase {
  const primary = createDatabase(config.primary, options);
  const replicas = config.replicas.map((c) => createDatabase(c, options));
  let next = 0;
  const nextReplica = () => replicas[next++ % replicas.length]!;

  return {
    primary,
    replicas,
    reader: () => (replicas.length === 0 ? primary : nextReplica()),
    async readerAfter(position) {
      if (replicas.length === 0) return primary;
      const replica = nextReplica();
      try {
        const [row] = await replica.sql<{ replayed: boolean }[]>`SELECT coalesce(pg_last_wal_replay_lsn() >= ${position}::pg_lsn, false) AS replayed`;
        return row!.replayed ? replica : primary;
      } catch {
        // A replica that cannot answer right now must not fail the read: the primary can.
        return primary;
      }
    },
    async positionAfterWrite() {
      // The insert position, not the flushed one: with synchronous_commit off
      // a commit can still sit in the WAL buffers, and it is at or before this.
      const [row] = await primary.sql<{ position: string }[]>`SELECT pg_current_wal_insert_lsn()::text AS position`;
      return row!.position;
    },
    async close(closeOptions) {
      await Promise.all([primary, ...replicas].map((d) => d.close(closeOptions)));
    },
  };
}
