// pg_stat_statements readiness, PgHero style: available? -> preloaded? ->
// created? -> readable? Each step that fails says exactly what to do.
import type { Sql } from "../db/index.ts";

export type StatStatementsStep = "available" | "preloaded" | "created" | "readable";

export interface StatStatementsStatus {
  readonly ok: boolean;
  /** The first step that failed, when not ok. */
  readonly failedStep?: StatStatementsStep;
  readonly steps: readonly { readonly step: StatStatementsStep; readonly ok: boolean; readonly detail: string; readonly fix?: string }[];
}

const FIXES: Record<StatStatementsStep, string> = {
  available: "Install the PostgreSQL contrib package on the server (e.g. apt install postgresql-contrib); the embedded server and the postgres Docker image include it.",
  preloaded: "Add pg_stat_statements to shared_preload_libraries and restart the server (the embedded server and the Pulumi container set it from src/settings/server-settings.ts).",
  created: "Run 'npm run migrate' (the base migration creates it) or, as a superuser: CREATE EXTENSION pg_stat_statements;",
  readable: "Grant the role pg_read_all_stats (GRANT pg_read_all_stats TO <role>) so it can read other roles' statements.",
};

export async function checkPgStatStatements(sql: Sql): Promise<StatStatementsStatus> {
  const steps: { step: StatStatementsStep; ok: boolean; detail: string; fix?: string }[] = [];
  const fail = (step: StatStatementsStep, detail: string): StatStatementsStatus => {
    steps.push({ step, ok: false, detail, fix: FIXES[step] });
    return { ok: false, failedStep: step, steps };
  };

  const [available] = await sql`SELECT default_version FROM pg_available_extensions WHERE name = 'pg_stat_statements'`;
  if (!available) return fail("available", "the pg_stat_statements extension is not installed on the server");
  steps.push({ step: "available", ok: true, detail: `version ${available.default_version} available` });

  const [{ libs }] = (await sql`SELECT current_setting('shared_preload_libraries') AS libs`) as unknown as [{ libs: string }];
  const preloaded = libs.split(",").map((s) => s.trim().replace(/^"|"$/g, "")).includes("pg_stat_statements");
  if (!preloaded) return fail("preloaded", `shared_preload_libraries is '${libs}', without pg_stat_statements`);
  steps.push({ step: "preloaded", ok: true, detail: "in shared_preload_libraries" });

  const [created] = await sql`SELECT extversion, n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'pg_stat_statements'`;
  if (!created) return fail("created", "the extension is not created in this database");
  steps.push({ step: "created", ok: true, detail: `version ${created.extversion} in schema ${created.schema}` });

  try {
    const [{ visible }] = (await sql`
      SELECT count(*) FILTER (WHERE query <> '<insufficient privilege>')::int AS visible
      FROM pg_stat_statements`) as unknown as [{ visible: number }];
    const [{ privileged }] = (await sql`
      SELECT (pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') OR rolsuper) AS privileged
      FROM pg_roles WHERE rolname = current_user`) as unknown as [{ privileged: boolean }];
    if (!privileged) return fail("readable", "this role sees only its own statements' text");
    steps.push({ step: "readable", ok: true, detail: `${visible} statements readable` });
  } catch (error) {
    return fail("readable", (error as Error).message);
  }
  return { ok: true, steps };
}

/** One line for a failed status: what is wrong and the fix. */
export function describeStatStatementsProblem(status: StatStatementsStatus): string {
  const failed = status.steps.find((s) => !s.ok);
  return failed ? `pg_stat_statements is not ready (${failed.step}): ${failed.detail}. Fix: ${failed.fix}` : "pg_stat_statements is ready";
}
