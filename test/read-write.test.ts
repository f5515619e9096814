// Reads on replicas, writes on the primary (src/pool/read-write.ts and the
// example in docs/examples/read-write-split.ts that docs/SCALING.md shows),
// against a REAL primary and streaming hot standby (test/support/replication.ts).
// Replication lag is made deterministic by pausing replay on the standby
// (pg_wal_replay_pause), never by sleeping.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { EXIT, UserError } from "../src/base/errors.ts";
import { createReadWriteDatabase, readWriteConfigFromEnv, type PoolLogger, type ReadWriteDatabase } from "../src/pool/index.ts";
import { waitForReplayLsn } from "../src/replication/wait.ts";
import { PRIMARY_WINDOW_AFTER_WRITE_MS, latestMessages, latestMessagesAfterWrite, readerForUser, sendMessage } from "../docs/examples/read-write-split.ts";
import { startReplicationPair, type ReplicationPair } from "./support/replication.ts";

const quiet: PoolLogger = { warn: () => {}, error: () => {} };
let pair: ReplicationPair;
let db: ReadWriteDatabase;
let contactId: number;

const inRecovery = async (d: { sql: ReadWriteDatabase["primary"]["sql"] }) => {
  const [row] = await d.sql<{ standby: boolean }[]>`SELECT pg_is_in_recovery() AS standby`;
  return row!.standby;
};

beforeAll(async () => {
  pair = await startReplicationPair("rw");
  // The real base schema (migration 000001), applied on the primary.
  const base = readdirMigration("000001");
  await pair.primarySql.unsafe(base);
  const [contact] = await pair.primarySql<{ id: number }[]>`INSERT INTO phone_contacts (contact_name, phone_number) VALUES ('Ada', '+15550000001') RETURNING id`;
  contactId = Number(contact!.id);
  await pair.catchUp();
  const config = readWriteConfigFromEnv({ DATABASE_URL: pair.primaryTarget.url, DATABASE_REPLICA_URLS: pair.standbyTarget.url, POOL_MIN: "0" });
  db = createReadWriteDatabase(config, { logger: quiet });
}, 120_000);

afterAll(async () => {
  await db?.close({ timeoutSeconds: 1 });
  await pair?.destroy();
});

function readdirMigration(number: string): string {
  const dir = path.join(PROJECT_ROOT, "migrations", "committed");
  const file = readdirSync(dir).find((f) => f.startsWith(number));
  return readFileSync(path.join(dir, file!), "utf8");
}

describe("read/write split over a primary and a streaming replica", () => {
  it("reader() runs on the replica, the primary pool on the primary", async () => {
    expect(db.replicas).toHaveLength(1);
    expect(await inRecovery(db.reader())).toBe(true);
    expect(await inRecovery(db.primary)).toBe(false);
  });

  it("while the replica lags, a plain read misses the user's own write; readerAfter(position) sends that read to the primary", async () => {
    // Requested before the write exists: the standby checks the request before
    // applying each WAL record, so the insert below is received but not replayed.
    await pair.standbySql`SELECT pg_wal_replay_pause()`;
    try {
      const position = await sendMessage(db, contactId, "sent while the replica lags");
      expect(position).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      // Stale read: the replica has not replayed the insert.
      expect((await latestMessages(db, contactId)).map((m) => m.content)).not.toContain("sent while the replica lags");
      expect(await db.readerAfter(position)).toBe(db.primary);
      expect((await latestMessagesAfterWrite(db, contactId, position)).map((m) => m.content)).toContain("sent while the replica lags");
    } finally {
      await pair.standbySql`SELECT pg_wal_replay_resume()`;
    }
  });

  it("once the replica has replayed the position, readerAfter sends the read to the replica, which sees the write", async () => {
    const position = await sendMessage(db, contactId, "sent and replayed");
    await waitForReplayLsn(pair.standbySql, position, { timeoutMs: 60_000 });
    const reader = await db.readerAfter(position);
    expect(reader).toBe(db.replicas[0]);
    expect((await latestMessagesAfterWrite(db, contactId, position)).map((m) => m.content)).toContain("sent and replayed");
  });

  it("the time-window pattern keeps a user who just wrote on the primary", () => {
    const now = 1_000_000;
    expect(readerForUser(db, now - 100, now)).toBe(db.primary);
    expect(readerForUser(db, now - PRIMARY_WINDOW_AFTER_WRITE_MS - 1, now)).toBe(db.replicas[0]);
    expect(readerForUser(db, undefined, now)).toBe(db.replicas[0]);
  });
});

describe("edge cases", () => {
  it("without replicas every read goes to the primary", async () => {
    const single = createReadWriteDatabase(readWriteConfigFromEnv({ DATABASE_URL: pair.primaryTarget.url, POOL_MIN: "0" }), { logger: quiet });
    try {
      expect(single.replicas).toEqual([]);
      expect(single.reader()).toBe(single.primary);
      expect(await single.readerAfter(await single.positionAfterWrite())).toBe(single.primary);
    } finally {
      await single.close({ timeoutSeconds: 1 });
    }
  });

  it("a replica that cannot be reached sends readerAfter to the primary instead of failing the read", async () => {
    const deadUrl = pair.standbyTarget.url.replace(/:(\d+)\//, ":1/");
    const withDead = createReadWriteDatabase(readWriteConfigFromEnv({ DATABASE_URL: pair.primaryTarget.url, DATABASE_REPLICA_URLS: deadUrl, POOL_MIN: "0" }), { logger: quiet });
    try {
      expect(await withDead.readerAfter(await withDead.positionAfterWrite())).toBe(withDead.primary);
    } finally {
      await withDead.close({ timeoutSeconds: 1 });
    }
  });

  it("bad replica URLs are reported together with the other configuration problems (exit 2)", () => {
    let error: unknown;
    try {
      readWriteConfigFromEnv({ DATABASE_URL: pair.primaryTarget.url, DATABASE_REPLICA_URLS: "postgres://x@127.0.0.1:5432/db,not a url" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(EXIT.usage);
    expect((error as Error).message).toMatch(/DATABASE_REPLICA_URLS entry 2/);
  });
});
