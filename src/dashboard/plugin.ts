// GET /dashboard: server-rendered operator pages on the health server.
// Sign-in exchanges the API token for a session cookie (HttpOnly,
// SameSite=Strict, Secure when configured; the cookie holds a signed random
// session id, never the token). Pages run no script at all; the strict CSP
// below allows only this server's stylesheet and same-origin form posts.
// State changes (sign-out, cancel/terminate) are POSTed forms carrying the
// session's synchronizer CSRF token, and cross-origin POSTs are refused.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyRequest } from "fastify";
import { REPORTS_DIR } from "../base/project-paths.ts";
import type { Database } from "../pool/create-database.ts";
import { DASHBOARD_CSS } from "./stylesheet.ts";
import { DASHBOARD_PAGES, DASHBOARD_PREFIX, errorPage, page, type DashboardPagePath } from "./layout.ts";
import type { PageContext } from "./pages/context.ts";
import { activityPage } from "./pages/activity.ts";
import { indexesPage } from "./pages/indexes.ts";
import { overviewPage } from "./pages/overview.ts";
import { queriesPage } from "./pages/queries.ts";
import { spacePage } from "./pages/space.ts";
import { verifyPage } from "./pages/verify.ts";
import { SessionStore, SignInThrottle } from "./sessions.ts";
import type { SafeHtml } from "./html.ts";
import { VERIFY_CHART_NAME } from "./verify-report.ts";
import { requestGuards, sendHtml, type RequestGuards } from "./request-guards.ts";
import { registerSignInRoutes } from "./sign-in-routes.ts";
import { registerBackendSignalRoute } from "./backend-signal-route.ts";

export { SESSION_COOKIE, SIGN_IN_COOKIE } from "./request-guards.ts";

export interface DashboardPluginOptions {
  readonly database: Database;
  /** HEALTH_API_TOKEN; undefined = no sign-in (the server binds loopback only then). */
  readonly token?: string;
  /** HEALTH_API_ALLOW_CANCEL: offer cancel/terminate on the activity page (the same switch as the API's). */
  readonly allowCancel?: boolean;
  /** Mark the session cookie Secure (HEALTH_DASHBOARD_SECURE_COOKIE: set when users reach the server over TLS). */
  readonly secureCookie?: boolean;
  /** Where verify reports are read from (default reports/). */
  readonly reportsDir?: string;
  /** Deadline of each section's database work (default 5000 ms). */
  readonly deadlineMs?: number;
  readonly version?: string;
  readonly startedAt?: number;
  /** Tests pass their own store to inspect or expire sessions. */
  readonly sessions?: SessionStore;
  readonly signInThrottle?: SignInThrottle;
}

/**
 * No script, no frames, no plugins, no inline style: only this server's
 * stylesheet and images, and forms posting back to it.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  // Not "no-referrer": with it, browsers send "Origin: null" on the page's own form posts,
  // and the same-origin check below needs the real origin.
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
} as const;

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d2330"/><rect x="3" y="9" width="2" height="4" fill="#8fb0ef"/><rect x="7" y="6" width="2" height="7" fill="#8fb0ef"/><rect x="11" y="3" width="2" height="10" fill="#8fb0ef"/></svg>`;

const PAGE_RENDERERS: Record<DashboardPagePath, (ctx: PageContext, request: FastifyRequest) => Promise<SafeHtml>> = {
  "": overviewPage,
  "/activity": activityPage,
  "/queries": queriesPage,
  "/indexes": indexesPage,
  "/space": spacePage,
  "/verify": verifyPage,
};

export const dashboardPlugin: FastifyPluginAsync<DashboardPluginOptions> = async (app, options) => {
  const { database, token } = options;
  const signInRequired = token !== undefined;
  const sessions = options.sessions ?? new SessionStore();
  const deadlineMs = options.deadlineMs ?? 5_000;
  const reportsDir = options.reportsDir ?? REPORTS_DIR;
  const allowCancel = options.allowCancel === true;

  // Cookie parsing/signing (HMAC-SHA256 with a key that lives only in this process) and
  // urlencoded form bodies; both are registered inside this plugin, so the API routes are untouched.
  await app.register(fastifyCookie, { secret: randomBytes(32) });
  await app.register(fastifyFormbody, { bodyLimit: 8 * 1024 });
  registerPageHandling(app);

  const guards = requestGuards(sessions, { signInRequired, secureCookie: options.secureCookie === true });
  registerAssetRoutes(app, guards, reportsDir);
  registerSignInRoutes(app, { guards, sessions, throttle: options.signInThrottle ?? new SignInThrottle(), token });
  registerBackendSignalRoute(app, { guards, database, deadlineMs, allowCancel });

  const pageContext = { database, deadlineMs, reportsDir, allowCancel, version: options.version ?? "unknown", startedAt: options.startedAt ?? Date.now() };
  for (const { path: pagePath, title } of DASHBOARD_PAGES) {
    // "/dashboard" itself is registered as "/" under the prefix (Fastify answers both "/dashboard" and "/dashboard/").
    app.get(pagePath === "" ? "/" : pagePath, { onRequest: guards.requireSession }, async (request, reply) => {
      const session = request.dashboardSession!;
      const ctx: PageContext = { ...pageContext, csrfToken: session.csrfToken };
      const body = await PAGE_RENDERERS[pagePath](ctx, request);
      return sendHtml(reply, 200, page({ title, current: pagePath, session, signedIn: signInRequired, body }));
    });
  }
};

/** What every dashboard answer shares: the security headers, no caching, and errors as HTML pages (never a stack trace). */
function registerPageHandling(app: FastifyInstance): void {
  app.addHook("onSend", async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
    return payload;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ code: error.code, err: { type: error.name, message: error.message } }, "dashboard page failed");
      return sendHtml(reply, 500, errorPage(500, "Internal error", "The page failed unexpectedly; the server log has the details."));
    }
    const messages: Record<number, [string, string]> = {
      400: ["Bad request", `The request was not understood: ${error.message}.`],
      413: ["Too large", "The form was larger than this page accepts."],
      415: ["Unsupported form", "Forms here are sent as application/x-www-form-urlencoded."],
    };
    const [title, message] = messages[status] ?? ["Request refused", error.message];
    return sendHtml(reply, status, errorPage(status, title, message));
  });

  app.setNotFoundHandler((request, reply) =>
    sendHtml(reply, 404, errorPage(404, "Not found", `There is no dashboard page ${request.method} ${request.url.split("?")[0]}. The pages are: ${DASHBOARD_PAGES.map((p) => DASHBOARD_PREFIX + p.path).join(", ")}.`)),
  );
}

/** The stylesheet, the icon, and the chart `npm run verify` writes beside its Markdown report (an <img> on the verify page). */
function registerAssetRoutes(app: FastifyInstance, guards: RequestGuards, reportsDir: string): void {
  app.get("/assets/dashboard.css", async (_request, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(DASHBOARD_CSS));
  app.get("/assets/favicon.svg", async (_request, reply) => reply.type("image/svg+xml").header("cache-control", "public, max-age=86400").send(FAVICON_SVG));

  app.get<{ Params: { name: string } }>("/reports/:name", { onRequest: guards.requireSession }, async (request, reply) => {
    const { name } = request.params;
    if (!VERIFY_CHART_NAME.test(name)) return sendHtml(reply, 404, errorPage(404, "Not found", "Only verify charts (verify-<time>.svg) are served from the reports folder."));
    const body = await readFile(path.join(reportsDir, name)).catch(() => undefined);
    if (!body) return sendHtml(reply, 404, errorPage(404, "Not found", `No report chart ${name}.`));
    return reply.type("image/svg+xml").send(body);
  });
}
