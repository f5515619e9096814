// What every command that changes or measures the database needs from the
// server before it starts: a supported version and pg_stat_statements loaded.
import { EXIT, UserError } from "../base/errors.ts";
import type { Sql } from "../db/index.ts";
import { checkPgStatStatements, describeStatStatementsProblem } from "./pg-stat-statements.ts";

export const MIN_SERVER_VERSION_NUM = 150000;

export async function assertServerReady(sql: Sql, where: string): Promise<{ serverVersion: string }> {
  const [{ num, version }] = (await sql`
    SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`) as unknown as [{ num: number; version: string }];
  if (num < MIN_SERVER_VERSION_NUM) {
    throw new UserError(`${where} runs PostgreSQL ${version}; bollalabz-db needs 15 or newer. Point DATABASE_URL at a newer server or unset it to use the embedded PostgreSQL 18.`, EXIT.notReady);
  }
  const status = await checkPgStatStatements(sql);
  if (status.failedStep === "available" || status.failedStep === "preloaded") {
    throw new UserError(`${where}: ${describeStatStatementsProblem(status)}`, EXIT.notReady);
  }
  return { serverVersion: version };
}
