// Baselines: --save-baseline records per query and variant the plan
// signature, buffers, rows and server time as reviewable JSON; --baseline
// exits 5 on a regression and names the query, the variant and what changed.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/base/errors.ts";
import { BASELINE_TOOL, compareWithBaseline, type Baseline } from "../src/verify/baseline.ts";
import type { VerifyReport } from "../src/verify/report.ts";
import type { TestDatabase } from "./support/databases.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { baseSeededDatabase } from "./verify-support.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const INDEX = "test_baseline_messages_contact_created";
const dir = suiteServerDir("verify-baseline");
const catalogFile = path.join(dir, "catalog.json");
writeFileSync(
  catalogFile,
  JSON.stringify([
    {
      name: "message_history", title: "Message history", kind: "list", budgetMs: 500, expectIndexes: [INDEX],
      sql: "SELECT id, direction, content, created_at FROM conversation_messages WHERE contact_id = $1 ORDER BY created_at DESC LIMIT 50",
      params: { heavy_contact: "SELECT contact_id FROM conversation_messages GROUP BY contact_id ORDER BY count(*) DESC, contact_id LIMIT 1" },
    },
    {
      name: "contact_by_phone", title: "Resolve a number", kind: "point", budgetMs: 500, expectIndexes: ["idx_phone_contacts_phone_number"],
      sql: "SELECT id, contact_name FROM phone_contacts WHERE phone_number = $1",
      params: { existing: "SELECT phone_number FROM phone_contacts ORDER BY id LIMIT 1" },
    },
  ]),
);

describe("verify baselines", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await baseSeededDatabase("verifybaseline", 0.1);
    await db.sql.unsafe(`CREATE INDEX ${INDEX} ON conversation_messages (contact_id, created_at DESC)`);
    await db.sql`ANALYZE conversation_messages`;
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const verify = (args: string[]) =>
    runScript("verify.ts", ["--runs", "5", "--warmup", "1", "--stats-samples", "0", "--catalog", catalogFile, "--markdown", path.join(dir, `r-${Math.random().toString(36).slice(2)}.md`), ...args], { DATABASE_URL: db.url });

  it("records a reviewable baseline, passes against itself, and exits 5 naming the query that lost its index", async () => {
    const file = path.join(dir, "baseline.json");
    const saved = await verify(["--save-baseline", file]);
    expect(saved.code, saved.stdout + saved.stderr).toBe(EXIT.ok);
    expect(saved.stdout).toContain(`baseline saved: ${file}`);
    const text = readFileSync(file, "utf8");
    const baseline = JSON.parse(text) as Baseline;
    expect(baseline.tool).toBe(BASELINE_TOOL);
    expect(Object.keys(baseline.queries)).toEqual(["message_history", "contact_by_phone"]);
    expect(baseline.queries.message_history!.heavy_contact).toMatchObject({ expectedIndexUsed: true, indexes: [INDEX], rows: 50 });
    expect(baseline.queries.message_history!.heavy_contact!.plan).toContain(`[${INDEX}]`);
    // One figure per line: a reviewer's diff shows exactly what moved.
    expect(text).toMatch(/\n {8}"buffers": \d+,\n/);

    const same = await verify(["--baseline", file]);
    expect(same.code, same.stdout).toBe(EXIT.ok);
    expect(same.stdout).toContain(`baseline ${file}: no regression`);

    await db.sql.unsafe(`DROP INDEX ${INDEX}`);
    const after = await verify(["--baseline", file, "--min-grade", "F", "--json", path.join(dir, "after.json")]);
    expect(after.code, after.stdout).toBe(EXIT.failed);
    expect(after.stdout).toMatch(new RegExp(`REGRESSION message_history/heavy_contact: expected index lost: ${INDEX} no longer used`));
    expect(after.stdout).toMatch(/REGRESSION message_history\/heavy_contact: buffers doubled: \d+ -> \d+ buffers per execution/);
    expect(after.stdout).not.toMatch(/REGRESSION contact_by_phone/);
    const report = JSON.parse(readFileSync(path.join(dir, "after.json"), "utf8")) as VerifyReport;
    expect(report.passed).toBe(false);
    expect(report.baseline!.regressions.map((r) => `${r.query}/${r.variant}: ${r.what}`)).toContain("message_history/heavy_contact: expected index lost");
  }, 180_000);

  it("a costlier plan signature is a regression, a cheaper one a note", () => {
    const variant = { plan: "Limit > Index Scan[i]", planCost: 10, indexes: ["i"], expectedIndexUsed: true, buffers: 50, rows: 50, rowsRead: 50, serverMs: 0.1 };
    const baseline: Baseline = { tool: BASELINE_TOOL, version: 1, savedAt: "", database: "", serverVersion: "", appPlanCacheMode: "force_custom_plan", queries: { q: { v: variant } } };
    const report = (plan: string, cost: number, buffers: number) =>
      ({
        queries: [{ name: "q", expectIndexes: ["i"], variants: [{ name: "v", server: { median: 0.1 }, plan: { expectedIndexUsed: true, expectationWaived: false, missingIndexes: [] }, plans: [{ sources: ["custom"], signature: plan, totalCost: cost, indexes: ["i"], buffers, rows: 50, rowsRead: 50 }] }] }],
      }) as unknown as VerifyReport;
    expect(compareWithBaseline(report("Limit > Sort > Bitmap Heap Scan(t) > Bitmap Index Scan[i]", 25, 60), baseline, "f").regressions).toEqual([
      expect.objectContaining({ query: "q", variant: "v", what: "costlier plan" }),
    ]);
    const cheaper = compareWithBaseline(report("Limit > Index Only Scan[i]", 5, 40), baseline, "f");
    expect(cheaper.regressions).toEqual([]);
    expect(cheaper.notes[0]).toMatch(/plan changed to a cheaper one/);
  });

  it("a missing or foreign baseline file exits 2 before any work, with how to record one", async () => {
    const missing = await verify(["--baseline", path.join(dir, "nope.json")]);
    expect(missing.code).toBe(EXIT.usage);
    expect(looksLikeCleanError(missing.stderr)).toBe(true);
    expect(missing.stderr).toMatch(/Cannot read the baseline file .*nope\.json .*npm run verify -- --save-baseline/);
    const foreign = path.join(dir, "foreign.json");
    writeFileSync(foreign, JSON.stringify({ hello: 1 }));
    const bad = await verify(["--baseline", foreign]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/is not a verify baseline/);
  });
});
