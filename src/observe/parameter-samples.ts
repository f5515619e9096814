// The app pool's bind-parameter sample (src/pool/parameter-sample.ts) in the
// monitor schema, where `npm run advise` reads it: value source (b) of issue
// #26, after the server's statement log. One row per statement text and
// application_name, replaced at each save (the pool's sample is cumulative);
// rows not saved again within the statement retention are pruned. The values
// are data: they stay in the database they came from, never in a log, and
// advise prints them only with --show-values.
import type { Sql } from "../db/index.ts";
import { MONITOR_SCHEMA, ensureMonitorSchema, monitorSchemaReady } from "./monitor-schema.ts";

/** One statement of the pool's sample (src/pool/parameter-sample.ts SampledStatement, same shape). */
export interface SampledStatement {
  readonly query: string;
  readonly calls: number;
  readonly sets: readonly { readonly values: readonly (string | null)[]; readonly durationMs: number }[];
}

export interface StoredParameterSample {
  readonly query: string;
  readonly applicationName: string;
  readonly calls: number;
  readonly sets: readonly { readonly values: readonly (string | null)[]; readonly durationMs: number }[];
  readonly sampledAt: Date;
}

/** Store the pool's sample (creates the monitor schema when missing); returns the statements stored. */
export async function saveParameterSamples(sql: Sql, applicationName: string, samples: readonly SampledStatement[]): Promise<number> {
  const rows = samples.filter((s) => s.sets.length > 0);
  if (rows.length === 0) return 0;
  await ensureMonitorSchema(sql);
  const S = sql(MONITOR_SCHEMA);
  await sql`
    INSERT INTO ${S}.parameter_samples (query_md5, application_name, query, calls, value_sets, sampled_at)
    SELECT md5(x.query), ${applicationName}, x.query, x.calls, x.sets, now()
    FROM jsonb_to_recordset(${sql.json(rows.map((r) => ({ query: r.query, calls: r.calls, sets: r.sets })) as never)}::jsonb) AS x(query text, calls bigint, sets jsonb)
    ON CONFLICT (query_md5, application_name) DO UPDATE SET query = EXCLUDED.query, calls = EXCLUDED.calls, value_sets = EXCLUDED.value_sets, sampled_at = EXCLUDED.sampled_at /* bollalabz-db */`;
  return rows.length;
}

/** What advise reads: every stored sample of this database (none when the monitor schema is absent). */
export async function readParameterSamples(sql: Sql): Promise<StoredParameterSample[]> {
  if (!(await monitorSchemaReady(sql))) return [];
  const S = sql(MONITOR_SCHEMA);
  const rows = await sql<{ query: string; applicationName: string; calls: number; sets: StoredParameterSample["sets"]; sampledAt: Date }[]>`
    SELECT query, application_name AS "applicationName", calls::float8 AS calls, value_sets AS sets, sampled_at AS "sampledAt"
    FROM ${S}.parameter_samples ORDER BY sampled_at DESC /* bollalabz-db */`;
  return rows.map((r) => ({ ...r, sets: typeof r.sets === "string" ? JSON.parse(r.sets) : r.sets }));
}

/** Delete samples not saved again within `days`. */
export async function pruneParameterSamples(sql: Sql, days: number): Promise<number> {
  const S = sql(MONITOR_SCHEMA);
  const result = await sql`DELETE FROM ${S}.parameter_samples WHERE sampled_at < now() - make_interval(days => ${days}::int)`;
  return result.count;
}
