// npm run maintenance against a real PostgreSQL: planted redundant and
// invalid indexes, "not enough data" on fresh counters, a bloated index
// rebuilt concurrently, and the lock-timeout paths (before the build starts,
// and mid-build, where REINDEX CONCURRENTLY leaves an INVALID _ccnew index
// that must not survive the run).
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { estimateBtreeBloat } from "../src/checks/bloat.ts";
import { findInvalidIndexes } from "../src/checks/index-health.ts";
import { EXIT } from "../src/base/errors.ts";
import { runMaintenance, type MaintenanceOptions } from "../src/maintenance/index.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { waitFor } from "./support/wait-for.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const dir = suiteServerDir("maintenance-test");

/** A table with a text index, then 90% of its rows deleted: the index keeps its size. autovacuum off: the dead tuples stay visible. */
async function plantBloat(db: TestDatabase, table: string, rows = 100_000): Promise<void> {
  // One session, its counters flushed before ANALYZE (a later flush of the DELETE's counts would add to what ANALYZE set).
  const session = await db.sql.reserve();
  try {
    await session.unsafe(`CREATE TABLE ${table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text NOT NULL) WITH (autovacuum_enabled = false)`);
    await session.unsafe(`INSERT INTO ${table} (code) SELECT md5(g::text) FROM generate_series(1, ${rows}) g`);
    await session.unsafe(`CREATE INDEX ${table}_code ON ${table} (code)`);
    await session.unsafe(`DELETE FROM ${table} WHERE id % 10 <> 0`);
    await session`SELECT pg_stat_force_next_flush()`;
    await session.unsafe(`ANALYZE ${table}`);
  } finally {
    session.release();
  }
}

/**
 * A database of the test's own for the REINDEX tests: each plants the bloat it rebuilds, and a
 * REINDEX run takes every bloated index of its database, so tests sharing one would see each
 * other's tables (in whatever order they run).
 */
async function ownDatabase(prefix: string): Promise<TestDatabase> {
  const db = await createDatabase(prefix);
  onTestFinished(() => db.drop());
  return db;
}

/** Rebuild anything over 30% estimated bloat and 512 kB (the planted indexes are a few MB). */
const SMALL: MaintenanceOptions["bloat"] = { percent: 30, bytes: 512 * 1024 };

describe("npm run maintenance", () => {
  let db: TestDatabase;
  const maintenance = (args: string[], env: NodeJS.ProcessEnv = { DATABASE_URL: db.url }) => runScript("maintenance.ts", args, env);

  beforeAll(async () => {
    db = await createDatabase("maint");
    await db.sql`CREATE EXTENSION pg_stat_statements`;
    await db.sql`CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n int NOT NULL, code text NOT NULL)`;
    await db.sql`INSERT INTO items (n, code) SELECT g % 100, 'c' || g FROM generate_series(1, 5000) g`;
    // items_n is redundant: items_n_code starts with the same column.
    await db.sql`CREATE INDEX items_n ON items (n)`;
    await db.sql`CREATE INDEX items_n_code ON items (n, code)`;
    await db.sql`CREATE TABLE dupes (v int NOT NULL)`;
    await db.sql`INSERT INTO dupes SELECT g % 10 FROM generate_series(1, 100) g`;
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("bad flags exit 2 with every problem named; an unreachable database exits 3", async () => {
    const bad = await maintenance(["--analyze", "sometimes", "--lock-timeout", "soon", "--bloat-percent", "150"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(looksLikeCleanError(bad.stderr)).toBe(true);
    expect(bad.stderr).toMatch(/--analyze must be one of all, stale, none, got 'sometimes'/);
    expect(bad.stderr).toMatch(/--lock-timeout must be a positive duration/);
    expect(bad.stderr).toMatch(/--bloat-percent must be a number from 0 to 100/);
    expect((await maintenance(["--bogus"])).code).toBe(EXIT.usage);

    const down = await maintenance([], { DATABASE_URL: "postgres://nobody:secret@127.0.0.1:1/nothing" });
    expect(down.code).toBe(EXIT.unreachable);
    expect(looksLikeCleanError(down.stderr)).toBe(true);
    expect(down.stderr).not.toContain("secret");

    const help = await maintenance(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--reindex/);
    expect(help.stdout).toMatch(/5 an invalid index exists/);
  });

  it("finds a planted redundant index and a planted invalid index: exit 5, named in the table and the JSON", async () => {
    // A unique build over duplicate values fails and leaves the index INVALID.
    await expect(db.sql`CREATE UNIQUE INDEX CONCURRENTLY dupes_v_unique ON dupes (v)`).rejects.toMatchObject({ code: "23505" });
    const json = path.join(dir, "invalid.json");
    const run = await maintenance(["--json", json]);
    expect(run.code, run.stderr).toBe(EXIT.failed);
    expect(run.stdout).toMatch(/dupes_v_unique on dupes .* Fix: DROP INDEX CONCURRENTLY "dupes_v_unique"/);
    expect(run.stdout).toMatch(/items_n\s+items\s+items_n_code/);
    expect(run.stdout).toMatch(/result: 1 invalid index\(es\) \(exit 5\)/);
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.exitCode).toBe(EXIT.failed);
    expect(report.invalid).toEqual([expect.objectContaining({ table: "dupes", index: "dupes_v_unique" })]);
    expect(report.redundant).toEqual([expect.objectContaining({ table: "items", index: "items_n", coveredBy: "items_n_code" })]);
    // Nothing is dropped automatically: the invalid index is still there.
    expect((await findInvalidIndexes(db.sql)).map((i) => i.index)).toEqual(["dupes_v_unique"]);

    await db.sql`DROP INDEX CONCURRENTLY dupes_v_unique`;
    const clean = await maintenance([]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(EXIT.ok);
    expect(clean.stdout).toMatch(/invalid indexes:\n {2}none/);
  });

  it("ANALYZE stale analyzes only never-analyzed or much-changed tables; none analyzes nothing", async () => {
    await db.sql`CREATE TABLE fresh (id int)`;
    // autovacuum's own formula decides, with a table's own settings: 50 + 5 x 1000 rows here.
    await db.sql`CREATE TABLE tolerant (id int) WITH (autovacuum_analyze_scale_factor = 5)`;
    // Each session publishes its counters at most once a second: flush the
    // inserts now, or they could land after the first ANALYZE and count as
    // "changed since the last ANALYZE" in the second run.
    const loader = await db.sql.reserve();
    await loader`INSERT INTO fresh SELECT generate_series(1, 1000)`;
    await loader`INSERT INTO tolerant SELECT generate_series(1, 1000)`;
    await loader`SELECT pg_stat_force_next_flush()`;
    loader.release();
    const first = await runMaintenance(db.sql, db.name, { analyze: "stale" });
    expect(first.analyze.analyzed).toContainEqual(expect.objectContaining({ table: "fresh", reason: "never analyzed" }));
    const second = await runMaintenance(db.sql, db.name, { analyze: "stale" });
    expect(second.analyze.analyzed.filter((t) => t.table === "fresh")).toEqual([]);
    const session = await db.sql.reserve();
    await session`UPDATE fresh SET id = id + 1`; // 1000 changes on 1000 rows
    await session`UPDATE tolerant SET id = id + 1`;
    await session`SELECT pg_stat_force_next_flush()`; // a session flushes its counters at most once a second otherwise
    session.release();
    const third = await runMaintenance(db.sql, db.name, { analyze: "stale" });
    const [server] = await db.sql<{ threshold: number }[]>`SELECT round(current_setting('autovacuum_analyze_threshold')::float8 + current_setting('autovacuum_analyze_scale_factor')::float8 * 1000)::int AS threshold`;
    expect(third.analyze.analyzed).toContainEqual(expect.objectContaining({ table: "fresh", reason: `1000 rows changed since the last ANALYZE (over ${server!.threshold})` }));
    expect(third.analyze.analyzed.filter((t) => t.table === "tolerant")).toEqual([]);
    const none = await runMaintenance(db.sql, db.name, { analyze: "none" });
    expect(none.analyze.analyzed).toEqual([]);
    const all = await runMaintenance(db.sql, db.name, { analyze: "all" });
    expect(all.analyze.analyzed.map((t) => t.table).sort()).toEqual(["dupes", "fresh", "items", "tolerant"]);
  });

  it("fresh counters: 'not enough data', zero-scan indexes only as candidates; judged once old enough and pg_stat_statements is ready", async () => {
    await db.sql`CREATE INDEX items_code ON items (code)`; // never scanned
    await db.sql`SELECT pg_stat_reset()`;
    const fresh = await runMaintenance(db.sql, db.name, { analyze: "none" });
    expect(fresh.unused.verdict).toBe("not-enough-data");
    expect(fresh.unused.reason).toMatch(/the scan counters cover .* hours; at least 7 days are needed/);
    expect(fresh.unused.counters.source).toBe("stats_reset");
    expect(fresh.unused.indexes.map((i) => i.index)).toContain("items_code");
    const { formatMaintenanceReport } = await import("../src/maintenance/format.ts");
    const text = formatMaintenanceReport(fresh);
    expect(text).toMatch(/not enough data yet: the scan counters cover/);
    expect(text).toMatch(/no scans so far \(not judged\): .*items_code/);

    // Counters old enough (threshold 0 days): a judgement, and unique keys are never "unused".
    const judged = await runMaintenance(db.sql, db.name, { analyze: "none", minStatsDays: 0 });
    expect(judged.unused.verdict).toBe("judged");
    expect(judged.unused.indexes.map((i) => i.index)).toContain("items_code");
    expect(judged.unused.indexes.map((i) => i.index)).not.toContain("items_pkey");

    // Without pg_stat_statements it says what it cannot judge.
    await db.sql`DROP EXTENSION pg_stat_statements`;
    try {
      const blind = await runMaintenance(db.sql, db.name, { analyze: "none", minStatsDays: 0 });
      expect(blind.unused.verdict).toBe("not-enough-data");
      expect(blind.unused.reason).toMatch(/pg_stat_statements is not ready \(created\)/);
      expect(formatMaintenanceReport(blind)).toMatch(/pg_stat_statements not ready \(created\).*Fix: /);
    } finally {
      await db.sql`CREATE EXTENSION pg_stat_statements`;
    }
  });

  it("reports dead tuples and sequences near overflow (a bigint sequence behind an integer column)", async () => {
    await plantBloat(db, "churn", 20_000);
    await db.sql`CREATE SEQUENCE wide_seq`; // bigint
    await db.sql`CREATE TABLE narrow (id integer DEFAULT nextval('wide_seq'))`;
    await db.sql`ALTER SEQUENCE wide_seq OWNED BY narrow.id`;
    await db.sql`SELECT setval('wide_seq', 1600000000)`;
    const report = await runMaintenance(db.sql, db.name, { analyze: "none" });
    expect(report.deadTuples).toContainEqual(expect.objectContaining({ table: "churn", liveRows: 2000, deadRows: 18000, deadFraction: 0.9 }));
    const seq = report.sequences.nearOverflow.find((s) => s.sequence === "wide_seq");
    expect(seq).toMatchObject({ column: "narrow.id", columnType: "integer", maxValue: 2147483647 });
    expect(seq!.usedFraction).toBeCloseTo(1_600_000_000 / 2_147_483_647, 3);
    // identity sequences on bigint columns far from their limit are not reported
    expect(report.sequences.nearOverflow.map((s) => s.sequence)).toEqual(["wide_seq"]);
    await db.sql`DROP TABLE churn, narrow`;
  });

  it("--reindex rebuilds a bloated index concurrently: smaller, every index valid", async () => {
    const db = await ownDatabase("maint_reindex");
    await plantBloat(db, "bloated");
    const [estimate] = (await estimateBtreeBloat(db.sql)).filter((b) => b.index === "bloated_code");
    expect(estimate!.bloatPercent).toBeGreaterThan(70);

    const report = await runMaintenance(db.sql, db.name, { reindex: true, bloat: SMALL, lockTimeout: "2s" });
    expect(report.reindex.requested).toBe(true);
    if (!report.reindex.requested) return;
    const rebuilt = report.reindex.results.find((r) => r.index === "bloated_code");
    expect(rebuilt).toMatchObject({ status: "rebuilt", table: "bloated" });
    expect(rebuilt!.bytesAfter!).toBeLessThan(rebuilt!.bytesBefore * 0.3);
    expect(report.reindex.stopped).toBe(false);
    expect(report.invalid).toEqual([]);
    expect(await findInvalidIndexes(db.sql)).toEqual([]);
    expect(report.exitCode).toBe(EXIT.ok);
    // The estimate after the rebuild no longer makes it a candidate.
    expect(report.bloat.indexes.find((b) => b.index === "bloated_code")?.reindexCandidate).toBe(false);
    // Nothing dropped: the indexes are all still there.
    const names = (await db.sql<{ indexname: string }[]>`SELECT indexname FROM pg_indexes WHERE tablename = 'bloated' ORDER BY 1`).map((r) => r.indexname);
    expect(names).toEqual(["bloated_code", "bloated_pkey"]);
  });

  it("--reindex under a held SHARE UPDATE EXCLUSIVE lock: times out, stops cleanly, exit 5, no invalid index", async () => {
    const db = await ownDatabase("maint_locked");
    const maintenance = (args: string[]) => runScript("maintenance.ts", args, { DATABASE_URL: db.url });
    await plantBloat(db, "locked");
    const holder = await db.sql.reserve();
    try {
      await holder`BEGIN`;
      await holder`LOCK TABLE locked IN SHARE UPDATE EXCLUSIVE MODE`;
      const json = path.join(dir, "locked.json");
      const run = await maintenance(["--reindex", "--bloat-min-mb", "0.5", "--lock-timeout", "300ms", "--analyze", "none", "--json", json]);
      expect(run.code, run.stderr).toBe(EXIT.failed);
      expect(run.stdout).toMatch(/locked_\w+\s+locked\s+lock-timeout/);
      expect(run.stdout).toMatch(/could not get a lock on locked within lock_timeout 300ms/);
      expect(run.stdout).toMatch(/REINDEX stopped before it finished/);
      const report = JSON.parse(readFileSync(json, "utf8"));
      expect(report.reindex.stopped).toBe(true);
      expect(report.reindex.results[0].status).toBe("lock-timeout");
      expect(report.reindex.results.slice(1).every((r: { status: string }) => r.status === "skipped")).toBe(true);
      expect(report.invalid).toEqual([]);
      expect(await findInvalidIndexes(db.sql)).toEqual([]);
    } finally {
      await holder`ROLLBACK`;
      holder.release();
    }
  });

  it("--reindex timing out mid-build (an open writer): the INVALID _ccnew leftover is dropped once the writer ends", async () => {
    const db = await ownDatabase("maint_midbuild");
    await plantBloat(db, "locked");
    // An uncommitted insert does not block the start of REINDEX CONCURRENTLY,
    // but its wait for older writers: that wait times out after the _ccnew index exists.
    const writer = await db.sql.reserve();
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await writer`COMMIT`;
      writer.release();
    };
    try {
      await writer`BEGIN`;
      await writer`INSERT INTO locked (code) VALUES ('writer')`;
      const logs: string[] = [];
      // The leftover's DROP INDEX CONCURRENTLY waits for the writer too: end
      // the writer once the cleanup is seen waiting (state, not a timer: on a
      // busy machine the REINDEX may not have reached its timeout yet).
      const ending = waitFor(
        async () => (await db.sql`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query ILIKE 'DROP INDEX CONCURRENTLY%'`).length,
        (n) => n > 0,
        "the leftover's DROP INDEX CONCURRENTLY to wait for the writer",
        120_000,
      ).then(release);
      const report = await runMaintenance(db.sql, db.name, {
        analyze: "none",
        reindex: true,
        bloat: SMALL,
        lockTimeout: "500ms",
        cleanupLockTimeout: "20s",
        log: (line) => logs.push(line),
      });
      await ending;
      if (!report.reindex.requested) throw new Error("reindex not requested");
      const first = report.reindex.results[0]!;
      expect(first.table).toBe("locked");
      expect(first.status).toBe("lock-timeout");
      expect(first.droppedLeftovers).toEqual([expect.stringMatching(/^locked_\w+_ccnew\d*$/)]);
      expect(first.remainingLeftovers).toEqual([]);
      expect(logs.join("\n")).toMatch(/dropped the INVALID leftover locked_\w+_ccnew/);
      expect(report.invalid).toEqual([]);
      expect(await findInvalidIndexes(db.sql)).toEqual([]);
      expect(report.exitCode).toBe(EXIT.failed); // the asked-for rebuild did not happen
    } finally {
      await release();
    }

    // Run again with nothing in the way: rebuilt, all valid, exit 0.
    const again = await runMaintenance(db.sql, db.name, { analyze: "none", reindex: true, bloat: SMALL, lockTimeout: "2s" });
    if (!again.reindex.requested) throw new Error("reindex not requested");
    expect(again.reindex.results.filter((r) => r.table === "locked").every((r) => r.status === "rebuilt")).toBe(true);
    expect(again.exitCode).toBe(EXIT.ok);
    expect(await findInvalidIndexes(db.sql)).toEqual([]);
  });
});
