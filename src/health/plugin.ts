// The health routes as a Fastify plugin: an application registers it under
// its own prefix with its own database handle, e.g.
//   app.register(healthPlugin, { prefix: "/api/v1", database, token })
// GET <prefix>/health is public (orchestrators probe it) and returns no query
// text; everything else needs the bearer token when one is configured.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { FastifyError, FastifyInstance, FastifyPluginAsync } from "fastify";
import { cacheHitRatio, databaseSizeBytes, largestTables } from "../checks/database-health.ts";
import { findInvalidIndexes, indexUsage } from "../checks/index-health.ts";
import { PROJECT_ROOT } from "../base/project-paths.ts";
import type { Database } from "../pool/create-database.ts";
import { requireBearer, SignInThrottle } from "../base/bearer-token.ts";
import { observeRoutes } from "./observe-routes.ts";
import { replicationRoutes } from "./replication.ts";
import { statementRoutes } from "./statement-routes.ts";
import { unavailable } from "./unavailable.ts";
import { withDeadline } from "../base/deadline.ts";

export interface HealthPluginOptions {
  readonly database: Database;
  /** HEALTH_API_TOKEN; undefined = no authentication (bind loopback only). */
  readonly token?: string;
  /** Reported by GET /health (default: this package's version). */
  readonly version?: string;
  /** Deadline of the database probe in GET /health (default 2000 ms: the answer comes within 2.5 s). */
  readonly pingTimeoutMs?: number;
  /** Deadline of the database figures in GET /health/database (default 5000 ms). */
  readonly detailTimeoutMs?: number;
  /** HEALTH_API_ALLOW_CANCEL: POST /health/activity/:pid/cancel|terminate answer 403 unless true. */
  readonly allowCancel?: boolean;
  /** Wrong-token counts per client address (buildHealthApp shares one with the dashboard's sign-in). */
  readonly tokenThrottle?: SignInThrottle;
}

export const PACKAGE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
})();

const startedAt = Date.now();

function memory() {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external };
}

/**
 * Single-flight: callers that arrive while a run is in flight share its
 * result instead of starting another. Under load (hundreds of probes at once)
 * the database sees one probe at a time, and every answer still comes from a
 * run that was in progress when the request arrived.
 */
export function coalesce<T>(run: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    if (inFlight) return inFlight;
    const current = run().finally(() => {
      if (inFlight === current) inFlight = undefined;
    });
    inFlight = current;
    return current;
  };
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 413: "Payload Too Large", 415: "Unsupported Media Type" };

const num = { type: "number" } as const;
const int = { type: "integer" } as const;
// A response schema lets Fastify serialize this hot path with fast-json-stringify.
const HEALTH_SCHEMA = {
  response: {
    "2xx": { $ref: "healthBody#" },
    "5xx": { $ref: "healthBody#" },
  },
};
const HEALTH_BODY_SCHEMA = {
  $id: "healthBody",
  type: "object",
  properties: {
    status: { type: "string" },
    timestamp: { type: "string" },
    uptimeSeconds: int,
    version: { type: "string" },
    database: {
      type: "object",
      properties: {
        reachable: { type: "boolean" },
        latencyMs: num,
        error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } },
      },
    },
    pool: {
      type: "object",
      properties: Object.fromEntries(
        ["max", "min", "open", "busy", "idle", "waiting", "peakBusy", "peakWaiting", "queuedTotal", "queueTimeoutMs"].map((k) => [k, int] as const).concat([["applicationName", { type: "string" } as never]]),
      ),
    },
    memory: { type: "object", properties: { rssBytes: int, heapUsedBytes: int, heapTotalBytes: int, externalBytes: int } },
  },
};

/** Errors never carry query parameters into logs or answers: log code + message only. */
function registerJsonErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // The client's mistake (a bad query string, an unsupported media type 415,
    // a malformed or too-large body 400/413): its status, logged at info.
    const status = error.validation ? 400 : error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      request.log.info({ code: error.code, statusCode: status }, `request refused: ${error.message}`);
      return reply.code(status).send({ statusCode: status, error: STATUS_TEXT[status] ?? "Bad Request", message: error.message });
    }
    request.log.error({ code: error.code, err: { type: error.name, message: error.message } }, "health route failed");
    return reply.code(500).send({ statusCode: 500, error: "Internal Server Error", message: "The health check failed unexpectedly; see the server log." });
  });
}

export const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (app, options) => {
  const { database } = options;
  const sql = database.sql;
  const version = options.version ?? PACKAGE_VERSION;
  const pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
  const detailTimeoutMs = options.detailTimeoutMs ?? 5_000;
  const tokenThrottle = options.tokenThrottle ?? new SignInThrottle();
  const auth = requireBearer(options.token, tokenThrottle);
  const probe = coalesce(() => database.ping(pingTimeoutMs));
  const figures = coalesce(() =>
    withDeadline(
      Promise.all([databaseSizeBytes(sql), largestTables(sql, 10), indexUsage(sql), cacheHitRatio(sql), findInvalidIndexes(sql), database.serverPoolStats()]),
      detailTimeoutMs,
      "the database figures",
    ),
  );

  registerJsonErrors(app);

  app.addSchema(HEALTH_BODY_SCHEMA);
  app.get("/health", { schema: HEALTH_SCHEMA }, async (_request, reply) => {
    const ping = await probe();
    const body = {
      status: ping.ok ? "ok" : "unavailable",
      timestamp: new Date().toISOString(),
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      version,
      database: { reachable: ping.ok, latencyMs: ping.latencyMs, ...(ping.error ? { error: ping.error } : {}) },
      pool: database.poolStats(),
      memory: memory(),
    };
    return reply.code(ping.ok ? 200 : 503).send(body);
  });

  app.get("/health/database", { onRequest: auth }, async (_request, reply) => {
    try {
      const [sizeBytes, tables, indexes, cache, invalid, server] = await figures();
      return reply.send({
        status: "ok",
        timestamp: new Date().toISOString(),
        queryStats: database.getQueryStats(),
        database: { sizeBytes },
        tables,
        indexes: indexes.slice(0, 10),
        cacheHitRatio: cache,
        pool: { ...database.poolStats(), server },
        invalidIndexes: { count: invalid.length, indexes: invalid.map((i) => `${i.table}.${i.index}`) },
      });
    } catch (error) {
      return unavailable(reply, error);
    }
  });

  await app.register(replicationRoutes, { database, token: options.token, tokenThrottle, timeoutMs: detailTimeoutMs });

  await app.register(observeRoutes, { database, token: options.token, tokenThrottle, allowCancel: options.allowCancel, timeoutMs: detailTimeoutMs });
  await app.register(statementRoutes, { database, token: options.token, tokenThrottle, timeoutMs: detailTimeoutMs });
};
