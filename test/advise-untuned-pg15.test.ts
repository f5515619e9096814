// advise on PostgreSQL 15 (npm's binaries, PostgreSQL's default settings): no EXPLAIN
// (GENERIC_PLAN) there, so the plan comes from parameter values taken from
// the column statistics, and a parameter not compared with a column is
// reported as "skipped, because ...". The planted workload's missing index is
// found and proven the same way as on 17.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adviseDatabase, type AdviseReport } from "../src/advise/advise.ts";
import { markDatabase } from "../src/db/scratch-database.ts";
import { maskUrl, openSql, type Sql } from "../src/db/index.ts";
import { startUntunedPg15, type NpmPostgres } from "./support/npm-postgres.ts";

describe("advise on PostgreSQL 15", () => {
  let pg15: NpmPostgres;
  let sql: Sql;
  let report: AdviseReport;
  beforeAll(async () => {
    pg15 = await startUntunedPg15();
    const root = postgres(pg15.rootUrl, { max: 1, onnotice: () => {} });
    await root`CREATE DATABASE advise15`;
    await root.end();
    sql = openSql({ url: pg15.urlFor("advise15") }, { max: 1 });
    await sql.unsafe(`
      CREATE EXTENSION pg_stat_statements;
      CREATE TABLE tickets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, queue text NOT NULL, opened_at timestamptz NOT NULL, subject text NOT NULL);
      INSERT INTO tickets (queue, opened_at, subject)
      SELECT 'q' || (g % 400), timestamptz '2026-01-01' + g * interval '30 seconds', 'subject ' || md5(g::text) FROM generate_series(1, 50000) g;
      ANALYZE tickets;`).simple();
    await markDatabase(sql, "advise15", "scratch");
    for (let i = 0; i < 4; i++) {
      await sql`SELECT id, opened_at FROM tickets WHERE queue = ${`q${i}`} AND opened_at > ${"2026-01-10"} ORDER BY opened_at LIMIT 10`;
      // $1 compared with an expression of two columns: no column statistics to take a value from.
      await sql`SELECT id FROM tickets WHERE length(subject) + id = ${40 + i}`;
    }
    report = await adviseDatabase(sql, { display: maskUrl(pg15.urlFor("advise15")), source: "DATABASE_URL" }, { validate: true, runs: 1 });
  }, 180_000);
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    pg15?.stop();
  });

  it("says why there is no generic plan and plans with values from pg_stats", () => {
    expect(report.serverVersion).toMatch(/^15\./);
    const s = report.statements.find((x) => /queue = \$1/.test(x.query))!;
    expect(s.genericPlan).toBeNull();
    expect(s.genericSkipped).toMatch(/PostgreSQL 15 has no EXPLAIN \(GENERIC_PLAN\)/);
    expect(s.paramSources.join(" ")).toMatch(/tickets\.queue = \(pg_stats/);
    expect(s.plan).toMatch(/Seq Scan on tickets/);
  });

  it("finds and proves the index: equality, then the range-and-sort column", () => {
    const c = report.candidates.find((x) => x.table === "tickets");
    expect(c?.definition).toMatch(/^\(queue, opened_at\)/);
    expect(c?.accepted).toBe(true);
  });

  it("a parameter not compared with a column: skipped, because", () => {
    const s = report.statements.find((x) => /length\(subject\)/.test(x.query))!;
    expect(s.skipped).toMatch(/^skipped, because \$1 is not compared with a column/);
    expect(s.candidates).toEqual([]);
  });
});
