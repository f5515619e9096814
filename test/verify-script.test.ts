// npm run verify as a user runs it: exit codes, messages and the JSON report.
import { readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/base/errors.ts";
import { grade } from "../src/verify/grade.ts";
import { findFreePort } from "../src/embedded/server.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";
import { baseSchemaDatabase, baseSeededDatabase } from "./verify-support.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { suiteServerDir } from "./support/server-dirs.ts";
import { CONTACT_BY_PHONE } from "./support/catalog-entries.ts";

const INDEX = "test_verify_messages_contact_created";
const dir = suiteServerDir("verify-script");
const catalogFile = path.join(dir, "catalog.yaml");
writeFileSync(
  catalogFile,
  `# two queries: one needs an index the test creates, one uses a base-schema index
- name: message_history
  title: Message history by contact
  kind: list
  sql: |
    SELECT id, direction, content, created_at FROM conversation_messages
    WHERE contact_id = $1 ORDER BY created_at DESC LIMIT 50
  params:
    heavy_contact: SELECT contact_id FROM conversation_messages GROUP BY contact_id ORDER BY count(*) DESC, contact_id LIMIT 1
    typical_contact: SELECT contact_id FROM conversation_messages GROUP BY contact_id ORDER BY count(*), contact_id LIMIT 1
  expectIndexes: [${INDEX}]
  budgetMs: 500
  reason: opening a conversation
${YAML.stringify([CONTACT_BY_PHONE])}`,
);

describe("npm run verify", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await baseSeededDatabase("verifyscript", 0.1);
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const verify = (args: string[], env: NodeJS.ProcessEnv = { DATABASE_URL: db.url }) =>
    runScript("verify.ts", ["--runs", "5", "--warmup", "1", "--catalog", catalogFile, "--markdown", path.join(dir, `r-${Math.random().toString(36).slice(2)}.md`), ...args], env);

  it("exits 5 and names the failing query without the index, 0 with the JSON report once it exists", async () => {
    const below = await verify(["--json", path.join(dir, "below.json")]);
    expect(below.code, below.stderr).toBe(EXIT.failed);
    expect(below.stdout).toMatch(/message_history: heavy_contact: expected index test_verify_messages_contact_created not used/);
    expect(below.stdout).toMatch(/message_history: heavy_contact: sequential scan on conversation_messages/);
    expect(below.stdout).toMatch(/grade D: 1\/2 queries pass|grade F: 1\/2 queries pass/);
    expect(below.stdout).toMatch(/failing queries: message_history/);
    const belowJson = JSON.parse(readFileSync(path.join(dir, "below.json"), "utf8"));
    expect(belowJson.grade).toBe("F");
    expect(belowJson.passed).toBe(false);

    // The same run gates on --min-grade.
    expect((await verify(["--min-grade", "F"])).code).toBe(EXIT.ok);

    await db.sql.unsafe(`CREATE INDEX ${INDEX} ON conversation_messages (contact_id, created_at DESC)`);
    await db.sql`ANALYZE conversation_messages`;
    const jsonFile = path.join(dir, "ok.json");
    // Every query passing is the plans' doing; A+ vs A is the mean time's (machine load), so the bar
    // here is A and the grade is checked against the rule applied to the measured mean.
    const ok = await verify(["--json", jsonFile, "--min-grade", "A"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(EXIT.ok);
    expect(ok.stdout).toMatch(/grade A\+?: 2\/2 queries pass/);

    const report = JSON.parse(readFileSync(jsonFile, "utf8"));
    expect(report).toMatchObject({ minGrade: "A", passed: true, meetsMinGrade: true, summary: { queries: 2, passed: 2, failed: 0, passRate: 1 } });
    expect(report.grade).toBe(grade({ total: 2, passed: 2, meanMs: report.summary.meanMs }));
    expect(report.queries.map((q: { name: string }) => q.name)).toEqual(["message_history", "contact_by_phone"]);
    for (const q of report.queries) {
      expect(q.pass).toBe(true);
      for (const k of ["runs", "min", "median", "mean", "p95", "max"]) expect(typeof q.client[k]).toBe("number");
      expect(q.server.median).toBeGreaterThan(0);
      for (const v of q.variants) {
        expect(v.client.runs).toBe(5);
        expect(v.plan).toMatchObject({ expectedIndexUsed: true, largeSeqScans: [] });
        expect(Array.isArray(v.plan.indexesUsed)).toBe(true);
        expect(typeof v.plan.sharedHitBlocks).toBe("number");
        expect(typeof v.plan.executionMs).toBe("number");
        expect(Array.isArray(v.params)).toBe(true);
      }
    }
    expect(report.queries[0].variants[0].plan.indexesUsed).toContain(INDEX);
    expect(report.roundTrip.median).toBeGreaterThan(0);
    const checks = Object.fromEntries(report.checks.map((c: { name: string }) => [c.name, c]));
    expect(Object.keys(checks)).toEqual(["pg_stat_statements", "cache hit ratio", "index usage ratio", "invalid indexes", "unused indexes", "redundant indexes", "server settings", "rollup freshness", "visibility map"]);
    // A database with the base schema only has no rollups to judge.
    expect(checks["rollup freshness"]).toMatchObject({ status: "pass", gating: true });
    expect(checks["invalid indexes"]).toMatchObject({ status: "pass", gating: true, value: 0 });
    expect(checks["pg_stat_statements"].status).toBe("pass");
    expect(checks["index usage ratio"].status).toMatch(/^(pass|insufficient data)$/);
    expect(checks["server settings"].status).toBe("pass");
    // Markdown + SVG written next to each other
    const md = ok.stdout.match(/report: (.+\.md)/)![1]!;
    expect(readFileSync(md, "utf8")).toMatch(/^# Verification report: grade A\+?/);
    expect(existsSync(md.replace(/\.md$/, ".svg"))).toBe(true);
  });

  it("a bad entry fails with its name and the server's message; the others still run", async () => {
    const file = path.join(dir, "bad-entry.json");
    writeFileSync(
      file,
      JSON.stringify([
        { name: "broken", title: "Unknown table", kind: "point", sql: "SELECT * FROM no_such_table WHERE id = $1", params: { one: "SELECT 1" }, expectIndexes: ["x"] },
        { name: "by_phone", title: "By phone", kind: "point", sql: "SELECT id FROM phone_contacts WHERE phone_number = $1", params: { one: "SELECT phone_number FROM phone_contacts LIMIT 1" }, expectIndexes: ["idx_phone_contacts_phone_number"], budgetMs: 500 },
      ]),
    );
    const result = await runScript("verify.ts", ["--runs", "5", "--catalog", file, "--json", path.join(dir, "bad.json"), "--markdown", path.join(dir, "bad.md")], { DATABASE_URL: db.url });
    expect(result.code).toBe(EXIT.failed);
    expect(result.stdout).toContain(`broken: one: relation "no_such_table" does not exist (SQLSTATE 42P01)`);
    const report = JSON.parse(readFileSync(path.join(dir, "bad.json"), "utf8"));
    expect(report.queries[0]).toMatchObject({ name: "broken", pass: false });
    expect(report.queries[1]).toMatchObject({ name: "by_phone", pass: true });
    expect(report.grade).toBe("F");
  });

  it.each([
    [["--runs", "2"], /--runs must be an integer from 5/],
    [["--min-grade", "E"], /--min-grade must be one of/],
    [["--bogus"], /Unknown option '--bogus'/],
  ])("%j exits 2", async (args, message) => {
    const result = await runScript("verify.ts", args, { DATABASE_URL: db.url });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(looksLikeCleanError(result.stderr)).toBe(true);
  });

  it("an invalid catalog file exits 2 listing every problem", async () => {
    const file = path.join(dir, "invalid.yaml");
    writeFileSync(file, "- name: ok_name\n  kind: fast\n- title: x\n");
    const result = await runScript("verify.ts", ["--catalog", file], { DATABASE_URL: db.url });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain("entry 1 'ok_name': field 'kind' must be one of point, list, search, analytics");
    expect(result.stderr).toContain("entry 1 'ok_name': field 'sql'");
    expect(result.stderr).toContain("entry 2: field 'name'");
    expect(looksLikeCleanError(result.stderr)).toBe(true);
  });

  it("an unreachable server exits 3", async () => {
    const port = await findFreePort();
    const result = await runScript("verify.ts", ["--catalog", catalogFile], { DATABASE_URL: `postgres://u:pw@127.0.0.1:${port}/db` });
    expect(result.code).toBe(EXIT.unreachable);
    expect(result.stderr).toMatch(/connection refused/);
  });

  it("no schema, no data or no pg_stat_statements exit 4 with the fix", async () => {
    const bare = await createDatabase("verifybare");
    const empty = await baseSchemaDatabase("verifyempty");
    try {
      const noSchema = await runScript("verify.ts", ["--catalog", catalogFile], { DATABASE_URL: bare.url });
      expect(noSchema.code).toBe(EXIT.notReady);
      expect(noSchema.stderr).toMatch(/Run 'npm run migrate'/);

      const noData = await runScript("verify.ts", ["--catalog", catalogFile], { DATABASE_URL: empty.url });
      expect(noData.code).toBe(EXIT.notReady);
      expect(noData.stderr).toMatch(/no data .*Run 'npm run seed'/);
      expect(looksLikeCleanError(noData.stderr)).toBe(true);

      await empty.sql`DROP EXTENSION pg_stat_statements`;
      const noStats = await runScript("verify.ts", ["--catalog", catalogFile], { DATABASE_URL: empty.url });
      expect(noStats.code).toBe(EXIT.notReady);
      expect(noStats.stderr).toMatch(/pg_stat_statements is not ready \(created\).*CREATE EXTENSION pg_stat_statements/);
    } finally {
      await bare.drop();
      await empty.drop();
    }
  });
});
