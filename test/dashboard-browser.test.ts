// The dashboard in a real browser: headless Chromium (test/support/chromium.ts) driven by puppeteer-core
// against the real server (`npm run serve`'s script in a child process, set up
// through its environment) and a real, seeded database with a real verify
// report and real monitor captures. Signs in, opens every page, checks the
// charts are there, that nothing logged an error or violated the CSP, and
// writes a screenshot of each page to reports/dashboard-<page>.png.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import type { Browser, BrowserContext, Page } from "puppeteer-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { REPORTS_DIR } from "../src/base/project-paths.ts";
import { DASHBOARD_PAGES } from "../src/dashboard/layout.ts";
import { DASHBOARD_CSP, SESSION_COOKIE } from "../src/dashboard/plugin.ts";
import { COMMAND_BIN, PROJECT_ROOT } from "../src/base/project-paths.ts";
import { openSql, type Sql } from "../src/db/index.ts";
import { runCapture } from "../src/observe/capture.ts";
import { verifyTarget } from "../src/verify/verify.ts";
import { launchChromium } from "./support/browser.ts";
import { seededDatabase, type TestDatabase } from "./support/databases.ts";
import { waitFor } from "./support/wait-for.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

// Browser-side globals used inside page.evaluate callbacks: the project compiles
// without the DOM library, so these few are declared for this file alone.
declare const window: { __cspViolations: string[] };
declare const document: {
  addEventListener(type: "securitypolicyviolation", listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
  body: { insertAdjacentHTML(position: "beforeend", html: string): void };
};
declare function getComputedStyle(element: unknown): { backgroundColor: string; color: string };

const TOKEN = "browser-token-0123456789abcdef";
const POOL_APP = `dashbrowser-${process.pid}`;

/** `npm run serve` (src/commands/serve.ts under this Node), on a free loopback port; resolves with its address once it listens. */
async function startServe(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; address: string; log: () => string }> {
  const child = spawn(process.execPath, [COMMAND_BIN, "serve"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CI: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  // A serve that never says it listens is killed here: nothing else holds its handle.
  const address = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`npm run serve did not start within 60 s:\n${log}`)), 60_000);
    const look = () => {
      const m = /health API on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(deadline);
        resolve(m[1]!);
      }
    };
    child.stderr!.on("data", look);
    child.once("exit", (code) => {
      clearTimeout(deadline);
      reject(new Error(`npm run serve exited with ${code}:\n${log}`));
    });
  }).catch((error: unknown) => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    throw error;
  });
  return { child, address, log: () => log };
}
const WAIT = { timeout: 60_000 };

async function backendPid(sql: Sql): Promise<number> {
  const [row] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
  return row!.pid;
}

/** Poll `check` until it returns true (state, not elapsed time, ends the wait). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface PageProblems {
  console: string[];
  pageErrors: string[];
  failedRequests: string[];
}

/** Everything the page reports that a person would call broken. */
function watch(page: Page): PageProblems {
  const problems: PageProblems = { console: [], pageErrors: [], failedRequests: [] };
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warn") problems.console.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (error) => problems.pageErrors.push(String(error)));
  page.on("requestfailed", (request) => problems.failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.failedRequests.push(`${response.url()}: HTTP ${response.status()}`);
  });
  return problems;
}

/** CSP violations, as the page itself sees them (recorded by a DevTools-injected listener, which the CSP does not govern). */
async function recordCspViolations(page: Page): Promise<void> {
  await page.evaluateOnNewDocument(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI || "inline"}`));
  });
}

const cspViolations = (page: Page) => page.evaluate(() => window.__cspViolations);

describe("dashboard in Chromium", () => {
  let db: TestDatabase;
  let serve: Awaited<ReturnType<typeof startServe>>;
  let base: string;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let reportsDir: string;
  // Every test gets a page of its own in a fresh browser context (its own cookies) and signs in
  // itself: no test depends on another's session, navigation or log lines.
  let context: BrowserContext;
  let page: Page;
  let problems: PageProblems;

  beforeEach(async () => {
    context = await browser.createBrowserContext();
    page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.setDefaultTimeout(WAIT.timeout);
    page.setDefaultNavigationTimeout(WAIT.timeout);
    await recordCspViolations(page);
    problems = watch(page);
  });
  afterEach(async () => {
    await context?.close();
  });

  async function signIn(): Promise<void> {
    await page.goto(`${base}/dashboard/login`);
    await page.type("#token", TOKEN);
    await Promise.all([page.waitForNavigation(WAIT), page.click("button[type=submit]")]);
    expect(page.url(), JSON.stringify(problems) + (await page.content())).toBe(`${base}/dashboard`);
  }

  /** The server's log, once it holds a line matching `pattern` (pino writes asynchronously). */
  const logWith = (pattern: RegExp) => waitFor(async () => serve.log(), (log) => pattern.test(log), `the serve log to match ${pattern}`);

  beforeAll(async () => {
    db = await seededDatabase("dashbrowser", 0.02);
    // A real verify report for the verify page (few runs: its figures are not what is tested here).
    reportsDir = suiteServerDir("dashboard-browser-reports");
    await verifyTarget(db, { runs: 2, warmup: 0, explainRuns: 1, minGrade: "F", json: path.join(reportsDir, "verify-browser.json"), markdown: path.join(reportsDir, "verify-browser.md") });
    // Monitor history as the serve process records it: a baseline, then two capture intervals with work between them.
    await runCapture(db.sql);
    for (let i = 0; i < 2; i++) {
      await db.sql`SELECT count(*) FROM conversation_messages WHERE content ILIKE ${"%meeting%"}`;
      await runCapture(db.sql);
    }
    serve = await startServe({
      DATABASE_URL: db.url,
      HOST: "127.0.0.1",
      PORT: "0",
      HEALTH_API_TOKEN: TOKEN,
      HEALTH_API_ALLOW_CANCEL: "true",
      HEALTH_DASHBOARD_REPORTS_DIR: reportsDir,
      // The test took its captures above; the schedule would add its own at start.
      MONITOR_CAPTURE_INTERVAL_MINUTES: "0",
      POOL_APPLICATION_NAME: POOL_APP,
      LOG_LEVEL: "info",
    });
    base = serve.address;
    ({ browser, close: closeBrowser } = await launchChromium());
    mkdirSync(REPORTS_DIR, { recursive: true });
  });

  afterAll(async () => {
    await closeBrowser?.();
    if (serve && serve.child.exitCode === null) {
      const exited = new Promise((resolve) => serve.child.once("exit", resolve));
      serve.child.kill("SIGTERM");
      await exited;
    }
    await db?.drop();
    if (reportsDir) rmSync(reportsDir, { recursive: true, force: true });
  });

  it("signs in with the API token and gets an HttpOnly, SameSite=Strict session cookie without the token in it", async () => {
    const first = await page.goto(`${base}/dashboard`);
    expect(page.url()).toBe(`${base}/dashboard/login`);
    expect(first?.headers()["content-security-policy"]).toBe(DASHBOARD_CSP);
    await page.type("#token", TOKEN);
    await Promise.all([page.waitForNavigation(WAIT), page.click("button[type=submit]")]);
    expect(page.url(), JSON.stringify(problems) + (await page.content())).toBe(`${base}/dashboard`);
    expect(await page.$eval("main h1", (h) => h.textContent)).toBe("Overview");
    const cookie = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/dashboard" });
    expect(cookie?.value).not.toContain(TOKEN);
    expect(await logWith(/dashboard: signed in/)).not.toContain(TOKEN);
  });

  it("renders every page with its charts, and nothing logs an error or violates the CSP", async () => {
    await signIn();
    for (const { path: pagePath, title } of DASHBOARD_PAGES) {
      const response = await page.goto(`${base}/dashboard${pagePath}`);
      expect(response?.status(), pagePath).toBe(200);
      expect(response?.headers()["content-security-policy"]).toBe(DASHBOARD_CSP);
      await page.waitForSelector("main h1");
      expect(await page.$eval("main h1", (h) => h.textContent)).toBe(title);
      // Every section loaded (a failed one shows a .flash.error notice in its card).
      expect(await page.$$eval("section.card .flash.error", (els) => els.map((e) => e.textContent)), pagePath).toEqual([]);
      const charts = await page.$$eval("svg.chart", (svgs) => svgs.map((s) => s.getBoundingClientRect().width));
      expect(charts.length, `${pagePath}: svg charts`).toBeGreaterThan(0);
      expect(Math.min(...charts), `${pagePath}: charts are laid out`).toBeGreaterThan(100);
      // No script at all, and every state-changing form carries the session's CSRF token.
      expect(await page.$$eval("script", (scripts) => scripts.length)).toBe(0);
      expect(await page.$$eval('form[method="post"]', (forms) => forms.filter((f) => !f.querySelector('input[name="csrf"]')).length)).toBe(0);
      // The stylesheet applied (the CSP allows it from 'self'): the header is dark.
      expect(await page.$eval("header", (h) => getComputedStyle(h).backgroundColor)).toBe("rgb(29, 35, 48)");
      const slug = pagePath === "" ? "overview" : pagePath.slice(1);
      await page.screenshot({ path: path.join(REPORTS_DIR, `dashboard-${slug}.png`) as `${string}.png`, fullPage: true });
    }
    // The navigation works by clicking too.
    await Promise.all([page.waitForNavigation(WAIT), page.click('header nav a[href="/dashboard/indexes"]')]);
    expect(await page.$eval("main h1", (h) => h.textContent)).toBe("Indexes");
    expect(await page.$$eval("#verify, #usage", (els) => els.length)).toBe(1);
    expect(await cspViolations(page)).toEqual([]);
    expect(problems).toEqual({ console: [], pageErrors: [], failedRequests: [] });
  });

  it("slow queries over a window: the captured intervals as a line chart and the top statements of the window", async () => {
    await signIn();
    await page.goto(`${base}/dashboard/queries`);
    await Promise.all([page.waitForNavigation(WAIT), page.click('.windows a[href="/dashboard/queries?since=1h"]')]);
    expect(page.url()).toBe(`${base}/dashboard/queries?since=1h`);
    expect(await page.$eval("#window", (c) => c.textContent)).toMatch(/2 capture intervals from/);
    expect(await page.$$eval("#window svg.line-chart circle", (c) => c.length)).toBe(2);
    expect(await page.$eval("#by-total", (c) => c.textContent)).toContain("ILIKE");
    await page.screenshot({ path: path.join(REPORTS_DIR, "dashboard-queries-1h.png") as `${string}.png`, fullPage: true });
    const bad = await page.goto(`${base}/dashboard/queries?since=forever`);
    expect(bad?.status()).toBe(400);
    expect(await page.$eval("main", (m) => m.textContent)).toContain("'since' must be a whole number followed by m (minutes), h (hours) or d (days)");
    problems.failedRequests = problems.failedRequests.filter((r) => !r.endsWith("since=forever: HTTP 400"));
    problems.console = problems.console.filter((m) => !m.includes("status of 400"));
  });

  it("space growth from the daily snapshot", async () => {
    await signIn();
    await page.goto(`${base}/dashboard/space`);
    expect(await page.$eval("#growth", (c) => c.textContent)).toContain("public.conversation_messages");
    expect(await page.$$eval("#growth svg.line-chart polyline", (c) => c.length)).toBe(2);
  });

  it("the verify page shows the latest report's grade and one bar per catalog query", async () => {
    await signIn();
    await page.goto(`${base}/dashboard/verify`);
    const bars = await page.$$eval("#verify svg.chart rect.bar", (rects) => rects.length);
    const report = JSON.parse(readFileSync(path.join(reportsDir, "verify-browser.json"), "utf8")) as { queries: unknown[] };
    expect(report.queries.length).toBeGreaterThan(50);
    expect(bars).toBe(report.queries.length);
    expect(await page.$eval("#verify .figures", (f) => f.textContent)).toMatch(/grade/);
  });

  it("would notice a CSP violation: an inline style added to the page is blocked and reported", async () => {
    await signIn();
    const control = page;
    await control.goto(`${base}/dashboard/space`);
    await control.evaluate(() => document.body.insertAdjacentHTML("beforeend", '<p id="inline-style" style="color: red">x</p>'));
    await control.waitForFunction(() => window.__cspViolations.length > 0, WAIT);
    expect((await cspViolations(control))[0]).toMatch(/^style-src/);
    expect(await control.$eval("#inline-style", (p) => getComputedStyle(p).color)).not.toBe("rgb(255, 0, 0)");
  });

  /** The backend's state in pg_stat_activity, or null when the session is gone. */
  async function backendState(pid: number): Promise<{ state: string | null; query: string } | null> {
    const [row] = await db.sql<{ state: string | null; query: string }[]>`SELECT state, query FROM pg_stat_activity WHERE pid = ${pid}`;
    return row ?? null;
  }

  async function clickAndFollow(selector: string): Promise<string> {
    await page.waitForSelector(selector);
    await Promise.all([page.waitForNavigation(WAIT), page.click(selector)]);
    expect(page.url()).toBe(`${base}/dashboard/activity`);
    return page.$eval("p.flash[role=status]", (p) => p.textContent ?? "");
  }

  it("cancels a running pg_sleep from the activity page: the statement stops, the session stays; the server logs who asked", async () => {
    await signIn();
    const sleeper: Sql = openSql(db, { max: 1, applicationName: "dashboard-sleeper" });
    try {
      const pid = await backendPid(sleeper);
      const sleeping = sleeper`SELECT pg_sleep(600)`.then(
        () => "finished",
        (error: { code?: string }) => error.code,
      );
      await until("the pg_sleep to run", async () => (await backendState(pid))?.state === "active");
      await page.goto(`${base}/dashboard/activity`);
      const row = await page.$eval(`#running button[data-action=cancel][data-pid="${pid}"]`, (b) => b.closest("tr")?.textContent ?? "");
      expect(row).toContain("dashboard-sleeper");
      expect(row).toContain("SELECT pg_sleep($1)");
      const flash = await clickAndFollow(`#running button[data-action=cancel][data-pid="${pid}"]`);
      expect(flash).toBe(`Backend ${pid} (dashboard-sleeper): statement cancelled.`);
      expect(await logWith(new RegExp(`"via":"dashboard".*backend ${pid} cancelled through the dashboard`))).not.toContain(TOKEN);
      expect(await sleeping).toBe("57014");
      await until("the backend to leave the running state", async () => (await backendState(pid))?.state !== "active");
      expect(await backendState(pid)).not.toBeNull();
      // The page after the redirect may predate the cancel taking effect; a fresh one must not list it as running.
      await page.goto(`${base}/dashboard/activity`);
      expect(await page.$(`#running button[data-pid="${pid}"]`)).toBeNull();
    } finally {
      await sleeper.end({ timeout: 5 });
    }
  });

  it("shows a lock wait with its blocker, and terminating the idle-in-transaction blocker from the page frees it", async () => {
    await signIn();
    await db.sql`CREATE TABLE IF NOT EXISTS dashboard_lock (id int PRIMARY KEY, n int NOT NULL)`;
    await db.sql`INSERT INTO dashboard_lock VALUES (1, 0) ON CONFLICT DO NOTHING`;
    const holderClient: Sql = openSql(db, { max: 1, applicationName: "dashboard-holder" });
    const waiterClient: Sql = openSql(db, { max: 1, applicationName: "dashboard-waiter" });
    try {
      const holder = await holderClient.reserve();
      const holderPid = await backendPid(holder);
      await holder`BEGIN`;
      await holder`UPDATE dashboard_lock SET n = n + 1 WHERE id = 1`;
      const waiterPid = await backendPid(waiterClient);
      const waiting = waiterClient`UPDATE dashboard_lock SET n = n + 10 WHERE id = 1`.then(() => "updated", (error: { code?: string }) => error.code);
      await until("the update to wait on the lock", async () => {
        const [row] = await db.sql<{ blocked: boolean }[]>`SELECT ${holderPid}::int = ANY(pg_blocking_pids(${waiterPid}::int)) AS blocked`;
        return row!.blocked;
      });
      await page.goto(`${base}/dashboard/activity`);
      const blocked = await page.$eval("#blocked tbody tr", (tr) => tr.textContent ?? "");
      expect(blocked).toContain(String(waiterPid));
      expect(blocked).toContain(String(holderPid));
      expect(blocked).toContain("dashboard-holder");
      expect(await page.$eval("#idle-in-transaction tbody", (t) => t.textContent ?? "")).toContain("dashboard-holder");
      await page.screenshot({ path: path.join(REPORTS_DIR, "dashboard-activity-lock-wait.png") as `${string}.png`, fullPage: true });
      // The README's picture: DASHBOARD_DOCS_SCREENSHOT=1 npx vitest run test/dashboard-browser.test.ts
      if (process.env.DASHBOARD_DOCS_SCREENSHOT) await page.screenshot({ path: path.join(PROJECT_ROOT, "docs", "dashboard.png") as `${string}.png`, fullPage: true });
      const flash = await clickAndFollow(`#idle-in-transaction button[data-action=terminate][data-pid="${holderPid}"]`);
      expect(flash).toBe(`Backend ${holderPid} (dashboard-holder): session terminated.`);
      expect(await logWith(new RegExp(`backend ${holderPid} terminated through the dashboard`))).not.toContain(TOKEN);
      await until("the terminated session to leave pg_stat_activity", async () => (await backendState(holderPid)) === null);
      expect(await waiting).toBe("updated");
      // The page after the redirect may predate the exit; a fresh one must show no lock wait.
      await page.goto(`${base}/dashboard/activity`);
      expect(await page.$("#blocked tbody tr")).toBeNull();
      expect(await page.$eval("#blocked", (c) => c.textContent)).toContain("no statement is waiting on a lock");
      holder.release();
    } finally {
      await holderClient.end({ timeout: 5 }).catch(() => {});
      await waiterClient.end({ timeout: 5 });
    }
    expect(await cspViolations(page)).toEqual([]);
    expect(problems).toEqual({ console: [], pageErrors: [], failedRequests: [] });
  });

  it("refuses to cancel this server's own pool connection, and says why", async () => {
    await signIn();
    let pid = 0;
    await until("the server's pool connections", async () => {
      const [row] = await db.sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${POOL_APP} LIMIT 1`;
      pid = row?.pid ?? 0;
      return pid > 0;
    });
    await page.goto(`${base}/dashboard/activity`);
    // The button is offered for every listed session; the server decides. Post it through a real form on the page.
    const csrf = await page.$eval('input[name="csrf"]', (i) => (i as unknown as { value: string }).value);
    expect(csrf.length).toBeGreaterThan(20);
    await page.evaluate(
      (p, token) => {
        document.body.insertAdjacentHTML("beforeend", `<form id="own" method="post" action="/dashboard/activity/cancel"><input name="csrf" value="${token}"><input name="pid" value="${p}"><input name="action" value="cancel"><button id="own-submit">x</button></form>`);
      },
      String(pid),
      csrf,
    );
    await Promise.all([page.waitForNavigation(WAIT), page.click("#own-submit")]);
    // Whichever pool connection runs the check may be the target itself ("own session") or another one of the pool.
    expect(await page.$eval("p.flash", (p) => p.textContent)).toMatch(new RegExp(`^Refused to cancel backend ${pid}: that is (this API's own session|one of this API's own pool connections)`));
    await logWith(new RegExp(`refused to cancel backend ${pid}`));
  });

  it("signs out with the page's form and is asked to sign in again", async () => {
    await signIn();
    await Promise.all([page.waitForNavigation(WAIT), page.click("#sign-out")]);
    expect(page.url()).toBe(`${base}/dashboard/login?signedOut`);
    expect(await page.$eval("[role=status]", (p) => p.textContent)).toBe("Signed out.");
    await page.goto(`${base}/dashboard/space`);
    expect(page.url()).toBe(`${base}/dashboard/login`);
  });
});
