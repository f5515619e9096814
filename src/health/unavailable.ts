// The health API's one answer for "the database did not answer in time or
// failed": 503 with the error's code and message, never its query or
// parameters.
import type { FastifyReply } from "fastify";

/**
 * `privilegeHint`: a permission error (42501) is the operator's to fix, not an
 * outage, so say which privilege the observe routes need.
 */
export function unavailable(reply: FastifyReply, error: unknown, options: { readonly privilegeHint?: boolean } = {}) {
  const e = error as { code?: string; message?: string };
  if (options.privilegeHint && e.code === "42501") {
    return reply.code(503).send({ status: "unavailable", error: { code: "42501", message: "the API's database role lacks a privilege this answer needs (e.g. pg_monitor / pg_read_all_stats)" } });
  }
  return reply.code(503).send({ status: "unavailable", error: { code: String(e.code ?? "UNKNOWN"), message: e.message ?? String(error) } });
}
