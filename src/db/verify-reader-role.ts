// The runtime layer of verify's guard: catalog SQL runs as a role that cannot
// do harm, whatever the static check (src/catalog/read-only-sql.ts) let
// through. `bollalabz_verify` is NOLOGIN, not a superuser, has no
// replication, no pg_signal_backend, no pg_read_server_files: SELECT on the
// app's tables and pg_read_all_stats only. verify enters it with SET LOCAL
// ROLE inside its read-only transaction, for the catalog's statements only:
// ANALYZE samples (plan stability) and verify's own checks need more than
// SELECT and stay on the connecting role.
//
// Created and granted by migrations/verify-reader-role.sql (npm run migrate,
// the afterAllMigrations hook, the embedded server's setup) and by the Pulumi
// program (infra/app-database.ts).
import { readFileSync } from "node:fs";
import path from "node:path";
import { EXIT, UserError } from "../base/errors.ts";
import { PROJECT_ROOT } from "../base/project-paths.ts";
import type { Sql } from "./client.ts";

export const VERIFY_READER_ROLE = "bollalabz_verify";

/** The idempotent SQL that creates and grants the role where the running role may. */
export const READER_ROLE_SQL_FILE = path.join(PROJECT_ROOT, "migrations", "verify-reader-role.sql");

/** Create/grant the reader role in this database as far as the connected role may (NOTICEs say what it could not). */
export async function ensureVerifyReaderRole(sql: Sql): Promise<void> {
  await sql.unsafe(readFileSync(READER_ROLE_SQL_FILE, "utf8"));
}

/** The grants an administrator runs when the migrating role could not (one line, for error messages and the README). */
export function readerRoleGrants(user: string, schema = "public"): string {
  return `CREATE ROLE ${VERIFY_READER_ROLE} NOLOGIN; GRANT pg_read_all_stats TO ${VERIFY_READER_ROLE}; GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${VERIFY_READER_ROLE}; GRANT ${VERIFY_READER_ROLE} TO ${user};`;
}

/**
 * The error SET ROLE gave, as the one line verify prints (exit 4: the server
 * is reachable but not prepared); undefined for any other error.
 */
export function readerRoleProblem(error: unknown, user: string): UserError | undefined {
  const e = error as { code?: string; message?: string };
  // 22023: the role does not exist; 42501: the connecting role may not SET ROLE to it.
  if (e?.code !== "22023" && e?.code !== "42501") return undefined;
  if (!/role/i.test(e.message ?? "")) return undefined;
  return new UserError(
    `verify runs catalog SQL as the role ${VERIFY_READER_ROLE} (SELECT only: a catalog then cannot signal sessions, create replication slots, reset statistics or read server files), but ${user} cannot enter it: ${e.message}. ` +
      `Fix: run 'npm run migrate' as a role with CREATEROLE (it creates and grants it), or have an administrator run: ${readerRoleGrants(user)}`,
    EXIT.notReady,
  );
}
