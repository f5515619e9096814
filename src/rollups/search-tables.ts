// The search side tables (migrations 000083-000087): the searched text of
// conversation_messages and phone_contacts copied into message_search and
// contact_search, which carry the trigram indexes, so the app's inserts write
// no trigram entry. They are filled after the fact, in batches from a
// watermark, by the same schedule that refreshes the views (`npm run serve`,
// `npm run refresh`); the catalog's searches read the side table up to the
// watermark (re-checked against the base row) plus the base rows past it, so
// an answer is exact however far behind the fill is: the lag costs search
// time (the tail is scanned), never correctness. This module runs the fill
// (the SQL functions search_index_catch_up / search_index_sweep do the work
// in the database) and proves the side tables true for verify.
import { setTimeout as sleep } from "node:timers/promises";
import type { Sql } from "../db/index.ts";

export interface SearchTable {
  /** The side table. */
  readonly table: string;
  /** The base table it copies (its `id` is the side table's key). */
  readonly source: string;
  /** The side table's key column (the source's id). */
  readonly key: string;
  /** The searched columns, same names in both tables. */
  readonly columns: readonly string[];
  /** Source columns copied beside them, kept true the same way (the order a search returns, so it re-checks only the newest matches). */
  readonly carried: readonly string[];
  /**
   * How far the fill may lag before verify fails the side table: the tail it
   * leaves (rows inserted since) is scanned by every search. The schedule
   * runs every REFRESH_INTERVAL_SECONDS; this leaves room for missed runs.
   */
  readonly maxStalenessSeconds: number;
}

export const SEARCH_TABLES: readonly SearchTable[] = [
  { table: "message_search", source: "conversation_messages", key: "message_id", columns: ["content"], carried: ["created_at"], maxStalenessSeconds: 300 },
  { table: "contact_search", source: "phone_contacts", key: "contact_id", columns: ["contact_name", "email", "phone_number"], carried: [], maxStalenessSeconds: 300 },
];

/**
 * Refills a side table (emptied) from its source and moves its watermark to
 * the source's last id (one statement; the seed runs it in its load
 * transaction, which holds the sources under ACCESS EXCLUSIVE, so no other
 * writer can hold an id below that).
 */
export function searchRebuildSql(t: SearchTable): string {
  const cols = [...t.columns, ...t.carried].join(", ");
  return `
    WITH mark AS (
      UPDATE search_watermarks SET indexed_through = coalesce((SELECT max(id) FROM ${t.source}), 0), indexed_as_of = now(),
        swept_through = 0, pending_through = NULL, pending_vxids = NULL, pending_as_of = NULL
      WHERE side_table = '${t.table}')
    INSERT INTO ${t.table} (${t.key}, ${cols}) SELECT id, ${cols} FROM ${t.source} ORDER BY id`;
}

async function existingSearchTables(sql: Sql): Promise<SearchTable[]> {
  const rows = await sql<{ name: string }[]>`
    SELECT t AS name FROM unnest(${SEARCH_TABLES.map((s) => s.table)}::text[]) t
    WHERE to_regclass(t) IS NOT NULL AND to_regclass('search_watermarks') IS NOT NULL`;
  return SEARCH_TABLES.filter((s) => rows.some((r) => r.name === s.table));
}

export interface SearchIndexRun {
  readonly table: string;
  /** current: the watermark reached the source's last id; waiting: a writer's open transaction held it back (next run). */
  readonly state: "current" | "waiting";
  /** How far the watermark moved (source ids now indexed that were not). */
  readonly advancedIds: number;
  /** Rows the sweep repaired (a side row added or removed). */
  readonly repaired: number;
  readonly ms: number;
}

/**
 * One run of the fill for every side table: note the source's last id, wait
 * (up to `waitMs`) for the transactions that may still commit rows below it,
 * copy the rows in committed batches, then sweep one slice of the id space.
 * Each step is its own transaction, so readers and writers never wait on a
 * long one. A writer's transaction open longer than `waitMs` leaves the
 * watermark where it is until the next run.
 */
export async function indexSearchTables(sql: Sql, options: { readonly waitMs?: number; readonly batch?: number; readonly sweepIds?: number } = {}): Promise<SearchIndexRun[]> {
  const waitMs = options.waitMs ?? 5_000;
  const runs: SearchIndexRun[] = [];
  for (const t of await existingSearchTables(sql)) {
    const t0 = performance.now();
    const through = async () => (await sql<{ through: number }[]>`SELECT indexed_through::float8 AS through FROM search_watermarks WHERE side_table = ${t.table}`)[0]?.through ?? 0;
    const from = await through();
    let state: string;
    for (;;) {
      const [row] = await sql<{ state: string }[]>`SELECT search_index_catch_up(${t.table}, ${options.batch ?? 50_000}) AS state`;
      state = row!.state;
      if (state === "current") break;
      if (state === "more") continue;
      if (performance.now() - t0 > waitMs) break;
      await sleep(20);
    }
    const [swept] = await sql<{ repaired: number }[]>`SELECT search_index_sweep(${t.table}, ${options.sweepIds ?? 100_000})::float8 AS repaired`;
    runs.push({ table: t.table, state: state === "current" ? "current" : "waiting", advancedIds: (await through()) - from, repaired: swept!.repaired, ms: performance.now() - t0 });
  }
  return runs;
}

/** Side rows up to the watermark that are missing or hold other text than their base row, over source ids [from, to), as JSON text per row. */
export async function searchMismatches(sql: Sql, t: SearchTable, from: number, to: number): Promise<string[]> {
  const differs = [...t.columns, ...t.carried].map((c) => `s.${c} IS DISTINCT FROM b.${c}`).join(" OR ");
  const rows = await sql.begin("isolation level repeatable read read only", (tx) =>
    tx.unsafe(
      `SELECT json_build_object('id', b.id, 'side_row', s.${t.key} IS NOT NULL)::text AS row
       FROM ${t.source} b LEFT JOIN ${t.table} s ON s.${t.key} = b.id
       WHERE b.id >= $1::bigint AND b.id < $2::bigint
         AND b.id <= (SELECT indexed_through FROM search_watermarks WHERE side_table = '${t.table}')
         AND (s.${t.key} IS NULL OR ${differs})
       ORDER BY b.id LIMIT 20`,
      [String(from), String(to)],
    ),
  );
  return (rows as unknown as { row: string }[]).map((r) => r.row);
}

/** A side table's verdict (the shape of rollups.ts's RollupFreshness, kind "search"). */
export interface SearchFreshness {
  readonly table: string;
  readonly kind: "search";
  readonly fresh: boolean;
  readonly summary: string;
  readonly mismatches?: readonly string[];
  /** How old the oldest unindexed row may be (0: none). */
  readonly ageSeconds: number | null;
}

/** Source ids sampled per side table by verify: this many consecutive ids from a random start, and the newest ones. */
export const SAMPLED_SEARCH_IDS = 5_000;

/**
 * Verify's check of each side table: its text equals the base rows' on a
 * sampled id range and on the newest indexed ids, and the unindexed tail is
 * younger than the stated staleness (or empty).
 */
export async function checkSearchFreshness(sql: Sql, random: () => number = Math.random): Promise<SearchFreshness[]> {
  const results: SearchFreshness[] = [];
  for (const t of await existingSearchTables(sql)) {
    const [w] = (await sql.unsafe(
      `SELECT indexed_through::float8 AS through, coalesce((SELECT max(id) FROM ${t.source}), 0)::float8 AS top,
              (SELECT count(*) FROM ${t.source} WHERE id > w.indexed_through)::float8 AS tail,
              extract(epoch FROM now() - indexed_as_of)::float8 AS age
       FROM search_watermarks w WHERE side_table = $1`,
      [t.table],
    )) as unknown as [{ through: number; top: number; tail: number; age: number } | undefined];
    if (!w) {
      results.push({ table: t.table, kind: "search", fresh: false, ageSeconds: null, summary: `no watermark row in search_watermarks (migration 000083 incomplete: run 'npm run migrate')` });
      continue;
    }
    const start = Math.floor(random() * Math.max(1, w.through - SAMPLED_SEARCH_IDS)) + 1;
    const ranges: [number, number][] = [[start, start + SAMPLED_SEARCH_IDS], [Math.max(1, w.through - SAMPLED_SEARCH_IDS + 1), w.through + 1]];
    const mismatches: string[] = [];
    for (const [lo, hi] of ranges) mismatches.push(...(await searchMismatches(sql, t, lo, hi)));
    const age = w.tail === 0 ? 0 : w.age;
    const span = ranges.map(([lo, hi]) => `ids ${lo}-${hi - 1}`).join(", ");
    const lag = w.tail === 0 ? "no unindexed rows" : `${w.tail.toLocaleString("en-US")} unindexed row(s), the oldest up to ${w.age.toFixed(0)} s old (max staleness ${t.maxStalenessSeconds} s)`;
    const fresh = mismatches.length === 0 && age <= t.maxStalenessSeconds;
    results.push({
      table: t.table,
      kind: "search",
      fresh,
      ageSeconds: age,
      summary:
        mismatches.length > 0
          ? `${mismatches.length} row(s) on ${span} differ from ${t.source} or lack their side row; ${lag}`
          : `equals ${t.source} on ${span}; ${lag}${age > t.maxStalenessSeconds ? ": run 'npm run refresh' (or keep 'npm run serve' running); a writer's long open transaction holds the fill back" : ""}`,
      ...(mismatches.length > 0 ? { mismatches } : {}),
    });
  }
  return results;
}
