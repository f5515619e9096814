// Sign-in and sign-out: the API token is exchanged for a session cookie; the
// sign-in form carries a CSRF token of its own (a signed cookie) because there
// is no session yet, and failed attempts are throttled per client address.
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { tokenMatches } from "../base/bearer-token.ts";
import { clientAddress } from "../base/request-guard.ts";
import { DASHBOARD_PREFIX, loginPage } from "./layout.ts";
import { sendHtml, SESSION_COOKIE, SIGN_IN_COOKIE, type FormRequest, type RequestGuards } from "./request-guards.ts";
import { csrfTokenMatches, SESSION_TTL_MS, type DashboardSession, type SessionStore, type SignInThrottle } from "./sessions.ts";

export interface SignInOptions {
  readonly guards: RequestGuards;
  readonly sessions: SessionStore;
  readonly throttle: SignInThrottle;
  /** HEALTH_API_TOKEN; undefined = no sign-in (the routes then only redirect to the dashboard). */
  readonly token: string | undefined;
}

export function registerSignInRoutes(app: FastifyInstance, options: SignInOptions): void {
  const { guards, sessions, throttle, token } = options;
  const signInRequired = token !== undefined;

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
      reply.setCookie(SIGN_IN_COOKIE, csrf, { ...guards.cookieOptions, maxAge: Math.floor(SESSION_TTL_MS / 1000) });
    }
    return sendHtml(reply, status, loginPage({ ...message, csrfToken: csrf }));
  }

  function signInCsrfMatches(request: FormRequest): boolean {
    const csrf = signInCsrf(request);
    return csrf !== undefined && csrfTokenMatches({ csrfToken: csrf } as DashboardSession, request.body?.csrf);
  }

  app.get<{ Querystring: { signedOut?: string } }>("/login", async (request, reply) => {
    if (!signInRequired || guards.sessionOf(request)) return reply.redirect(DASHBOARD_PREFIX, 303);
    return signInForm(request, reply, 200, { status: request.query.signedOut !== undefined ? "Signed out." : undefined });
  });

  app.post<{ Body: Record<string, unknown> }>("/login", async (request, reply) => {
    const refused = guards.refuseCrossOrigin(request, reply);
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
    const previous = guards.sessionOf(request);
    if (previous) sessions.destroy(previous.id);
    throttle.succeeded(address);
    reply.clearCookie(SIGN_IN_COOKIE, { path: DASHBOARD_PREFIX });
    guards.startSession(reply);
    request.log.info({ ip: address }, "dashboard: signed in");
    return reply.redirect(DASHBOARD_PREFIX, 303);
  });

  app.post<{ Body: Record<string, unknown> }>("/logout", { onRequest: guards.requireSession }, async (request, reply) => {
    const refused = guards.refuseCrossOrigin(request, reply) ?? guards.requireCsrf(request, reply);
    if (refused) return refused;
    sessions.destroy(request.dashboardSession!.id);
    reply.clearCookie(SESSION_COOKIE, { path: DASHBOARD_PREFIX });
    return reply.redirect(signInRequired ? `${DASHBOARD_PREFIX}/login?signedOut` : DASHBOARD_PREFIX, 303);
  });
}
