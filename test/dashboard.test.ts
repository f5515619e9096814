// The dashboard over HTTP (Fastify inject) against a real database: sign-in,
// cookie attributes, CSP and security headers, CSRF and cross-origin refusal,
// escaping of database-supplied names, 4xx pages. The browser test
// (dashboard-browser.test.ts) covers rendering in Chromium.
import { rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHealthServerSettings } from "../src/health/health-options.ts";
import { barChart, lineChart, meter } from "../src/dashboard/charts.ts";
import { escapeHtml, html } from "../src/dashboard/html.ts";
import { DASHBOARD_CSP, SESSION_COOKIE, SIGN_IN_COOKIE } from "../src/dashboard/plugin.ts";
import { SessionStore, SignInThrottle, SIGN_IN_FAILURES_MAX, SIGN_IN_WINDOW_MS } from "../src/dashboard/sessions.ts";
import { latestVerifyReport } from "../src/dashboard/verify-report.ts";
import { buildHealthApp } from "../src/health/server.ts";
import { POOL_DEFAULTS } from "../src/pool/pool-options.ts";
import { createDatabase, type Database } from "../src/pool/create-database.ts";
import { findFreePort } from "../src/embedded/server.ts";
import { migratedDatabase, type TestDatabase } from "./support/databases.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const TOKEN = "dashboard-token-0123456789abcdef";
const HOSTILE = `<img src=x onerror=alert(1)>`;

function cookieFrom(res: LightMyRequestResponse, name = SESSION_COOKIE): string {
  const header = res.headers["set-cookie"];
  const line = (Array.isArray(header) ? header : [header]).find((h) => h?.startsWith(`${name}=`));
  if (!line) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return line.split(";")[0]!;
}

function csrfFrom(body: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(body);
  if (!m) throw new Error("no CSRF field on the page");
  return m[1]!;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** POST /dashboard/login as the browser does: GET the form first, send its CSRF token with its cookie. */
async function postSignIn(app: FastifyInstance, token: string, options: { remoteAddress?: string } = {}): Promise<LightMyRequestResponse> {
  const page = await app.inject({ url: "/dashboard/login", ...options });
  const cookie = cookieFrom(page, SIGN_IN_COOKIE);
  return app.inject({ method: "POST", url: "/dashboard/login", headers: { ...FORM, cookie }, payload: form({ token, csrf: csrfFrom(page.body) }), ...options });
}

describe("dashboard building blocks", () => {
  it("html`` escapes every interpolated string, nested lists too, and passes SafeHtml through", () => {
    const inner = html`<b>${"<i>"}</b>`;
    expect(html`<p title="${`"x" & 'y'`}">${[HOSTILE, inner, 3, null, false]}</p>`.value).toBe(
      `<p title="&quot;x&quot; &amp; &#39;y&#39;">&lt;img src=x onerror=alert(1)&gt;<b>&lt;i&gt;</b>3</p>`,
    );
    expect(escapeHtml(`</script>`)).toBe("&lt;/script&gt;");
  });

  it("charts draw one rect per non-empty segment and escape their labels", () => {
    const chart = barChart({
      title: HOSTILE,
      rows: [
        { label: HOSTILE, segments: [{ value: 5, tone: "s0" }, { value: 2, tone: "s1" }] },
        { label: "b", segments: [{ value: 1, tone: "s0" }] },
      ],
      format: String,
    }).value;
    expect(chart.match(/<rect class="bar /g)).toHaveLength(3);
    expect(chart).not.toContain("<img");
    expect(chart).toContain("&lt;img");
    expect(barChart({ title: "t", rows: [], format: String }).value).toContain("nothing to show yet");
    expect(meter({ title: "m", parts: [{ value: 3, tone: "s0", label: "busy" }], limit: 10, limitLabel: "max" }).value).toContain("busy: 3");
    const line = lineChart({ title: "l", series: [{ label: "x", tone: "s0", points: [{ at: new Date(0), value: 1 }, { at: new Date(60_000), value: 4 }] }], format: String }).value;
    expect(line.match(/<circle/g)).toHaveLength(2);
    expect(line).toContain("<polyline");
  });

  it("HEALTH_DASHBOARD_SECURE_COOKIE takes true/false and names the setting otherwise", () => {
    expect(parseHealthServerSettings({ HEALTH_DASHBOARD_SECURE_COOKIE: "true" }).value.secureCookie).toBe(true);
    expect(parseHealthServerSettings({}).value.secureCookie).toBe(false);
    expect(parseHealthServerSettings({ HEALTH_DASHBOARD_SECURE_COOKIE: "sometimes" }).problems).toEqual([expect.stringMatching(/^Setting 'HEALTH_DASHBOARD_SECURE_COOKIE': must be true or false, got 'sometimes'/)]);
  });

  it("sessions expire after their time to live", () => {
    let now = 1_000;
    const store = new SessionStore(500, () => now);
    const s = store.create();
    expect(store.get(s.id)).toBe(s);
    now += 499;
    expect(store.get(s.id)).toBe(s);
    now += 1;
    expect(store.get(s.id)).toBeUndefined();
    expect(store.get("unknown")).toBeUndefined();
  });

  it("sign-in throttle: refuses an address after too many failures inside the window, until the oldest leaves it", () => {
    let now = 0;
    const throttle = new SignInThrottle(() => now);
    for (let i = 0; i < SIGN_IN_FAILURES_MAX - 1; i++) throttle.failed("a");
    expect(throttle.retryAfterMs("a")).toBe(0);
    now = 1_000;
    throttle.failed("a");
    expect(throttle.retryAfterMs("a")).toBe(SIGN_IN_WINDOW_MS - 1_000);
    expect(throttle.retryAfterMs("b")).toBe(0);
    now = SIGN_IN_WINDOW_MS + 1;
    expect(throttle.retryAfterMs("a")).toBe(0);
    throttle.failed("b");
    throttle.succeeded("b");
    expect(throttle.retryAfterMs("b")).toBe(0);
  });

  it("the verify report reader takes the newest file that is a verify report", async () => {
    const dir = suiteServerDir("dashboard-reports");
    try {
      expect(await latestVerifyReport(dir)).toBeNull();
      expect(await latestVerifyReport(path.join(dir, "missing"))).toBeNull();
      const report = { tool: "bollalabz-db verify", grade: "B", passed: false, summary: { queries: 1, passed: 0, failed: 1, meanMs: 3 }, queries: [{ name: HOSTILE, pass: false, failures: ["slow"], client: { median: 3 } }], checks: [] };
      writeFileSync(path.join(dir, "verify-a.json"), JSON.stringify(report));
      writeFileSync(path.join(dir, "verify-b.json"), "{ half written");
      writeFileSync(path.join(dir, "verify-c.json"), JSON.stringify({ tool: "something else" }));
      utimesSync(path.join(dir, "verify-a.json"), new Date(1_000_000), new Date(1_000_000));
      const latest = await latestVerifyReport(dir);
      expect(latest?.file).toBe(path.join(dir, "verify-a.json"));
      expect(latest?.kind === "json" && latest.report).toMatchObject({ grade: "B", passed: false, queries: [{ name: HOSTILE, pass: false, budgetMs: NaN }] });
      // Plain `npm run verify` writes Markdown and an SVG chart beside it.
      writeFileSync(path.join(dir, "verify-d.md"), "# Verification report: grade A+\n\n- database: `x`\n- result: **OK**\n\nGrade: ...\n");
      writeFileSync(path.join(dir, "verify-d.svg"), "<svg/>");
      utimesSync(path.join(dir, "verify-d.md"), new Date(2_000_000), new Date(2_000_000));
      expect(await latestVerifyReport(dir)).toMatchObject({ kind: "markdown", title: "Verification report: grade A+", facts: ["database: x", "result: OK"], chart: "verify-d.svg" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("dashboard over HTTP", () => {
  let db: TestDatabase;
  let database: Database;
  let app: FastifyInstance;
  let open: FastifyInstance;
  let reportsDir: string;

  beforeAll(async () => {
    db = await migratedDatabase("dashboard");
    // A table whose name is markup: it must reach the page as text.
    await db.sql`CREATE TABLE ${db.sql(HOSTILE)} (id int PRIMARY KEY, note text)`;
    await db.sql`INSERT INTO ${db.sql(HOSTILE)} SELECT g, repeat('x', 100) FROM generate_series(1, 500) g`;
    database = createDatabase({ ...POOL_DEFAULTS, applicationName: `dashboardtest-${process.pid}`, target: db }, { logger: { warn() {}, error() {} } });
    reportsDir = suiteServerDir("dashboard-reports");
    ({ app } = await buildHealthApp({ database, token: TOKEN, reportsDir }));
    ({ app: open } = await buildHealthApp({ database, secureCookie: true, reportsDir }));
  });
  afterAll(async () => {
    await app?.close();
    await open?.close();
    await database?.close();
    await db?.drop();
    rmSync(reportsDir, { recursive: true, force: true });
  });

  async function signIn(): Promise<string> {
    const res = await postSignIn(app, TOKEN);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/dashboard");
    return cookieFrom(res);
  }

  it("sends a signed-out visitor to the sign-in form, which has the strict CSP and no script", async () => {
    const res = await app.inject({ url: "/dashboard" });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/dashboard/login");
    const login = await app.inject({ url: "/dashboard/login" });
    expect(login.statusCode).toBe(200);
    expect(login.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("default-src 'none'");
    expect(DASHBOARD_CSP).not.toContain("unsafe-inline");
    expect(login.headers["x-content-type-options"]).toBe("nosniff");
    expect(login.headers["cache-control"]).toBe("no-store");
    expect(login.body).toContain('name="token"');
    expect(login.body).not.toMatch(/<script|style=/i);
  });

  it("refuses a wrong or empty token with 401 and no cookie", async () => {
    for (const token of ["wrong-token-0123456789abcdef", ""]) {
      const res = await postSignIn(app, token);
      expect(res.statusCode).toBe(401);
      expect(res.headers["set-cookie"]).toBeUndefined();
      expect(res.body).toMatch(/not valid|Enter the API token/);
    }
  });

  it("after too many wrong tokens an address gets 429 with Retry-After, even for the right token", async () => {
    const { app: throttled } = await buildHealthApp({ database, token: TOKEN, reportsDir });
    try {
      const attempt = (token: string) => postSignIn(throttled, token, { remoteAddress: "10.9.8.7" });
      for (let i = 0; i < SIGN_IN_FAILURES_MAX; i++) expect((await attempt("wrong-token-0123456789abcdef")).statusCode).toBe(401);
      const refused = await attempt(TOKEN);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      expect(refused.body).toContain("Too many failed sign-ins");
      expect(refused.headers["set-cookie"]).toBeUndefined();
      // Another address is not affected.
      expect((await postSignIn(throttled, TOKEN, { remoteAddress: "10.9.8.6" })).statusCode).toBe(303);
    } finally {
      await throttled.close();
    }
  });

  it("exchanges the token for an HttpOnly SameSite=Strict cookie that does not contain the token", async () => {
    const res = await postSignIn(app, TOKEN);
    const header = String(res.headers["set-cookie"]);
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Strict/);
    expect(header).toMatch(/Path=\/dashboard/);
    expect(header).not.toMatch(/Secure/);
    expect(header).not.toContain(TOKEN);
  });

  it("renders every page with charts for a signed-in session, escaping names that come from the database", async () => {
    const cookie = await signIn();
    for (const url of ["/dashboard", "/dashboard/queries", "/dashboard/indexes", "/dashboard/space", "/dashboard/verify"]) {
      const res = await app.inject({ url, headers: { cookie } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toMatch(/text\/html/);
      expect(res.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
      expect(res.body).not.toMatch(/<script/i);
      expect(res.body).not.toContain(HOSTILE);
      if (url !== "/dashboard/verify") expect(res.body, url).toContain("<svg");
    }
    const space = await app.inject({ url: "/dashboard/space", headers: { cookie } });
    expect(space.body).toContain(escapeHtml(HOSTILE));
    const verify = await app.inject({ url: "/dashboard/verify", headers: { cookie } });
    expect(verify.body).toContain("No verify report");
  });

  it("a tampered cookie is no session", async () => {
    const cookie = await signIn();
    const tampered = cookie.slice(0, -2) + (cookie.endsWith("A") ? "BB" : "AA");
    const res = await app.inject({ url: "/dashboard", headers: { cookie: tampered } });
    expect(res.statusCode).toBe(303);
  });

  it("sign-out needs the session's CSRF token and a same-origin request", async () => {
    const cookie = await signIn();
    const page = await app.inject({ url: "/dashboard", headers: { cookie } });
    const csrf = csrfFrom(page.body);
    const missing = await app.inject({ method: "POST", url: "/dashboard/logout", headers: { ...FORM, cookie }, payload: form({}) });
    expect(missing.statusCode).toBe(403);
    const wrong = await app.inject({ method: "POST", url: "/dashboard/logout", headers: { ...FORM, cookie }, payload: form({ csrf: csrf.slice(1) + "x" }) });
    expect(wrong.statusCode).toBe(403);
    const crossSite = await app.inject({ method: "POST", url: "/dashboard/logout", headers: { ...FORM, cookie, host: "127.0.0.1:5000", origin: "https://evil.example" }, payload: form({ csrf }) });
    expect(crossSite.statusCode).toBe(403);
    expect((await app.inject({ url: "/dashboard", headers: { cookie } })).statusCode).toBe(200);
    const ok = await app.inject({ method: "POST", url: "/dashboard/logout", headers: { ...FORM, cookie, host: "127.0.0.1:5000", origin: "http://127.0.0.1:5000" }, payload: form({ csrf }) });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe("/dashboard/login?signedOut");
    expect((await app.inject({ url: "/dashboard", headers: { cookie } })).statusCode).toBe(303);
    const noSession = await app.inject({ method: "POST", url: "/dashboard/logout", headers: { ...FORM, cookie }, payload: form({ csrf }) });
    expect(noSession.statusCode).toBe(401);
  });

  it("the activity page lists sessions; cancel is refused while HEALTH_API_ALLOW_CANCEL is off, and needs a valid pid and the CSRF token", async () => {
    const cookie = await signIn();
    const activity = await app.inject({ url: "/dashboard/activity", headers: { cookie } });
    expect(activity.statusCode).toBe(200);
    expect(activity.body).toContain("Cancel and terminate are off on this server");
    expect(activity.body).not.toContain('data-action="cancel"');
    expect(activity.body).toContain("<svg");
    const csrf = csrfFrom(activity.body);
    const off = await app.inject({ method: "POST", url: "/dashboard/activity/cancel", headers: { ...FORM, cookie }, payload: form({ csrf, pid: "1", action: "cancel" }) });
    expect(off.statusCode).toBe(403);
    expect(off.body).toContain("HEALTH_API_ALLOW_CANCEL=true");

    const { app: allowing } = await buildHealthApp({ database, token: TOKEN, reportsDir, allowCancel: true });
    try {
      const login = await postSignIn(allowing, TOKEN);
      const c2 = cookieFrom(login);
      const page = await allowing.inject({ url: "/dashboard/activity", headers: { cookie: c2 } });
      expect(page.body).toContain("Every action is logged");
      const token2 = csrfFrom(page.body);
      const post = (fields: Record<string, string>) => allowing.inject({ method: "POST", url: "/dashboard/activity/cancel", headers: { ...FORM, cookie: c2 }, payload: form(fields) });
      const bad: Record<string, string>[] = [{ pid: "0", action: "cancel" }, { pid: "abc", action: "cancel" }, { pid: "99999999999", action: "cancel" }, { pid: "12", action: "explode" }, { action: "cancel" }];
      for (const fields of bad) {
        const res = await post({ csrf: token2, ...fields });
        expect(res.statusCode, JSON.stringify(fields)).toBe(400);
        expect(res.body).toContain("a whole number from 1 to 2147483647");
      }
      expect((await post({ pid: "12", action: "cancel" })).statusCode).toBe(403);
      // A pid nobody has: the page says so (303 back to the activity page with the message).
      const gone = await post({ csrf: token2, pid: "2147483647", action: "terminate" });
      expect(gone.statusCode).toBe(303);
      const after = await allowing.inject({ url: "/dashboard/activity", headers: { cookie: c2 } });
      expect(after.body).toContain("No session with pid 2147483647 any more");
    } finally {
      await allowing.close();
    }
  });

  it("answers bad requests with 4xx pages, not stack traces", async () => {
    const cookie = await signIn();
    const notFound = await app.inject({ url: "/dashboard/nope", headers: { cookie } });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.headers["content-type"]).toMatch(/text\/html/);
    expect(notFound.body).toContain("/dashboard/indexes");
    const wrongType = await app.inject({ method: "POST", url: "/dashboard/login", headers: { "content-type": "text/csv" }, payload: "token" });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.body).toContain("application/x-www-form-urlencoded");
    const huge = await postSignIn(app, "x".repeat(20_000));
    expect(huge.statusCode).toBe(413);
    const broken = await app.inject({ method: "POST", url: "/dashboard/login", headers: { "content-type": "application/json" }, payload: "{" });
    expect(broken.statusCode).toBe(400);
    for (const res of [notFound, wrongType, huge, broken]) expect(res.body).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it("the API keeps answering JSON beside the dashboard", async () => {
    const res = await app.inject({ url: "/api/v1/health" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-security-policy"]).toBeUndefined();
    expect((await app.inject({ url: "/api/v1/nope" })).json().endpoints).toContain("GET /dashboard (sign in with the token in a browser)");
  });

  it("without a token (loopback only) it opens without sign-in but still needs the CSRF token to post, and marks the cookie Secure when configured", async () => {
    const res = await open.inject({ url: "/dashboard" });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers["set-cookie"])).toMatch(/Secure/);
    const cookie = cookieFrom(res);
    expect(res.body).toContain("no token configured");
    expect((await open.inject({ url: "/dashboard/login" })).statusCode).toBe(303);
    const forged = await open.inject({ method: "POST", url: "/dashboard/logout", headers: { ...FORM, cookie }, payload: form({ csrf: "guess" }) });
    expect(forged.statusCode).toBe(403);
  });
});

describe("dashboard with the database unreachable", () => {
  it("every page still answers 200, each card saying what is unavailable, and the overview says unreachable", async () => {
    // A port nothing listens on: every query fails fast with a connection error.
    const url = `postgres://nobody:secret@127.0.0.1:${await findFreePort()}/none`;
    const database = createDatabase({ ...POOL_DEFAULTS, min: 0, connectTimeoutSeconds: 1, applicationName: "dashboard-down", target: { url, display: "127.0.0.1 (closed port)", source: "DATABASE_URL" } }, { logger: { warn() {}, error() {} }, skipWarmUp: true });
    const { app } = await buildHealthApp({ database });
    try {
      const first = await app.inject({ url: "/dashboard" });
      const cookie = cookieFrom(first);
      expect(first.statusCode).toBe(200);
      expect(first.body).toContain("unreachable");
      for (const url of ["/dashboard/activity", "/dashboard/queries", "/dashboard/queries?since=1h", "/dashboard/indexes", "/dashboard/space"]) {
        const res = await app.inject({ url, headers: { cookie } });
        expect(res.statusCode, url).toBe(200);
        expect(res.body, url).toMatch(/class="flash error">[^<]*unavailable/);
        expect(res.body).not.toContain("secret");
        expect(res.body).not.toMatch(/\n\s+at .+:\d+:\d+/);
      }
    } finally {
      await app.close();
      await database.close({ timeoutSeconds: 1 });
    }
  });
});
