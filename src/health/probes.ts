// Kubernetes-style probes at the root of the app, public and cheap:
//   GET /livez  — the process answers. Never touches the database: a liveness
//                 probe that failed during a database blip would restart every
//                 pod at once and turn the blip into an outage.
//   GET /readyz — the database answered SELECT 1 within the ping deadline
//                 (200), else 503: take the instance out of the load balancer,
//                 do not restart it. Concurrent probes share one ping (coalesce).
// Neither returns query text, versions or anything about the data.
import type { FastifyPluginAsync } from "fastify";
import type { Database } from "../pool/create-database.ts";
import { coalesce } from "./plugin.ts";

export interface ProbesPluginOptions {
  readonly database: Database;
  /** Deadline of the readiness ping (default 2000 ms). */
  readonly pingTimeoutMs?: number;
}

const bodySchema = {
  type: "object",
  properties: {
    status: { type: "string" },
    database: { type: "object", properties: { reachable: { type: "boolean" }, latencyMs: { type: "number" }, error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } } } },
  },
} as const;

export const probesPlugin: FastifyPluginAsync<ProbesPluginOptions> = async (app, options) => {
  const { database } = options;
  const pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
  const ping = coalesce(() => database.ping(pingTimeoutMs));

  app.get("/livez", { schema: { response: { 200: { type: "object", properties: { status: { type: "string" } } } } } }, async (_request, reply) => reply.send({ status: "ok" }));

  app.get("/readyz", { schema: { response: { 200: bodySchema, 503: bodySchema } } }, async (_request, reply) => {
    const result = await ping();
    return reply.code(result.ok ? 200 : 503).send({
      status: result.ok ? "ready" : "not ready",
      database: { reachable: result.ok, latencyMs: result.latencyMs, ...(result.error ? { error: result.error } : {}) },
    });
  });
};
