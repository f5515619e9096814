// The monitor's history: statement deltas add up across a full
// pg_stat_statements_reset(), a server restart and a single-entry reset
// without counting anything twice; windows select captures by age; sizes give
// growth per table; retention prunes. The reset and the restart happen on a
// throwaway server of this file's own (a reset is server-wide and would
// disturb other test files).
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restartablePort } from "./support/ports.ts";
import { openSql, type Sql } from "../src/db/index.ts";
import { destroyEmbedded, startEmbedded, stopEmbedded } from "../src/embedded/server.ts";
import { pruneHistory, runCapture } from "../src/observe/capture.ts";
import { MONITOR_SCHEMA, monitorSchemaReady } from "../src/observe/monitor-schema.ts";
import { captureSpace, spaceGrowth, utcDay } from "../src/observe/space-history.ts";
import { captureStatements } from "../src/observe/statement-capture.ts";
import { statementWindow } from "../src/observe/statement-history.ts";
import { parseWindow } from "../src/observe/window.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";
import { startUntunedPg15, type NpmPostgres } from "./support/npm-postgres.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const PROBE = "SELECT count(*) AS n FROM window_probe WHERE id > $1";

describe("parseWindow", () => {
  it("accepts m/h/d forms and names them in its error", () => {
    expect(parseWindow("1h")).toEqual({ label: "1h", ms: 3_600_000 });
    expect(parseWindow("7d").ms).toBe(7 * 86_400_000);
    expect(parseWindow("30M")).toEqual({ label: "30m", ms: 1_800_000 });
    for (const bad of ["", "1", "h", "-1h", "1.5h", "1w", "0m", "91d", "1h;drop"]) expect(() => parseWindow(bad)).toThrow(/e\.g\. 30m, 1h, 24h, 7d.*got/);
  });
});

describe("statement history across reset and restart (own server)", () => {
  let baseDir: string;
  let port: number;
  let url: string;
  let sql: Sql;

  const probeCalls = async () => {
    const window = await statementWindow(sql, parseWindow("1h"), 100);
    return window.byTotalTime.find((s) => s.query === PROBE)?.calls ?? 0;
  };
  const runProbe = async (times: number) => {
    for (let i = 0; i < times; i++) await sql.unsafe(PROBE, [i]);
  };

  beforeAll(async () => {
    baseDir = suiteServerDir("history");
    port = await restartablePort(); // restarted below on the same port (the pool's URL names it)
    const server = await startEmbedded({ baseDir, port, portExplicit: true, noSync: true });
    url = server.databaseUrl;
    sql = openSql({ url }, { max: 1 });
    await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
    await sql`CREATE TABLE window_probe (id int PRIMARY KEY)`;
    await sql`INSERT INTO window_probe SELECT generate_series(1, 100)`;
  }, 120_000);
  afterAll(async () => {
    await sql?.end({ timeout: 1 });
    if (baseDir) {
      destroyEmbedded(baseDir);
      rmSync(baseDir, { recursive: true, force: true });
    }
  });

  it("counts every execution once: baseline, deltas, full reset, restart, single-entry reset", async () => {
    expect(await monitorSchemaReady(sql)).toBe(false);
    const first = await runCapture(sql);
    expect(first.skipped).toEqual([]);
    expect(first.statements).toMatchObject({ previousAt: null, statements: 0, resetDetected: false });
    expect(first.space?.relations).toBeGreaterThanOrEqual(2);
    expect(await monitorSchemaReady(sql)).toBe(true);

    await runProbe(5);
    const c1 = await captureStatements(sql);
    expect(c1).toMatchObject({ resetDetected: false, previousAt: first.statements!.capturedAt });
    expect(await probeCalls()).toBe(5);

    // Full reset, then MORE calls than before it: a rule based only on
    // "counters went backwards" would count 7 - 5 = 2 here.
    await sql`SELECT pg_stat_statements_reset()`;
    await runProbe(7);
    const c2 = await captureStatements(sql);
    expect(c2.resetDetected).toBe(true);
    expect(await probeCalls()).toBe(12);

    // A clean restart keeps pg_stat_statements' counters (and stats_reset): only the new calls count.
    await sql.end({ timeout: 1 });
    stopEmbedded(baseDir);
    await startEmbedded({ baseDir, port, portExplicit: true, noSync: true });
    sql = openSql({ url }, { max: 1 });
    await runProbe(2);
    const c3 = await captureStatements(sql);
    expect(c3.resetDetected).toBe(false);
    expect(await probeCalls()).toBe(14);

    // One entry reset (stats_reset does not move), then more calls than its old count (9).
    const [{ queryid }] = (await sql`
      SELECT queryid::text FROM pg_stat_statements WHERE query = ${PROBE} AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`) as unknown as [{ queryid: string }];
    await sql.unsafe(`SELECT pg_stat_statements_reset(0, 0, ${BigInt(queryid)})`);
    await runProbe(10);
    const c4 = await captureStatements(sql);
    expect(c4.resetDetected).toBe(false);
    expect(c4.restartedEntries).toBeGreaterThanOrEqual(1);
    expect(await probeCalls()).toBe(24);

    // Nothing ran: nothing is added.
    await captureStatements(sql);
    expect(await probeCalls()).toBe(24);
    const [{ negative }] = (await sql.unsafe(`
      SELECT count(*)::int AS negative FROM ${MONITOR_SCHEMA}.statement_deltas
      WHERE calls < 0 OR total_exec_ms < 0 OR rows < 0 OR shared_blks_hit < 0 OR shared_blks_read < 0`)) as unknown as [{ negative: number }];
    expect(negative).toBe(0);

    // Windows select captures by age: move c1 two hours back.
    await sql.unsafe(`UPDATE ${MONITOR_SCHEMA}.statement_captures SET captured_at = captured_at - interval '2 hours', previous_at = previous_at - interval '2 hours' WHERE id <= ${c1.captureId}`);
    expect(await probeCalls()).toBe(19);
    const wide = await statementWindow(sql, parseWindow("3h"), 100);
    const probe = wide.byTotalTime.find((s) => s.query === PROBE)!;
    expect(probe).toMatchObject({ calls: 24, rows: 24 });
    expect(probe.meanMs).toBeCloseTo(probe.totalMs / 24, 2);
    expect(wide.coverage).toMatchObject({ captures: 5, resetsDetected: 1 });
    expect(wide.byMeanTime.length).toBeGreaterThan(0);

    // Retention: captures older than the limit go, with their deltas.
    await sql.unsafe(`UPDATE ${MONITOR_SCHEMA}.statement_captures SET captured_at = captured_at - interval '30 days' WHERE id <= ${c1.captureId}`);
    const pruned = await pruneHistory(sql, { statementRetentionDays: 14 });
    expect(pruned.captures).toBeGreaterThanOrEqual(2);
    expect((await statementWindow(sql, parseWindow("90d"), 100)).byTotalTime.find((s) => s.query === PROBE)!.calls).toBe(19);
  }, 120_000);
});

describe("space history (shared test server)", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createDatabase("space");
    await db.sql`CREATE TABLE growing (id int PRIMARY KEY, body text)`;
    await db.sql`CREATE INDEX growing_body ON growing (body)`;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("reports growth per table (with its indexes) between the oldest snapshot in the window and the newest", async () => {
    expect(await spaceGrowth(db.sql)).toEqual([]);
    const weekAgo = new Date(Date.now() - 7 * 86_400_000);
    await captureSpace(db.sql, { on: weekAgo });
    await db.sql`INSERT INTO growing SELECT g, repeat('x', 200) || g FROM generate_series(1, 5000) g`;
    const today = await captureSpace(db.sql);
    expect(today.day).toBe(utcDay(new Date()));
    const growth = await spaceGrowth(db.sql, 7);
    const row = growth.find((g) => g.table === "growing")!;
    expect(row).toMatchObject({ schema: "public", sinceDay: utcDay(weekAgo), latestDay: utcDay(new Date()) });
    expect(row.growthBytes).toBeGreaterThan(1_000_000);
    expect(row.indexBytes).toBeGreaterThan(0);
    expect(row.growthBytes).toBe(row.bytes - row.bytesThen);
    expect(row.growthBytesPerDay).toBe(Math.round(row.growthBytes / 7));
    // The monitor's own tables are not reported.
    expect(growth.some((g) => g.schema === MONITOR_SCHEMA)).toBe(false);

    // Snapshots past the space retention are pruned.
    await captureSpace(db.sql, { on: new Date(Date.now() - 100 * 86_400_000) });
    const pruned = await pruneHistory(db.sql, { spaceRetentionDays: 90 });
    expect(pruned.sizeRows).toBeGreaterThanOrEqual(2);
  });
});

describe("npm run capture", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createDatabase("capturecli");
    await db.sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("records the baseline, then deltas; bad flags exit 2 and pg_stat_statements missing exits 4", async () => {
    const first = await runScript("capture.ts", [], { DATABASE_URL: db.url });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^statements: baseline recorded \(first capture; deltas start with the next one\) in [\d.]+ ms\nsizes: \d+ tables and indexes for \d{4}-\d\d-\d\d in [\d.]+ ms$/m);
    const second = await runScript("capture.ts", ["--retention-days", "7"], { DATABASE_URL: db.url });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^statements: \d+ changed since \d{4}-.*\nsizes: today's snapshot already taken/m);

    const bad = await runScript("capture.ts", ["--retention-days", "0"], { DATABASE_URL: db.url });
    expect(bad.code).toBe(2);
    expect(looksLikeCleanError(bad.stderr)).toBe(true);
    expect(bad.stderr).toContain("--retention-days must be an integer from 1 to 90");

    await db.sql`DROP EXTENSION pg_stat_statements`;
    const notReady = await runScript("capture.ts", [], { DATABASE_URL: db.url });
    expect(notReady.code).toBe(4);
    expect(notReady.stdout).toContain("skipped statements: pg_stat_statements is not ready (created)");
  }, 120_000);
});

describe("statement history on PostgreSQL 15 (no stats_since: the counters-going-backwards rule)", () => {
  let pg15: NpmPostgres;
  let sql: Sql;
  beforeAll(async () => {
    pg15 = await startUntunedPg15();
    const root = openSql({ url: pg15.rootUrl }, { max: 1 });
    await root`CREATE DATABASE history15`;
    await root.end();
    sql = openSql({ url: pg15.urlFor("history15") }, { max: 1 });
    await sql`CREATE EXTENSION pg_stat_statements`;
    await sql`CREATE TABLE window_probe (id int PRIMARY KEY)`;
  }, 120_000);
  afterAll(async () => {
    await sql?.end({ timeout: 1 });
    pg15?.stop();
  });

  it("full reset (stats_reset) and a single-entry reset (counters went back) count each call once", async () => {
    const probeCalls = async () => (await statementWindow(sql, parseWindow("1h"), 100)).byTotalTime.find((s) => s.query === PROBE)?.calls ?? 0;
    const runProbe = async (times: number) => {
      for (let i = 0; i < times; i++) await sql.unsafe(PROBE, [i]);
    };
    expect((await captureStatements(sql)).previousAt).toBeNull();
    await runProbe(5);
    await captureStatements(sql);
    expect(await probeCalls()).toBe(5);
    await sql`SELECT pg_stat_statements_reset()`;
    await runProbe(7);
    expect((await captureStatements(sql)).resetDetected).toBe(true);
    expect(await probeCalls()).toBe(12);
    const [{ queryid }] = (await sql`SELECT queryid::text FROM pg_stat_statements WHERE query = ${PROBE}`) as unknown as [{ queryid: string }];
    await sql.unsafe(`SELECT pg_stat_statements_reset(0, 0, ${BigInt(queryid)})`);
    await runProbe(3);
    const last = await captureStatements(sql);
    expect(last).toMatchObject({ resetDetected: false, restartedEntries: 1 });
    expect(await probeCalls()).toBe(15);
  }, 120_000);
});
