// The health server's own settings (HOST, PORT, HEALTH_API_TOKEN, LOG_LEVEL),
// validated all at once like the pool's, plus the public-bind rule.
import net from "node:net";
import type { Parsed } from "../pool/config.ts";

export interface HealthServerSettings {
  readonly host: string;
  readonly port: number;
  /** Bearer token for every endpoint except GET /api/v1/health; undefined = no auth (loopback only). */
  readonly token: string | undefined;
  readonly logLevel: string;
  /** HEALTH_DASHBOARD_SECURE_COOKIE: mark the dashboard's session cookie Secure (users reach the server over TLS, e.g. behind a proxy). */
  readonly secureCookie: boolean;
}

export const HEALTH_SERVER_DEFAULTS = { host: "127.0.0.1", port: 5000, logLevel: "info" } as const;
export const TOKEN_MIN_LENGTH = 16;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** 127.0.0.0/8, ::1, localhost: reachable only from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  if (net.isIPv4(h)) return h.startsWith("127.");
  if (h.startsWith("::ffff:")) return isLoopback(h.slice(7));
  return false;
}

export function parseHealthServerSettings(env: NodeJS.ProcessEnv = process.env): Parsed<HealthServerSettings> {
  const problems: string[] = [];
  const host = env.HOST?.trim() || HEALTH_SERVER_DEFAULTS.host;
  if (host !== "localhost" && !net.isIP(host.replace(/^\[|\]$/g, ""))) {
    problems.push(`Setting 'HOST': must be an IP address to bind (e.g. 127.0.0.1, 0.0.0.0, ::1) or localhost, got '${host}'`);
  }
  let port: number = HEALTH_SERVER_DEFAULTS.port;
  const rawPort = env.PORT?.trim();
  if (rawPort) {
    const n = Number(rawPort);
    if (!/^\d+$/.test(rawPort) || n > 65535) problems.push(`Setting 'PORT': must be an integer from 0 to 65535 (0 = any free port), got '${env.PORT}'`);
    else port = n;
  }
  const token = env.HEALTH_API_TOKEN === undefined || env.HEALTH_API_TOKEN === "" ? undefined : env.HEALTH_API_TOKEN;
  if (token !== undefined && (token.length < TOKEN_MIN_LENGTH || /\s/.test(token) || !/^[\x21-\x7e]+$/.test(token))) {
    // The value itself is never echoed.
    problems.push(`Setting 'HEALTH_API_TOKEN': must be at least ${TOKEN_MIN_LENGTH} printable characters without spaces (e.g. openssl rand -hex 24)`);
  }
  const logLevel = env.LOG_LEVEL?.trim() || HEALTH_SERVER_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`Setting 'LOG_LEVEL': must be one of ${LOG_LEVELS.join(", ")}, got '${logLevel}'`);
  const rawSecure = env.HEALTH_DASHBOARD_SECURE_COOKIE?.trim().toLowerCase() ?? "";
  const secureCookie = ["1", "true", "yes", "on"].includes(rawSecure);
  if (rawSecure !== "" && !secureCookie && !["0", "false", "no", "off"].includes(rawSecure)) {
    problems.push(`Setting 'HEALTH_DASHBOARD_SECURE_COOKIE': must be true or false, got '${env.HEALTH_DASHBOARD_SECURE_COOKIE}'`);
  }
  if (problems.length === 0 && !isLoopback(host) && token === undefined) problems.push(publicBindProblem(host));
  return { value: { host, port, token, logLevel, secureCookie }, problems };
}

export function publicBindProblem(host: string): string {
  return `Setting 'HOST': refusing to bind ${host} (reachable from other machines) without HEALTH_API_TOKEN: the database endpoints would be open to anyone. Set HEALTH_API_TOKEN (e.g. HEALTH_API_TOKEN=$(openssl rand -hex 24)) or bind 127.0.0.1`;
}
