// Plan analysis on real EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output: the
// same query fails as a sequential scan without its index and passes with it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUSTOM_PLAN_EXECUTIONS, explainAnalyze, isGenericPlan, prepareForExplain } from "../src/catalog/explain.ts";
import { tableRowEstimates } from "../src/verify/workload-counters.ts";
import { openSql, type Sql } from "../src/db/index.ts";
import type { CatalogEntry } from "../src/catalog/types.ts";
import { analyzePlan, planFailures } from "../src/catalog/plan-analysis.ts";
import { runCatalog } from "../src/verify/run-catalog.ts";
import type { TestDatabase } from "./support/databases.ts";
import { baseSeededDatabase } from "./verify-support.ts";

const INDEX = "test_messages_contact_created";
const HISTORY: CatalogEntry = {
  name: "message_history",
  title: "Message history by contact",
  kind: "list",
  sql: "SELECT id, direction, content, created_at FROM conversation_messages WHERE contact_id = $1 ORDER BY created_at DESC LIMIT 50",
  params: {
    heavy_contact: "SELECT contact_id FROM conversation_messages GROUP BY contact_id ORDER BY count(*) DESC, contact_id LIMIT 1",
    typical_contact: "SELECT contact_id FROM conversation_messages GROUP BY contact_id ORDER BY count(*), contact_id LIMIT 1",
  },
  expectIndexes: [INDEX],
  budgetMs: 1000,
  reason: "test",
};

describe("plan analysis", () => {
  let db: TestDatabase;
  let sql: Sql;
  beforeAll(async () => {
    db = await baseSeededDatabase("verifyplan", 0.1);
    sql = openSql(db, { max: 1 });
  });
  afterAll(async () => {
    await sql.end({ timeout: 5 });
    await db.drop();
  });

  it("flags the query without its index as a sequential scan that fails, and passes it with the index", async () => {
    const [{ contact_id }] = (await sql.unsafe(HISTORY.params.heavy_contact!)) as unknown as [{ contact_id: number }];
    const tableRows = await tableRowEstimates(sql);
    expect(tableRows.get("conversation_messages")).toBeGreaterThan(10_000);

    const without = analyzePlan(await explainAnalyze(sql, HISTORY.sql, [contact_id]), HISTORY, { tableRows });
    expect(without.nodeTypes["Seq Scan"] ?? without.nodeTypes["Parallel Seq Scan"]).toBeGreaterThan(0);
    expect(without.largeSeqScans.map((s) => s.table)).toEqual(["conversation_messages"]);
    expect(without.expectedIndexUsed).toBe(false);
    expect(without.executionMs).toBeGreaterThan(0);
    expect(without.sharedHitBlocks + without.sharedReadBlocks).toBeGreaterThan(0);
    const failures = planFailures(without, HISTORY, new Set());
    expect(failures).toEqual([
      expect.stringContaining(`expected index ${INDEX} not used; plan used no index (${INDEX} does not exist`),
      expect.stringMatching(/^sequential scan on conversation_messages \(~[\d,]+ rows\)$/),
    ]);
    // Allowed sequential scans only drop the seq-scan failure.
    expect(planFailures(without, { seqScanOk: true })).toHaveLength(1);

    await sql.unsafe(`CREATE INDEX ${INDEX} ON conversation_messages (contact_id, created_at DESC)`);
    await sql`ANALYZE conversation_messages`;
    const withIndex = analyzePlan(await explainAnalyze(sql, HISTORY.sql, [contact_id]), HISTORY, { tableRows });
    expect(withIndex.indexesUsed).toContain(INDEX);
    expect(withIndex.largeSeqScans).toEqual([]);
    expect(withIndex.expectedIndexUsed).toBe(true);
    expect(planFailures(withIndex, HISTORY)).toEqual([]);
    await sql.unsafe(`DROP INDEX ${INDEX}`);
  });

  it("expectMode any passes when one of the expected indexes is used", async () => {
    const explain = await explainAnalyze(sql, "SELECT id FROM phone_contacts WHERE phone_number = $1", ["+12000000001"]);
    const any = analyzePlan(explain, { expectIndexes: ["idx_phone_contacts_phone_number", "idx_missing"], expectMode: "any" }, { tableRows: new Map() });
    expect(any.expectedIndexUsed).toBe(true);
    const all = analyzePlan(explain, { expectIndexes: ["idx_phone_contacts_phone_number", "idx_missing"] }, { tableRows: new Map() });
    expect(all.expectedIndexUsed).toBe(false);
    expect(all.missingIndexes).toEqual(["idx_missing"]);
  });

  it("waives the expected index on a table below the row threshold (a seq scan is the cheaper plan there), not above it", async () => {
    await sql`CREATE TABLE tiny_lookup (id int PRIMARY KEY, tag text)`;
    await sql`INSERT INTO tiny_lookup SELECT g, 'tag' || g FROM generate_series(1, 50) g`;
    await sql`CREATE INDEX tiny_lookup_tag ON tiny_lookup (tag)`;
    await sql`ANALYZE tiny_lookup`;
    try {
      const tableRows = await tableRowEstimates(sql);
      const entry = { expectIndexes: ["tiny_lookup_tag"], seqScanOk: false } as const;
      const explain = await explainAnalyze(sql, "SELECT id FROM tiny_lookup WHERE tag LIKE $1", ["tag%"]);
      const small = analyzePlan(explain, entry, { tableRows });
      expect(small.indexesUsed).toEqual([]);
      expect(small.expectedIndexUsed).toBe(false);
      expect(small.expectationWaived).toBe(true);
      expect(planFailures(small, entry)).toEqual([]);
      // The same plan on a table counted as large fails.
      const large = analyzePlan(explain, entry, { tableRows, seqScanRowThreshold: 10 });
      expect(large.expectationWaived).toBe(false);
      expect(planFailures(large, entry)).toHaveLength(2);
    } finally {
      await sql`DROP TABLE tiny_lookup`;
    }
  });

  it("an unprepared entry is planned with its values every time: a rare search term keeps its trigram index", async () => {
    await sql`CREATE INDEX test_content_trgm ON conversation_messages USING gin (content gin_trgm_ops)`;
    await sql`ANALYZE conversation_messages`;
    try {
      const search: CatalogEntry = {
        name: "content_search", title: "t", kind: "search", reason: "test", budgetMs: 1000,
        sql: "SELECT id FROM conversation_messages WHERE content ILIKE $1 LIMIT 20",
        params: { rare: "SELECT '%pangolin%'::text" },
        expectIndexes: ["test_content_trgm"],
      };
      const unprepared = await runCatalog(sql, [{ ...search, prepared: false }], { runs: 6, warmup: 1, explainRuns: 1 });
      expect(unprepared.queries[0]!.variants[0]!.genericPlan).toBe(false);
      expect(unprepared.queries[0]!.variants[0]!.plan!.indexesUsed).toContain("test_content_trgm");
    } finally {
      await sql`DROP INDEX test_content_trgm`;
    }
  });

  it("runs the catalog read-only: an entry that writes fails alone and changes nothing", async () => {
    const [before] = await sql`SELECT count(*)::int AS n FROM phone_contacts`;
    const writer: CatalogEntry = {
      ...HISTORY, name: "sneaky_delete",
      sql: "WITH d AS (DELETE FROM phone_contacts WHERE id = $1 RETURNING id) SELECT count(*) FROM d",
      params: { one: "SELECT min(id) FROM phone_contacts" },
      expectIndexes: ["phone_contacts_pkey"],
    };
    const run = await runCatalog(sql, [writer, { ...HISTORY, name: "still_runs", params: { h: HISTORY.params.heavy_contact! } }], { runs: 5, warmup: 0, explainRuns: 1 });
    expect(run.queries[0]!.pass).toBe(false);
    // Refused before it runs (the parser sees the DELETE); the read-only transaction would refuse it too (test/verify-hostile.test.ts).
    expect(run.queries[0]!.error).toMatch(/contains DELETE \(a data-modifying WITH\)/);
    expect(run.queries[1]!.variants).toHaveLength(1);
    const [after] = await sql`SELECT count(*)::int AS n FROM phone_contacts`;
    expect(after!.n).toBe(before!.n);
    // The session is writable again afterwards.
    const [mode] = await sql`SHOW default_transaction_read_only`;
    expect(mode!.default_transaction_read_only).toBe("off");
  });

  it("explains the plan a prepared statement really uses: generic after five executions", async () => {
    const query = "SELECT id FROM phone_contacts WHERE phone_number = $1";
    expect(isGenericPlan(await explainAnalyze(sql, query, ["+12000000001"]))).toBe(false);
    const prepared = await prepareForExplain(sql, query, 1);
    try {
      expect(isGenericPlan(await prepared.explain(["+12000000001"]))).toBe(false);
      for (let i = 0; i < CUSTOM_PLAN_EXECUTIONS; i++) await prepared.execute(["+12000000001"]);
      const explain = await prepared.explain(["+12000000001"]);
      expect(isGenericPlan(explain)).toBe(true);
      expect(analyzePlan(explain, { expectIndexes: ["idx_phone_contacts_phone_number"] }, { tableRows: new Map() }).expectedIndexUsed).toBe(true);
    } finally {
      await prepared.deallocate();
    }
  });

  it("runs a catalog: per-variant figures, and a bad entry fails alone with the server's message", async () => {
    const catalog: CatalogEntry[] = [
      { ...HISTORY, name: "history_without_index" },
      { ...HISTORY, name: "unknown_table", sql: "SELECT * FROM no_such_table WHERE id = $1", params: { one: "SELECT 1" } },
      { ...HISTORY, name: "bad_picker", params: { broken: "SELECT 1 +" } },
      { ...HISTORY, name: "contact_by_phone", sql: "SELECT id FROM phone_contacts WHERE phone_number = $1", params: { any: "SELECT phone_number FROM phone_contacts ORDER BY id LIMIT 1" }, expectIndexes: ["idx_phone_contacts_phone_number"] },
    ];
    const progress: string[] = [];
    const run = await runCatalog(sql, catalog, { runs: 6, warmup: 1, explainRuns: 1, onProgress: (e) => progress.push(e.entry) });
    expect(progress).toEqual(["history_without_index", "unknown_table", "bad_picker", "contact_by_phone", ""]);
    const [history, unknown, badPicker, byPhone] = run.queries;
    expect(history!.pass).toBe(false);
    expect(history!.variants.map((v) => v.name)).toEqual(["heavy_contact", "typical_contact"]);
    expect(history!.client.runs).toBe(12);
    expect(history!.variants[0]!.client.runs).toBe(6);
    expect(history!.failures.some((f) => f.startsWith("heavy_contact: sequential scan on conversation_messages"))).toBe(true);
    expect(unknown!.pass).toBe(false);
    expect(unknown!.error).toMatch(/^one: relation "no_such_table" does not exist \(SQLSTATE 42P01\)/);
    expect(badPicker!.error).toMatch(/parameter picker 'broken' is not valid PostgreSQL: syntax error at end of input/);
    expect(byPhone!.pass).toBe(true);
    expect(byPhone!.variants[0]!.plan!.indexesUsed).toEqual(["idx_phone_contacts_phone_number"]);
    // The workload counters saw this run's sequential scans on messages.
    expect(run.workload.tables.find((t) => t.table === "conversation_messages")!.seqScans).toBeGreaterThanOrEqual(12);
    expect(run.roundTrip.runs).toBeGreaterThanOrEqual(20);
  });
});
