// The index-cost benchmark on a small seeded database: the app's three bulk
// writes against base copies of the tables, every non-unique index of the two
// tables with its write cost and the catalog queries it serves, the copies
// gone afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatIndexCost, measureIndexCost } from "../src/bench/index-cost.ts";
import { newestByTime, WRITE_SHAPES } from "../src/bench/write-shapes.ts";
import { inRolledBackTransaction } from "../src/db/index.ts";
import { CATALOG } from "../src/catalog/entries.ts";
import { seededDatabase, type TestDatabase } from "./support/databases.ts";

describe("bench index-cost", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await seededDatabase("index_cost", 0.02);
  }, 120_000);
  afterAll(() => db?.drop());

  it("measures each write against the base copy and each index with and without it", async () => {
    const result = await measureIndexCost(db.sql, { rows: 200, repeats: 1, catalog: CATALOG });
    expect(result.ratios.map((r) => r.op)).toEqual(["messages insert", "contacts insert", "messages status update"]);
    for (const r of result.ratios) expect(r.ratio, r.op).toBeGreaterThan(0);
    expect(result.bare.map((r) => r.op)).toEqual(result.ratios.map((r) => r.op));
    for (const r of result.bare) expect(r.ratio, r.op).toBeGreaterThan(0);
    // The status update of the base copy has no index on status: every update can be HOT.
    const update = result.ratios.find((r) => r.op === "messages status update")!;
    expect(update.app.hotRatio).not.toBeNull();
    expect(update.base.hotRatio).not.toBeNull();
    // Every trigger the writes fire, timed inside the statement: inbox, rollup and counters on
    // both message writes (and the foreign key's check on the insert); none on contacts.
    const fired = (op: string) => result.triggers.filter((t) => t.op === op && !t.trigger.startsWith("RI_")).map((t) => t.trigger).sort();
    expect(fired("messages insert")).toEqual(["contact_counters_insert", "conversations_after_insert", "message_hourly_rollup_insert"]);
    expect(fired("messages status update")).toEqual(["contact_counters_update", "conversations_after_update", "message_hourly_rollup_update"]);
    expect(result.triggers.filter((t) => t.op === "contacts insert")).toEqual([]);
    expect(result.triggers.some((t) => t.op === "messages insert" && t.trigger.startsWith("RI_ConstraintTrigger"))).toBe(true);
    for (const t of result.triggers) {
      expect(t.ms, t.trigger).toBeGreaterThan(0);
      expect(t.ms, t.trigger).toBeLessThanOrEqual(t.statementMs);
    }
    expect(formatIndexCost(result)).toContain("| message_hourly_rollup_update | messages status update |");
    // The shapes: the insert over fewer contacts, the update of the newest messages by time; triggers on and off.
    expect(result.shapes.map((r) => r.shape)).toEqual(["messages insert, 1,000 contacts", "messages insert, 100 contacts", "messages status update, newest by time"]);
    for (const r of result.shapes) expect([r.ratio, r.ratioWithoutTriggers].every((x) => x > 0), r.shape).toBe(true);
    expect(formatIndexCost(result)).toContain("| messages insert, 100 contacts |");
    const names = result.indexes.map((i) => i.index);
    expect(names).toContain("idx_conversation_messages_contact_created");
    expect(names).toContain("idx_phone_contacts_updated_at_desc");
    // The trigram search indexes live on the side tables (migrations 000083-000091): no longer part of the base tables' writes.
    expect(names.filter((n) => n.endsWith("_pattern"))).toEqual([]);
    const history = result.indexes.find((i) => i.index === "idx_conversation_messages_contact_created")!;
    expect(history.writes.map((w) => w.op)).toEqual(["messages insert", "messages status update"]);
    expect(history.reads.map((r) => r.entry)).toContain("message_history");
    expect(formatIndexCost(result)).toContain("| messages insert |");
    expect(formatIndexCost(result)).toContain("no performance index and the triggers off");
    const left = await db.sql`SELECT relname FROM pg_class WHERE relname LIKE 'bench_base_%'`;
    expect(left).toHaveLength(0);
    // Rolled back: the indexes are all still there.
    const [{ n }] = (await db.sql`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'idx_conversation_messages_contact_created'`) as unknown as [{ n: number }];
    expect(n).toBe(1);
    const [{ disabled, others }] = (await db.sql`
      SELECT (SELECT count(*)::int FROM pg_trigger WHERE tgrelid = 'conversation_messages'::regclass AND tgenabled = 'D') AS disabled,
             (SELECT count(*)::int FROM pg_indexes WHERE indexname = 'idx_conversation_messages_contact_created') AS others`) as unknown as [{ disabled: number; others: number }];
    expect({ disabled, others }).toEqual({ disabled: 0, others: 1 });
  }, 300_000);

  it("shapes its writes as named: at most N contacts per insert, the newest messages by created_at", async () => {
    const [{ max, contacts }] = (await db.sql`
      SELECT max(id)::float8 AS max, (SELECT count(*) FROM phone_contacts)::float8 AS contacts FROM conversation_messages`) as unknown as [{ max: number; contacts: number }];
    const newest = await newestByTime(db.sql, 50);
    const ids = { maxMessageId: max, contacts, newestByTime: newest };
    const spread = WRITE_SHAPES.find((s) => s.name === "messages insert, 100 contacts")!;
    // The statement itself, rolled back: the contacts of the rows it wrote.
    const distinct = await inRolledBackTransaction(db.sql, async (tx) => {
      const before = Number((await tx`SELECT coalesce(max(id), 0) AS max FROM conversation_messages`)[0]!.max);
      await tx.unsafe(spread.sql("conversation_messages", 500, ids));
      return Number((await tx`SELECT count(DISTINCT contact_id) AS n FROM conversation_messages WHERE id > ${before}`)[0]!.n);
    });
    expect(distinct).toBeGreaterThan(1);
    expect(distinct).toBeLessThanOrEqual(100);
    const [{ n, older }] = (await db.sql.unsafe(`
      SELECT cardinality('${newest}'::bigint[]) AS n,
             (SELECT count(*)::int FROM conversation_messages WHERE id <> ALL ('${newest}'::bigint[])
                AND created_at > (SELECT min(created_at) FROM conversation_messages WHERE id = ANY ('${newest}'::bigint[]))) AS older`)) as unknown as [{ n: number; older: number }];
    expect({ n, older }).toEqual({ n: 50, older: 0 });
  });
});
