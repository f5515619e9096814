// What the health server trusts about a request before any route runs:
//
// - Host: only this server's own names (localhost, 127.0.0.1, [::1], the
//   address the client connected to) and HEALTH_API_ALLOWED_HOSTS. A page on
//   attacker.example whose DNS name is rebound to 127.0.0.1 sends
//   `Host: attacker.example:5000` and gets 421 before any route runs, so it can
//   neither read the activity's query texts nor post to the cancel routes.
// - State changes (POST): a browser on another site can send a "simple" POST
//   (form or text/plain body, no preflight). So a POST must come from this
//   origin (Origin / Sec-Fetch-Site, when the client sends them; curl sends
//   neither) AND carry something a cross-site page cannot send without a CORS
//   preflight this server never grants: a JSON body or an Authorization header
//   (the API), or the session's CSRF token (the dashboard's forms).
import type { FastifyReply, FastifyRequest } from "fastify";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** "Host" header -> [hostname, port]; hostname lower-case, IPv6 in brackets. */
function splitHost(host: string): [string, string | undefined] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  return m ? [m[1]!, m[2]] : [host.trim().toLowerCase(), undefined];
}

/** The address the client connected to, as it appears in a Host header. */
function localName(request: FastifyRequest): string | undefined {
  const address = request.socket?.localAddress?.replace(/^::ffff:/, "");
  if (!address) return undefined;
  return address.includes(":") ? `[${address}]` : address;
}

/**
 * Parse HEALTH_API_ALLOWED_HOSTS: comma-separated host names, each with an
 * optional port (`health.internal`, `10.0.0.5:5000`). Returns the problems
 * for the settings report.
 */
export function parseAllowedHosts(raw: string | undefined): { hosts: string[]; problems: string[] } {
  const hosts: string[] = [];
  const problems: string[] = [];
  for (const item of (raw ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(item)) {
      problems.push(`Setting 'HEALTH_API_ALLOWED_HOSTS': '${item}' is not a host name with an optional port (e.g. health.internal or 10.0.0.5:5000); separate several with commas`);
    } else hosts.push(item.toLowerCase());
  }
  return { hosts, problems };
}

/** The Host is one this server answers to (see the header comment). */
export function hostAllowed(request: FastifyRequest, allowedHosts: readonly string[]): boolean {
  const header = request.headers.host;
  if (!header) return false;
  const [name, port] = splitHost(header);
  const localPort = request.socket?.localPort;
  // An explicit port must be the one the client connected to (a rebound name on another port is not us).
  const portOk = port === undefined || localPort === undefined || Number(port) === localPort;
  if (portOk && (LOOPBACK_NAMES.includes(name) || name === localName(request))) return true;
  return allowedHosts.some((allowed) => {
    const [allowedName, allowedPort] = splitHost(allowed);
    return allowedName === name && (allowedPort === undefined ? portOk : allowedPort === (port ?? ""));
  });
}

/** One onRequest hook for the whole app: 421 for a Host that is not this server's. */
export function requireKnownHost(allowedHosts: readonly string[]) {
  return async function checkHost(request: FastifyRequest, reply: FastifyReply) {
    if (hostAllowed(request, allowedHosts)) return;
    const host = (request.headers.host ?? "").slice(0, 100);
    request.log.info({ host }, "request refused: unknown Host");
    return reply.code(421).send({
      statusCode: 421,
      error: "Misdirected Request",
      message: `This server does not answer to Host '${host}' (it answers to localhost, 127.0.0.1, [::1], the address it is reached on, and HEALTH_API_ALLOWED_HOSTS). If that name is yours, add it to HEALTH_API_ALLOWED_HOSTS.`,
    });
  };
}

/** Why this request did not come from this server's own origin (undefined when it did, or the client sent no origin headers). */
export function crossSiteReason(request: FastifyRequest): string | undefined {
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return `Sec-Fetch-Site is '${String(site).slice(0, 40)}'`;
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  return host !== undefined && host === request.headers.host ? undefined : `Origin is '${origin.slice(0, 100)}'`;
}

/** A body or header a cross-site page cannot send without a preflight. */
function preflighted(request: FastifyRequest): boolean {
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || request.headers.authorization !== undefined;
}

/**
 * onRequest hook of the API's state-changing routes (reset-stats, cancel,
 * terminate): same origin, and JSON or an Authorization header. 403 with
 * what to send otherwise.
 */
export async function requireSameOriginPost(request: FastifyRequest, reply: FastifyReply) {
  const cross = crossSiteReason(request);
  if (cross === undefined && preflighted(request)) return;
  request.log.info({ origin: request.headers.origin, contentType: request.headers["content-type"] }, "state-changing request refused (cross-site or simple)");
  return reply.code(403).send({
    statusCode: 403,
    error: "Forbidden",
    message: cross
      ? `Refused a state-changing request from another site (${cross}).`
      : "A state-changing request must send a JSON body (Content-Type: application/json, e.g. -d '{}') or an Authorization header, which a page on another site cannot send without permission.",
  });
}

/**
 * The client address the server sees: the socket's peer, never a header a
 * client can write (X-Forwarded-For) — the server trusts no proxy.
 */
export function clientAddress(request: FastifyRequest): string {
  return request.socket?.remoteAddress ?? request.ip;
}
