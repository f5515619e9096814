// Bearer-token check for the health endpoints and the dashboard. Both sides are hashed to a
// fixed length first, so the comparison takes the same time whatever the
// token's length or how much of it matches. Wrong tokens count against the
// client's address in the same throttle as the dashboard's sign-in: after
// SIGN_IN_FAILURES_MAX misses inside the window, 429 with Retry-After.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { clientAddress } from "./request-guard.ts";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** An onRequest hook: passes when no token is configured, else requires `Authorization: Bearer <token>`. */
export function requireBearer(token: string | undefined, throttle: SignInThrottle = new SignInThrottle()) {
  return async function checkBearer(request: FastifyRequest, reply: FastifyReply) {
    if (token === undefined) return;
    const address = clientAddress(request);
    const waitMs = throttle.retryAfterMs(address);
    if (waitMs > 0) {
      request.log.warn({ ip: address }, "bearer token refused (too many wrong tokens)");
      const seconds = Math.ceil(waitMs / 1000);
      return reply.code(429).header("retry-after", String(seconds)).send({ statusCode: 429, error: "Too Many Requests", message: `Too many wrong tokens from this address. Try again in ${seconds} s.` });
    }
    const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(request.headers.authorization ?? "");
    // Compare even when the header is missing, so timing does not tell which case failed.
    const ok = tokenMatches(match?.[1] ?? "", token) && match !== null;
    if (ok) return;
    // A wrong token counts; a missing one (a probe not configured yet) does not.
    if (match) throttle.failed(address);
    return reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="bollalabz-health"')
      .send({
        statusCode: 401,
        error: "Unauthorized",
        message: match ? "The bearer token is not valid." : "This endpoint needs 'Authorization: Bearer <HEALTH_API_TOKEN>'.",
      });
  };
}

/** Failed sign-ins allowed per address inside the window before further attempts are refused (429). */
export const SIGN_IN_FAILURES_MAX = 10;
export const SIGN_IN_WINDOW_MS = 5 * 60 * 1000;
const THROTTLED_ADDRESSES_MAX = 10_000;

/**
 * Guessing the token (at least 16 characters) is hopeless anyway; this keeps
 * a client that tries from filling the log at full speed. Per address, by
 * state: the failures inside the window, not a timer.
 */
export class SignInThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Milliseconds until this address may try again; 0 when it may now. */
  retryAfterMs(address: string): number {
    const recent = this.#recent(address);
    return recent.length < SIGN_IN_FAILURES_MAX ? 0 : recent[0]! + SIGN_IN_WINDOW_MS - this.#now();
  }

  failed(address: string): void {
    if (!this.#failures.has(address) && this.#failures.size >= THROTTLED_ADDRESSES_MAX) this.#failures.delete(this.#failures.keys().next().value!);
    this.#failures.set(address, [...this.#recent(address), this.#now()]);
  }

  succeeded(address: string): void {
    this.#failures.delete(address);
  }

  #recent(address: string): number[] {
    const since = this.#now() - SIGN_IN_WINDOW_MS;
    return (this.#failures.get(address) ?? []).filter((t) => t > since);
  }
}
