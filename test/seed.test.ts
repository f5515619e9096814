import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDatabase, tableChecksums, tableRowCounts } from "../src/seed/generate.ts";
import { SEED_TABLES, rowsAt } from "../src/seed/tables.ts";
import { migratedDatabase, TEST_ANCHOR, type TestDatabase } from "./support/databases.ts";

describe("data generator", () => {
  let a: TestDatabase;
  let b: TestDatabase;
  beforeAll(async () => {
    [a, b] = await Promise.all([migratedDatabase("seed_a"), migratedDatabase("seed_b")]);
  });
  afterAll(async () => {
    await Promise.all([a.drop(), b.drop()]);
  });

  it("is deterministic: same seed, scale and anchor give identical checksums; another seed differs", async () => {
    await seedDatabase(a.sql, { scale: 0.05, seed: 11, anchor: TEST_ANCHOR });
    await seedDatabase(b.sql, { scale: 0.05, seed: 11, anchor: TEST_ANCHOR, chunkRows: 777 });
    const first = await tableChecksums(a.sql);
    expect(await tableChecksums(b.sql)).toEqual(first);

    await seedDatabase(b.sql, { scale: 0.05, seed: 12, anchor: TEST_ANCHOR });
    const other = await tableChecksums(b.sql);
    for (const table of Object.keys(first)) expect(other[table], table).not.toBe(first[table]);
  });

  it("writes the row counts of the scale and re-running replaces rather than duplicates", async () => {
    for (const scale of [0.05, 0.1, 0.1]) {
      await seedDatabase(a.sql, { scale, seed: 3, anchor: TEST_ANCHOR });
      const counts = await tableRowCounts(a.sql);
      for (const t of SEED_TABLES) expect(counts[t.table], `${t.table} at ${scale}`).toBe(rowsAt(t, scale));
    }
    expect(rowsAt(SEED_TABLES[1]!, 10)).toBe(2_000_000);
    expect(rowsAt(SEED_TABLES[0]!, 10)).toBe(100_000);
    // New rows continue after the generated ids.
    const [row] = await a.sql`INSERT INTO phone_contacts (contact_name, phone_number) VALUES ('New', '+19990000000') RETURNING id`;
    expect(Number(row!.id)).toBe(rowsAt(SEED_TABLES[0]!, 0.1) + 1);
  });

  it("has the realistic shape: skewed contacts, dense recent month, open and overdue tasks", async () => {
    await seedDatabase(a.sql, { scale: 0.2, seed: 5, anchor: TEST_ANCHOR });
    const [shape] = await a.sql`
      WITH per_contact AS (SELECT contact_id, count(*) AS n FROM conversation_messages GROUP BY contact_id)
      SELECT (SELECT max(n) FROM per_contact) AS heaviest,
             (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n) FROM per_contact) AS median,
             (SELECT count(*) FILTER (WHERE created_at > ${TEST_ANCHOR} ::timestamptz - interval '30 days')::float8 / count(*) FROM conversation_messages) AS last30`;
    expect(Number(shape!.heaviest)).toBeGreaterThan(50 * Number(shape!.median));
    expect(shape!.last30).toBeGreaterThan(0.05);
    expect(shape!.last30).toBeLessThan(0.1);
    const [tasks] = await a.sql`
      SELECT count(*) FILTER (WHERE status = 'completed')::float8 / count(*) AS completed,
             count(*) FILTER (WHERE status = 'pending' AND due_at < ${TEST_ANCHOR}) AS overdue
      FROM scheduled_tasks`;
    expect(tasks!.completed).toBeGreaterThan(0.6);
    expect(Number(tasks!.overdue)).toBeGreaterThan(0);
  });

  it("leaves no partial data when it fails midway (one transaction)", async () => {
    await seedDatabase(a.sql, { scale: 0.05, seed: 1, anchor: TEST_ANCHOR });
    const before = await tableChecksums(a.sql);
    // The last table refuses rows: the whole seed must roll back.
    await a.sql`ALTER TABLE calendar_events ADD CONSTRAINT refuse_all CHECK (false) NOT VALID`;
    try {
      await expect(seedDatabase(a.sql, { scale: 0.05, seed: 2, anchor: TEST_ANCHOR })).rejects.toMatchObject({ code: "23514" });
    } finally {
      await a.sql`ALTER TABLE calendar_events DROP CONSTRAINT refuse_all`;
    }
    expect(await tableChecksums(a.sql)).toEqual(before);
  });
});
