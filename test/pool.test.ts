import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../src/base/errors.ts";
import { POOL_DEFAULTS, parsePoolSettings, poolConfigFromEnv, type PoolConfig, type PoolSettings } from "../src/pool/pool-options.ts";
import { createDatabase, type Database } from "../src/pool/create-database.ts";
import { LatencyHistogram } from "../src/base/latency-histogram.ts";
import { classify, truncateQuery, type PoolLogger } from "../src/pool/query-monitor.ts";
import { createDatabase as createTestDatabase, type TestDatabase } from "./support/databases.ts";
import { waitFor } from "./support/wait-for.ts";

const SECRET = "+1-555-0199-SECRET-PARAM";

/** A logger that keeps every line (what pino would write). */
function captureLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const logger: PoolLogger = {
    warn: (obj, msg) => lines.push({ level: "warn", obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => lines.push({ level: "error", obj: obj as Record<string, unknown>, msg }),
  };
  return { logger, lines, text: () => JSON.stringify(lines) };
}

let seq = 0;
function config(db: TestDatabase, overrides: Partial<PoolSettings> = {}): PoolConfig {
  // A unique application_name per pool, so pg_stat_activity counts only this pool.
  return { ...POOL_DEFAULTS, applicationName: `pooltest-${process.pid}-${++seq}`, ...overrides, target: db };
}

describe("pool configuration", () => {
  it("defaults are the spec's", () => {
    const { value, problems } = parsePoolSettings({});
    expect(problems).toEqual([]);
    expect(value).toMatchObject({ max: 20, min: 2, idleTimeoutSeconds: 30, connectTimeoutSeconds: 2, statementTimeoutMs: 10_000, slowQueryMs: 100, verySlowQueryMs: 500 });
  });

  it("reads overrides from the environment", () => {
    const { value, problems } = parsePoolSettings({ POOL_MAX: "5", POOL_MIN: "1", POOL_STATEMENT_TIMEOUT_MS: "2500", POOL_APPLICATION_NAME: "my-app", SLOW_QUERY_MS: "50", VERY_SLOW_QUERY_MS: "60" });
    expect(problems).toEqual([]);
    expect(value).toMatchObject({ max: 5, min: 1, statementTimeoutMs: 2500, applicationName: "my-app", slowQueryMs: 50, verySlowQueryMs: 60 });
  });

  it("reports every problem at once, each naming its setting", async () => {
    const env = { POOL_MAX: "0", POOL_IDLE_TIMEOUT_SECONDS: "abc", POOL_CONNECT_TIMEOUT_SECONDS: "1.5", SLOW_QUERY_MS: "600", POOL_APPLICATION_NAME: "x".repeat(70), DATABASE_URL: "mysql://u:pw@h/db" };
    const error = thrown(() => poolConfigFromEnv(env));
    expect(error).toBeInstanceOf(UserError);
    const message = (error as UserError).message;
    for (const key of ["POOL_MAX", "POOL_IDLE_TIMEOUT_SECONDS", "POOL_CONNECT_TIMEOUT_SECONDS", "VERY_SLOW_QUERY_MS", "POOL_APPLICATION_NAME", "DATABASE_URL"]) {
      expect(message).toContain(`Setting '${key}'`);
    }
    expect(message).not.toContain(":pw@");
    expect(parsePoolSettings({ POOL_MIN: "30" }).problems).toEqual([expect.stringMatching(/Setting 'POOL_MIN': must not exceed POOL_MAX \(20\)/)]);
  });
});

describe("pool configuration never starts a server", () => {
  it("without DATABASE_URL or a resolved target it says what to set (the library starts nothing)", () => {
    const error = thrown(() => poolConfigFromEnv({}));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/Setting 'DATABASE_URL': not set/);
  });

  it("takes the target a command resolved when DATABASE_URL is unset", () => {
    const target = { url: "postgres://u:pw@127.0.0.1:5/db", display: "postgres://u:****@127.0.0.1:5/db", source: "embedded" };
    expect(poolConfigFromEnv({}, { target }).target).toBe(target);
  });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("query monitor pieces", () => {
  it("classifies against the thresholds (strictly greater)", () => {
    const t = { slowMs: 100, verySlowMs: 500 };
    expect([99, 100, 100.1, 500, 500.1, 11_000].map((ms) => classify(ms, t))).toEqual(["normal", "normal", "slow", "slow", "very slow", "very slow"]);
  });

  it("percentiles stay within 5% in bounded memory", () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 10); // 0.1 .. 1000 ms
    expect(h.quantile(0.5)!).toBeGreaterThanOrEqual(500 * 0.95);
    expect(h.quantile(0.5)!).toBeLessThanOrEqual(500 * 1.05);
    expect(h.quantile(0.99)!).toBeGreaterThanOrEqual(990 * 0.95);
    expect(h.quantile(0.99)!).toBeLessThanOrEqual(1000);
    expect(h.minMs).toBe(0.1);
    expect(h.maxMs).toBe(1000);
  });

  it("truncates query text", () => {
    expect(truncateQuery(`SELECT  ${"a, ".repeat(200)}\n 1`).length).toBe(200);
    expect(truncateQuery("SELECT\n  1")).toBe("SELECT 1");
  });
});

describe("createDatabase against PostgreSQL", () => {
  let db: TestDatabase;
  const pools: Database[] = [];
  const open = (overrides: Partial<PoolSettings> = {}, logger?: PoolLogger, skipWarmUp = false) => {
    const database = createDatabase(config(db, overrides), { logger: logger ?? captureLogger().logger, skipWarmUp });
    pools.push(database);
    return database;
  };
  beforeAll(async () => {
    db = await createTestDatabase("pool");
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close({ timeoutSeconds: 1 }).catch(() => {})));
    await db.drop();
  });

  it("applies the server-side settings and warms up `min` connections", async () => {
    // Only the awaited warm-up: the one at creation would still be opening
    // connections while the counts below are read.
    const database = open({ min: 2 }, undefined, true);
    await database.warmUp();
    const [row] = await database.sql<{ timeout: string; app: string; plans: string }[]>`SELECT current_setting('statement_timeout') AS timeout, current_setting('application_name') AS app, current_setting('plan_cache_mode') AS plans`;
    // plan_cache_mode: src/settings/plan-cache.ts (a generic plan can read a heavy key's whole history).
    expect(row).toEqual({ timeout: "10s", app: database.config.applicationName, plans: "force_custom_plan" });
    expect(database.poolStats().open).toBeGreaterThanOrEqual(2);
    const server = await database.serverPoolStats();
    expect(server.connections).toBeGreaterThanOrEqual(2);
    expect(server.ours).toBe(server.connections);
    expect(database.poolStats().open).toBe(server.connections);
  });

  it("times queries, classifies slow / very slow and logs them without parameters", async () => {
    const capture = captureLogger();
    // Wide margins between the thresholds and the sleeps, and a warm
    // connection, so a busy machine cannot move a query across a threshold:
    // the fast query has 400 ms of headroom, the slow ones 1.5 s.
    const database = open({ slowQueryMs: 400, verySlowQueryMs: 2000 }, capture.logger);
    await database.sql`SELECT 1`;
    database.resetQueryStats();
    await database.sql`SELECT ${SECRET}::text AS fast`;
    await database.sql`SELECT pg_sleep(0.45), ${SECRET}::text AS slow_one`;
    await database.sql.unsafe("SELECT pg_sleep(2.05), $1::text AS very_slow_one", [SECRET]);
    const failed = await database.sql`SELECT (${SECRET}::text || s::text)::int AS bad_cast FROM pg_sleep(0.42) s`.catch((e: { code?: string }) => e);
    expect((failed as { code?: string }).code).toBe("22P02");

    const stats = database.getQueryStats();
    expect(stats.totalQueries).toBe(4);
    expect(stats.slowQueries).toBe(2);
    expect(stats.verySlowQueries).toBe(1);
    expect(stats.slowQueryPercentage).toBe(50);
    expect(stats.verySlowQueryPercentage).toBe(25);
    expect(stats.errorsByCode).toEqual({ "22P02": 1 });
    expect(stats.p50Ms!).toBeLessThanOrEqual(stats.p95Ms!);
    expect(stats.p95Ms!).toBeLessThanOrEqual(stats.p99Ms!);
    expect(stats.p99Ms!).toBeLessThanOrEqual(stats.maxDurationMs!);
    expect(stats.maxDurationMs!).toBeGreaterThan(2000);
    expect(stats.recentSlowQueries.map((q) => q.class)).toEqual(["slow", "very slow", "slow"]);

    expect(capture.lines.map((l) => l.level)).toEqual(["warn", "error", "warn"]);
    expect(capture.lines[0]!.obj.query).toMatch(/pg_sleep\(0\.45\), \$1::text AS slow_one/);
    expect(capture.lines[1]!.obj.query).toMatch(/very_slow_one/);
    expect(capture.lines[2]!.obj).toMatchObject({ errorCode: "22P02" });
    // Parameters never reach the log nor the stats (the 22P02 message itself holds the value).
    expect(capture.text()).not.toContain("SECRET");
    expect(JSON.stringify(stats)).not.toContain("SECRET");

    database.resetQueryStats();
    expect(database.getQueryStats()).toMatchObject({ totalQueries: 0, slowQueries: 0, verySlowQueries: 0, errors: 0, p99Ms: null });
  });

  it("200 concurrent queries on a pool of 20 all succeed, waiting is observed and bounded by max", async () => {
    const database = open({ max: 20, queueTimeoutMs: 30_000 });
    let maxWaiting = 0;
    let maxBusy = 0;
    const sampler = setInterval(() => {
      const s = database.poolStats();
      maxWaiting = Math.max(maxWaiting, s.waiting);
      maxBusy = Math.max(maxBusy, s.busy);
    }, 5);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => database.sql<{ i: number }[]>`SELECT ${i}::int AS i, pg_sleep(0.02)`));
    clearInterval(sampler);
    expect(results.map((r) => r[0]!.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const stats = database.poolStats();
    expect(maxWaiting).toBeGreaterThan(0);
    expect(stats.peakWaiting).toBeGreaterThanOrEqual(180 - 1);
    expect(stats.peakBusy).toBe(20);
    expect(maxBusy).toBeLessThanOrEqual(20);
    expect(stats.waiting).toBe(0);
    expect(stats.busy).toBe(0);
    expect(stats.open).toBeLessThanOrEqual(20);
    expect(database.getQueryStats().queueWait.waited).toBeGreaterThan(0);
    const server = await database.serverPoolStats();
    expect(server.connections).toBeLessThanOrEqual(20);
    expect(server.connections).toBe(database.poolStats().open);
  });

  it("pool exhausted: a query waits at most the queue timeout, then fails clearly", async () => {
    const database = open({ max: 2, min: 0, queueTimeoutMs: 300 }, undefined, true);
    // Queries are lazy: execute() starts them without awaiting.
    const blockers = [database.sql`SELECT pg_sleep(3)`.execute(), database.sql`SELECT pg_sleep(3)`.execute()];
    let blockersDone = false;
    const blocked = Promise.all(blockers).then(() => (blockersDone = true));
    await waitFor(async () => database.poolStats().busy, (busy) => busy === 2, "both slots busy");
    const started = performance.now();
    const waiting = database.sql`SELECT 1`.catch((e: unknown) => e); // catch() starts it
    await waitFor(async () => database.poolStats().waiting, (n) => n === 1 || blockersDone, "the third query to wait");
    expect(database.poolStats()).toMatchObject({ busy: 2, waiting: 1 });
    const error = (await waiting) as { code?: string; message?: string };
    const waited = performance.now() - started;
    expect(error.code).toBe("POOL_QUEUE_TIMEOUT");
    expect(error.message).toMatch(/Connection pool exhausted: all 2 connections stayed busy for 300 ms/);
    expect(waited).toBeGreaterThanOrEqual(250); // a timer never fires early
    expect(blockersDone).toBe(false); // failed while the blockers still ran: it did not hang behind them (state, not a time bound)
    await blocked;
    expect(database.getQueryStats().errorsByCode).toEqual({ POOL_QUEUE_TIMEOUT: 1 });
    expect(database.poolStats()).toMatchObject({ busy: 0, waiting: 0 });
    // Transactions hold a slot too, and give it back.
    const value = await database.sql.begin(async (tx) => {
      const [row] = await tx<{ n: number }[]>`SELECT 41 + 1 AS n`;
      expect(database.poolStats().busy).toBe(1);
      return row!.n;
    });
    expect(value).toBe(42);
    expect(database.poolStats().busy).toBe(0);
    const reserved = await database.sql.reserve();
    expect(database.poolStats().busy).toBe(1);
    await reserved`SELECT 1`;
    reserved.release();
    expect(database.poolStats().busy).toBe(0);
  });

  it("a query over a short statement timeout is cancelled by the server and counted", async () => {
    const database = open({ statementTimeoutMs: 300 });
    const error = (await database.sql`SELECT pg_sleep(2)`.catch((e: unknown) => e)) as { code?: string; message?: string };
    // 57014 with this message is the server's statement_timeout firing (not a cancel or a client timeout).
    expect(error).toMatchObject({ code: "57014", message: "canceling statement due to statement timeout" });
    expect(database.getQueryStats()).toMatchObject({ totalQueries: 1, errorsByCode: { "57014": 1 } });
    expect((await database.sql<{ t: string }[]>`SELECT current_setting('statement_timeout') AS t`)[0]?.t).toBe("300ms");
  });

  it("pg_sleep(11) is cancelled at the default 10 s statement timeout (57014) and counted very slow", async () => {
    const capture = captureLogger();
    const database = open({}, capture.logger);
    expect(database.config.statementTimeoutMs).toBe(10_000);
    const started = performance.now();
    const error = (await database.sql`SELECT pg_sleep(11)`.catch((e: unknown) => e)) as { code?: string; message?: string };
    // The server's statement_timeout fired (its code and message), and not early: load only makes it later,
    // and pg_sleep(11) ending on its own would not be an error at all.
    expect(error).toMatchObject({ code: "57014", message: "canceling statement due to statement timeout" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(9_900);
    expect(database.getQueryStats()).toMatchObject({ totalQueries: 1, verySlowQueries: 1, slowQueries: 0, errorsByCode: { "57014": 1 } });
    expect(capture.lines).toEqual([expect.objectContaining({ level: "error", obj: expect.objectContaining({ errorCode: "57014", query: "SELECT pg_sleep(11)" }) })]);
    expect((await database.sql<{ t: string }[]>`SELECT current_setting('statement_timeout') AS t`)[0]?.t).toBe("10s");
  }, 30_000);

  it("a closed pool refuses queries with a clear error", async () => {
    const database = open();
    await database.close();
    const error = (await database.sql`SELECT 1`.catch((e: unknown) => e)) as { code?: string };
    expect(error.code).toBe("POOL_CLOSED");
  });
});

describe("postgres.js array-type fetch", () => {
  it("happens once per pool, then new connections skip it (no unguarded fetch during an outage)", async () => {
    const { createDatabase: create } = await import("../src/pool/create-database.ts");
    const { POOL_DEFAULTS: defaults } = await import("../src/pool/pool-options.ts");
    const { rootTarget } = await import("./support/databases.ts");
    const { isArrayTypeFetchFailure } = await import("../src/pool/type-fetch-guard.ts");
    const db = create({ ...defaults, max: 3, target: rootTarget() }, { logger: { warn() {}, error() {} } });
    try {
      const options = (db.sql as unknown as { options: { fetch_types: boolean } }).options;
      expect(options.fetch_types).toBe(true);
      const [row] = await db.sql`SELECT ${["a", "b"]}::text[] AS tags`;
      expect(row!.tags).toEqual(["a", "b"]);
      expect(options.fetch_types).toBe(false);
      // Arrays still parse and serialize on connections opened after that.
      const rows = await Promise.all([1, 2, 3].map((n) => db.sql`SELECT ${[`x${n}`]}::text[] AS tags, pg_sleep(0.05)`));
      expect(rows.map((r) => r[0]!.tags)).toEqual([["x1"], ["x2"], ["x3"]]);
    } finally {
      await db.close({ timeoutSeconds: 1 });
    }
    expect(isArrayTypeFetchFailure({ code: "CONNECTION_CLOSED", query: "\n      select b.oid, b.typarray\n      from pg_catalog.pg_type a\n      left join pg_catalog.pg_type b on b.oid = a.typelem\n" })).toBe(true);
    expect(isArrayTypeFetchFailure({ code: "CONNECTION_CLOSED", query: "SELECT 1" })).toBe(false);
    expect(isArrayTypeFetchFailure(new Error("x"))).toBe(false);
  });
});
