// The observe routes of the health API (registered by healthPlugin under its
// prefix, all behind the bearer token): live activity, cancel/terminate a
// backend, the danger checks and space growth (slow queries over a window:
// statement-routes.ts).
// The data comes from src/observe and src/checks; this file is HTTP only.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { activity } from "../observe/activity.ts";
import { parsePid, signalBackend, type BackendAction } from "../observe/backend-control.ts";
import { dangerReport } from "../observe/danger.ts";
import { SPACE_GROWTH_DAYS, spaceGrowth } from "../observe/space-history.ts";
import { WINDOW_MAX_DAYS } from "../observe/window.ts";
import type { Database } from "../pool/create-database.ts";
import { requireBearer, type SignInThrottle } from "../base/bearer-token.ts";
import { clientAddress, requireSameOriginPost } from "../base/request-guard.ts";
import { withDeadline } from "../base/deadline.ts";
import { unavailable as answerUnavailable } from "./unavailable.ts";

export interface ObserveRoutesOptions {
  readonly database: Database;
  readonly token?: string;
  readonly tokenThrottle?: SignInThrottle;
  /** HEALTH_API_ALLOW_CANCEL: cancel/terminate answer 403 unless true. */
  readonly allowCancel?: boolean;
  /** Deadline of each answer's database work (default 5000 ms). */
  readonly timeoutMs?: number;
}

/** Permission problems are the operator's to fix, not an outage: say which. */
const unavailable = (reply: FastifyReply, error: unknown) => answerUnavailable(reply, error, { privilegeHint: true });

export const observeRoutes: FastifyPluginAsync<ObserveRoutesOptions> = async (app, options) => {
  const { database } = options;
  const sql = database.sql;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const auth = requireBearer(options.token, options.tokenThrottle);

  app.get("/health/activity", { onRequest: auth }, async (_request, reply) => {
    try {
      const now = await withDeadline(activity(sql), timeoutMs, "the activity views");
      return reply.send({ timestamp: new Date().toISOString(), ...now });
    } catch (error) {
      return unavailable(reply, error);
    }
  });

  const control = (action: BackendAction) => backendSignalHandler(action, database, timeoutMs, options.allowCancel === true);
  // Same origin and a preflighted request (src/base/request-guard.ts), before anything else.
  app.post<{ Params: { pid: string } }>("/health/activity/:pid/cancel", { onRequest: [auth, requireSameOriginPost] }, control("cancel"));
  app.post<{ Params: { pid: string } }>("/health/activity/:pid/terminate", { onRequest: [auth, requireSameOriginPost] }, control("terminate"));

  app.get("/health/danger", { onRequest: auth }, async (_request, reply) => {
    try {
      const report = await withDeadline(dangerReport(sql), timeoutMs, "the danger checks");
      return reply.send({ timestamp: new Date().toISOString(), status: report.warnings.length === 0 ? "ok" : "warning", ...report });
    } catch (error) {
      return unavailable(reply, error);
    }
  });

  app.get<{ Querystring: { days: number } }>(
    "/health/database/space-growth",
    {
      onRequest: auth,
      schema: { querystring: { type: "object", properties: { days: { type: "integer", minimum: 1, maximum: WINDOW_MAX_DAYS, default: SPACE_GROWTH_DAYS } } } },
    },
    async (request, reply) => {
      try {
        const tables = await withDeadline(spaceGrowth(sql, request.query.days), timeoutMs, "the space history");
        return reply.send({
          days: request.query.days,
          tables,
          ...(tables.length === 0 ? { warning: "No size snapshots yet: the monitor takes one a day (npm run serve, or npm run capture from cron)." } : {}),
        });
      } catch (error) {
        return unavailable(reply, error);
      }
    },
  );
};

/** POST .../health/activity/:pid/cancel|terminate: refused unless allowed, then signalled through src/observe/backend-control.ts and logged (who asked, what was hit). */
function backendSignalHandler(action: BackendAction, database: Database, timeoutMs: number, allowCancel: boolean) {
  const sql = database.sql;
  return async (request: FastifyRequest<{ Params: { pid: string } }>, reply: FastifyReply) => {
    if (!allowCancel) {
      return reply.code(403).send({
        statusCode: 403,
        error: "Forbidden",
        message: `Cancelling and terminating backends is turned off on this server. To allow it, start it with HEALTH_API_ALLOW_CANCEL=true.`,
      });
    }
    const raw = request.params.pid;
    const pid = parsePid(raw);
    if (pid === undefined) {
      return reply.code(400).send({ statusCode: 400, error: "Bad Request", message: `pid must be a whole number from 1 to 2147483647 (a pid from GET .../health/activity), got '${raw.slice(0, 40)}'` });
    }
    let outcome;
    try {
      outcome = await withDeadline(signalBackend(sql, action, pid, { protectedApplicationName: database.config.applicationName }), timeoutMs, `pg_${action}_backend`);
    } catch (error) {
      return unavailable(reply, error);
    }
    // Who asked and what was hit; never the target's query text, never the token.
    const audit = { action, pid, outcome: outcome.outcome, requester: { ip: clientAddress(request), userAgent: request.headers["user-agent"]?.slice(0, 120) }, ...("target" in outcome ? { target: outcome.target } : {}) };
    switch (outcome.outcome) {
      case "signalled":
        request.log.warn(audit, `backend ${pid} ${action === "cancel" ? "cancelled" : "terminated"} through the health API`);
        return reply.send({ action, pid, signalled: true, target: outcome.target });
      case "refused":
        request.log.warn({ ...audit, reason: outcome.reason }, `refused to ${action} backend ${pid}`);
        return reply.code(403).send({ statusCode: 403, error: "Forbidden", message: `Refusing to ${action} pid ${pid}: ${outcome.reason}.` });
      case "not-found":
      case "not-signalled":
        request.log.info(audit, `no backend ${pid} to ${action}`);
        return reply.code(404).send({ statusCode: 404, error: "Not Found", message: `No session with pid ${pid} on this server (it may have ended). GET .../health/activity lists the current ones.` });
    }
  };
}
