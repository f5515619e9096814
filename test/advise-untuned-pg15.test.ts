// advise on PostgreSQL 15 (npm's binaries, PostgreSQL's default settings): no
// EXPLAIN (GENERIC_PLAN) there, so the generic plan comes from PREPARE +
// EXECUTE under plan_cache_mode = force_generic_plan, the plan with values from
// values inferred from the column statistics, and a parameter compared with an
// expression (no value) gets its problems from the generic plan's estimates.
// The planted workload's missing index is found and proven the same way as on 17.
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

  it("plans generically through PREPARE (no EXPLAIN (GENERIC_PLAN) on 15) and with values from pg_stats", () => {
    expect(report.serverVersion).toMatch(/^15\./);
    const s = report.statements.find((x) => /queue = \$1/.test(x.query))!;
    expect(s.genericPlan).toMatch(/Seq Scan on tickets/);
    expect(s.genericSkipped).toBeUndefined();
    expect(s.paramSources.join(" ")).toMatch(/compared with tickets\.queue \(=\): pg_stats of tickets\.queue/);
    expect(s.values.source).toBe("inferred");
    expect(s.plan).toMatch(/Seq Scan on tickets/);
  });

  it("finds and proves the index: equality, then the range-and-sort column", () => {
    const c = report.candidates.find((x) => x.table === "tickets");
    expect(c?.definition).toMatch(/^\(queue, opened_at\)/);
    expect(c?.accepted).toBe(true);
  });

  it("a parameter compared with an expression: no value, analyzed from the generic plan's estimates", () => {
    const s = report.statements.find((x) => /length\(subject\)/.test(x.query))!;
    expect(s.skipped).toBeUndefined();
    expect(s.values.source).toBe("generic");
    expect(s.values.notes.join(" ")).toMatch(/no value for \$1: it is compared \(=\) with an expression/);
    expect(s.values.estimatedOnly).toMatch(/generic plan's estimates/);
    expect(s.problems.map((p) => p.kind)).toContain("seq-scan-selective");
    // No index shape serves length(subject) + id: the structural fix is named instead.
    expect(s.candidates).toEqual([]);
  });
});
