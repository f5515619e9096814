// The health server's own settings (HOST, PORT, HEALTH_API_TOKEN, LOG_LEVEL,
// HEALTH_API_ALLOW_CANCEL, HEALTH_API_ALLOWED_HOSTS, MONITOR_CAPTURE_INTERVAL_MINUTES,
// MONITOR_RETENTION_DAYS), validated all at once like the pool's, plus the
// public-bind rule.
import net from "node:net";
import path from "node:path";
import type { Parsed } from "../pool/pool-options.ts";
import { parseAllowedHosts } from "../base/request-guard.ts";
import { CAPTURE_INTERVAL_MINUTES, STATEMENT_RETENTION_DAYS } from "../observe/capture.ts";

export interface HealthServerSettings {
  readonly host: string;
  readonly port: number;
  /** Bearer token for every endpoint except GET /api/v1/health; undefined = no auth (loopback only). */
  readonly token: string | undefined;
  readonly logLevel: string;
  /** HEALTH_DASHBOARD_SECURE_COOKIE: mark the dashboard's session cookie Secure (users reach the server over TLS, e.g. behind a proxy). */
  readonly secureCookie: boolean;
  /** HEALTH_DASHBOARD_REPORTS_DIR: where the dashboard finds verify reports (default reports/ of this checkout). */
  readonly reportsDir: string | undefined;
  /** POST .../activity/:pid/cancel|terminate answer 403 unless this is on. */
  readonly allowCancel: boolean;
  /** Minutes between pg_stat_statements captures in the serve process; 0 = no capture. */
  readonly captureIntervalMinutes: number;
  /** Days of statement history kept (sizes: SPACE_RETENTION_DAYS). */
  readonly statementRetentionDays: number;
  /** HEALTH_API_ALLOWED_HOSTS: Host names answered besides localhost and the address reached (e.g. a proxy's name). */
  readonly allowedHosts: readonly string[];
}

export const HEALTH_SERVER_DEFAULTS = { host: "127.0.0.1", port: 5000, logLevel: "info", allowCancel: false, captureIntervalMinutes: CAPTURE_INTERVAL_MINUTES, statementRetentionDays: STATEMENT_RETENTION_DAYS } as const;
const TRUE_WORDS = ["1", "true", "yes", "on"];
const FALSE_WORDS = ["0", "false", "no", "off"];
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
  const secureCookie = TRUE_WORDS.includes(rawSecure);
  if (rawSecure !== "" && !secureCookie && !FALSE_WORDS.includes(rawSecure)) {
    problems.push(`Setting 'HEALTH_DASHBOARD_SECURE_COOKIE': must be true or false, got '${env.HEALTH_DASHBOARD_SECURE_COOKIE}'`);
  }
  // A folder that does not exist (yet) is fine: the verify page then says there is no report.
  const reportsDir = env.HEALTH_DASHBOARD_REPORTS_DIR?.trim() ? path.resolve(env.HEALTH_DASHBOARD_REPORTS_DIR.trim()) : undefined;
  let allowCancel: boolean = HEALTH_SERVER_DEFAULTS.allowCancel;
  const rawCancel = env.HEALTH_API_ALLOW_CANCEL?.trim().toLowerCase();
  if (rawCancel) {
    if (TRUE_WORDS.includes(rawCancel)) allowCancel = true;
    else if (FALSE_WORDS.includes(rawCancel)) allowCancel = false;
    else problems.push(`Setting 'HEALTH_API_ALLOW_CANCEL': must be true or false (also 1/0, yes/no, on/off), got '${env.HEALTH_API_ALLOW_CANCEL}'`);
  }
  const wholeNumber = (name: string, fallback: number, min: number, max: number, meaning: string): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`Setting '${name}': must be a whole number from ${min} to ${max} (${meaning}), got '${env[name]}'`);
      return fallback;
    }
    return Number(raw);
  };
  const captureIntervalMinutes = wholeNumber("MONITOR_CAPTURE_INTERVAL_MINUTES", HEALTH_SERVER_DEFAULTS.captureIntervalMinutes, 0, 1440, "minutes between pg_stat_statements captures; 0 turns the capture off");
  const statementRetentionDays = wholeNumber("MONITOR_RETENTION_DAYS", HEALTH_SERVER_DEFAULTS.statementRetentionDays, 1, 90, "days of statement history kept");
  const allowed = parseAllowedHosts(env.HEALTH_API_ALLOWED_HOSTS);
  problems.push(...allowed.problems);
  // Cancel needs a token on a public bind like every other database endpoint (publicBindProblem covers it).
  if (problems.length === 0 && !isLoopback(host) && token === undefined) problems.push(publicBindProblem(host));
  return { value: { host, port, token, logLevel, secureCookie, reportsDir, allowCancel, captureIntervalMinutes, statementRetentionDays, allowedHosts: allowed.hosts }, problems };
}

export function publicBindProblem(host: string): string {
  return `Setting 'HOST': refusing to bind ${host} (reachable from other machines) without HEALTH_API_TOKEN: the database endpoints would be open to anyone. Set HEALTH_API_TOKEN (e.g. HEALTH_API_TOKEN=$(openssl rand -hex 24)) or bind 127.0.0.1`;
}
