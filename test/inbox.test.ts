// The inbox: conversations (one row per contact with its latest message),
// kept current by statement-level triggers, backfilled by a migration on a
// table that keeps taking writes, rebuilt by the seed, and read by the
// catalog's `inbox` entry through its index.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../src/migrate/graphile.ts";
import { subsetMigrationsFolder } from "../src/migrate/migrations-folder.ts";
import { readCommittedMigrations } from "../src/migrate/performance-migrations.ts";
import { seedDatabase, currentHourUtc } from "../src/seed/generate.ts";
import { CATALOG } from "../src/catalog/entries.ts";
import postgres from "postgres";
import { createDatabase, migratedDatabase, seededDatabase, type TestDatabase } from "./support/databases.ts";
import { waitFor } from "./support/wait-for.ts";

/** What conversations must hold: the latest message of every contact, computed from scratch. */
async function truth(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql<{ r: string }[]>`
    SELECT DISTINCT ON (contact_id) contact_id || ':' || id || ':' || created_at AS r FROM conversation_messages ORDER BY contact_id, created_at DESC, id DESC`;
  return rows.map((x) => x.r).sort();
}
async function conversations(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql<{ r: string }[]>`SELECT contact_id || ':' || last_message_id || ':' || last_message_at AS r FROM conversations`;
  return rows.map((x) => x.r).sort();
}

describe("conversations, maintained", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await seededDatabase("inbox", 0.1);
  }, 120_000);
  afterAll(() => db?.drop());

  it("the seed rebuilds it (its bulk load runs with triggers off)", async () => {
    const expected = await truth(db);
    expect(expected.length).toBeGreaterThan(100);
    expect(await conversations(db)).toEqual(expected);
  });

  it("a single insert, a bulk insert, an older message and a delete keep it exact", async () => {
    const [{ contact }] = (await db.sql<{ contact: number }[]>`SELECT contact_id AS contact FROM conversations ORDER BY last_message_at LIMIT 1`) as unknown as [{ contact: number }];
    await db.sql`INSERT INTO conversation_messages (contact_id, direction, content, created_at) VALUES (${contact}, 'inbound', 'newest', now() + interval '1 hour')`;
    await db.sql`
      INSERT INTO conversation_messages (contact_id, direction, content, created_at)
      SELECT id, 'outbound', 'bulk ' || id, now() + interval '2 hours' + id * interval '1 second' FROM phone_contacts WHERE id % 7 = 0`;
    await db.sql`INSERT INTO conversation_messages (contact_id, direction, content, created_at) VALUES (${contact}, 'inbound', 'from the past', now() - interval '10 years')`;
    expect(await conversations(db)).toEqual(await truth(db));
    await db.sql`DELETE FROM conversation_messages WHERE content LIKE 'bulk %' AND contact_id % 14 = 0`;
    await db.sql`DELETE FROM conversation_messages WHERE content = 'newest'`;
    expect(await conversations(db)).toEqual(await truth(db));
    // Deleting a contact's every message removes its conversation.
    await db.sql`DELETE FROM conversation_messages WHERE contact_id = ${contact}`;
    expect(await db.sql`SELECT 1 FROM conversations WHERE contact_id = ${contact}`).toHaveLength(0);
    expect(await conversations(db)).toEqual(await truth(db));
  });

  it("an update that moves messages between contacts or in time, a status update and a truncate keep it exact", async () => {
    const [a, b] = (await db.sql<{ contact: number }[]>`SELECT contact_id AS contact FROM conversations ORDER BY contact_id LIMIT 2`).map((r) => r.contact);
    // a's latest message moves to b; b's latest moves ten years back; then one of a's goes to the future.
    await db.sql`UPDATE conversation_messages SET contact_id = ${b!} WHERE id = (SELECT last_message_id FROM conversations WHERE contact_id = ${a!})`;
    await db.sql`UPDATE conversation_messages SET created_at = created_at - interval '10 years' WHERE id = (SELECT last_message_id FROM conversations WHERE contact_id = ${b!})`;
    await db.sql`UPDATE conversation_messages SET created_at = now() + interval '1 day' WHERE id = (SELECT min(id) FROM conversation_messages WHERE contact_id = ${a!})`;
    expect(await conversations(db)).toEqual(await truth(db));
    // Every message of a moves to b: a has no conversation left.
    await db.sql`UPDATE conversation_messages SET contact_id = ${b!} WHERE contact_id = ${a!}`;
    expect(await db.sql`SELECT 1 FROM conversations WHERE contact_id = ${a!}`).toHaveLength(0);
    const before = await conversations(db);
    await db.sql`UPDATE conversation_messages SET status = 'read', content = content || '!' WHERE contact_id = ${b!}`;
    expect(await conversations(db)).toEqual(before);
    expect(before).toEqual(await truth(db));
    // TRUNCATE, rolled back: the other cases read this database too.
    const left = await db.sql
      .begin(async (tx) => {
        await tx`TRUNCATE conversation_messages`;
        const rows = await tx`SELECT 1 FROM conversations`;
        throw Object.assign(new Error("rollback"), { rows });
      })
      .catch((error: { rows?: unknown[] }) => error.rows);
    expect(left).toHaveLength(0);
    expect(await conversations(db)).toEqual(await truth(db));
  });

  it("the catalog's inbox entry reads it through idx_conversations_last_message", async () => {
    const inbox = CATALOG.find((e) => e.name === "inbox")!;
    const [plan] = await db.sql.unsafe(`EXPLAIN (FORMAT JSON) ${inbox.sql}`);
    expect(JSON.stringify(plan)).toContain("idx_conversations_last_message");
    const rows = await db.sql.unsafe(inbox.sql);
    expect(rows).toHaveLength(50);
  });
});

// Two single statements never deadlock when every trigger takes its rows in
// one order (000093: the delete trigger took conversations in its join's
// order). A third session holds the smaller contact's conversation, the
// delete blocks on it (seen in pg_stat_activity, not by time), and the
// larger contact's conversation must still be free: the delete has not taken
// it first. The join's order is made the other way round (the larger
// contact's message and conversation first); 000063's trigger fails this.
describe("conversations, locked in contact order", () => {
  let db: TestDatabase;
  let small: number;
  let large: number;
  beforeAll(async () => {
    db = await migratedDatabase("inbox_order");
    const ids = await db.sql<{ id: number }[]>`
      INSERT INTO phone_contacts (contact_name, phone_number) SELECT 'Order ' || g, '+1555200' || lpad(g::text, 4, '0') FROM generate_series(1, 2) g RETURNING id`;
    [small, large] = ids.map((r) => Number(r.id)).sort((a, b) => a - b) as [number, number];
  }, 120_000);
  afterAll(() => db?.drop());

  /** Runs `statement` in a session of its own; returns once it waits on a lock. */
  async function blockedStatement(statement: (sql: postgres.Sql) => Promise<unknown>): Promise<{ done: Promise<unknown>; sql: postgres.Sql }> {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const [{ pid }] = (await sql`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
    const done = statement(sql);
    done.catch(() => {});
    await waitFor(async () => (await db.sql`SELECT wait_event_type FROM pg_stat_activity WHERE pid = ${pid}`)[0]?.wait_event_type, (w) => w === "Lock", `session ${pid} to wait on a lock`);
    return { done, sql };
  }
  /** Whether another session can lock the larger contact's conversation without waiting. */
  async function largeIsFree(): Promise<boolean> {
    return db.sql
      .begin(async (tx) => {
        await tx`SELECT 1 FROM conversations WHERE contact_id = ${large} FOR UPDATE NOWAIT`;
      })
      .then(() => true, (e: { code?: string }) => (e.code === "55P03" ? false : Promise.reject(e)));
  }

  it("a delete takes the conversations of the messages it removes in contact order, not in its join's", async () => {
    // The larger contact's message and conversation first: the join's order.
    const [{ id: first }] = (await db.sql`INSERT INTO conversation_messages (contact_id, direction, content) VALUES (${large}, 'inbound', 'order a') RETURNING id`) as unknown as [{ id: number }];
    const [{ id: second }] = (await db.sql`INSERT INTO conversation_messages (contact_id, direction, content) VALUES (${small}, 'inbound', 'order b') RETURNING id`) as unknown as [{ id: number }];
    const holder = postgres(db.url, { max: 1, onnotice: () => {} });
    let releaseHolder = () => {};
    let holderPid = 0;
    const release = holder.begin(async (tx) => {
      [{ pid: holderPid }] = (await tx`SELECT pg_backend_pid() AS pid FROM conversations WHERE contact_id = ${small} FOR UPDATE`) as unknown as [{ pid: number }];
      await new Promise<void>((resolve) => (releaseHolder = resolve));
    });
    await waitFor(async () => (await db.sql`SELECT state FROM pg_stat_activity WHERE pid = ${holderPid}`)[0]?.state, (state) => state === "idle in transaction", "the session holding the smaller contact's conversation");
    const deleting = await blockedStatement((sql) => sql`DELETE FROM conversation_messages WHERE id IN (${first}, ${second})`);
    try {
      expect(await largeIsFree()).toBe(true);
    } finally {
      releaseHolder();
      await release;
      await deleting.done;
      await Promise.all([holder.end(), deleting.sql.end()]);
    }
    expect(await db.sql`SELECT contact_id FROM conversations WHERE contact_id IN (${small}, ${large})`).toHaveLength(0);
  });
});

describe("the backfill migration on a table with data", () => {
  let db: TestDatabase;
  afterAll(() => db?.drop());

  it("fills conversations from the messages already there, and the index on it is valid", async () => {
    db = await createDatabase("inbox_backfill");
    // Everything before the inbox migrations (from the one that creates its table on), then data, as on a live database.
    const committed = await readCommittedMigrations();
    const inboxStart = committed.findIndex((m) => /CREATE TABLE IF NOT EXISTS conversations\b/.test(m.body ?? ""));
    expect(inboxStart).toBeGreaterThan(0);
    const earlier = new Set(committed.slice(0, inboxStart).map((m) => m.file));
    const before = await subsetMigrationsFolder((file) => earlier.has(file));
    try {
      await applyMigrations(db, undefined, { migrationsFolder: before.folder });
    } finally {
      before.remove();
    }
    await seedDatabase(db.sql, { scale: 0.1, seed: 3, anchor: currentHourUtc() });
    expect((await db.sql`SELECT to_regclass('conversations') AS t`)[0]!.t).toBeNull();
    await applyMigrations(db);
    expect(await conversations(db)).toEqual(await truth(db));
    const [{ valid }] = (await db.sql`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'idx_conversations_last_message'::regclass`) as unknown as [{ valid: boolean }];
    expect(valid).toBe(true);
  }, 120_000);
});
