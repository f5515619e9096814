// The read-only guard cannot be switched off by a catalog: the bypass found in
// review (a picker `SET default_transaction_read_only = off; SELECT ...`
// followed by an entry `DELETE FROM relationship_interactions WHERE id >= $1`)
// and its relatives leave every table unchanged, whether the catalog comes
// through the CLI (refused up front, exit 2) or straight into runCatalog
// (refused or rolled back statement by statement at run time).
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/base/errors.ts";
import { openSql, type Sql } from "../src/db/index.ts";
import { SEED_TABLES } from "../src/seed/tables.ts";
import type { CatalogEntry } from "../src/catalog/types.ts";
import { statementProblem } from "../src/catalog/guarded.ts";
import { runCatalog } from "../src/verify/run-catalog.ts";
import type { TestDatabase } from "./support/databases.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { baseSeededDatabase } from "./verify-support.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const base = { title: "t", kind: "list", expectIndexes: ["relationship_interactions_pkey"], budgetMs: 1000, reason: "bypass attempt" } as const;

/** The catalog from the issue: a picker that turns read-only off, then a DELETE of every row. */
const BYPASS: CatalogEntry[] = [
  { ...base, name: "picker_turns_read_only_off", sql: "SELECT id FROM relationship_interactions WHERE id = $1", params: { p: "SET default_transaction_read_only = off; SELECT min(id) FROM relationship_interactions" } },
  { ...base, name: "deletes_everything", sql: "DELETE FROM relationship_interactions WHERE id >= $1", params: { all: "SELECT 0" } },
];

/** Relatives of the bypass that are one statement each. */
const RELATIVES: CatalogEntry[] = [
  { ...base, name: "set_as_picker", sql: "SELECT id FROM relationship_interactions WHERE id = $1", params: { p: "SET transaction_read_only = off" } },
  { ...base, name: "commit_as_picker", sql: "SELECT id FROM relationship_interactions WHERE id = $1", params: { p: "COMMIT" } },
  { ...base, name: "set_config_in_a_select", sql: "SELECT $1::text", params: { p: "SELECT set_config('default_transaction_read_only', 'off', false)" } },
  { ...base, name: "delete_in_a_cte", sql: "WITH d AS (DELETE FROM relationship_interactions WHERE id >= $1 RETURNING 1) SELECT count(*) FROM d", params: { all: "SELECT 0" } },
  { ...base, name: "update_hidden_after_a_comment", sql: "/* SELECT */ UPDATE people SET name = 'x' WHERE id >= $1", params: { all: "SELECT 0" } },
  { ...base, name: "second_statement_in_sql", sql: "SELECT 1 WHERE $1::int > 0; DELETE FROM people", params: { p: "SELECT 1" } },
];

async function fingerprint(sql: Sql): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const { table } of SEED_TABLES) {
    const [row] = await sql.unsafe(`SELECT count(*)::text || ':' || coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '-') AS f FROM ${table} t`);
    out[table] = (row as unknown as { f: string }).f;
  }
  return out;
}

describe("read-only guard", () => {
  let db: TestDatabase;
  let sql: Sql;
  const dir = suiteServerDir("verify-guard");
  beforeAll(async () => {
    db = await baseSeededDatabase("verifyguard", 0.05);
    sql = openSql(db, { max: 1 });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the statement rule: one read query, whatever comments or literals say", () => {
    expect(statementProblem("SELECT 1")).toBeUndefined();
    expect(statementProblem("  -- pick one\n(SELECT id FROM people LIMIT 1)")).toBeUndefined();
    expect(statementProblem("WITH x AS (SELECT 1) SELECT * FROM x")).toBeUndefined();
    expect(statementProblem("SELECT ';DELETE FROM people'")).toBeUndefined();
    expect(statementProblem("SET default_transaction_read_only = off; SELECT 1")).toMatch(/single statement/);
    expect(statementProblem("SET transaction_read_only = off")).toMatch(/read query .* not SET/);
    expect(statementProblem("/* SELECT */ DELETE FROM people")).toMatch(/not DELETE/);
    expect(statementProblem("COMMIT")).toMatch(/not COMMIT/);
    expect(statementProblem("COPY (SELECT 1) TO PROGRAM 'true'")).toMatch(/not COPY/);
  });

  it("the CLI refuses the bypass catalog before running anything (exit 2) and no row changes", async () => {
    const before = await fingerprint(sql);
    const file = path.join(dir, "bypass.json");
    writeFileSync(file, JSON.stringify(BYPASS));
    const result = await runScript("verify.ts", ["--catalog", file, "--stats-samples", "0"], { DATABASE_URL: db.url });
    expect(result.code, result.stderr).toBe(EXIT.usage);
    expect(looksLikeCleanError(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(/'picker_turns_read_only_off': field 'params\.p' must be a single statement/);
    expect(result.stderr).toMatch(/'deletes_everything': field 'sql' must be a read query \(SELECT, WITH, VALUES or TABLE\), not DELETE/);
    expect(await fingerprint(sql)).toEqual(before);
  });

  it("runCatalog given the bypass and its relatives unvalidated: each entry fails alone and every table is unchanged", async () => {
    const before = await fingerprint(sql);
    expect(Number(before.relationship_interactions!.split(":")[0])).toBeGreaterThan(0);
    const run = await runCatalog(sql, [...BYPASS, ...RELATIVES], { runs: 5, warmup: 1, explainRuns: 1, statsSamples: 1 });
    const byName = new Map(run.queries.map((q) => [q.name, q]));
    expect(byName.get("picker_turns_read_only_off")!.error).toMatch(/parameter picker 'p' must be a single statement/);
    expect(byName.get("deletes_everything")!.error).toMatch(/the catalog query must be a read query .* not DELETE/);
    expect(byName.get("set_as_picker")!.error).toMatch(/parameter picker 'p' must be a read query .* not SET/);
    expect(byName.get("commit_as_picker")!.error).toMatch(/parameter picker 'p' must be a read query .* not COMMIT/);
    expect(byName.get("delete_in_a_cte")!.error).toMatch(/contains DELETE \(a data-modifying WITH\)/);
    expect(byName.get("update_hidden_after_a_comment")!.error).toMatch(/not UPDATE/);
    expect(byName.get("second_statement_in_sql")!.error).toMatch(/must be a single statement/);
    expect(byName.get("set_config_in_a_select")!.error).toMatch(/calls set_config\(\): changes a session setting/);
    for (const q of run.queries) expect(q.pass, q.name).toBe(false);
    expect(await fingerprint(sql)).toEqual(before);
    const [mode] = await sql`SHOW default_transaction_read_only`;
    expect(mode!.default_transaction_read_only).toBe("off");
  });
});
