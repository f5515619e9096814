// Issue #23's attacks on the health server, replayed over real HTTP against
// `npm run serve`'s default (no token, loopback) with cancel allowed: a
// cross-site POST that reset statistics, DNS rebinding (a foreign Host with a
// matching Origin) that read query texts and terminated a session, form and
// multipart bodies that answered 500, and token guessing. Each is refused;
// the controls show the same routes still answer legitimate requests.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHealthApp, startHealthServer, type RunningHealthServer } from "../src/health/server.ts";
import { SIGN_IN_FAILURES_MAX } from "../src/base/bearer-token.ts";
import { parseHealthServerSettings } from "../src/health/health-options.ts";
import { POOL_DEFAULTS } from "../src/pool/pool-options.ts";
import { createDatabase } from "../src/pool/create-database.ts";
import { migratedDatabase, type TestDatabase } from "./support/databases.ts";
import { testSessions } from "./support/sessions.ts";
import { waitFor } from "./support/wait-for.ts";
import { memoryStream } from "./support/memory-log.ts";

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One raw HTTP request (Host and Origin set by hand, as curl or a rebound page would). */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) } }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe("health server under the issue's attacks (no token, cancel allowed)", () => {
  let db: TestDatabase;
  let server: RunningHealthServer;
  const logs = memoryStream();
  const sessions = testSessions();
  let victimPid: number;
  let port: string;
  const APP = `healthhostile-${process.pid}`;
  const VICTIM_QUERY = "SELECT pg_sleep(600)";

  beforeAll(async () => {
    db = await migratedDatabase("health_hostile");
    server = await startHealthServer(
      { DATABASE_URL: db.url, HOST: "127.0.0.1", PORT: "0", HEALTH_API_ALLOW_CANCEL: "true", HEALTH_API_ALLOWED_HOSTS: "health.internal", LOG_LEVEL: "info", POOL_APPLICATION_NAME: APP, MONITOR_CAPTURE_INTERVAL_MINUTES: "0" },
      { logStream: logs.stream },
    );
    port = new URL(server.address).port;
    const victim = sessions.open(db.url, "hostile-victim");
    victimPid = await sessions.pidOf(victim);
    // A running query whose text the attacker wants; it runs until the test ends.
    void victim.unsafe(VICTIM_QUERY).catch(() => {});
    await waitFor(async () => ((await db.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${victimPid} AND state = 'active'`) as unknown as [{ n: number }])[0].n, (n) => n === 1, "the victim's query to run");
  });
  afterAll(async () => {
    if (db) await db.sql`SELECT pg_cancel_backend(${victimPid})`.catch(() => {});
    await sessions.closeAll();
    await server?.close();
    await db?.drop();
  });

  const victimAlive = async () => ((await db.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${victimPid}`) as unknown as [{ n: number }])[0].n === 1;
  const statementsReset = async () => ((await db.sql`SELECT stats_reset::text AS at FROM pg_stat_statements_info`) as unknown as [{ at: string }])[0].at;

  it("cross-site POST to reset-stats (curl -H 'Origin: https://evil.example' -H 'Content-Type: text/plain' --data x): 403, nothing reset", async () => {
    const before = { statements: await statementsReset(), monitor: server.database.getQueryStats().since };
    const attack = await send(server.address, "POST", "/api/v1/health/database/reset-stats", { origin: "https://evil.example", "content-type": "text/plain" }, "x");
    expect(attack.status).toBe(403);
    expect(JSON.parse(attack.body).message).toMatch(/another site \(Origin is 'https:\/\/evil\.example'\)/);
    // Without an Origin (an old browser, a form the attacker hosts elsewhere): a simple body is still refused.
    const simple = await send(server.address, "POST", "/api/v1/health/database/reset-stats", { "content-type": "text/plain" }, "x");
    expect(simple.status).toBe(403);
    expect(JSON.parse(simple.body).message).toMatch(/JSON body .* or an Authorization header/);
    const fetchSite = await send(server.address, "POST", "/api/v1/health/database/reset-stats", { "sec-fetch-site": "cross-site", "content-type": "application/json" }, "{}");
    expect(fetchSite.status).toBe(403);
    expect(await statementsReset()).toBe(before.statements);
    expect(server.database.getQueryStats().since).toBe(before.monitor);
  });

  it("DNS rebinding (Host: attacker.example with a matching Origin): 421 before any route, no query text, no terminated session", async () => {
    const rebound = { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` };
    const read = await send(server.address, "GET", "/api/v1/health/activity", rebound);
    expect(read.status).toBe(421);
    expect(read.body).not.toMatch(/pg_sleep|hostile-victim/);
    expect(JSON.parse(read.body).message).toMatch(/does not answer to Host 'attacker\.example:\d+'.*HEALTH_API_ALLOWED_HOSTS/);
    const terminate = await send(server.address, "POST", `/api/v1/health/activity/${victimPid}/terminate`, { ...rebound, "content-type": "application/json" }, "{}");
    expect(terminate.status).toBe(421);
    const dashboard = await send(server.address, "GET", "/dashboard/activity", rebound);
    expect(dashboard.status).toBe(421);
    const form = await send(server.address, "POST", "/dashboard/activity/cancel", { ...rebound, "content-type": "application/x-www-form-urlencoded" }, `pid=${victimPid}&action=terminate&csrf=x`);
    expect(form.status).toBe(421);
    // The allowed name on another port is not this server either.
    expect((await send(server.address, "GET", "/api/v1/health/activity", { host: "127.0.0.1:1" })).status).toBe(421);
    expect(await victimAlive()).toBe(true);
  });

  it("control: this server's own names (and HEALTH_API_ALLOWED_HOSTS) still read the activity; a same-origin JSON cancel passes the guard", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `health.internal:${port}`, "health.internal"]) {
      const res = await send(server.address, "GET", "/api/v1/health/activity", { host });
      expect(res.status, host).toBe(200);
      expect(res.body).toMatch(/pg_sleep/);
    }
    // Same origin + JSON reaches the route (no such pid: 404, nothing signalled).
    const cancel = await send(server.address, "POST", "/api/v1/health/activity/2147483000/cancel", { origin: server.address, "content-type": "application/json" }, "{}");
    expect(cancel.status).toBe(404);
    const curl = await send(server.address, "POST", "/api/v1/health/activity/2147483000/cancel", { "content-type": "application/json" });
    expect(curl.status).toBe(404);
    expect(await victimAlive()).toBe(true);
  });

  it("form-encoded, multipart and malformed bodies to an API route: 415 / 400, logged at info, never 500", async () => {
    const path = "/api/v1/health/activity/2147483000/cancel";
    const json = { origin: server.address };
    const formBody = await send(server.address, "POST", path, { "content-type": "application/x-www-form-urlencoded", authorization: "Bearer x" }, "a=1");
    expect(formBody.status).toBe(415);
    const multipart = await send(server.address, "POST", path, { "content-type": "multipart/form-data; boundary=x", authorization: "Bearer x" }, "--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n");
    expect(multipart.status).toBe(415);
    expect(JSON.parse(multipart.body)).toMatchObject({ statusCode: 415, error: "Unsupported Media Type" });
    const malformed = await send(server.address, "POST", path, { ...json, "content-type": "application/json" }, "{");
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toMatchObject({ statusCode: 400 });
    await expect.poll(() => logs.text()).toMatch(/"level":30[^\n]*request refused: Unsupported Media Type/);
    const lines = logs.text().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it("HEALTH_API_ALLOWED_HOSTS that is not a host list is one settings problem", () => {
    const { problems } = parseHealthServerSettings({ HEALTH_API_ALLOWED_HOSTS: "ok.example, http://bad.example/" });
    expect(problems).toEqual([expect.stringMatching(/^Setting 'HEALTH_API_ALLOWED_HOSTS': 'http:\/\/bad\.example\/' is not a host name/)]);
  });
});

describe("token guessing", () => {
  const TOKEN = "hostile-token-0123456789abcdef";
  let db: TestDatabase;
  beforeAll(async () => {
    db = await migratedDatabase("health_guess");
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("wrong bearer tokens from one address end in 429 with Retry-After, whatever X-Forwarded-For says; other addresses and the sign-in share the count", async () => {
    const database = createDatabase({ ...POOL_DEFAULTS, applicationName: `healthguess-${process.pid}`, target: db }, { logger: { warn() {}, error() {} } });
    const { app } = await buildHealthApp({ database, token: TOKEN });
    try {
      const guess = (token: string, address: string, i: number) =>
        app.inject({ url: "/api/v1/health/activity", headers: { authorization: `Bearer ${token}`, "x-forwarded-for": `10.0.0.${i}` }, remoteAddress: address });
      for (let i = 0; i < SIGN_IN_FAILURES_MAX; i++) expect((await guess(`wrong-${i}-0123456789abcdef`, "10.9.8.7", i)).statusCode).toBe(401);
      const refused = await guess(TOKEN, "10.9.8.7", 99);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      expect(refused.json()).toMatchObject({ statusCode: 429, message: expect.stringMatching(/Too many wrong tokens/) });
      // The dashboard's sign-in from that address is throttled too.
      const page = await app.inject({ url: "/dashboard/login", remoteAddress: "10.9.8.7" });
      const cookie = String(page.headers["set-cookie"]).split(";")[0]!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const signIn = await app.inject({ method: "POST", url: "/dashboard/login", remoteAddress: "10.9.8.7", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, payload: new URLSearchParams({ token: TOKEN, csrf }).toString() });
      expect(signIn.statusCode).toBe(429);
      // Control: another address with the right token is served.
      expect((await guess(TOKEN, "10.9.8.6", 1)).statusCode).toBe(200);
    } finally {
      await app.close();
      await database.close();
    }
  });
});
