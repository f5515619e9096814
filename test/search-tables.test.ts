// The search side tables (migrations 000083-000091): the catalog's searches
// stay exact whatever the fill's lag. A row in the unindexed tail is found,
// and still after the fill moved it into the side table; an edit of the text
// is searchable at once under its new text and no longer under its old; a
// deleted row is never returned, even while a side row of it is left over;
// an id change moves the side row and a truncate empties the side table;
// the fill waits for a writer's open transaction instead of skipping its row;
// a status update writes nothing to the side table; verify names a lagging or
// untrue side table.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { CATALOG } from "../src/catalog/entries.ts";
import { SEARCH_TABLES, checkSearchFreshness, indexSearchTables, searchMismatches } from "../src/rollups/index.ts";
import { seededDatabase, type TestDatabase } from "./support/databases.ts";

const entry = (name: string) => CATALOG.find((e) => e.name === name)!;

describe("search side tables", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await seededDatabase("search_tables", 0.05);
  }, 120_000);
  afterAll(() => db?.drop());

  /** The ids a catalog search returns for a term (the app's SQL, unprepared as the app sends it). */
  const found = async (name: string, term: string): Promise<number[]> =>
    ((await db.sql.unsafe(entry(name).sql, [term], { prepare: false })) as unknown as { id: string }[]).map((r) => Number(r.id)).sort((a, b) => a - b);
  const watermark = async (table: string): Promise<number> =>
    Number((await db.sql<{ through: string }[]>`SELECT indexed_through AS through FROM search_watermarks WHERE side_table = ${table}`)[0]!.through);

  it("the seed leaves the side tables full, their watermark at the last row and verify's check passing", async () => {
    const [{ messages, contacts }] = (await db.sql`SELECT (SELECT max(id) FROM conversation_messages)::float8 AS messages, (SELECT max(id) FROM phone_contacts)::float8 AS contacts`) as unknown as [{ messages: number; contacts: number }];
    // At the last row (later tests' deletes and rolled-back ids can leave it past the newest row).
    expect(await watermark("message_search")).toBeGreaterThanOrEqual(messages);
    expect(await watermark("contact_search")).toBeGreaterThanOrEqual(contacts);
    const [{ missing }] = (await db.sql`SELECT count(*)::int AS missing FROM conversation_messages m WHERE NOT EXISTS (SELECT FROM message_search s WHERE s.message_id = m.id)`) as unknown as [{ missing: number }];
    expect(missing).toBe(0);
    const checks = await checkSearchFreshness(db.sql);
    expect(checks.map((c) => [c.table, c.fresh])).toEqual(SEARCH_TABLES.map((t) => [t.table, true]));
  });

  it("finds a message in the unindexed tail, after the fill, and under its new text after an edit; never a deleted one", async () => {
    const [{ id }] = (await db.sql`INSERT INTO conversation_messages (contact_id, direction, content) VALUES (1, 'inbound', 'the quixotrix parcel arrived') RETURNING id::float8 AS id`) as unknown as [{ id: number }];
    expect(await watermark("message_search")).toBeLessThan(id);
    expect(await found("message_content_search", "%quixotrix%")).toEqual([id]);

    const runs = await indexSearchTables(db.sql);
    expect(runs.find((r) => r.table === "message_search")).toMatchObject({ state: "current" });
    expect(await watermark("message_search")).toBeGreaterThanOrEqual(id);
    expect(await db.sql`SELECT content FROM message_search WHERE message_id = ${id}`).toEqual([{ content: "the quixotrix parcel arrived" }]);
    expect(await found("message_content_search", "%quixotrix%")).toEqual([id]);

    // A status update (a delivery receipt) does not touch the side row.
    const [before] = await db.sql`SELECT xmin::text FROM message_search WHERE message_id = ${id}`;
    await db.sql`UPDATE conversation_messages SET status = 'read' WHERE id = ${id}`;
    expect((await db.sql`SELECT xmin::text FROM message_search WHERE message_id = ${id}`)[0]).toEqual(before);

    // The side row carries created_at (a search re-checks only its newest matches): an edit of it follows too.
    await db.sql`UPDATE conversation_messages SET created_at = created_at - interval '1 day' WHERE id = ${id}`;
    expect(await db.sql`SELECT (s.created_at = m.created_at) AS same FROM message_search s JOIN conversation_messages m ON m.id = s.message_id WHERE m.id = ${id}`).toEqual([{ same: true }]);
    await db.sql`UPDATE conversation_messages SET content = 'the flibbertigib parcel arrived' WHERE id = ${id}`;
    expect(await found("message_content_search", "%quixotrix%")).toEqual([]);
    expect(await found("message_content_search", "%flibbertigib%")).toEqual([id]);

    await db.sql`DELETE FROM conversation_messages WHERE id = ${id}`;
    expect(await found("message_content_search", "%flibbertigib%")).toEqual([]);
    expect(await db.sql`SELECT 1 FROM message_search WHERE message_id = ${id}`).toHaveLength(0);
  });

  it("never returns a deleted row a side row was left for, and the sweep removes that side row", async () => {
    const [{ id }] = (await db.sql`INSERT INTO conversation_messages (contact_id, direction, content) VALUES (1, 'outbound', 'a snorkelwump for you') RETURNING id::float8 AS id`) as unknown as [{ id: number }];
    await indexSearchTables(db.sql);
    // A delete that bypassed the side table's trigger (as a fill racing the delete would leave it).
    await db.sql.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`DELETE FROM conversation_messages WHERE id = ${id}`;
    });
    expect(await db.sql`SELECT 1 FROM message_search WHERE message_id = ${id}`).toHaveLength(1);
    expect(await found("message_content_search", "%snorkelwump%")).toEqual([]);
    // The sweep walks the id space a slice per run: a slice as large as the table reaches the row in one.
    await db.sql`UPDATE search_watermarks SET swept_through = 0 WHERE side_table = 'message_search'`;
    const runs = await indexSearchTables(db.sql, { sweepIds: 10_000_000 });
    expect(runs.find((r) => r.table === "message_search")!.repaired).toBeGreaterThanOrEqual(1);
    expect(await db.sql`SELECT 1 FROM message_search WHERE message_id = ${id}`).toHaveLength(0);
  });

  it("keeps both side tables true under an id change and a truncate (one trigger function, its columns from the trigger's arguments)", async () => {
    // Rolled back: the other cases read this database too.
    const seen = await db.sql
      .begin(async (tx) => {
        const [{ message }] = (await tx`INSERT INTO conversation_messages (contact_id, direction, content) VALUES (1, 'inbound', 'a wombatrix draft') RETURNING id::float8 AS message`) as unknown as [{ message: number }];
        const [{ contact }] = (await tx`INSERT INTO phone_contacts (contact_name, email, phone_number) VALUES ('Quintessa Draft', NULL, '+15557770003') RETURNING id::float8 AS contact`) as unknown as [{ contact: number }];
        // A tail row gets its side row from an edit; an id change moves it.
        await tx`UPDATE conversation_messages SET content = 'a wombatrix note' WHERE id = ${message}`;
        await tx`UPDATE phone_contacts SET contact_name = 'Quintessa Wombatrix' WHERE id = ${contact}`;
        const edited = (await tx`SELECT 1 FROM message_search WHERE message_id = ${message} UNION ALL SELECT 1 FROM contact_search WHERE contact_id = ${contact}`).length;
        const [{ movedMessage }] = (await tx`UPDATE conversation_messages SET id = DEFAULT WHERE id = ${message} RETURNING id::float8 AS "movedMessage"`) as unknown as [{ movedMessage: number }];
        const [{ movedContact }] = (await tx`UPDATE phone_contacts SET id = DEFAULT WHERE id = ${contact} RETURNING id::float8 AS "movedContact"`) as unknown as [{ movedContact: number }];
        const moved = {
          messages: await tx`SELECT message_id::float8 AS id, content FROM message_search WHERE message_id IN (${message}, ${movedMessage})`,
          contacts: await tx`SELECT contact_id::float8 AS id, contact_name, email, phone_number FROM contact_search WHERE contact_id IN (${contact}, ${movedContact})`,
        };
        // Cascades to conversation_messages: both sources' truncate triggers fire.
        await tx`TRUNCATE phone_contacts CASCADE`;
        const truncated = await tx`SELECT side_table, indexed_through::float8 AS through, swept_through::float8 AS swept,
          (SELECT count(*) FROM message_search)::int + (SELECT count(*) FROM contact_search)::int AS side_rows FROM search_watermarks ORDER BY side_table`;
        throw Object.assign(new Error("rollback"), { seen: { edited, movedMessage, movedContact, moved, truncated } });
      })
      .catch((error: { seen?: unknown }) => error.seen) as { edited: number; movedMessage: number; movedContact: number; moved: unknown; truncated: unknown };
    expect(seen.edited).toBe(2);
    expect(seen.moved).toEqual({
      messages: [{ id: seen.movedMessage, content: "a wombatrix note" }],
      contacts: [{ id: seen.movedContact, contact_name: "Quintessa Wombatrix", email: null, phone_number: "+15557770003" }],
    });
    expect(seen.truncated).toEqual([
      { side_table: "contact_search", through: 0, swept: 0, side_rows: 0 },
      { side_table: "message_search", through: 0, swept: 0, side_rows: 0 },
    ]);
  });

  it("waits for a writer's open transaction instead of moving the watermark past its row", async () => {
    const writer = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let inserted!: (id: number) => void;
      const insertedId = new Promise<number>((resolve) => (inserted = resolve));
      const open = writer.begin(async (tx) => {
        const [{ id }] = (await tx`INSERT INTO phone_contacts (contact_name, email, phone_number) VALUES ('Ozymandias Quellberry', 'oq@example.com', '+15557770001') RETURNING id::float8 AS id`) as unknown as [{ id: number }];
        inserted(id);
        await released;
      });
      const id = await insertedId;
      // Not committed: the fill notes the id, sees the writer still holding the table, and waits.
      const [{ state }] = (await db.sql`SELECT search_index_catch_up('contact_search') AS state`) as unknown as [{ state: string }];
      expect(state).toBe("waiting");
      expect(await watermark("contact_search")).toBeLessThan(id);
      release();
      await open;
      expect(await found("contact_search_rare", "%quellberry%")).toEqual([id]);
      expect(await found("contact_phone_search", "%5557770001%")).toEqual([id]);
      const runs = await indexSearchTables(db.sql);
      expect(runs.find((r) => r.table === "contact_search")).toMatchObject({ state: "current" });
      expect(await watermark("contact_search")).toBeGreaterThanOrEqual(id);
      expect(await found("contact_search_rare", "%quellberry%")).toEqual([id]);
      expect(await found("contact_search", "%quellberry%")).toEqual([id]);
      expect(await found("contact_phone_search", "%5557770001%")).toEqual([id]);
      await db.sql`UPDATE phone_contacts SET phone_number = '+15557770002' WHERE id = ${id}`;
      expect(await found("contact_phone_search", "%5557770001%")).toEqual([]);
      expect(await found("contact_phone_search", "%5557770002%")).toEqual([id]);
      await db.sql`DELETE FROM phone_contacts WHERE id = ${id}`;
      expect(await found("contact_search_rare", "%quellberry%")).toEqual([]);
    } finally {
      await writer.end();
    }
  });

  it("stays true under 4 concurrent writers inserting, editing and deleting while the fill runs, and every search meanwhile is exact", async () => {
    const writers = [0, 1, 2, 3].map(async (w) => {
      const sql = postgres(db.url, { max: 1, onnotice: () => {} });
      try {
        for (let i = 0; i < 60; i++) {
          const word = `zqw${w}x${i % 7}`;
          await sql.begin(async (tx) => {
            const [{ id }] = (await tx`INSERT INTO conversation_messages (contact_id, direction, content) VALUES (${1 + w}, 'inbound', ${`note ${word} end`}) RETURNING id::float8 AS id`) as unknown as [{ id: number }];
            if (i % 3 === 1) await tx`UPDATE conversation_messages SET content = ${`note zqw${w}x${(i + 3) % 7} edited`} WHERE id = ${id}`;
            if (i % 5 === 2) await tx`DELETE FROM conversation_messages WHERE id = (SELECT min(id) FROM conversation_messages WHERE content LIKE ${`note zqw${w}x%`})`;
          });
        }
      } finally {
        await sql.end();
      }
    });
    let done = false;
    const all = Promise.all(writers).finally(() => (done = true));
    let fills = 0;
    let searches = 0;
    while (!done) {
      await indexSearchTables(db.sql, { waitMs: 200 });
      fills++;
      // In one snapshot: what the search returns equals what the base table holds.
      const [got, want] = await db.sql.begin("isolation level repeatable read read only", async (tx) => [
        ((await tx.unsafe(entry("message_content_search").sql.replace(/LIMIT 20/g, "LIMIT 100000"), ["%zqw2x3%"], { prepare: false })) as unknown as { id: string }[]).map((r) => Number(r.id)).sort((a, b) => a - b),
        ((await tx`SELECT id FROM conversation_messages WHERE content ILIKE '%zqw2x3%'`) as unknown as { id: string }[]).map((r) => Number(r.id)).sort((a, b) => a - b),
      ]);
      expect(got).toEqual(want);
      searches++;
    }
    await all;
    await indexSearchTables(db.sql);
    expect(fills).toBeGreaterThan(0);
    expect(searches).toBe(fills);
    const t = SEARCH_TABLES.find((x) => x.table === "message_search")!;
    expect(await searchMismatches(db.sql, t, 0, 2 ** 53)).toEqual([]);
    const [{ orphans }] = (await db.sql`SELECT count(*)::int AS orphans FROM message_search s WHERE NOT EXISTS (SELECT FROM conversation_messages m WHERE m.id = s.message_id)`) as unknown as [{ orphans: number }];
    expect(orphans).toBe(0);
  }, 120_000);

  it("verify's check names a side table that lags beyond its staleness, and one whose text differs from its base rows", async () => {
    await indexSearchTables(db.sql);
    await db.sql`INSERT INTO conversation_messages (contact_id, direction, content) VALUES (1, 'inbound', 'late')`;
    await db.sql`UPDATE search_watermarks SET indexed_as_of = now() - interval '1 hour' WHERE side_table = 'message_search'`;
    const lagging = (await checkSearchFreshness(db.sql)).filter((c) => !c.fresh);
    expect(lagging.map((c) => c.table)).toEqual(["message_search"]);
    expect(lagging[0]!.summary).toContain("1 unindexed row(s)");
    await indexSearchTables(db.sql);
    expect((await checkSearchFreshness(db.sql)).filter((c) => !c.fresh)).toEqual([]);

    // An edit with the triggers off leaves the side row with the old text.
    const [{ id }] = (await db.sql`SELECT max(id)::float8 AS id FROM phone_contacts`) as unknown as [{ id: number }];
    await db.sql.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`UPDATE phone_contacts SET contact_name = 'Renamed Behind The Trigger' WHERE id = ${id}`;
    });
    const untrue = (await checkSearchFreshness(db.sql)).filter((c) => !c.fresh);
    expect(untrue.map((c) => c.table)).toEqual(["contact_search"]);
    expect(untrue[0]!.mismatches![0]).toContain(String(id));
    // An edit with the triggers on makes it true again (the other tests expect a true side table).
    await db.sql`UPDATE phone_contacts SET contact_name = 'Renamed With The Trigger' WHERE id = ${id}`;
    expect((await checkSearchFreshness(db.sql)).filter((c) => !c.fresh)).toEqual([]);
  });
});
