// Plan stability: custom vs generic plans and plans under fresh statistics
// samples, side by side; a flip to a plan more than 10x slower fails the
// entry, with the fix verify recommends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExplainResult } from "../src/catalog/explain.ts";
import { openSql, type Sql } from "../src/db/index.ts";
import type { CatalogEntry } from "../src/catalog/types.ts";
import { planFacts } from "../src/catalog/plan-signature.ts";
import { analyzeStability, SEARCH_SAMPLE_FIX } from "../src/catalog/plan-stability.ts";
import { VERIFY_READER_ROLE } from "../src/db/verify-reader-role.ts";
import { runCatalog } from "../src/verify/run-catalog.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";

const explain = (plan: object, ms: number): ExplainResult => ({ Plan: plan as ExplainResult["Plan"], "Execution Time": ms, "Planning Time": 0.1 });
const WALK = explain({ "Node Type": "Limit", "Total Cost": 900, "Actual Rows": 20, "Shared Hit Blocks": 90_000, Plans: [{ "Node Type": "Index Scan", "Index Name": "recency", "Relation Name": "messages", "Actual Rows": 20, "Rows Removed by Filter": 199_980, "Actual Loops": 1 }] }, 450);
const TRIGRAM = explain(
  { "Node Type": "Limit", "Total Cost": 700, "Actual Rows": 20, "Shared Hit Blocks": 49, Plans: [{ "Node Type": "Sort", Plans: [{ "Node Type": "Bitmap Heap Scan", "Relation Name": "messages", "Actual Rows": 22, "Rows Removed by Index Recheck": 3, "Actual Loops": 1, Plans: [{ "Node Type": "Bitmap Index Scan", "Index Name": "content_trgm", "Actual Rows": 25 }] }] }] },
  1.2,
);

describe("plan signatures and flips", () => {
  it("a signature names node types in tree order with their relations and indexes; facts count the work", () => {
    const facts = planFacts(TRIGRAM);
    expect(facts.signature).toBe("Limit > Sort > Bitmap Heap Scan(messages) > Bitmap Index Scan[content_trgm]");
    expect(facts).toMatchObject({ relations: ["messages"], indexes: ["content_trgm"], buffers: 49, rowsRead: 25, rows: 20, totalCost: 700, executionMs: 1.2 });
    expect(planFacts(WALK).rowsRead).toBe(200_000);
  });

  it("a statistics flip to a plan more than 10x slower fails, with the search fix for an ILIKE", () => {
    const entry = { name: "search", sql: "SELECT id FROM messages WHERE content ILIKE $1 ORDER BY created_at DESC LIMIT 20", prepared: false };
    const seen = [
      { source: "custom", mode: "custom" as const, facts: planFacts(TRIGRAM) },
      { source: "sample 1 custom", mode: "custom" as const, facts: planFacts(TRIGRAM) },
      { source: "sample 2 custom", mode: "custom" as const, facts: planFacts(WALK) },
    ];
    const a = analyzeStability(entry, seen, "auto");
    expect(a.plans.map((p) => p.sources)).toEqual([["custom", "sample 1 custom"], ["sample 2 custom"]]);
    expect(a.flips).toHaveLength(1);
    expect(a.flips[0]).toMatchObject({ kind: "statistics", fails: true, appRuns: true });
    expect(a.flips[0]!.ratio).toBeCloseTo(375, 0);
    expect(a.failures[0]).toMatch(/^plan flip, 375x slower: sample 2 custom: Limit > Index Scan\[recency\]/);
    expect(a.fixes).toEqual([expect.stringContaining(SEARCH_SAMPLE_FIX)]);
  });

  it("a flip within noise (under 1 ms apart) or only to a plan the app never runs does not fail", () => {
    const entry = { name: "q", sql: "SELECT 1 WHERE $1 > 0", prepared: true };
    const tiny = [
      { source: "custom", mode: "custom" as const, facts: planFacts(explain({ "Node Type": "Result" }, 0.01)) },
      { source: "generic", mode: "generic" as const, facts: planFacts(explain({ "Node Type": "Seq Scan", "Relation Name": "t" }, 0.5)) },
    ];
    expect(analyzeStability(entry, tiny, "auto").failures).toEqual([]);
    const big = [tiny[0]!, { source: "generic", mode: "generic" as const, facts: planFacts(explain({ "Node Type": "Seq Scan", "Relation Name": "t" }, 50)) }];
    expect(analyzeStability(entry, big, "auto").failures).toHaveLength(1);
    const custom = analyzeStability(entry, big, "force_custom_plan");
    expect(custom.failures).toEqual([]);
    expect(custom.flips[0]).toMatchObject({ kind: "generic", appRuns: false, fails: false });
    expect(custom.fixes[0]).toMatch(/^generic-plan trap avoided/);
  });
});

describe("verify finds a generic-plan trap on real plans", () => {
  let db: TestDatabase;
  let sql: Sql;
  // 10 open rows among 200,000 and a partial index on the open ones: the
  // custom plan for 'open' uses it; the generic plan cannot (a partial index
  // needs the literal value to prove its predicate) and scans the table.
  const ENTRY: CatalogEntry = {
    name: "open_items", title: "Open items", kind: "list", reason: "test", budgetMs: 1000, budgetBuffers: null, budgetRows: null,
    sql: "SELECT id FROM skewed WHERE status = $1", params: { open: "SELECT 'open'::text" }, expectIndexes: ["skewed_open"],
  };
  beforeAll(async () => {
    db = await createDatabase("verifystability");
    sql = openSql(db, { max: 1 });
    await sql`CREATE TABLE skewed (id bigserial PRIMARY KEY, status text NOT NULL, payload text NOT NULL)`;
    await sql`INSERT INTO skewed (status, payload) SELECT CASE WHEN g % 20000 = 0 THEN 'open' ELSE 'done' END, repeat('x', 100) FROM generate_series(1, 200000) g`;
    await sql`CREATE INDEX skewed_open ON skewed (id) WHERE status = 'open'`;
    await sql`VACUUM ANALYZE skewed`;
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
  });

  it("with plan_cache_mode auto the generic plan fails the entry and verify prints the fix; samples show the same plans", async () => {
    // The progress hooks npm run bench -- plan-stability prints: the main pass, then "sample k/N".
    const events: string[] = [];
    const run = await runCatalog(sql, [ENTRY], {
      runs: 5,
      warmup: 1,
      explainRuns: 1,
      statsSamples: 2,
      appPlanCacheMode: "auto",
      onProgress: (e) => events.push(`pass ${e.done}/${e.total}`),
      onSample: (e) => events.push(`sample ${e.sample}/${e.total}`),
    });
    expect(events).toEqual(["pass 0/1", "pass 1/1", "sample 1/2", "sample 2/2"]);
    const [q] = run.queries;
    const v = q!.variants[0]!;
    expect(run.stability).toMatchObject({ samples: 2, done: 2, tables: ["skewed"] });
    expect(v.plans).toHaveLength(2);
    const seq = v.plans.find((p) => p.signature === "Seq Scan(skewed)")!;
    expect(seq.sources).toEqual(["generic", "sample 1 generic", "sample 2 generic"]);
    const custom = v.plans.find((p) => p !== seq)!;
    expect(custom.sources).toEqual(["custom", "sample 1 custom", "sample 2 custom"]);
    expect(custom.indexes).toEqual(["skewed_open"]);
    expect(v.flips[0]).toMatchObject({ kind: "generic", fails: true });
    expect(q!.pass).toBe(false);
    expect(q!.failures.some((f) => /^open: plan flip, \d+x slower: generic, sample 1 generic, sample 2 generic: Seq Scan\(skewed\)/.test(f))).toBe(true);
    expect(q!.fixes[0]).toMatch(/generic-plan trap .*plan_cache_mode = force_custom_plan/);
  });

  it("a role that cannot ANALYZE the tables gets the plans without samples and a note saying why", async () => {
    const role = `verify_reader_${process.pid}`;
    await sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'reader-pw'`);
    await sql.unsafe(`GRANT SELECT ON skewed TO ${role}`);
    // It may enter verify's reader role (the catalog runs as that), but owns nothing to ANALYZE.
    await sql.unsafe(`GRANT ${VERIFY_READER_ROLE} TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = "reader-pw";
    const reader = openSql({ url: url.toString() }, { max: 1 });
    try {
      const run = await runCatalog(reader, [ENTRY], { runs: 5, warmup: 1, explainRuns: 1, statsSamples: 2 });
      expect(run.stability.done).toBe(0);
      expect(run.stability.skipped).toMatch(/the role cannot ANALYZE skewed/);
      expect(run.queries[0]!.pass).toBe(true);
    } finally {
      await reader.end({ timeout: 5 });
      await sql.unsafe(`DROP OWNED BY ${role}`);
      await sql.unsafe(`DROP ROLE ${role}`);
    }
  });

  it("judged as the project's pool runs it (force_custom_plan) the same entry passes, and the avoided trap is still reported", async () => {
    const run = await runCatalog(sql, [ENTRY], { runs: 5, warmup: 1, explainRuns: 1, statsSamples: 0 });
    expect(run.appPlanCacheMode).toBe("force_custom_plan");
    expect(run.stability.skipped).toMatch(/turned off/);
    const [q] = run.queries;
    expect(q!.failures).toEqual([]);
    expect(q!.pass).toBe(true);
    expect(q!.variants[0]!.genericPlan).toBe(false);
    expect(q!.fixes[0]).toMatch(/^generic-plan trap avoided/);
  });
});
