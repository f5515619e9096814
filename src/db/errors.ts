// The one connection-error classifier. Every layer that meets a failed
// connection — a command's first connect, the app pool's ping, a migration
// whose server went away — asks this table what happened, so a refused
// connection reads the same everywhere. `short` is safe for unauthenticated
// answers (no host, no statement); `fix` is what a person should do next.
import { EXIT, UserError } from "../base/errors.ts";
import type { DatabaseTarget } from "./target.ts";

export type ConnectionFaultKind = "refused" | "unresolvable" | "timeout" | "authentication" | "no-database" | "lost";

export interface ConnectionFault {
  readonly kind: ConnectionFaultKind;
  readonly short: string;
  readonly fix: string;
}

const FAULTS: Readonly<Record<ConnectionFaultKind, { codes: readonly string[]; short: string; fix: string }>> = {
  refused: { codes: ["ECONNREFUSED"], short: "connection refused", fix: "Is PostgreSQL running there? For the embedded server run 'npm run db:start'." },
  unresolvable: { codes: ["ENOTFOUND", "EAI_AGAIN"], short: "database host does not resolve", fix: "Check the host in DATABASE_URL." },
  timeout: { codes: ["CONNECT_TIMEOUT", "ETIMEDOUT"], short: "connection attempt timed out", fix: "Check the host/port and any firewall." },
  authentication: { codes: ["28P01", "28000"], short: "authentication failed", fix: "Check the user and password in DATABASE_URL." },
  "no-database": { codes: ["3D000"], short: "database does not exist", fix: "Create the database first (createdb) or fix the name in DATABASE_URL." },
  // The server went away under an open connection: shutdown, crash, restart, terminated backend.
  lost: {
    codes: ["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "ECONNRESET", "EPIPE", "57P01", "57P02", "57P03"],
    short: "connection closed by the server",
    fix: "The server went away; run the command again when it is back.",
  },
};

const BY_CODE = new Map<string, ConnectionFaultKind>(
  (Object.entries(FAULTS) as [ConnectionFaultKind, (typeof FAULTS)[ConnectionFaultKind]][]).flatMap(([kind, f]) => f.codes.map((code) => [code, kind] as const)),
);

// node-postgres (graphile-migrate's driver) reports a dropped socket by message only.
const LOST_MESSAGE = /Connection terminated|not queryable|server closed the connection/i;

/** What kind of connection failure this is, or undefined when it is not one (e.g. a SQL error). */
export function classifyConnectionError(error: unknown): ConnectionFault | undefined {
  const e = error as { code?: string | number; message?: string } | undefined;
  const kind = BY_CODE.get(String(e?.code ?? "")) ?? (LOST_MESSAGE.test(e?.message ?? "") ? "lost" : undefined);
  return kind ? { kind, short: FAULTS[kind].short, fix: FAULTS[kind].fix } : undefined;
}

export function isConnectionError(error: unknown): boolean {
  return classifyConnectionError(error) !== undefined;
}

/**
 * A connection failure as the one UserError (exit 3) a command prints:
 * where, what happened, the fix. Not a connection failure → the server's own
 * message, still exit 3 (it happened while connecting).
 */
export function connectionUserError(error: unknown, target: Pick<DatabaseTarget, "display" | "source">, doing = "connect to"): UserError {
  const e = error as { message?: string };
  const fault = classifyConnectionError(error);
  const where = `${target.display} (from ${target.source})`;
  if (!fault) return new UserError(`Cannot ${doing} ${where}: ${e?.message ?? String(error)}`, EXIT.unreachable);
  const detail = fault.kind === "no-database" ? `${e.message}` : fault.short;
  return new UserError(`Cannot ${doing} ${where}: ${detail}. ${fault.fix}`, EXIT.unreachable);
}

/** A server error as one line: message, SQLSTATE and the position's context. */
export function serverMessage(error: unknown): string {
  const e = error as { message?: string; code?: string; detail?: string; hint?: string };
  const parts = [e.message ?? String(error)];
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  return `${parts.join("; ")}${e.code && /^[0-9A-Z]{5}$/.test(e.code) ? ` (SQLSTATE ${e.code})` : ""}`;
}
