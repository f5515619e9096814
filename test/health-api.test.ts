import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, UserError } from "../src/base/errors.ts";
import { isLoopback, parseHealthServerSettings } from "../src/health/health-options.ts";
import { coalesce, healthPlugin } from "../src/health/plugin.ts";
import { buildHealthApp, loggerOptions, startHealthServer, type RunningHealthServer } from "../src/health/server.ts";
import { POOL_DEFAULTS, type PoolSettings } from "../src/pool/pool-options.ts";
import { createDatabase, type Database } from "../src/pool/create-database.ts";
import { createDatabase as createTestDatabase, migratedDatabase, seededDatabase, type TestDatabase } from "./support/databases.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { memoryStream } from "./support/memory-log.ts";
import { waitFor } from "./support/wait-for.ts";

const TOKEN = "test-token-0123456789abcdef";
const SECRET = "+1-555-0142-NEVER-LOG-ME";

function pool(db: TestDatabase, overrides: Partial<PoolSettings> = {}): Database {
  return createDatabase({ ...POOL_DEFAULTS, applicationName: `healthtest-${process.pid}`, ...overrides, target: db }, { logger: { warn() {}, error() {} } });
}

describe("coalesce (single-flight probes)", () => {
  it("callers during a run share it; the next call after it settles runs again", async () => {
    let runs = 0;
    const shared = coalesce(async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      return runs;
    });
    expect(await Promise.all([shared(), shared(), shared()])).toEqual([1, 1, 1]);
    expect(await shared()).toBe(2);
    const failing = coalesce(async () => {
      throw new Error("down");
    });
    await expect(failing()).rejects.toThrow("down");
    await expect(failing()).rejects.toThrow("down");
  });
});

describe("health API", () => {
  let db: TestDatabase;
  let database: Database;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await seededDatabase("health", 0.02);
    database = pool(db);
    ({ app } = await buildHealthApp({ database }));
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await db?.drop();
  });

  it("GET /api/v1/health: 200 with latency, pool, memory, uptime, version and no query text", async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/health" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      status: "ok",
      version: expect.any(String),
      uptimeSeconds: expect.any(Number),
      database: { reachable: true, latencyMs: expect.any(Number) },
      pool: { max: 20, min: 2, open: expect.any(Number), busy: expect.any(Number), idle: expect.any(Number), waiting: 0 },
      memory: { rssBytes: expect.any(Number), heapUsedBytes: expect.any(Number) },
    });
    expect(res.body).not.toMatch(/SELECT/i);
  });

  it("GET /api/v1/health/database: query stats, size, top tables and indexes, cache hit ratio, pool, invalid indexes", async () => {
    await database.sql`SELECT count(*) FROM conversation_messages WHERE content LIKE ${"%" + SECRET + "%"}`;
    const res = await app.inject({ method: "GET", url: "/api/v1/health/database" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.queryStats).toMatchObject({ totalQueries: expect.any(Number), meanDurationMs: expect.any(Number), p95Ms: expect.any(Number), slowQueryPercentage: expect.any(Number), errorsByCode: {} });
    expect(body.queryStats.totalQueries).toBeGreaterThanOrEqual(1);
    expect(body.database.sizeBytes).toBeGreaterThan(1_000_000);
    expect(body.tables.length).toBeGreaterThan(3);
    expect(body.tables.length).toBeLessThanOrEqual(10);
    expect(body.tables[0]).toMatchObject({ table: "conversation_messages", totalBytes: expect.any(Number) });
    expect(body.indexes.length).toBeLessThanOrEqual(10);
    expect(body.indexes[0]).toMatchObject({ table: expect.any(String), index: expect.any(String), scans: expect.any(Number) });
    expect(body.cacheHitRatio).toHaveProperty("tables");
    expect(body.cacheHitRatio).toHaveProperty("indexes");
    expect(body.pool.server.connections).toBeGreaterThanOrEqual(1);
    expect(body.invalidIndexes).toEqual({ count: 0, indexes: [] });
    expect(res.body).not.toContain(SECRET);
  });

  it("GET slow-queries: top statements by mean and total time; limit validated 1-100", async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/health/database/slow-queries?limit=3" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.limit).toBe(3);
    expect(body.byMeanTime.length).toBeGreaterThan(0);
    expect(body.byMeanTime.length).toBeLessThanOrEqual(3);
    expect(body.byTotalTime.length).toBeLessThanOrEqual(3);
    expect(body.byMeanTime[0]).toMatchObject({ query: expect.any(String), calls: expect.any(Number), meanMs: expect.any(Number), totalMs: expect.any(Number) });
    const means = body.byMeanTime.map((s: { meanMs: number }) => s.meanMs);
    expect(means).toEqual([...means].sort((a, b) => b - a));
    expect((await app.inject({ url: "/api/v1/health/database/slow-queries" })).json().limit).toBe(10);

    for (const [limit, reason] of [["0", /limit must be >= 1/], ["101", /limit must be <= 100/], ["abc", /limit must be integer/], ["2.5", /limit must be integer/]] as const) {
      const bad = await app.inject({ url: `/api/v1/health/database/slow-queries?limit=${limit}` });
      expect(bad.statusCode, limit).toBe(400);
      expect(bad.json()).toMatchObject({ statusCode: 400, error: "Bad Request", message: expect.stringMatching(reason) });
    }
  });

  it("POST reset-stats resets the monitor and this database's pg_stat_statements; another database's entries survive", async () => {
    // Another application's database on the same server, with a statement of its own recorded.
    const other = await migratedDatabase("health_other");
    try {
      // A statement shape no other code runs (aliases do not change a statement's queryid, so a
      // marker must be in the shape itself); its text is recorded with the first call.
      const marker = "reverse(md5(current_database()))";
      await other.sql`SELECT reverse(md5(current_database()))`;
      await database.sql`SELECT reverse(md5(current_database()))`;
      const entries = (dbName: string) =>
        db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                                WHERE d.datname = ${dbName} AND strpos(s.query, ${marker}) > 0`.then(([r]) => r?.n);
      expect(await entries(other.name)).toBe(1);
      expect(await entries(db.name)).toBe(1);
      expect(database.getQueryStats().totalQueries).toBeGreaterThan(0);

      const res = await app.inject({ method: "POST", url: "/api/v1/health/database/reset-stats", headers: { "content-type": "application/json" }, payload: "{}" });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ reset: true, pgStatStatements: { reset: true, scope: `database "${db.name}" only` } });
      expect(database.getQueryStats().totalQueries).toBe(0);
      expect(await entries(db.name)).toBe(0);
      expect(await entries(other.name)).toBe(1);
    } finally {
      await other.drop();
    }
  });

  it("GET /metrics: Prometheus text with the same figures", async () => {
    const res = await app.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/plain/);
    expect(res.body).toMatch(/^bollalabz_db_up 1$/m);
    expect(res.body).toMatch(/^bollalabz_db_pool_connections\{state="busy"\} \d+$/m);
    expect(res.body).toMatch(/^bollalabz_db_pool_max 20$/m);
    expect(res.body).toMatch(/^bollalabz_db_size_bytes \d+/m);
    expect(res.body).toMatch(/^bollalabz_db_invalid_indexes 0$/m);
    expect(res.body).toMatch(/^bollalabz_db_queries_total \d+$/m);
  });

  it("GET /metrics: every *_total is a counter and every project counter ends in _total (what promtool check metrics asks)", async () => {
    await database.sql`SELECT 1`;
    await database.sql`SELECT * FROM no_such_table_for_metrics`.catch(() => {});
    const body = (await app.inject({ url: "/metrics" })).body;
    const types = new Map([...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    for (const name of ["bollalabz_db_queries_total", "bollalabz_db_slow_queries_total", "bollalabz_db_very_slow_queries_total", "bollalabz_db_query_errors_total"]) {
      expect(types.get(name), name).toBe("counter");
    }
    // prom-client's default process metrics (nodejs_*, process_*) are its names, not ours.
    const ours = [...types].filter(([name]) => !/^(nodejs|process)_/.test(name));
    expect(ours.filter(([name, type]) => name.endsWith("_total") && type !== "counter")).toEqual([]);
    // pg_* keep postgres_exporter's names (its counters have no _total); ours follow the convention.
    expect(ours.filter(([name, type]) => name.startsWith("bollalabz_db_") && type === "counter" && !name.endsWith("_total"))).toEqual([]);
    expect(Number(/^bollalabz_db_queries_total (\d+)$/m.exec(body)?.[1])).toBeGreaterThanOrEqual(2);
    expect(body).toMatch(/^bollalabz_db_query_errors_total\{code="42P01"\} [1-9]\d*$/m);
  });

  it("unknown routes get a 404 JSON listing the endpoints", async () => {
    const res = await app.inject({ url: "/api/v1/nope" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ statusCode: 404, error: "Not Found", endpoints: expect.arrayContaining(["GET /api/v1/health"]) });
    expect((await app.inject({ method: "DELETE", url: "/api/v1/health" })).statusCode).toBe(404);
  });

  it("200 concurrent HTTP requests against a pool of 20 all succeed, waiting is observed, health keeps answering", async () => {
    // An application that mounts the plugin and runs its own queries on the same pool.
    const tiny = Fastify();
    await tiny.register(healthPlugin, { prefix: "/api/v1", database });
    tiny.get<{ Params: { n: string } }>("/work/:n", async (request) => {
      const [row] = await database.sql<{ n: number }[]>`SELECT ${Number(request.params.n)}::int AS n, pg_sleep(0.02)`;
      return row;
    });
    try {
      await tiny.listen({ host: "127.0.0.1", port: 0 });
      const { port } = tiny.server.address() as { port: number };
      database.resetQueryStats();
      const call = (path: string) => fetch(`http://127.0.0.1:${port}${path}`).then(async (r) => ({ status: r.status, body: await r.text() }));
      const [work, health, detail] = await Promise.all([
        Promise.all(Array.from({ length: 200 }, (_, i) => call(`/work/${i}`))),
        Promise.all(Array.from({ length: 200 }, () => call("/api/v1/health"))),
        Promise.all(Array.from({ length: 200 }, () => call("/api/v1/health/database"))),
      ]);
      expect(work.filter((r) => r.status !== 200)).toEqual([]);
      expect(work.map((r) => JSON.parse(r.body).n)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(health.filter((r) => r.status !== 200)).toEqual([]);
      expect(detail.filter((r) => r.status !== 200)).toEqual([]);
      const stats = database.poolStats();
      expect(stats.peakWaiting).toBeGreaterThan(0);
      expect(stats.queuedTotal).toBeGreaterThan(0);
      expect(stats.peakBusy).toBe(20);
      expect(stats).toMatchObject({ busy: 0, waiting: 0 });
      expect(database.getQueryStats().queueWait.waited).toBeGreaterThan(0);
    } finally {
      await tiny.close();
    }
  });

  it("GET /api/v1/health answers 200 while the app's queries hold every pool slot and more wait (the probe has a connection of its own)", async () => {
    // The app's queries wait for an advisory lock this test holds: they stay running, by state, until it lets go.
    const LOCK = 28_001;
    const holder = await db.sql.reserve();
    await holder`SELECT pg_advisory_lock(${LOCK})`;
    // Long server and queue limits: nothing ends the saturation but the lock's release.
    const saturated = pool(db, { max: 3, min: 0, queueTimeoutMs: 600_000, statementTimeoutMs: 600_000, applicationName: `healthtest-saturated-${process.pid}` });
    const { app: saturatedApp } = await buildHealthApp({ database: saturated });
    let settled = 0;
    try {
      const queries = Array.from({ length: 5 }, () => saturated.sql`SELECT pg_advisory_xact_lock_shared(${LOCK})`.then(() => settled++));
      await waitFor(async () => saturated.poolStats(), (s) => s.busy === 3 && s.waiting === 2, "every slot busy and two queries queued");
      const lockWaiters = () =>
        db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${saturated.config.applicationName} AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock_shared%'`.then((r) => r[0]!.n);
      await waitFor(lockWaiters, (n) => n === 3, "the three running queries to wait for the lock");

      const res = await saturatedApp.inject({ url: "/api/v1/health" });
      // The answer came while the pool was still saturated: the same queries still run, the same two still wait.
      expect(settled).toBe(0);
      expect(saturated.poolStats()).toMatchObject({ busy: 3, waiting: 2 });
      expect(await lockWaiters()).toBe(3);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: "ok", database: { reachable: true }, pool: { max: 3, busy: 3, waiting: 2 } });
      // The probe's connection is not one of the pool's: the pool's own figures stay exact.
      const server = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${saturated.config.applicationName}`;
      expect(server[0]!.n).toBe(4);
      expect(saturated.poolStats().open).toBeLessThanOrEqual(3);

      await holder`SELECT pg_advisory_unlock(${LOCK})`;
      await Promise.all(queries);
      expect(settled).toBe(5);
      expect(saturated.poolStats()).toMatchObject({ busy: 0, waiting: 0 });
      expect(saturated.getQueryStats().errors).toBe(0);
    } finally {
      await holder`SELECT pg_advisory_unlock_all()`.catch(() => {});
      holder.release();
      await saturatedApp.close();
      await saturated.close();
    }
  });

  it("GET /api/v1/health still says 503 when its probe cannot reach the database", async () => {
    const url = new URL(db.url);
    url.pathname = `/${db.name}_missing`;
    const gone = createDatabase({ ...POOL_DEFAULTS, applicationName: `healthtest-${process.pid}`, target: { url: url.toString(), display: "missing", source: "DATABASE_URL" } }, { logger: { warn() {}, error() {} }, skipWarmUp: true });
    const { app: goneApp } = await buildHealthApp({ database: gone });
    try {
      const res = await goneApp.inject({ url: "/api/v1/health" });
      expect(res.statusCode).toBe(503);
      // 3D000: the server answered that the database does not exist.
      expect(res.json()).toMatchObject({ status: "unavailable", database: { reachable: false, error: { code: "3D000" } } });
    } finally {
      await goneApp.close();
      await gone.close();
    }
  });

  it("slow-queries without pg_stat_statements: a clear error body with the fix, not a 500", async () => {
    const bare = await createTestDatabase("health_nopss"); // no migration: extension not created
    const bareDb = pool(bare);
    const { app: bareApp } = await buildHealthApp({ database: bareDb });
    try {
      const res = await bareApp.inject({ url: "/api/v1/health/database/slow-queries" });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: "pg_stat_statements unavailable", step: "created", fix: expect.stringMatching(/CREATE EXTENSION pg_stat_statements/) });
      const reset = await bareApp.inject({ method: "POST", url: "/api/v1/health/database/reset-stats", headers: { "content-type": "application/json" }, payload: "{}" });
      expect(reset.statusCode).toBe(200);
      expect(reset.json()).toMatchObject({ reset: true, pgStatStatements: { reset: false, reason: expect.any(String) } });
    } finally {
      await bareApp.close();
      await bareDb.close();
      await bare.drop();
    }
  });
});

describe("health API security", () => {
  let db: TestDatabase;
  let server: RunningHealthServer;
  const logs = memoryStream();
  beforeAll(async () => {
    db = await migratedDatabase("health_auth");
    server = await startHealthServer(
      { DATABASE_URL: db.url, HOST: "127.0.0.1", PORT: "0", HEALTH_API_TOKEN: TOKEN, LOG_LEVEL: "info", POOL_APPLICATION_NAME: `healthauth-${process.pid}`, SLOW_QUERY_MS: "20", VERY_SLOW_QUERY_MS: "60" },
      { logStream: logs.stream },
    );
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it("with HEALTH_API_TOKEN, every endpoint but GET /api/v1/health needs the bearer token", async () => {
    const get = (path: string, headers: Record<string, string> = {}, method = "GET") => fetch(`${server.address}${path}`, { method, headers });
    expect((await get("/api/v1/health")).status).toBe(200);
    const protectedRoutes: [string, string][] = [
      ["GET", "/api/v1/health/database"],
      ["POST", "/api/v1/health/database/reset-stats"],
      ["GET", "/api/v1/health/database/slow-queries?limit=5"],
      ["GET", "/metrics"],
    ];
    for (const [method, path] of protectedRoutes) {
      const none = await get(path, {}, method);
      expect(none.status, `${method} ${path} without token`).toBe(401);
      expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await none.json()).toMatchObject({ statusCode: 401, message: expect.stringMatching(/Authorization: Bearer/) });
      expect((await get(path, { authorization: `Bearer ${TOKEN}x` }, method)).status, `${method} ${path} wrong token`).toBe(401);
      expect((await get(path, { authorization: TOKEN }, method)).status, `${method} ${path} no scheme`).toBe(401);
      expect((await get(path, { authorization: `Bearer ${TOKEN}` }, method)).status, `${method} ${path} right token`).toBe(200);
    }
  });

  it("logs carry neither query parameters nor the token", async () => {
    await server.database.sql`SELECT pg_sleep(0.1), ${SECRET}::text AS phone`;
    await server.database.sql`SELECT (${SECRET}::text || s::text)::int FROM pg_sleep(0.07) s`.catch(() => {});
    await fetch(`${server.address}/api/v1/health/database`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await fetch(`${server.address}/api/v1/health/database/slow-queries`, { headers: { authorization: `Bearer ${TOKEN}` } });
    // A token (or anything else) in a query string: refused, and only the path is logged.
    const QUERY_SECRET = "QUERY-STRING-SECRET-4711";
    expect((await fetch(`${server.address}/api/v1/health/database?token=${QUERY_SECRET}`)).status).toBe(401);
    expect((await fetch(`${server.address}/api/v1/health?token=${QUERY_SECRET}&x=1`)).status).toBe(200);
    const notFound = await fetch(`${server.address}/api/v1/nothing-here?token=${QUERY_SECRET}`);
    expect(notFound.status).toBe(404);
    expect(await notFound.text()).not.toContain(QUERY_SECRET);
    const text = logs.text();
    expect(text).toMatch(/"msg":"very slow query \(> 60 ms\)"/); // the logs are really captured
    expect(text).toContain('"url":"/api/v1/health/database"'); // request logs are captured too, by path
    expect(text).toContain('"url":"/api/v1/nothing-here"');
    expect(text).not.toContain(QUERY_SECRET);
    expect(text).not.toContain("?token=");
    expect(text).toMatch(/pg_sleep\(0\.1\), \$1::text AS phone/);
    expect(text).toMatch(/"errorCode":"22P02"/);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("NEVER-LOG-ME");
    expect(text).not.toContain(TOKEN);
  });

  it("refuses to bind a public address without a token; every setting problem reported at once", async () => {
    expect(parseHealthServerSettings({ HOST: "0.0.0.0" }).problems).toEqual([expect.stringMatching(/refusing to bind 0\.0\.0\.0 .* without HEALTH_API_TOKEN/)]);
    expect(parseHealthServerSettings({ HOST: "0.0.0.0", HEALTH_API_TOKEN: TOKEN }).problems).toEqual([]);
    expect(parseHealthServerSettings({ HEALTH_API_TOKEN: "short" }).problems).toEqual([expect.stringMatching(/Setting 'HEALTH_API_TOKEN': must be at least 16/)]);
    expect([["127.0.0.1", true], ["127.1.2.3", true], ["::1", true], ["localhost", true], ["0.0.0.0", false], ["::", false], ["10.0.0.5", false]].every(([h, want]) => isLoopback(h as string) === want)).toBe(true);

    const error = await startHealthServer({ DATABASE_URL: db.url, HOST: "0.0.0.0", PORT: "0" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(EXIT.usage);

    const result = await runScript("serve.ts", [], { DATABASE_URL: db.url, HOST: "0.0.0.0", PORT: "0", HEALTH_API_TOKEN: "" }, 30_000);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/refusing to bind 0\.0\.0\.0/);
    expect(looksLikeCleanError(result.stderr)).toBe(true);

    const many = await runScript("serve.ts", [], { DATABASE_URL: db.url, PORT: "99999", POOL_MAX: "0", LOG_LEVEL: "loud" }, 30_000);
    expect(many.code).toBe(EXIT.usage);
    for (const key of ["PORT", "POOL_MAX", "LOG_LEVEL"]) expect(many.stderr).toContain(`Setting '${key}'`);
  });

  it("redacts the Authorization header in pino's request logs", () => {
    const options = loggerOptions("info") as { redact: { paths: string[] } };
    expect(options.redact.paths).toContain("req.headers.authorization");
  });
});
