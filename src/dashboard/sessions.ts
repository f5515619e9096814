// Dashboard sign-in sessions, kept in this process's memory. The cookie holds
// a random session id (signed by @fastify/cookie with a per-process HMAC key),
// never the API token; the server keeps the id's expiry and its CSRF token.
// A restart signs everybody out, which is acceptable for an operator page.
import { randomBytes, timingSafeEqual } from "node:crypto";

export interface DashboardSession {
  readonly id: string;
  /** Synchronizer token: every state-changing form carries it. */
  readonly csrfToken: string;
  readonly expiresAt: number;
  /** One message shown on the next page (e.g. "backend 123 cancelled"), then cleared. */
  flash?: { readonly kind: "ok" | "error"; readonly text: string };
}

export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** Sign-ins need the token, so this only bounds memory if someone signs in in a loop. */
export const SESSIONS_MAX = 1000;

const newToken = () => randomBytes(32).toString("base64url");

export class SessionStore {
  readonly #sessions = new Map<string, DashboardSession>();

  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs = SESSION_TTL_MS, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  create(): DashboardSession {
    this.#prune();
    // Map keeps insertion order: the first key is the oldest session.
    while (this.#sessions.size >= SESSIONS_MAX) this.#sessions.delete(this.#sessions.keys().next().value!);
    const session: DashboardSession = { id: newToken(), csrfToken: newToken(), expiresAt: this.#now() + this.#ttlMs };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, or undefined (unknown or expired). */
  get(id: string | undefined): DashboardSession | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  destroy(id: string): void {
    this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #prune(): void {
    const now = this.#now();
    for (const [id, session] of this.#sessions) if (session.expiresAt <= now) this.#sessions.delete(id);
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfTokenMatches(session: DashboardSession, submitted: unknown): boolean {
  if (typeof submitted !== "string") return false;
  const a = Buffer.from(submitted, "utf8");
  const b = Buffer.from(session.csrfToken, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

// The throttle of token guesses (sign-in and bearer) lives with the token check.
export { SignInThrottle, SIGN_IN_FAILURES_MAX, SIGN_IN_WINDOW_MS } from "../base/bearer-token.ts";
