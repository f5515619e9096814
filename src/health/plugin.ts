// The health routes as a Fastify plugin: an application registers it under
// its own prefix with its own database handle, e.g.
//   app.register(healthPlugin, { prefix: "/api/v1", database, token })
// GET <prefix>/health is public (orchestrators probe it) and returns no query
// text; everything else needs the bearer token when one is configured.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { FastifyError, FastifyPluginAsync, FastifyReply } from "fastify";
import { cacheHitRatio, databaseSizeBytes, largestTables } from "../checks/database-health.ts";
import { findInvalidIndexes, indexUsage } from "../checks/index-health.ts";
import { checkPgStatStatements } from "../checks/pg-stat-statements.ts";
import { resetStatementStats, topStatements } from "../checks/query-stats.ts";
import { PROJECT_ROOT } from "../base/project-paths.ts";
import type { Database } from "../pool/create-database.ts";
import { requireBearer, SignInThrottle } from "../base/bearer-token.ts";
import { requireSameOriginPost } from "../base/request-guard.ts";
import { observeRoutes, slowQueriesOverWindow } from "./observe-routes.ts";
import { replicationRoutes } from "./replication.ts";
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

function unavailable(reply: FastifyReply, error: unknown) {
  const e = error as { code?: string; message?: string };
  return reply.code(503).send({ status: "unavailable", error: { code: String(e.code ?? "UNKNOWN"), message: e.message ?? String(error) } });
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 413: "Payload Too Large", 415: "Unsupported Media Type" };

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

  // Errors never carry query parameters into logs or answers: log code + message only.
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

  const num = { type: "number" } as const;
  const int = { type: "integer" } as const;
  // A response schema lets Fastify serialize this hot path with fast-json-stringify.
  const healthSchema = {
    response: {
      "2xx": { $ref: "healthBody#" },
      "5xx": { $ref: "healthBody#" },
    },
  };
  app.addSchema({
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
  });

  app.get("/health", { schema: healthSchema }, async (_request, reply) => {
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

  app.post("/health/database/reset-stats", { onRequest: [auth, requireSameOriginPost] }, async (_request, reply) => {
    let pgStatStatements: { reset: boolean; reason?: string };
    try {
      // Answers { reset: false, reason } when pg_stat_statements is missing or not allowed;
      // throws when the database did not answer: then nothing is reset and the caller gets a 503.
      pgStatStatements = await withDeadline(resetStatementStats(sql), detailTimeoutMs, "pg_stat_statements_reset()");
    } catch (error) {
      return unavailable(reply, error);
    }
    // Last, so the monitor starts from zero (the reset call above went through the pool).
    database.resetQueryStats();
    return reply.send({ reset: true, monitor: { since: database.getQueryStats().since }, pgStatStatements });
  });

  await app.register(observeRoutes, { database, token: options.token, tokenThrottle, allowCancel: options.allowCancel, timeoutMs: detailTimeoutMs });

  app.get<{ Querystring: { limit: number; since?: string } }>(
    "/health/database/slow-queries",
    {
      onRequest: auth,
      schema: {
        querystring: {
          type: "object",
          properties: { limit: { type: "integer", minimum: 1, maximum: 100, default: 10 }, since: { type: "string", maxLength: 40 } },
        },
      },
    },
    async (request, reply) => {
      const limit = request.query.limit;
      // ?since=1h: the monitor's captured history instead of the counters since their last reset.
      if (request.query.since !== undefined) return slowQueriesOverWindow(reply, sql, request.query.since, limit, detailTimeoutMs);
      try {
        const status = await withDeadline(checkPgStatStatements(sql), detailTimeoutMs, "the pg_stat_statements check");
        const failed = status.steps.find((s) => !s.ok);
        // Without pg_read_all_stats the role still sees its own statements: answer, with a warning.
        if (failed && failed.step !== "readable") {
          return reply.code(503).send({
            statusCode: 503,
            error: "pg_stat_statements unavailable",
            message: `pg_stat_statements is not ready (${failed.step}): ${failed.detail}.`,
            step: failed.step,
            fix: failed.fix,
          });
        }
        const [byMean, byTotal] = await withDeadline(Promise.all([topStatements(sql, "mean", limit), topStatements(sql, "total", limit)]), detailTimeoutMs, "the statement statistics");
        return reply.send({ limit, byMeanTime: byMean, byTotalTime: byTotal, ...(failed ? { warning: `${failed.detail}. Fix: ${failed.fix}` } : {}) });
      } catch (error) {
        return unavailable(reply, error);
      }
    },
  );
};
