// The README recipe "your slow queries, fixed", end to end at small scale on
// the project's own schema: advise --write measures the catalog's queries and
// writes a migration (applying nothing), verify --catalog times the same
// queries before, npm run migrate applies it, verify --catalog times them
// after. The inbox written with DISTINCT ON gets the conversations rewrite,
// printed and measured.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR } from "../src/base/project-paths.ts";
import { markDatabase } from "../src/db/scratch-database.ts";
import { seededDatabase, type TestDatabase } from "./support/databases.ts";
import { runScript } from "./support/run-script.ts";
import { testEntry } from "./support/catalog-entries.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const dayOfMessages = testEntry(
  "messages_of_day",
  "SELECT id, contact_id FROM conversation_messages WHERE date_trunc('day', created_at AT TIME ZONE 'UTC') = $1",
  { latest: "SELECT date_trunc('day', max(created_at) AT TIME ZONE 'UTC') - interval '3 days' FROM conversation_messages" },
  { title: "messages of one (UTC) day", seqScanOk: true, budgetRows: 1000, budgetMs: 100, reason: "daily digest" },
);
const inbox = testEntry(
  "inbox_distinct_on",
  "SELECT * FROM (SELECT DISTINCT ON (m.contact_id) m.contact_id, m.content, m.created_at FROM conversation_messages m ORDER BY m.contact_id, m.created_at DESC) latest ORDER BY latest.created_at DESC LIMIT 50",
  { default: "SELECT" },
  { title: "inbox written the obvious way", seqScanOk: true, budgetMs: 1000, reason: "inbox" },
);

interface VerifyJson {
  readonly queries?: readonly { readonly name: string; readonly variants?: readonly Record<string, unknown>[] }[];
}

describe("advise --write, npm run migrate, npm run verify -- --catalog: your slow queries, fixed", () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = suiteServerDir("advise-loop");
    cpSync(MIGRATIONS_DIR, path.join(dir, "migrations"), { recursive: true });
    writeFileSync(path.join(dir, "migrations", "current.sql"), "");
    writeFileSync(path.join(dir, "advised.json"), "[]\n");
    writeFileSync(path.join(dir, "advise-catalog.json"), JSON.stringify([dayOfMessages, inbox]));
    writeFileSync(path.join(dir, "verify-catalog.json"), JSON.stringify([dayOfMessages]));
    db = await seededDatabase("advise_loop", 0.1);
    await markDatabase(db.sql, db.name, "scratch");
    env = { DATABASE_URL: db.url, SHADOW_DATABASE_URL: db.shadowUrl, ROOT_DATABASE_URL: db.rootUrl, BOLLALABZ_MIGRATIONS_DIR: path.join(dir, "migrations"), BOLLALABZ_ADVISED_INDEXES: path.join(dir, "advised.json") };
  }, 400_000);
  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("takes the query an index can fix from failing its row budget to passing, and prints the inbox rewrite", async () => {
    const verifyArgs = (json: string) => ["--catalog", path.join(dir, "verify-catalog.json"), "--runs", "5", "--warmup", "1", "--stats-samples", "0", "--json", path.join(dir, json), "--markdown", path.join(dir, `${json}.md`)];
    const before = await runScript("verify.ts", verifyArgs("before.json"), env, 300_000);
    expect(before.code, before.stderr + before.stdout).toBe(5);
    expect(before.stdout + before.stderr).toMatch(/messages_of_day/);

    const advised = await runScript("advise.ts", ["--catalog", path.join(dir, "advise-catalog.json"), "--write", "--runs", "2", "--skip-overlaps", "--json", path.join(dir, "advise.json"), "--markdown", path.join(dir, "advise.md")], env, 300_000);
    expect(advised.code, advised.stderr + advised.stdout).toBe(0);
    const report = JSON.parse(readFileSync(path.join(dir, "advise.json"), "utf8")) as {
      candidates: { name: string; definition: string; accepted: boolean; statements: string[]; writeCost: { insertRowsPerSecWith: number | null } | null }[];
      structural: { statement: string; rewrite?: { sql: string }; measured?: { beforeMs: number; afterMs: number } }[];
    };
    const accepted = report.candidates.filter((c) => c.accepted && c.statements.includes("messages_of_day"));
    expect(accepted.map((c) => c.definition), advised.stdout).toEqual(["(date_trunc('day'::text, (created_at AT TIME ZONE 'UTC'::text)))"]);
    expect(advised.stdout).toMatch(/writes: insert [\d,]+\/s -> [\d,]+\/s rows/);
    const rewrite = report.structural.find((s) => s.statement === "inbox_distinct_on");
    expect(rewrite?.rewrite?.sql).toMatch(/FROM \(SELECT last_message_id FROM conversations ORDER BY last_message_at DESC LIMIT 50\) advise_cv JOIN conversation_messages m/);
    expect(rewrite?.measured?.afterMs).toBeLessThan(rewrite!.measured!.beforeMs);
    expect(advised.stdout).toMatch(/rewritten: SELECT \* FROM \(SELECT m\.contact_id/);

    // Written, not applied.
    const name = accepted[0]!.name;
    expect(await db.sql`SELECT 1 FROM pg_class WHERE relname = ${name}`).toHaveLength(0);
    const migrated = await runScript("migrate.ts", ["--no-report"], env, 300_000);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(await db.sql`SELECT 1 FROM pg_class WHERE relname = ${name}`).toHaveLength(1);

    const after = await runScript("verify.ts", verifyArgs("after.json"), env, 300_000);
    expect(after.code, after.stderr + after.stdout).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, "after.json"), "utf8")) as VerifyJson;
    expect(JSON.stringify(json)).toContain(name);
  }, 900_000);
});
