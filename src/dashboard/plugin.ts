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
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { REPORTS_DIR } from "../base/project-paths.ts";
import type { Database } from "../pool/create-database.ts";
import { tokenMatches } from "../base/bearer-token.ts";
import { clientAddress, crossSiteReason } from "../base/request-guard.ts";
import { DASHBOARD_CSS } from "./stylesheet.ts";
import { DASHBOARD_PAGES, DASHBOARD_PREFIX, errorPage, loginPage, page, type DashboardPagePath } from "./layout.ts";
import type { PageContext } from "./pages/context.ts";
import { isValidPid, signalBackend } from "../observe/backend-control.ts";
import { activityPage } from "./pages/activity.ts";
import { indexesPage } from "./pages/indexes.ts";
import { overviewPage } from "./pages/overview.ts";
import { queriesPage } from "./pages/queries.ts";
import { spacePage } from "./pages/space.ts";
import { verifyPage } from "./pages/verify.ts";
import { withDeadline } from "../base/deadline.ts";
import { csrfTokenMatches, SessionStore, SESSION_TTL_MS, SignInThrottle, type DashboardSession } from "./sessions.ts";
import type { SafeHtml } from "./html.ts";
import { VERIFY_CHART_NAME } from "./verify-report.ts";

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

export const SESSION_COOKIE = "bollalabz_dashboard";
/** Sign-in's CSRF token before there is a session: the form carries the same value as this cookie (SameSite=Strict, so another site can neither send nor read it). */
export const SIGN_IN_COOKIE = "bollalabz_sign_in";

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

declare module "fastify" {
  interface FastifyRequest {
    dashboardSession?: DashboardSession;
  }
}

function sendHtml(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type("text/html; charset=utf-8").send(body);
}

export const dashboardPlugin: FastifyPluginAsync<DashboardPluginOptions> = async (app, options) => {
  const { database, token } = options;
  const signInRequired = token !== undefined;
  const sessions = options.sessions ?? new SessionStore();
  const throttle = options.signInThrottle ?? new SignInThrottle();
  const deadlineMs = options.deadlineMs ?? 5_000;
  const reportsDir = options.reportsDir ?? REPORTS_DIR;
  const startedAt = options.startedAt ?? Date.now();
  const version = options.version ?? "unknown";
  const allowCancel = options.allowCancel === true;

  // Cookie parsing/signing (HMAC-SHA256 with a key that lives only in this process) and
  // urlencoded form bodies; both are registered inside this plugin, so the API routes are untouched.
  await app.register(fastifyCookie, { secret: randomBytes(32) });
  await app.register(fastifyFormbody, { bodyLimit: 8 * 1024 });

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

  const cookieOptions = { path: DASHBOARD_PREFIX, httpOnly: true, sameSite: "strict", secure: options.secureCookie === true, signed: true } as const;

  function startSession(reply: FastifyReply): DashboardSession {
    const session = sessions.create();
    reply.setCookie(SESSION_COOKIE, session.id, { ...cookieOptions, maxAge: Math.floor(SESSION_TTL_MS / 1000) });
    return session;
  }

  function sessionOf(request: FastifyRequest): DashboardSession | undefined {
    const raw = request.cookies[SESSION_COOKIE];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    return unsigned.valid && unsigned.value ? sessions.get(unsigned.value) : undefined;
  }

  /** Pages: a signed-in session, or (no token configured) a session made on the spot so forms still carry a CSRF token. */
  async function requireSession(request: FastifyRequest, reply: FastifyReply) {
    const session = sessionOf(request);
    if (session) {
      request.dashboardSession = session;
      return;
    }
    if (!signInRequired) {
      request.dashboardSession = startSession(reply);
      return;
    }
    if (request.method === "GET") return reply.redirect(`${DASHBOARD_PREFIX}/login`, 303);
    return sendHtml(reply, 401, errorPage(401, "Signed out", "Your session has ended (or this server restarted). Sign in again."));
  }

  /**
   * POSTs: same-origin only (Origin and Sec-Fetch-Site, which browsers send
   * on form posts, must name this origin) and the CSRF token (the session's,
   * or the sign-in form's): a form post is a "simple" request, so the token is
   * what another site cannot supply.
   */
  function refuseCrossOrigin(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
    const cross = crossSiteReason(request);
    if (cross === undefined) return undefined;
    request.log.warn({ origin: request.headers.origin, fetchSite: request.headers["sec-fetch-site"] }, "dashboard: cross-origin POST refused");
    return sendHtml(reply, 403, errorPage(403, "Forbidden", "This form was sent from another site, so it was refused."));
  }

  function requireCsrf(request: FastifyRequest<{ Body: Record<string, unknown> }>, reply: FastifyReply): FastifyReply | undefined {
    const session = request.dashboardSession!;
    if (csrfTokenMatches(session, request.body?.csrf)) return undefined;
    request.log.warn("dashboard: POST without a valid CSRF token refused");
    return sendHtml(reply, 403, errorPage(403, "Forbidden", "The form's security token is missing or out of date. Reload the page and try again."));
  }

  app.get("/assets/dashboard.css", async (_request, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(DASHBOARD_CSS));
  app.get("/assets/favicon.svg", async (_request, reply) => reply.type("image/svg+xml").header("cache-control", "public, max-age=86400").send(FAVICON_SVG));

  // The chart `npm run verify` writes beside its Markdown report, shown as an <img> on the verify page.
  app.get<{ Params: { name: string } }>("/reports/:name", { onRequest: requireSession }, async (request, reply) => {
    const { name } = request.params;
    if (!VERIFY_CHART_NAME.test(name)) return sendHtml(reply, 404, errorPage(404, "Not found", "Only verify charts (verify-<time>.svg) are served from the reports folder."));
    const body = await readFile(path.join(reportsDir, name)).catch(() => undefined);
    if (!body) return sendHtml(reply, 404, errorPage(404, "Not found", `No report chart ${name}.`));
    return reply.type("image/svg+xml").send(body);
  });

  /** The sign-in cookie's CSRF token, when the request carries a valid one. */
  function signInCsrf(request: FastifyRequest): string | undefined {
    const raw = request.cookies[SIGN_IN_COOKIE];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    return unsigned?.valid && unsigned.value ? unsigned.value : undefined;
  }

  /** The sign-in form with its CSRF token (the cookie's, or a new one set with it). */
  function signInForm(request: FastifyRequest, reply: FastifyReply, status: number, message: { error?: string; status?: string }) {
    let csrf = signInCsrf(request);
    if (csrf === undefined) {
      csrf = randomBytes(32).toString("base64url");
      reply.setCookie(SIGN_IN_COOKIE, csrf, { ...cookieOptions, maxAge: Math.floor(SESSION_TTL_MS / 1000) });
    }
    return sendHtml(reply, status, loginPage({ ...message, csrfToken: csrf }));
  }

  function signInCsrfMatches(request: FastifyRequest<{ Body: Record<string, unknown> }>): boolean {
    const csrf = signInCsrf(request);
    return csrf !== undefined && csrfTokenMatches({ csrfToken: csrf } as DashboardSession, request.body?.csrf);
  }

  app.get<{ Querystring: { signedOut?: string } }>("/login", async (request, reply) => {
    if (!signInRequired || sessionOf(request)) return reply.redirect(DASHBOARD_PREFIX, 303);
    return signInForm(request, reply, 200, { status: request.query.signedOut !== undefined ? "Signed out." : undefined });
  });

  app.post<{ Body: Record<string, unknown> }>("/login", async (request, reply) => {
    const refused = refuseCrossOrigin(request, reply);
    if (refused) return refused;
    if (!signInRequired) return reply.redirect(DASHBOARD_PREFIX, 303);
    const address = clientAddress(request);
    if (!signInCsrfMatches(request)) {
      request.log.warn({ ip: address }, "dashboard: sign-in without the form's CSRF token refused");
      return signInForm(request, reply, 403, { error: "The sign-in form was out of date (or sent from another site). Sign in again." });
    }
    const waitMs = throttle.retryAfterMs(address);
    if (waitMs > 0) {
      request.log.warn({ ip: address }, "dashboard: sign-in refused (too many failed attempts)");
      const seconds = Math.ceil(waitMs / 1000);
      return signInForm(request, reply.header("retry-after", String(seconds)), 429, { error: `Too many failed sign-ins from this address. Try again in ${seconds} s.` });
    }
    const given = typeof request.body?.token === "string" ? request.body.token.trim() : "";
    // Always compare (constant time, fixed-length digests), so the answer time does not tell an empty token from a wrong one.
    const ok = tokenMatches(given, token) && given.length > 0;
    if (!ok) {
      throttle.failed(address);
      request.log.warn({ ip: address }, "dashboard: sign-in refused (wrong token)");
      return signInForm(request, reply, 401, { error: given ? "That token is not valid." : "Enter the API token (HEALTH_API_TOKEN)." });
    }
    const previous = sessionOf(request);
    if (previous) sessions.destroy(previous.id);
    throttle.succeeded(address);
    reply.clearCookie(SIGN_IN_COOKIE, { path: DASHBOARD_PREFIX });
    startSession(reply);
    request.log.info({ ip: address }, "dashboard: signed in");
    return reply.redirect(DASHBOARD_PREFIX, 303);
  });

  app.post<{ Body: Record<string, unknown> }>("/logout", { onRequest: requireSession }, async (request, reply) => {
    const refused = refuseCrossOrigin(request, reply) ?? requireCsrf(request, reply);
    if (refused) return refused;
    sessions.destroy(request.dashboardSession!.id);
    reply.clearCookie(SESSION_COOKIE, { path: DASHBOARD_PREFIX });
    return reply.redirect(signInRequired ? `${DASHBOARD_PREFIX}/login?signedOut` : DASHBOARD_PREFIX, 303);
  });

  // Cancel / terminate from the activity page: same rules as the API's routes
  // (src/observe/backend-control.ts refuses server processes, replication,
  // other databases and this server's own pool), logged the same way.
  app.post<{ Body: Record<string, unknown> }>("/activity/cancel", { onRequest: requireSession }, async (request, reply) => {
    const refused = refuseCrossOrigin(request, reply) ?? requireCsrf(request, reply);
    if (refused) return refused;
    if (!allowCancel) {
      return sendHtml(reply, 403, errorPage(403, "Cancel is off", "Cancelling and terminating backends is turned off on this server. To allow it, start it with HEALTH_API_ALLOW_CANCEL=true."));
    }
    const rawPid = typeof request.body?.pid === "string" ? request.body.pid : "";
    const action = request.body?.action;
    const pid = /^\d{1,10}$/.test(rawPid) ? Number(rawPid) : NaN;
    if (!isValidPid(pid) || (action !== "cancel" && action !== "terminate")) {
      return sendHtml(reply, 400, errorPage(400, "Bad request", "Cancel needs a pid (a whole number from 1 to 2147483647, from the activity page) and an action, cancel or terminate."));
    }
    const session = request.dashboardSession!;
    let outcome;
    try {
      outcome = await withDeadline(signalBackend(database.sql, action, pid, { protectedApplicationName: database.config.applicationName }), deadlineMs, `pg_${action}_backend`);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      session.flash = { kind: "error", text: `Could not ${action} backend ${pid}: ${e.code ? `${e.code} ` : ""}${e.message ?? String(error)}` };
      return reply.redirect(`${DASHBOARD_PREFIX}/activity`, 303);
    }
    // Who asked and what was hit; never the target's query text.
    const audit = { action, pid, outcome: outcome.outcome, via: "dashboard", requester: { ip: clientAddress(request), userAgent: request.headers["user-agent"]?.slice(0, 120) }, ...("target" in outcome ? { target: outcome.target } : {}) };
    switch (outcome.outcome) {
      case "signalled":
        request.log.warn(audit, `backend ${pid} ${action === "cancel" ? "cancelled" : "terminated"} through the dashboard`);
        session.flash = { kind: "ok", text: `Backend ${pid} (${outcome.target.applicationName || "no application name"}): ${action === "cancel" ? "statement cancelled" : "session terminated"}.` };
        break;
      case "refused":
        request.log.warn({ ...audit, reason: outcome.reason }, `refused to ${action} backend ${pid}`);
        session.flash = { kind: "error", text: `Refused to ${action} backend ${pid}: ${outcome.reason}.` };
        break;
      case "not-found":
      case "not-signalled":
        request.log.info(audit, `no backend ${pid} to ${action}`);
        session.flash = { kind: "error", text: `No session with pid ${pid} any more (it may have ended).` };
        break;
    }
    return reply.redirect(`${DASHBOARD_PREFIX}/activity`, 303);
  });

  for (const { path: pagePath, title } of DASHBOARD_PAGES) {
    // "/dashboard" itself is registered as "/" under the prefix (Fastify answers both "/dashboard" and "/dashboard/").
    app.get(pagePath === "" ? "/" : pagePath, { onRequest: requireSession }, async (request, reply) => {
      const session = request.dashboardSession!;
      const ctx: PageContext = { database, deadlineMs, reportsDir, csrfToken: session.csrfToken, allowCancel, version, startedAt };
      const body = await PAGE_RENDERERS[pagePath](ctx, request);
      return sendHtml(reply, 200, page({ title, current: pagePath, session, signedIn: signInRequired, body }));
    });
  }
};
