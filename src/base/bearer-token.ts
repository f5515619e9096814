// Bearer-token check for the health endpoints and the dashboard. Both sides are hashed to a
// fixed length first, so the comparison takes the same time whatever the
// token's length or how much of it matches.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** An onRequest hook: passes when no token is configured, else requires `Authorization: Bearer <token>`. */
export function requireBearer(token: string | undefined) {
  return async function checkBearer(request: FastifyRequest, reply: FastifyReply) {
    if (token === undefined) return;
    const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(request.headers.authorization ?? "");
    // Compare even when the header is missing, so timing does not tell which case failed.
    const ok = tokenMatches(match?.[1] ?? "", token) && match !== null;
    if (ok) return;
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
