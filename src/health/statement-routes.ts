// The pg_stat_statements routes of the health API (registered by
// healthPlugin under its prefix, behind the bearer token): the slowest
// statements (since the counters' reset, or over a captured window) and the
// reset of those counters together with the pool monitor's.
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { requireBearer, type SignInThrottle } from "../base/bearer-token.ts";
import { withDeadline } from "../base/deadline.ts";
import { requireSameOriginPost } from "../base/request-guard.ts";
import { checkPgStatStatements } from "../checks/pg-stat-statements.ts";
import { resetStatementStats, topStatements } from "../checks/query-stats.ts";
import type { Sql } from "../db/index.ts";
import { statementWindow } from "../observe/statement-history.ts";
import { parseWindow, WINDOW_FORMS, WINDOW_MAX_DAYS } from "../observe/window.ts";
import type { Database } from "../pool/create-database.ts";
import { unavailable } from "./unavailable.ts";

export interface StatementRoutesOptions {
  readonly database: Database;
  readonly token?: string;
  readonly tokenThrottle?: SignInThrottle;
  /** Deadline of each answer's database work. */
  readonly timeoutMs: number;
}

export const statementRoutes: FastifyPluginAsync<StatementRoutesOptions> = async (app, options) => {
  const { database, timeoutMs: detailTimeoutMs } = options;
  const sql = database.sql;
  const auth = requireBearer(options.token, options.tokenThrottle);

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

/**
 * GET .../slow-queries?since=1h: the captured deltas summed over the window
 * (the slow-queries route hands over here when `since` is given).
 */
async function slowQueriesOverWindow(reply: FastifyReply, sql: Sql, since: string, limit: number, timeoutMs: number) {
  let window;
  try {
    window = parseWindow(since);
  } catch {
    return reply.code(400).send({ statusCode: 400, error: "Bad Request", message: `'since' must be ${WINDOW_FORMS}, from 1m up to ${WINDOW_MAX_DAYS}d; got '${since.slice(0, 40)}'.`, accepted: ["30m", "1h", "24h", "7d"] });
  }
  try {
    const result = await withDeadline(statementWindow(sql, window, limit), timeoutMs, "the statement history");
    return reply.send({
      since: window.label,
      limit,
      window: result.coverage,
      byMeanTime: result.byMeanTime,
      byTotalTime: result.byTotalTime,
      ...(result.coverage.captures === 0
        ? { warning: "No capture in this window yet: npm run serve captures pg_stat_statements every MONITOR_CAPTURE_INTERVAL_MINUTES (default 5), or run npm run capture from cron." }
        : result.coverage.resetsDetected > 0
          ? { warning: `pg_stat_statements was reset ${result.coverage.resetsDetected} time(s) in this window: what ran between a capture and the reset is not counted.` }
          : {}),
    });
  } catch (error) {
    return unavailable(reply, error, { privilegeHint: true });
  }
}
