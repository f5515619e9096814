// The inbox, analytics rollups and counters the migrations create (000063,
// 000071-000079) and the database keeps current: four tables maintained on write by
// statement-level triggers, one materialized view refreshed on a schedule. This module knows
// how to rebuild them after a bulk load that bypassed the triggers (the seed),
// refresh the view (npm run refresh, npm run serve's schedule) and prove them
// fresh (verify): a rollup must equal the aggregate over its raw table on a
// sampled window, a view must be younger than its stated staleness.
import type { Sql } from "../db/index.ts";
import { checkSearchFreshness } from "./search-tables.ts";

export interface MaintainedRollup {
  /** The rollup table. */
  readonly table: string;
  /** The raw table its triggers watch. */
  readonly source: string;
  /**
   * Refills it (emptied) from the raw table in key order, and marks its
   * backfill done (one statement). Key order: the rows then lie in the order
   * the catalog's range scans read them (correlation 1), so even an untuned
   * server (random_page_cost 4) prices the key range scan below a sequential
   * scan; in hash order PostgreSQL 15 untuned chose the sequential scan (40x
   * slower on the hourly rollup).
   */
  readonly rebuildSql: string;
  /**
   * What a sampled window bounds: time ($1, $2 timestamptz; day rollups use
   * their dates) or contact ids ($1, $2 bigint, per-contact counters).
   */
  readonly window: "time" | "contacts";
  /** Rows where rollup and raw aggregate disagree over [$1, $2), as JSON text per row. */
  readonly mismatchSql: string;
}

const markBackfillDone = (rollup: string) => `UPDATE rollup_backfills SET watermark = 0, done_below = 1 WHERE rollup = '${rollup}'`;

export const MAINTAINED_ROLLUPS: readonly MaintainedRollup[] = [
  {
    // The inbox (000063, 000079): each contact's latest message.
    table: "conversations",
    source: "conversation_messages",
    window: "contacts",
    rebuildSql: `
      INSERT INTO conversations (contact_id, last_message_id, last_message_at)
      SELECT DISTINCT ON (contact_id) contact_id, id, created_at FROM conversation_messages
      ORDER BY contact_id, created_at DESC, id DESC`,
    mismatchSql: `
      WITH raw AS (
        SELECT DISTINCT ON (contact_id) contact_id, id AS last_message_id, created_at AS last_message_at
        FROM conversation_messages WHERE contact_id >= $1::bigint AND contact_id < $2::bigint
        ORDER BY contact_id, created_at DESC, id DESC),
      kept AS (
        SELECT contact_id, last_message_id, last_message_at FROM conversations
        WHERE contact_id >= $1::bigint AND contact_id < $2::bigint)
      SELECT json_build_object('contact_id', contact_id,
                               'raw', json_build_array(raw.last_message_id, raw.last_message_at),
                               'conversations', json_build_array(kept.last_message_id, kept.last_message_at))::text AS row
      FROM raw FULL JOIN kept USING (contact_id)
      WHERE (raw.last_message_id, raw.last_message_at) IS DISTINCT FROM (kept.last_message_id, kept.last_message_at)
      ORDER BY contact_id LIMIT 20`,
  },
  {
    table: "message_hourly_rollup",
    source: "conversation_messages",
    window: "time",
    rebuildSql: `
      WITH done AS (${markBackfillDone("message_hourly_rollup")})
      INSERT INTO message_hourly_rollup (hour, direction, status, messages)
      SELECT date_trunc('hour', created_at, 'UTC'), direction, status, count(*) FROM conversation_messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    mismatchSql: `
      WITH raw AS (
        SELECT date_trunc('hour', created_at, 'UTC') AS hour, direction, status, count(*) AS messages
        FROM conversation_messages WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz GROUP BY 1, 2, 3),
      rollup AS (
        SELECT hour, direction, status, messages FROM message_hourly_rollup
        WHERE hour >= date_trunc('hour', $1::timestamptz, 'UTC') AND hour < $2::timestamptz AND messages <> 0)
      SELECT json_build_object('hour', hour, 'direction', direction, 'status', status, 'raw', coalesce(raw.messages, 0), 'rollup', coalesce(rollup.messages, 0))::text AS row
      FROM raw FULL JOIN rollup USING (hour, direction, status)
      WHERE raw.messages IS DISTINCT FROM rollup.messages ORDER BY hour, direction, status LIMIT 20`,
  },
  {
    table: "call_cost_daily_rollup",
    source: "call_costs",
    window: "time",
    rebuildSql: `
      WITH done AS (${markBackfillDone("call_cost_daily_rollup")})
      INSERT INTO call_cost_daily_rollup (billing_date, direction, calls, seconds, cost)
      SELECT billing_date, direction, count(*), sum(duration_seconds), sum(cost) FROM call_costs GROUP BY 1, 2 ORDER BY 1, 2`,
    mismatchSql: `
      WITH bounds AS (SELECT ($1::timestamptz AT TIME ZONE 'UTC')::date AS lo, ($2::timestamptz AT TIME ZONE 'UTC')::date AS hi),
      raw AS (
        SELECT billing_date, direction, count(*) AS calls, sum(duration_seconds) AS seconds, sum(cost) AS cost
        FROM call_costs, bounds WHERE billing_date >= bounds.lo AND billing_date < bounds.hi GROUP BY 1, 2),
      rollup AS (
        SELECT billing_date, direction, calls, seconds, cost FROM call_cost_daily_rollup, bounds
        WHERE billing_date >= bounds.lo AND billing_date < bounds.hi AND (calls, seconds, cost) <> (0, 0, 0))
      SELECT json_build_object('billing_date', billing_date, 'direction', direction,
                               'raw', json_build_array(raw.calls, raw.seconds, raw.cost),
                               'rollup', json_build_array(rollup.calls, rollup.seconds, rollup.cost))::text AS row
      FROM raw FULL JOIN rollup USING (billing_date, direction)
      WHERE (raw.calls, raw.seconds, raw.cost) IS DISTINCT FROM (rollup.calls, rollup.seconds, rollup.cost)
      ORDER BY billing_date, direction LIMIT 20`,
  },
  {
    table: "contact_counters",
    source: "conversation_messages, scheduled_tasks",
    window: "contacts",
    rebuildSql: `
      WITH done AS (
        UPDATE rollup_backfills SET watermark = 0, done_below = 1 WHERE rollup IN ('contact_counters:messages', 'contact_counters:tasks')
      )
      INSERT INTO contact_counters (contact_id, messages, unread_inbound, open_tasks)
      SELECT contact_id, sum(messages), sum(unread_inbound), sum(open_tasks) FROM (
        SELECT contact_id, count(*) AS messages, count(*) FILTER (WHERE direction = 'inbound' AND status = 'delivered') AS unread_inbound, 0 AS open_tasks
        FROM conversation_messages GROUP BY contact_id
        UNION ALL
        SELECT contact_id, 0, 0, count(*) FROM scheduled_tasks
        WHERE contact_id IS NOT NULL AND status IN ('pending', 'in_progress') GROUP BY contact_id
      ) counts GROUP BY contact_id ORDER BY contact_id`,
    mismatchSql: `
      WITH raw AS (
        SELECT contact_id, sum(messages) AS messages, sum(unread_inbound) AS unread_inbound, sum(open_tasks) AS open_tasks FROM (
          SELECT contact_id, count(*) AS messages, count(*) FILTER (WHERE direction = 'inbound' AND status = 'delivered') AS unread_inbound, 0 AS open_tasks
          FROM conversation_messages WHERE contact_id >= $1::bigint AND contact_id < $2::bigint GROUP BY contact_id
          UNION ALL
          SELECT contact_id, 0, 0, count(*) FROM scheduled_tasks
          WHERE contact_id >= $1::bigint AND contact_id < $2::bigint AND status IN ('pending', 'in_progress') GROUP BY contact_id
        ) counts GROUP BY contact_id),
      counters AS (
        SELECT contact_id, messages, unread_inbound, open_tasks FROM contact_counters
        WHERE contact_id >= $1::bigint AND contact_id < $2::bigint AND (messages, unread_inbound, open_tasks) <> (0, 0, 0))
      SELECT json_build_object('contact_id', contact_id,
                               'raw', json_build_array(raw.messages, raw.unread_inbound, raw.open_tasks),
                               'counters', json_build_array(counters.messages, counters.unread_inbound, counters.open_tasks))::text AS row
      FROM raw FULL JOIN counters USING (contact_id)
      WHERE (raw.messages, raw.unread_inbound, raw.open_tasks) IS DISTINCT FROM (counters.messages, counters.unread_inbound, counters.open_tasks)
      ORDER BY contact_id LIMIT 20`,
  },
];

export interface RefreshedView {
  /** The materialized view. */
  readonly view: string;
  /** Refreshes it CONCURRENTLY and records the time (SQL function from the migration); returns the ms it took. */
  readonly refreshFunction: string;
  /** The most its readers may lag behind the raw table: the schedule's interval plus a refresh, with room for a missed run. */
  readonly maxStalenessSeconds: number;
}

export const REFRESHED_VIEWS: readonly RefreshedView[] = [
  { view: "top_contacts_30d", refreshFunction: "refresh_top_contacts_30d", maxStalenessSeconds: 300 },
];

/** How often `npm run serve` refreshes the views (a fifth of the tightest staleness). */
export const REFRESH_INTERVAL_SECONDS = Math.min(...REFRESHED_VIEWS.map((v) => v.maxStalenessSeconds)) / 5;

async function existing(sql: Sql, names: readonly string[]): Promise<Set<string>> {
  const rows = await sql<{ name: string }[]>`SELECT t AS name FROM unnest(${names as string[]}::text[]) t WHERE to_regclass(t) IS NOT NULL`;
  return new Set(rows.map((r) => r.name));
}

/** The rollups this database has (a database migrated before 000071 has none). */
export async function existingRollups(sql: Sql): Promise<MaintainedRollup[]> {
  const present = await existing(sql, MAINTAINED_ROLLUPS.map((r) => r.table));
  return MAINTAINED_ROLLUPS.filter((r) => present.has(r.table));
}

export async function existingViews(sql: Sql): Promise<RefreshedView[]> {
  const present = await existing(sql, REFRESHED_VIEWS.map((v) => v.view));
  return REFRESHED_VIEWS.filter((v) => present.has(v.view));
}

export interface ViewRefresh {
  readonly view: string;
  readonly ms: number;
}

/** Refreshes every view this database has, one after the other (each CONCURRENTLY: readers are not blocked). */
export async function refreshViews(sql: Sql): Promise<ViewRefresh[]> {
  const done: ViewRefresh[] = [];
  for (const v of await existingViews(sql)) {
    const [row] = await sql.unsafe(`SELECT ${v.refreshFunction}() AS ms`);
    done.push({ view: v.view, ms: Number((row as unknown as { ms: number }).ms) });
  }
  return done;
}

export interface RollupFreshness {
  readonly table: string;
  readonly kind: "rollup" | "view" | "search";
  readonly fresh: boolean;
  /** Rollup: the window compared; view: the age against its staleness. */
  readonly summary: string;
  readonly mismatches?: readonly string[];
  readonly ageSeconds?: number | null;
}

/**
 * The windows a rollup is compared on: the last 24 hours (what the
 * dashboards read) and one earlier day picked at random from the last 30.
 */
export function sampledWindows(now: Date, random: () => number = Math.random): { from: Date; to: Date }[] {
  const hour = 3_600_000;
  const end = new Date(Math.ceil(now.getTime() / hour) * hour);
  const day = 24 * hour;
  const back = 1 + Math.floor(random() * 29);
  const from = new Date(Math.floor((now.getTime() - back * day) / day) * day);
  return [
    { from: new Date(end.getTime() - day), to: end },
    { from, to: new Date(from.getTime() + day) },
  ];
}

/** Compares one rollup with its raw aggregate over [from, to) (times, or contact ids for per-contact counters), in one snapshot. */
export async function rollupMismatches(sql: Sql, rollup: MaintainedRollup, from: Date | number, to: Date | number): Promise<string[]> {
  const bound = (x: Date | number) => (x instanceof Date ? x.toISOString() : String(x));
  const rows = await sql.begin("isolation level repeatable read read only", (tx) => tx.unsafe(rollup.mismatchSql, [bound(from), bound(to)]));
  return (rows as unknown as { row: string }[]).map((r) => r.row);
}

/** Per-contact counters are sampled on this many consecutive contact ids (a random start), and on the busiest contact. */
export const SAMPLED_CONTACTS = 2_000;

export async function checkFreshness(sql: Sql, windows = sampledWindows(new Date()), random: () => number = Math.random): Promise<RollupFreshness[]> {
  const results: RollupFreshness[] = [];
  for (const rollup of await existingRollups(sql)) {
    const mismatches: string[] = [];
    let span: string;
    if (rollup.window === "time") {
      for (const w of windows) mismatches.push(...(await rollupMismatches(sql, rollup, w.from, w.to)));
      span = windows.map((w) => `${w.from.toISOString().slice(0, 13)}h-${w.to.toISOString().slice(0, 13)}h`).join(", ");
    } else {
      const [{ top, busiest }] = (await sql`
        SELECT coalesce((SELECT max(id) FROM phone_contacts), 0)::float8 AS top,
               (SELECT contact_id FROM contact_counters ORDER BY messages DESC LIMIT 1)::float8 AS busiest`) as unknown as [{ top: number; busiest: number | null }];
      const start = Math.floor(random() * Math.max(1, top - SAMPLED_CONTACTS)) + 1;
      const ranges: [number, number][] = [[start, start + SAMPLED_CONTACTS], ...(busiest === null ? [] : [[busiest, busiest + 1] as [number, number]])];
      for (const [lo, hi] of ranges) mismatches.push(...(await rollupMismatches(sql, rollup, lo, hi)));
      span = ranges.map(([lo, hi]) => (hi - lo === 1 ? `contact ${lo}` : `contacts ${lo}-${hi - 1}`)).join(", ");
    }
    results.push({
      table: rollup.table,
      kind: "rollup",
      fresh: mismatches.length === 0,
      summary: mismatches.length === 0 ? `equals the aggregate over ${rollup.source} on ${span}` : `${mismatches.length} group(s) differ from the aggregate over ${rollup.source} on ${span}`,
      ...(mismatches.length > 0 ? { mismatches } : {}),
    });
  }
  for (const v of await existingViews(sql)) {
    const [row] = await sql<{ age: number | null }[]>`
      SELECT extract(epoch FROM now() - refreshed_at)::float8 AS age FROM materialized_view_refreshes WHERE view_name = ${v.view}`;
    const age = row?.age ?? null;
    const fresh = age !== null && age <= v.maxStalenessSeconds;
    results.push({
      table: v.view,
      kind: "view",
      fresh,
      ageSeconds: age,
      summary: age === null ? `never refreshed (max staleness ${v.maxStalenessSeconds} s)` : `refreshed ${age.toFixed(0)} s ago (max staleness ${v.maxStalenessSeconds} s)`,
    });
  }
  results.push(...(await checkSearchFreshness(sql, random)));
  return results;
}

/** The keys of the rollups and the view (migrations 000071, 000075, 000076): the catalog's analytics entries expect them. */
export const ROLLUP_INDEXES = ["message_hourly_rollup_pkey", "call_cost_daily_rollup_pkey", "top_contacts_30d_contact_key", "contact_counters_pkey"] as const;

/**
 * ANALYZE the rollup tables that have never been analyzed (a batched
 * backfill fills them without statistics; the planner then prefers a
 * sequential scan to their key range). Returns the tables analyzed.
 */
export async function analyzeRollupsLackingStatistics(sql: Sql): Promise<string[]> {
  const rows = await sql<{ table: string }[]>`
    SELECT relname AS table FROM pg_stat_user_tables
    WHERE relname = ANY(${MAINTAINED_ROLLUPS.map((r) => r.table)}) AND schemaname = current_schema()
      AND last_analyze IS NULL AND last_autoanalyze IS NULL`;
  const tables = rows.map((r) => r.table);
  if (tables.length > 0) await sql.unsafe(`ANALYZE ${tables.join(", ")}`);
  return tables;
}
