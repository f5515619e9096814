// Measures the options for the two 30-day message analytics queries, whose
// target (p95 <= 20 ms at scale 10) the covering index alone does not reach:
// the index-only scan the app uses today, a daily rollup table, and a
// periodically refreshed materialized view. Everything it creates lives in a
// scratch schema that is dropped afterwards; the app's tables are only read.
import type { Sql } from "../db/index.ts";
import { percentile } from "../base/statistics.ts";

const SCRATCH = "bollalabz_analytics_options";

export interface OptionTiming {
  readonly query: "daily_message_breakdown" | "top_contacts_by_volume";
  readonly option: string;
  readonly medianMs: number;
  readonly p95Ms: number;
  /** What keeping the option current costs (build / refresh time), when it has a cost. */
  readonly maintenance: string;
}

interface OptionQuery {
  readonly query: OptionTiming["query"];
  readonly option: string;
  readonly sql: string;
  readonly maintenance: string;
}

async function serverTimes(sql: Sql, query: string, runs: number): Promise<number[]> {
  for (let i = 0; i < 3; i++) await sql.unsafe(query);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [row] = await sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${query}`);
    times.push((row as unknown as { "QUERY PLAN": [{ "Execution Time": number }] })["QUERY PLAN"][0]["Execution Time"]);
  }
  return times.sort((a, b) => a - b);
}

async function timed(sql: Sql, statement: string): Promise<number> {
  const t0 = performance.now();
  await sql.unsafe(statement);
  return performance.now() - t0;
}

export async function measureAnalyticsOptions(sql: Sql, runs = 20): Promise<OptionTiming[]> {
  await sql.unsafe(`DROP SCHEMA IF EXISTS ${SCRATCH} CASCADE`);
  await sql.unsafe(`CREATE SCHEMA ${SCRATCH}`);
  try {
    // A rollup the app would keep current with a statement-level trigger on
    // conversation_messages (one upsert per day/direction per statement).
    const dailyBuild = await timed(sql, `
      CREATE TABLE ${SCRATCH}.message_daily_counts AS
      SELECT (created_at AT TIME ZONE 'UTC')::date AS day, direction, count(*) AS messages
      FROM conversation_messages GROUP BY 1, 2`);
    await sql.unsafe(`ALTER TABLE ${SCRATCH}.message_daily_counts ADD PRIMARY KEY (day, direction)`);
    // Per contact and day: what a trigger-maintained top-contacts rollup would need.
    const contactBuild = await timed(sql, `
      CREATE TABLE ${SCRATCH}.message_contact_daily_counts AS
      SELECT (created_at AT TIME ZONE 'UTC')::date AS day, contact_id, count(*) AS messages
      FROM conversation_messages GROUP BY 1, 2`);
    await sql.unsafe(`ALTER TABLE ${SCRATCH}.message_contact_daily_counts ADD PRIMARY KEY (day, contact_id)`);
    // A materialized view refreshed on a schedule (stale by up to the interval).
    await sql.unsafe(`
      CREATE MATERIALIZED VIEW ${SCRATCH}.top_contacts_30d AS
      SELECT contact_id, count(*) AS messages FROM conversation_messages
      WHERE created_at >= now() - interval '30 days' GROUP BY contact_id`);
    await sql.unsafe(`CREATE UNIQUE INDEX ON ${SCRATCH}.top_contacts_30d (contact_id)`);
    await sql.unsafe(`CREATE INDEX ON ${SCRATCH}.top_contacts_30d (messages DESC, contact_id)`);
    const refresh = await timed(sql, `REFRESH MATERIALIZED VIEW CONCURRENTLY ${SCRATCH}.top_contacts_30d`);
    await sql.unsafe(`VACUUM ANALYZE ${SCRATCH}.message_daily_counts, ${SCRATCH}.message_contact_daily_counts, ${SCRATCH}.top_contacts_30d`);

    const options: OptionQuery[] = [
      {
        query: "daily_message_breakdown",
        option: "covering index, index-only scan (shipped)",
        sql: `SELECT date_trunc('day', created_at) AS day, direction, count(*) FROM conversation_messages
              WHERE created_at >= now() - interval '30 days' GROUP BY 1, 2 ORDER BY 1, 2`,
        maintenance: "index maintenance on every insert (part of the write cost)",
      },
      {
        query: "daily_message_breakdown",
        option: "daily rollup table (trigger-maintained)",
        sql: `SELECT day, direction, sum(messages) FROM ${SCRATCH}.message_daily_counts
              WHERE day >= current_date - 30 GROUP BY 1, 2 ORDER BY 1, 2`,
        maintenance: `initial build ${dailyBuild.toFixed(0)} ms; then one upsert per statement`,
      },
      {
        query: "top_contacts_by_volume",
        option: "covering index, index-only scan (shipped)",
        sql: `SELECT contact_id, count(*) AS messages FROM conversation_messages
              WHERE created_at >= now() - interval '30 days' GROUP BY contact_id ORDER BY messages DESC, contact_id LIMIT 10`,
        maintenance: "index maintenance on every insert (part of the write cost)",
      },
      {
        query: "top_contacts_by_volume",
        option: "per-contact daily rollup (trigger-maintained)",
        sql: `SELECT contact_id, sum(messages) AS messages FROM ${SCRATCH}.message_contact_daily_counts
              WHERE day >= current_date - 30 GROUP BY contact_id ORDER BY messages DESC, contact_id LIMIT 10`,
        maintenance: `initial build ${contactBuild.toFixed(0)} ms; then one upsert per contact per statement`,
      },
      {
        query: "top_contacts_by_volume",
        option: "materialized view, refreshed on a schedule",
        sql: `SELECT contact_id, messages FROM ${SCRATCH}.top_contacts_30d ORDER BY messages DESC, contact_id LIMIT 10`,
        maintenance: `REFRESH CONCURRENTLY ${refresh.toFixed(0)} ms per run; results stale by up to the interval`,
      },
    ];
    const results: OptionTiming[] = [];
    for (const o of options) {
      const times = await serverTimes(sql, o.sql, runs);
      results.push({ query: o.query, option: o.option, medianMs: percentile(times, 50), p95Ms: percentile(times, 95), maintenance: o.maintenance });
    }
    return results;
  } finally {
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${SCRATCH} CASCADE`);
  }
}

export function formatAnalyticsOptions(rows: readonly OptionTiming[]): string {
  const lines = ["query                     option                                         median     p95   keeping it current"];
  for (const r of rows) {
    lines.push(`${r.query.padEnd(25)} ${r.option.padEnd(46)} ${r.medianMs.toFixed(2).padStart(7)} ${r.p95Ms.toFixed(2).padStart(7)}   ${r.maintenance}`);
  }
  return lines.join("\n");
}
