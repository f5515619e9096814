// What every dashboard route checks before it acts: the session cookie (or a
// session made on the spot when no sign-in is configured), the same-origin
// rule for POSTs and the CSRF token a form must carry.
import type { FastifyReply, FastifyRequest } from "fastify";
import { crossSiteReason } from "../base/request-guard.ts";
import { DASHBOARD_PREFIX, errorPage } from "./layout.ts";
import { csrfTokenMatches, SESSION_TTL_MS, type DashboardSession, type SessionStore } from "./sessions.ts";

export const SESSION_COOKIE = "bollalabz_dashboard";
/** Sign-in's CSRF token before there is a session: the form carries the same value as this cookie (SameSite=Strict, so another site can neither send nor read it). */
export const SIGN_IN_COOKIE = "bollalabz_sign_in";

declare module "fastify" {
  interface FastifyRequest {
    dashboardSession?: DashboardSession;
  }
}

export type FormRequest = FastifyRequest<{ Body: Record<string, unknown> }>;

export function sendHtml(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type("text/html; charset=utf-8").send(body);
}

export interface RequestGuards {
  /** Options of the dashboard's signed cookies (path, HttpOnly, SameSite=Strict, Secure when configured). */
  readonly cookieOptions: { readonly path: string; readonly httpOnly: true; readonly sameSite: "strict"; readonly secure: boolean; readonly signed: true };
  startSession(reply: FastifyReply): DashboardSession;
  sessionOf(request: FastifyRequest): DashboardSession | undefined;
  /** onRequest hook of every page: a signed-in session, or (no token configured) a session made on the spot so forms still carry a CSRF token. */
  requireSession(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
  /** The reply already sent when a POST came from another site; undefined when it may go on. */
  refuseCrossOrigin(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined;
  /** The reply already sent when a form lacks the session's CSRF token; undefined when it may go on. */
  requireCsrf(request: FormRequest, reply: FastifyReply): FastifyReply | undefined;
}

export function requestGuards(sessions: SessionStore, options: { readonly signInRequired: boolean; readonly secureCookie: boolean }): RequestGuards {
  const cookieOptions = { path: DASHBOARD_PREFIX, httpOnly: true, sameSite: "strict", secure: options.secureCookie, signed: true } as const;

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

  async function requireSession(request: FastifyRequest, reply: FastifyReply) {
    const session = sessionOf(request);
    if (session) {
      request.dashboardSession = session;
      return;
    }
    if (!options.signInRequired) {
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

  function requireCsrf(request: FormRequest, reply: FastifyReply): FastifyReply | undefined {
    const session = request.dashboardSession!;
    if (csrfTokenMatches(session, request.body?.csrf)) return undefined;
    request.log.warn("dashboard: POST without a valid CSRF token refused");
    return sendHtml(reply, 403, errorPage(403, "Forbidden", "The form's security token is missing or out of date. Reload the page and try again."));
  }

  return { cookieOptions, startSession, sessionOf, requireSession, refuseCrossOrigin, requireCsrf };
}
