// The danger checks against real catalog state: freeze ages against the
// (per-table) limits, tables overdue for vacuum by autovacuum's formula, a
// vacuum caught in progress, invalid constraints, sequences near their limit.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../src/db/index.ts";
import { findInvalidConstraints } from "../src/checks/constraints.ts";
import { findSequencesNearOverflow, sequenceUsage } from "../src/checks/sequences.ts";
import { findOverdueVacuum, vacuumProgress, vacuumThresholds } from "../src/checks/vacuum.ts";
import { databaseFreezeAges, freezeAgeReport, tableFreezeAges } from "../src/checks/wraparound.ts";
import { dangerReport } from "../src/observe/danger.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";
import { waitFor } from "./support/wait-for.ts";

describe("danger checks", () => {
  let db: TestDatabase;
  const clients: Sql[] = [];
  beforeAll(async () => {
    db = await createDatabase("danger");
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end({ timeout: 1 })));
    await db?.drop();
  });

  it("freeze ages per database and table, against the server's and the table's own limit", async () => {
    await db.sql`CREATE TABLE cold (id int) WITH (autovacuum_freeze_max_age = 100000)`;
    await db.sql`INSERT INTO cold VALUES (1)`;
    const databases = await databaseFreezeAges(db.sql);
    const mine = databases.find((d) => d.database === db.name)!;
    expect(mine.xidAge).toBeGreaterThan(0);
    expect(mine.xidFraction).toBeCloseTo(mine.xidAge / 200_000_000, 3);
    const tables = await tableFreezeAges(db.sql, 1000);
    const cold = tables.find((t) => t.table === "cold")!;
    expect(cold).toMatchObject({ schema: "public", freezeMaxAge: 100_000 });
    expect(cold.xidFraction).toBeCloseTo(cold.xidAge / 100_000, 3);
    // With a tiny warning fraction every listed table with an age is reported, naming the fix
    // (the list holds the oldest tables relative to their limit: catalogs too, once the server has aged).
    const report = await freezeAgeReport(db.sql, 1e-9);
    expect(report.limits).toEqual({ freezeMaxAge: 200_000_000, multixactFreezeMaxAge: 400_000_000 });
    expect(report.warnings.join("\n")).toMatch(/^table \w+\.\w+: transaction ID age \d+ is \d+% of its freeze limit \(VACUUM \(FREEZE\)/m);
    expect(report.warnings.join("\n")).toMatch(/^database \w+: transaction ID age \d+ is \d+% of autovacuum_freeze_max_age$/m);
    expect((await freezeAgeReport(db.sql)).warnings).toEqual([]);
  });

  it("a table past autovacuum's dead-tuple trigger with autovacuum off is overdue", async () => {
    await db.sql`CREATE TABLE churn (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)`;
    const session = await db.sql.reserve();
    try {
      await session`INSERT INTO churn SELECT g, 'v' FROM generate_series(1, 2000) g`;
      await session`DELETE FROM churn WHERE id <= 1500`;
      await session`SELECT pg_stat_force_next_flush()`;
    } finally {
      session.release();
    }
    const tables = await waitFor(() => vacuumThresholds(db.sql), (rows) => (rows.find((r) => r.table === "churn")?.deadTuples ?? 0) >= 1500, "the dead tuples to be counted");
    const churn = tables.find((t) => t.table === "churn")!;
    expect(churn).toMatchObject({ autovacuumEnabled: false, deadThreshold: 50, deadTuples: 1500 });
    const overdue = findOverdueVacuum(tables);
    expect(overdue.find((t) => t.table === "churn")!.reason).toMatch(/1500 dead tuples, 30x the autovacuum threshold of 50; .*autovacuum is disabled/);
    // After a VACUUM it is no longer overdue.
    await db.sql`VACUUM churn`;
    const after = await waitFor(() => vacuumThresholds(db.sql), (rows) => rows.find((r) => r.table === "churn")?.deadTuples === 0, "VACUUM to clear the dead tuples");
    expect(findOverdueVacuum(after).some((t) => t.table === "churn")).toBe(false);
  });

  it("a VACUUM (FREEZE) waiting for a pinned page shows in vacuum progress", async () => {
    await db.sql`CREATE TABLE pinned (id int, v text) WITH (autovacuum_enabled = false)`;
    await db.sql`INSERT INTO pinned SELECT g, 'v' FROM generate_series(1, 1000) g`;
    const reader = postgres(db.url, { max: 1, onnotice: () => {} }) as unknown as Sql;
    const vacuumer = postgres(db.url, { max: 1, onnotice: () => {}, connection: { application_name: "danger-vacuum" } }) as unknown as Sql;
    clients.push(reader, vacuumer);
    // An open cursor keeps a pin on the first heap page: an aggressive vacuum must wait for its
    // cleanup lock, as long as the rows need freezing. Another snapshot in this database that is
    // older than the rows (an autovacuum ANALYZE of another table) can make them not need it, and
    // the vacuum then ends at once: try again then. A transaction still running in ANOTHER database
    // of the shared server counts too: every snapshot taken while it runs, the cursor's own
    // included, has an xmin no newer than its xid (a shuffled run, seed 4808, failed this way).
    // So each attempt first waits (on state) until no session of this database, running transaction
    // of any database, replication slot or prepared transaction is as old as the newest rows.
    const olderHolders = async () => {
      const [row] = await db.sql<{ older: number }[]>`
        WITH rows AS (SELECT min(age(xmin)) AS age FROM pinned)
        SELECT count(*)::int AS older FROM (
          SELECT backend_xmin AS x FROM pg_stat_activity WHERE (datname = current_database() OR datname IS NULL) AND backend_xmin IS NOT NULL AND pid <> pg_backend_pid()
          UNION ALL SELECT backend_xid FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
          UNION ALL SELECT xmin FROM pg_replication_slots WHERE xmin IS NOT NULL
          UNION ALL SELECT transaction FROM pg_prepared_xacts) h, rows
        WHERE age(h.x) >= rows.age`;
      return row!.older;
    };
    for (let attempt = 1; attempt <= 10; attempt++) {
      await waitFor(olderHolders, (n) => n === 0, "no snapshot or running transaction as old as the newest rows of pinned", 120_000);
      await reader.unsafe("BEGIN");
      await reader.unsafe("DECLARE c CURSOR FOR SELECT * FROM pinned");
      await reader.unsafe("FETCH 1 FROM c");
      let finished = false;
      const vacuuming = vacuumer.unsafe("VACUUM (FREEZE) pinned").then(
        () => ((finished = true), "done"),
        (e: { code?: string }) => ((finished = true), e.code),
      );
      const seen = await waitFor(
        async () => ({ finished, progress: await vacuumProgress(db.sql) }),
        (v) => v.finished || v.progress.some((r) => r.table === "public.pinned"),
        "the vacuum to report progress (or end)",
      );
      const mine = seen.progress.find((r) => r.table === "public.pinned");
      if (mine) expect(mine).toMatchObject({ database: db.name, automatic: false, toPreventWraparound: false, phase: expect.any(String), heapBlocksTotal: expect.any(Number) });
      await reader.unsafe("COMMIT");
      expect(await vacuuming).toBe("done");
      if (mine) return;
      await db.sql`INSERT INTO pinned SELECT g, 'v' FROM generate_series(1, 1000) g`;
    }
    throw new Error("VACUUM (FREEZE) never waited for the pinned page in 10 attempts");
  });

  it("invalid constraints are listed with the statement that validates them", async () => {
    await db.sql`CREATE TABLE checked (qty int)`;
    await db.sql`INSERT INTO checked VALUES (5)`;
    await db.sql`ALTER TABLE checked ADD CONSTRAINT qty_positive CHECK (qty > 0) NOT VALID`;
    const invalid = await findInvalidConstraints(db.sql);
    expect(invalid).toEqual([expect.objectContaining({ schema: "public", table: "checked", constraint: "qty_positive", type: "check", fix: "ALTER TABLE public.checked VALIDATE CONSTRAINT qty_positive;" })]);
    await db.sql.unsafe(invalid[0]!.fix);
    expect(await findInvalidConstraints(db.sql)).toEqual([]);
  });

  it("sequences near their type's limit, in any schema", async () => {
    await db.sql`CREATE SCHEMA billing`;
    await db.sql`CREATE SEQUENCE billing.small_ids AS smallint`;
    await db.sql`SELECT setval('billing.small_ids', 32000)`;
    const all = await sequenceUsage(db.sql, null);
    const small = all.find((s) => s.sequence === "small_ids")!;
    expect(small).toMatchObject({ schema: "billing", dataType: "smallint", maxValue: 32767, lastValue: 32000, remaining: 767 });
    expect(small.usedFraction).toBeCloseTo(31999 / 32766, 4);
    expect((await findSequencesNearOverflow(db.sql, null, 0.9)).map((s) => s.sequence)).toContain("small_ids");
    expect((await sequenceUsage(db.sql, "public")).some((s) => s.sequence === "small_ids")).toBe(false);

    const report = await dangerReport(db.sql);
    expect(report.sequences.nearLimit.map((s) => s.sequence)).toEqual(["small_ids"]);
    expect(report.warnings).toContain("sequence billing.small_ids: 98% of its range used, 767 values left");
    expect(report.freezeAge.databases.length).toBeGreaterThan(0);
  });
});
