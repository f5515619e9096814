// The standalone health server (`npm run serve`): a thin Fastify app around
// healthPlugin (under /api/v1) and metricsPlugin (/metrics).
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { EXIT, UserError } from "../base/errors.ts";
import { classifyConnectionError, type DatabaseTarget } from "../db/index.ts";
import { poolConfigFromEnv } from "../pool/pool-options.ts";
import { createDatabase, type Database } from "../pool/create-database.ts";
import { isLoopback, parseHealthServerSettings, publicBindProblem, type HealthServerSettings } from "./health-options.ts";
import { DASHBOARD_PREFIX } from "../dashboard/layout.ts";
import { dashboardPlugin } from "../dashboard/plugin.ts";
import { metricsPlugin } from "./metrics.ts";
import { healthPlugin, PACKAGE_VERSION } from "./plugin.ts";
import { probesPlugin } from "./probes.ts";
import { SignInThrottle } from "../base/bearer-token.ts";
import { requireKnownHost } from "../base/request-guard.ts";
import { startCaptureSchedule, type CaptureSchedule } from "../observe/capture.ts";

export const API_PREFIX = "/api/v1";

export const ENDPOINTS = [
  "GET /api/v1/health",
  "GET /api/v1/health/database",
  "POST /api/v1/health/database/reset-stats",
  "GET /api/v1/health/database/slow-queries?limit=1..100&since=30m|1h|7d",
  "GET /api/v1/health/database/space-growth?days=1..90",
  "GET /api/v1/health/activity",
  "POST /api/v1/health/activity/:pid/cancel",
  "POST /api/v1/health/activity/:pid/terminate",
  "GET /api/v1/health/danger",
  "GET /livez",
  "GET /readyz",
  "GET /api/v1/health/replication",
  "GET /metrics",
  "GET /dashboard (sign in with the token in a browser)",
] as const;

/** The request path without its query string (a client may put a token or personal data there). */
export function pathOnly(url: string | undefined): string {
  const raw = url ?? "";
  const cut = raw.search(/[?#]/);
  return cut === -1 ? raw : raw.slice(0, cut);
}

/**
 * Fastify logger options: pino at `level`, the Authorization header redacted,
 * and the request logged by its path only (Fastify's own serializer logs the
 * full URL, query string included: `?token=...` would land in the log).
 */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions["logger"] {
  return {
    level,
    redact: { paths: ["req.headers.authorization", 'req.headers["authorization"]'], censor: "[redacted]" },
    serializers: {
      req: (request: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: request.method,
        url: pathOnly(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
    ...(stream ? { stream } : {}),
  };
}

export interface BuildOptions {
  /** Build the pool for this app (receives the app's pino logger for slow-query logs). */
  readonly database: Database | ((logger: FastifyInstance["log"]) => Database);
  readonly token?: string;
  readonly logger?: FastifyServerOptions["logger"];
  readonly pingTimeoutMs?: number;
  /** HEALTH_API_ALLOW_CANCEL (default false): the API's and the dashboard's cancel/terminate. */
  readonly allowCancel?: boolean;
  /** The dashboard's session cookie gets the Secure attribute (served over TLS). */
  readonly secureCookie?: boolean;
  /** Where the dashboard reads verify reports (default reports/). */
  readonly reportsDir?: string;
  /** HEALTH_API_ALLOWED_HOSTS: Host names (optionally with port) answered besides localhost, 127.0.0.1, [::1] and the address reached. */
  readonly allowedHosts?: readonly string[];
}

/** The app, not listening yet (tests use app.inject or listen themselves). */
export async function buildHealthApp(options: BuildOptions): Promise<{ app: FastifyInstance; database: Database }> {
  const app = Fastify({ logger: options.logger ?? false, return503OnClosing: true });
  const database = typeof options.database === "function" ? options.database(app.log) : options.database;
  // DNS rebinding: a Host that is not this server's gets 421 before any route runs.
  app.addHook("onRequest", requireKnownHost(options.allowedHosts ?? []));
  // The state-changing API routes take a JSON body; `-d '{}'` and no body at all both mean "no options".
  const json = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = String(body);
    if (text === "") return done(null, {});
    json(request, text, done);
  });
  // One count of wrong tokens per client address for the API's bearer routes and the dashboard's sign-in.
  const tokenThrottle = new SignInThrottle();
  await app.register(healthPlugin, { prefix: API_PREFIX, database, token: options.token, tokenThrottle, pingTimeoutMs: options.pingTimeoutMs, allowCancel: options.allowCancel });
  await app.register(probesPlugin, { database, pingTimeoutMs: options.pingTimeoutMs });
  await app.register(metricsPlugin, { database, token: options.token, tokenThrottle, pingTimeoutMs: options.pingTimeoutMs });
  await app.register(dashboardPlugin, { prefix: DASHBOARD_PREFIX, database, token: options.token, signInThrottle: tokenThrottle, allowCancel: options.allowCancel, secureCookie: options.secureCookie, reportsDir: options.reportsDir, version: PACKAGE_VERSION });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ statusCode: 404, error: "Not Found", message: `No route ${request.method} ${pathOnly(request.url)}.`, endpoints: ENDPOINTS }),
  );
  return { app, database };
}

export interface RunningHealthServer {
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly settings: HealthServerSettings;
  /** The pg_stat_statements capture schedule (undefined when MONITOR_CAPTURE_INTERVAL_MINUTES=0). */
  readonly capture: CaptureSchedule | undefined;
  /** e.g. http://127.0.0.1:5000 */
  readonly address: string;
  close(): Promise<void>;
}

/** Refuse a public bind without a token (also checked by parseHealthServerSettings). */
export function assertSafeBind(host: string, token: string | undefined): void {
  if (!isLoopback(host) && token === undefined) throw new UserError(publicBindProblem(host), EXIT.usage);
}

/**
 * Start from the environment: HOST, PORT, HEALTH_API_TOKEN, LOG_LEVEL, the
 * POOL_* settings and DATABASE_URL (or `options.target`, which `npm run serve`
 * resolves to the embedded server when DATABASE_URL is unset). Every setting
 * problem is reported at once; an unreachable database does not stop the
 * server (GET /api/v1/health answers 503 until it is back).
 */
export async function startHealthServer(env: NodeJS.ProcessEnv = process.env, options: { logStream?: NodeJS.WritableStream; target?: DatabaseTarget } = {}): Promise<RunningHealthServer> {
  const { value: settings, problems } = parseHealthServerSettings(env);
  const config = poolConfigFromEnv(env, { extraProblems: problems, target: options.target });
  assertSafeBind(settings.host, settings.token);
  const { app, database } = await buildHealthApp({
    database: (logger) => createDatabase(config, { logger }),
    token: settings.token,
    secureCookie: settings.secureCookie,
    reportsDir: settings.reportsDir,
    logger: loggerOptions(settings.logLevel, options.logStream),
    allowCancel: settings.allowCancel,
    allowedHosts: settings.allowedHosts,
  });
  const first = await database.ping(config.connectTimeoutSeconds * 1000 + 500);
  if (!first.ok) app.log.warn({ database: config.target.display, code: first.error?.code }, `database ${config.target.display} not reachable yet (${classifyConnectionError(first.error)?.short ?? first.error?.message}); serving 503 until it is`);
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await database.close({ timeoutSeconds: 1 });
    const e = error as { code?: string; message?: string };
    if (e.code === "EADDRINUSE") throw new UserError(`Port ${settings.port} on ${settings.host} is already in use. Stop what listens there or set PORT=<free port>.`, EXIT.usage);
    if (e.code === "EADDRNOTAVAIL") throw new UserError(`Cannot bind ${settings.host}: no such address on this machine. Set HOST to one of its addresses (default 127.0.0.1).`, EXIT.usage);
    throw error;
  }
  // The monitor's history (slow queries over a window, space growth) is captured by this process.
  const capture =
    settings.captureIntervalMinutes > 0
      ? startCaptureSchedule(database.sql, settings.captureIntervalMinutes, app.log, {
          statementRetentionDays: settings.statementRetentionDays,
          parameterSamples: { applicationName: database.config.applicationName, read: () => database.parameterSamples() },
        })
      : undefined;
  const bound = app.server.address();
  const port = typeof bound === "object" && bound ? bound.port : settings.port;
  const hostForUrl = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  return {
    app,
    database,
    settings,
    address: `http://${hostForUrl}:${port}`,
    capture,
    async close() {
      await capture?.stop();
      await app.close();
      await database.close({ timeoutSeconds: 2 });
    },
  };
}
