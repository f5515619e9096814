// The observe routes through the real Fastify app and a real server: activity
// behind the token, cancel/terminate allowed or refused (and logged without
// secrets), clear 4xx for bad input, the danger checks, slow queries over a
// window and space growth.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHealthServerSettings } from "../src/health/health-options.ts";
import { buildHealthApp, loggerOptions } from "../src/health/server.ts";
import { runCapture } from "../src/observe/capture.ts";
import { POOL_DEFAULTS } from "../src/pool/pool-options.ts";
import { createDatabase, type Database } from "../src/pool/create-database.ts";
import { migratedDatabase, type TestDatabase } from "./support/databases.ts";
import { testSessions } from "./support/sessions.ts";
import { waitFor } from "./support/wait-for.ts";
import { memoryStream } from "./support/memory-log.ts";

const TOKEN = "observe-token-0123456789abcdef";
const SECRET = "+1-555-0177-NEVER-LOG";
const auth = { authorization: `Bearer ${TOKEN}` };

describe("HEALTH_API_ALLOW_CANCEL and the monitor settings", () => {
  it("default off; true/false words accepted; anything else is named", () => {
    expect(parseHealthServerSettings({}).value).toMatchObject({ allowCancel: false, captureIntervalMinutes: 5, statementRetentionDays: 14 });
    expect(parseHealthServerSettings({ HEALTH_API_ALLOW_CANCEL: "true" }).value.allowCancel).toBe(true);
    expect(parseHealthServerSettings({ HEALTH_API_ALLOW_CANCEL: "On" }).value.allowCancel).toBe(true);
    expect(parseHealthServerSettings({ HEALTH_API_ALLOW_CANCEL: "0" }).value.allowCancel).toBe(false);
    const { problems } = parseHealthServerSettings({ HEALTH_API_ALLOW_CANCEL: "sometimes", MONITOR_CAPTURE_INTERVAL_MINUTES: "5m", MONITOR_RETENTION_DAYS: "0" });
    expect(problems).toEqual([
      "Setting 'HEALTH_API_ALLOW_CANCEL': must be true or false (also 1/0, yes/no, on/off), got 'sometimes'",
      "Setting 'MONITOR_CAPTURE_INTERVAL_MINUTES': must be a whole number from 0 to 1440 (minutes between pg_stat_statements captures; 0 turns the capture off), got '5m'",
      "Setting 'MONITOR_RETENTION_DAYS': must be a whole number from 1 to 90 (days of statement history kept), got '0'",
    ]);
    expect(parseHealthServerSettings({ MONITOR_CAPTURE_INTERVAL_MINUTES: "0" }).value.captureIntervalMinutes).toBe(0);
  });
});

describe("observe routes", () => {
  let db: TestDatabase;
  let database: Database;
  let allowed: FastifyInstance;
  let refused: FastifyInstance;
  const log = memoryStream();
  const sessions = testSessions();
  const client = (applicationName: string) => sessions.open(db.url, applicationName);
  const pidOf = sessions.pidOf;

  beforeAll(async () => {
    db = await migratedDatabase("observeapi");
    database = createDatabase({ ...POOL_DEFAULTS, applicationName: `observe-api-${process.pid}`, target: db }, { logger: { warn() {}, error() {} } });
    ({ app: allowed } = await buildHealthApp({ database, token: TOKEN, allowCancel: true, logger: loggerOptions("info", log.stream) }));
    ({ app: refused } = await buildHealthApp({ database, token: TOKEN }));
  });
  afterAll(async () => {
    await allowed?.close();
    await refused?.close();
    await sessions.closeAll();
    await database?.close();
    await db?.drop();
  });

  it("activity needs the token and shows a running pg_sleep, which is cancelled when allowed and refused when not", async () => {
    expect((await allowed.inject({ url: "/api/v1/health/activity" })).statusCode).toBe(401);
    const sleeper = client("api-sleeper");
    const pid = await pidOf(sleeper);
    const sleeping = sleeper.unsafe(`SELECT pg_sleep(60), '${SECRET}'`).then(() => "finished", (e: { code?: string }) => e.code);
    const res = await waitFor(
      () => allowed.inject({ url: "/api/v1/health/activity", headers: auth }),
      (r) => r.statusCode === 200 && r.json().running.some((b: { pid: number }) => b.pid === pid),
      "pg_sleep in GET /activity",
    );
    const body = res.json();
    expect(body.running.find((b: { pid: number }) => b.pid === pid)).toMatchObject({ applicationName: "api-sleeper", state: "active", query: "SELECT pg_sleep($1), $2", durationMs: expect.any(Number) });
    expect(body.connections).toMatchObject({ maxConnections: expect.any(Number), total: expect.any(Number), byState: expect.any(Array), byApplication: expect.any(Array) });
    expect(res.body).not.toContain(SECRET);

    // Off unless HEALTH_API_ALLOW_CANCEL: 403 naming the setting, and the sleep goes on.
    const off = await refused.inject({ method: "POST", url: `/api/v1/health/activity/${pid}/cancel`, headers: auth });
    expect(off.statusCode).toBe(403);
    expect(off.json().message).toContain("HEALTH_API_ALLOW_CANCEL=true");
    expect((await refused.inject({ method: "POST", url: `/api/v1/health/activity/${pid}/cancel` })).statusCode).toBe(401);
    // Cross-site requests are refused even when allowed.
    expect((await allowed.inject({ method: "POST", url: `/api/v1/health/activity/${pid}/cancel`, headers: { ...auth, origin: "https://evil.example" } })).statusCode).toBe(403);
    const still = await allowed.inject({ url: "/api/v1/health/activity", headers: auth });
    expect(still.json().running.some((b: { pid: number }) => b.pid === pid)).toBe(true);

    const cancel = await allowed.inject({ method: "POST", url: `/api/v1/health/activity/${pid}/cancel`, headers: auth });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json()).toMatchObject({ action: "cancel", pid, signalled: true, target: { applicationName: "api-sleeper" } });
    expect(await sleeping).toBe("57014");
    const lines = log.text().split("\n").filter((l) => l.includes(`backend ${pid} cancelled`));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, action: "cancel", pid, outcome: "signalled", requester: { ip: expect.any(String) }, target: { applicationName: "api-sleeper" } });
    expect(log.text()).not.toContain(TOKEN);
    expect(log.text()).not.toContain(SECRET);
  });

  it("bad pids are 400, unknown pids 404, protected backends 403", async () => {
    for (const bad of ["abc", "0", "-5", "1.5", "99999999999", "12abc"]) {
      const res = await allowed.inject({ method: "POST", url: `/api/v1/health/activity/${bad}/terminate`, headers: auth });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().message).toContain("pid must be a whole number from 1 to 2147483647");
    }
    const unknown = await allowed.inject({ method: "POST", url: "/api/v1/health/activity/2147483000/cancel", headers: auth });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toContain("No session with pid 2147483000");

    const [checkpointer] = await db.sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`;
    const server = await allowed.inject({ method: "POST", url: `/api/v1/health/activity/${checkpointer!.pid}/terminate`, headers: auth });
    expect(server.statusCode).toBe(403);
    expect(server.json().message).toContain("server process (checkpointer)");

    // The API's own pool connections (its application_name) are off limits.
    const reserved = await database.sql.reserve();
    try {
      const [{ pid }] = (await reserved`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
      const own = await allowed.inject({ method: "POST", url: `/api/v1/health/activity/${pid}/terminate`, headers: auth });
      expect(own.statusCode).toBe(403);
      expect(own.json().message).toContain("own pool connections");
      expect((await reserved`SELECT 1 AS one`)[0]).toEqual({ one: 1 });
    } finally {
      reserved.release();
    }
  });

  it("a lock wait shows blocker and blocked; the blocker is listed idle in transaction", async () => {
    await db.sql`CREATE TABLE IF NOT EXISTS api_lock_probe (id int PRIMARY KEY, n int)`;
    await db.sql`INSERT INTO api_lock_probe VALUES (1, 0) ON CONFLICT DO NOTHING`;
    const holder = client("api-holder");
    const waiter = client("api-waiter");
    const holderPid = await pidOf(holder);
    const waiterPid = await pidOf(waiter);
    await holder.unsafe("BEGIN");
    await holder.unsafe("UPDATE api_lock_probe SET n = n + 1 WHERE id = 1");
    const waiting = waiter.unsafe("UPDATE api_lock_probe SET n = n + 10 WHERE id = 1").then(() => "updated", (e: { code?: string }) => e.code);
    const res = await waitFor(
      () => allowed.inject({ url: "/api/v1/health/activity", headers: auth }),
      (r) => r.json().blocked?.some((b: { blocked: { pid: number } }) => b.blocked.pid === waiterPid),
      "the lock wait in GET /activity",
    );
    const body = res.json();
    const entry = body.blocked.find((b: { blocked: { pid: number } }) => b.blocked.pid === waiterPid);
    expect(entry).toMatchObject({ blockedBy: [holderPid], blocked: { applicationName: "api-waiter", waitEventType: "Lock" }, blockers: [{ pid: holderPid, applicationName: "api-holder" }] });
    expect(body.idleInTransaction).toEqual(expect.arrayContaining([expect.objectContaining({ pid: holderPid, state: "idle in transaction" })]));
    const terminated = await allowed.inject({ method: "POST", url: `/api/v1/health/activity/${holderPid}/terminate`, headers: auth });
    expect(terminated.json()).toMatchObject({ action: "terminate", signalled: true });
    expect(await waiting).toBe("updated");
  });

  it("GET /health/danger answers the danger checks", async () => {
    const res = await allowed.inject({ url: "/api/v1/health/danger", headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: expect.stringMatching(/^(ok|warning)$/),
      freezeAge: { limits: { freezeMaxAge: expect.any(Number) }, databases: expect.any(Array), tables: expect.any(Array) },
      vacuum: { overdue: expect.any(Array), inProgress: expect.any(Array) },
      sequences: { nearLimit: expect.any(Array) },
      invalidConstraints: [],
      warnings: expect.any(Array),
    });
    expect((await allowed.inject({ url: "/api/v1/health/danger" })).statusCode).toBe(401);
  });

  it("slow queries over a window: 400 with the accepted forms, then the captured deltas", async () => {
    const bad = await allowed.inject({ url: "/api/v1/health/database/slow-queries?since=yesterday", headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ message: expect.stringContaining("e.g. 30m, 1h, 24h, 7d"), accepted: ["30m", "1h", "24h", "7d"] });
    const empty = await allowed.inject({ url: "/api/v1/health/database/slow-queries?since=1h", headers: auth });
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toMatchObject({ since: "1h", window: { captures: 0 }, byTotalTime: [], warning: expect.stringContaining("npm run capture") });

    await runCapture(database.sql);
    for (let i = 0; i < 4; i++) await database.sql`SELECT count(*) FROM people WHERE id > ${i}`;
    await runCapture(database.sql);
    const res = await allowed.inject({ url: "/api/v1/health/database/slow-queries?since=1h&limit=100", headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ since: "1h", limit: 100, window: { captures: 1, resetsDetected: 0 } });
    expect(body.byTotalTime).toEqual(expect.arrayContaining([expect.objectContaining({ query: "SELECT count(*) FROM people WHERE id > $1", calls: 4 })]));
    // Without ?since the answer is the one since the counters began, as before.
    const classic = await allowed.inject({ url: "/api/v1/health/database/slow-queries", headers: auth });
    expect(classic.json()).not.toHaveProperty("since");

    const space = await allowed.inject({ url: "/api/v1/health/database/space-growth?days=7", headers: auth });
    expect(space.statusCode).toBe(200);
    expect(space.json()).toMatchObject({ days: 7, tables: expect.arrayContaining([expect.objectContaining({ schema: "public", table: "people", growthBytes: 0 })]) });
    expect((await allowed.inject({ url: "/api/v1/health/database/space-growth?days=0", headers: auth })).statusCode).toBe(400);
  });
});
