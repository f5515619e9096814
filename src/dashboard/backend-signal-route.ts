// Cancel / terminate from the activity page: same rules as the API's routes
// (src/observe/backend-control.ts refuses server processes, replication,
// other databases and this server's own pool), logged the same way. The
// outcome is shown as the session's flash message on the activity page.
import type { FastifyInstance } from "fastify";
import { withDeadline } from "../base/deadline.ts";
import { clientAddress } from "../base/request-guard.ts";
import { parsePid, signalBackend } from "../observe/backend-control.ts";
import type { Database } from "../pool/create-database.ts";
import { DASHBOARD_PREFIX, errorPage } from "./layout.ts";
import { sendHtml, type RequestGuards } from "./request-guards.ts";

export interface BackendSignalOptions {
  readonly guards: RequestGuards;
  readonly database: Database;
  readonly deadlineMs: number;
  readonly allowCancel: boolean;
}

export function registerBackendSignalRoute(app: FastifyInstance, options: BackendSignalOptions): void {
  const { guards, database, deadlineMs, allowCancel } = options;
  app.post<{ Body: Record<string, unknown> }>("/activity/cancel", { onRequest: guards.requireSession }, async (request, reply) => {
    const refused = guards.refuseCrossOrigin(request, reply) ?? guards.requireCsrf(request, reply);
    if (refused) return refused;
    if (!allowCancel) {
      return sendHtml(reply, 403, errorPage(403, "Cancel is off", "Cancelling and terminating backends is turned off on this server. To allow it, start it with HEALTH_API_ALLOW_CANCEL=true."));
    }
    const rawPid = typeof request.body?.pid === "string" ? request.body.pid : "";
    const action = request.body?.action;
    const pid = parsePid(rawPid);
    if (pid === undefined || (action !== "cancel" && action !== "terminate")) {
      return sendHtml(reply, 400, errorPage(400, "Bad request", "Cancel needs a pid (a whole number from 1 to 2147483647, from the activity page) and an action, cancel or terminate."));
    }
    const session = request.dashboardSession!;
    let outcome;
    try {
      outcome = await withDeadline(signalBackend(database.sql, action, pid, { protectedApplicationName: database.config.applicationName }), deadlineMs, `pg_${action}_backend`);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      session.flash = { kind: "error", text: `Could not ${action} backend ${pid}: ${e.code ? `${e.code} ` : ""}${e.message ?? String(error)}` };
      return reply.redirect(`${DASHBOARD_PREFIX}/activity`, 303);
    }
    // Who asked and what was hit; never the target's query text.
    const audit = { action, pid, outcome: outcome.outcome, via: "dashboard", requester: { ip: clientAddress(request), userAgent: request.headers["user-agent"]?.slice(0, 120) }, ...("target" in outcome ? { target: outcome.target } : {}) };
    switch (outcome.outcome) {
      case "signalled":
        request.log.warn(audit, `backend ${pid} ${action === "cancel" ? "cancelled" : "terminated"} through the dashboard`);
        session.flash = { kind: "ok", text: `Backend ${pid} (${outcome.target.applicationName || "no application name"}): ${action === "cancel" ? "statement cancelled" : "session terminated"}.` };
        break;
      case "refused":
        request.log.warn({ ...audit, reason: outcome.reason }, `refused to ${action} backend ${pid}`);
        session.flash = { kind: "error", text: `Refused to ${action} backend ${pid}: ${outcome.reason}.` };
        break;
      case "not-found":
      case "not-signalled":
        request.log.info(audit, `no backend ${pid} to ${action}`);
        session.flash = { kind: "error", text: `No session with pid ${pid} any more (it may have ended).` };
        break;
    }
    return reply.redirect(`${DASHBOARD_PREFIX}/activity`, 303);
  });
}
