// Runs the seed: one transaction that empties the eight tables and refills
// them set-based on the server, in chunks so progress can be shown. A failure
// or Ctrl-C rolls everything back: no partial data. Performance indexes on the
// tables are dropped and rebuilt inside that transaction (./indexes.ts). Afterwards VACUUM ANALYZE (VACUUM alone for a statistics twin)
// sets the visibility map (index-only scans) and fresh planner statistics.
import { EXIT, UserError } from "../base/errors.ts";
import { classifyConnectionError, type Sql } from "../db/index.ts";
import { dropIndexesStatement, existingPerformanceIndexes, planIndexes, type IndexPlan, type SeedIndexMode } from "./indexes.ts";
import { RND_FUNCTION_SQL, SEED_TABLES, insertSqlWithShares, rowsAt, seedTable, type ColumnShare, type SeedTable } from "./tables.ts";
import { MAINTAINED_ROLLUPS, SEARCH_TABLES, refreshViews, searchRebuildSql } from "../rollups/index.ts";
import { waitForXminHorizon, type XminHolder, type XminWait } from "../checks/xmin-horizon.ts";

export interface SeedOptions {
  readonly scale: number;
  readonly seed: number;
  /** Midnight UTC the data is relative to; default: today. */
  readonly anchor?: Date;
  /** Rows per INSERT chunk (progress granularity). */
  readonly chunkRows?: number;
  readonly onProgress?: (event: SeedProgress) => void;
  /**
   * Replace rows the generator did not write (default false: refuse). The
   * seed empties all eight tables; on a database holding real data that
   * must be a deliberate choice.
   */
  readonly replaceForeignData?: boolean;
  /** What to do with the performance indexes on the tables (default rebuild; see ./indexes.ts). */
  readonly indexes?: SeedIndexMode;
  /**
   * How long to wait before the closing VACUUM for every snapshot older than
   * the load (a standby's slot, an open transaction) to go (default 120 s):
   * until then VACUUM cannot mark the loaded pages all-visible.
   */
  readonly xminWaitMs?: number;
  /** Rows per table, overriding the scale for the tables named (a statistics twin sizes each table to production's pages). */
  readonly rows?: Readonly<Record<string, number>>;
  /** Shares of columns forced to NULL or one value (skewed data sets; see ColumnShare). */
  readonly shares?: readonly ColumnShare[];
  /**
   * ANALYZE with the closing VACUUM (default true). A statistics twin passes
   * false: the file's statistics replace the sample anyway, and at scale 10
   * the ANALYZE (statistics target 1000 on the searched text columns) is
   * about a tenth of the seed (src/stats/twin.ts analyzes only what the
   * file does not cover).
   */
  readonly analyze?: boolean;
}

/** Rows of a table in this seed: the per-table override, or the scale's. */
export function seedRows(table: SeedTable, options: Pick<SeedOptions, "scale" | "rows">): number {
  const override = options.rows?.[table.table];
  return override !== undefined ? Math.max(1, Math.round(override)) : rowsAt(table, options.scale);
}

/** The shares as the seed's mark and summary show them ("conversation_messages.contact_id=30% 1"). */
export function describeShares(shares: readonly ColumnShare[] | undefined): string {
  return (shares ?? []).map((s) => `${s.table}.${s.column}=${+(s.share * 100).toFixed(2)}% ${s.value === null ? "NULL" : s.value}`).join(", ");
}

/**
 * Tables later migrations derive from the seeded ones and keep current with
 * triggers (which the seed's bulk load bypasses): emptied with the seeded
 * tables and rebuilt from them in the same transaction.
 */
export const DERIVED_TABLES: readonly { readonly table: string; readonly rebuildSql: string }[] = [
  // The inbox's conversations, the analytics rollups and counters (migrations 000063-000079).
  ...MAINTAINED_ROLLUPS.map((r) => ({ table: r.table, rebuildSql: r.rebuildSql })),
  // The search side tables (000083-000087), their watermark at the last loaded id.
  ...SEARCH_TABLES.map((t) => ({ table: t.table, rebuildSql: searchRebuildSql(t) })),
];

async function existingDerivedTables(sql: Sql): Promise<(typeof DERIVED_TABLES)[number][]> {
  const rows = await sql<{ name: string }[]>`SELECT t AS name FROM unnest(${DERIVED_TABLES.map((d) => d.table)}::text[]) t WHERE to_regclass(t) IS NOT NULL`;
  return DERIVED_TABLES.filter((d) => rows.some((r) => r.name === d.table));
}

/** Marks a data set as the generator's (COMMENT ON TABLE phone_contacts), so a re-seed may replace it. */
export const SEED_MARKER = "bollalabz-db generated data";

/**
 * Refuse to empty tables that hold rows the generator did not write: a
 * DATABASE_URL pointing at a real database must not lose its data to a seed.
 */
export async function assertReplaceable(sql: Sql): Promise<void> {
  const [{ marker }] = (await sql`SELECT obj_description('phone_contacts'::regclass, 'pg_class') AS marker`) as unknown as [{ marker: string | null }];
  if (marker?.startsWith(SEED_MARKER)) return;
  const withRows: string[] = [];
  for (const { table } of SEED_TABLES) {
    const [row] = await sql.unsafe(`SELECT EXISTS (SELECT 1 FROM ${table}) AS has`);
    if ((row as unknown as { has: boolean }).has) withRows.push(table);
  }
  if (withRows.length > 0) {
    throw new UserError(
      `The database already holds data the generator did not write (${withRows.join(", ")}); seeding would delete it. ` +
        "Point DATABASE_URL at an empty or generated database, or pass --replace-data to delete it on purpose.",
      EXIT.notReady,
    );
  }
}


export type SeedProgress =
  | { readonly kind: "table-start"; readonly table: string; readonly rows: number; readonly index: number; readonly total: number }
  | { readonly kind: "chunk"; readonly table: string; readonly done: number; readonly rows: number }
  | { readonly kind: "table-done"; readonly table: string; readonly rows: number; readonly ms: number }
  | { readonly kind: "index-plan"; readonly strategy: IndexPlan["strategy"]; readonly count: number; readonly reason: string }
  | { readonly kind: "index-start"; readonly name: string; readonly table: string; readonly done: number; readonly total: number }
  | { readonly kind: "indexes-done"; readonly count: number; readonly ms: number }
  | { readonly kind: "xmin-wait"; readonly holders: readonly XminHolder[]; readonly waitedMs: number; readonly timeoutMs: number }
  | { readonly kind: "vacuum-start"; readonly analyze: boolean }
  | { readonly kind: "vacuum-done"; readonly ms: number; readonly analyze: boolean };

export interface SeedResult {
  readonly scale: number;
  readonly seed: number;
  readonly anchor: string;
  readonly tables: readonly { readonly table: string; readonly rows: number; readonly ms: number }[];
  readonly insertMs: number;
  /** The performance indexes: kept, rebuilt (inside insertMs) or none there. */
  readonly indexes: { readonly strategy: IndexPlan["strategy"]; readonly reason: string; readonly count: number; readonly rebuildMs: number };
  readonly vacuumMs: number;
  /** The wait before the VACUUM; blockedBy non-empty: the timeout passed and the visibility map may stay partly unset. */
  readonly xminWait: XminWait;
  readonly totalMs: number;
}

// Declares every parameter's type: a statement that does not use $5/$6 would
// otherwise fail with "could not determine data type of parameter".
const PARAMETER_TYPES = "WITH _parameter_types AS (SELECT $1::int, $2::timestamptz, $3::bigint, $4::bigint, $5::bigint, $6::bigint)";

/**
 * The default anchor: the start of the current UTC hour. Rows end at the
 * anchor, so "the last 24 hours" holds about a day of data at any time of
 * day (a midnight anchor left a window of minutes late in the evening, and
 * none on a database seeded before midnight and queried after it).
 */
/** An anchor as people write it: the day, and the hour when it is not midnight. */
export function anchorText(iso: string): string {
  const hour = iso.slice(11, 16);
  return hour === "00:00" ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${hour} UTC`;
}

export function currentHourUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours()));
}

/** The tables must exist (the base schema is migrated) before seeding. */
export async function assertSchemaPresent(sql: Sql): Promise<void> {
  const names = SEED_TABLES.map((t) => t.table);
  const rows = await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY(${names})`;
  const missing = names.filter((n) => !rows.some((r) => r.name === n));
  if (missing.length > 0) {
    throw new UserError(`The base schema is missing (no table ${missing.join(", ")}). Run 'npm run migrate' first.`, EXIT.notReady);
  }
}

export async function seedDatabase(sql: Sql, options: SeedOptions): Promise<SeedResult> {
  await assertSchemaPresent(sql);
  const anchor = options.anchor ?? currentHourUtc();
  let tables: SeedResult["tables"] = [];
  const started = performance.now();
  let plan: IndexPlan = planIndexes("rebuild", []);
  let rebuildMs = 0;
  let loadXid = 0n;

  await inOneTransaction(sql, async (tx) => {
    await tx.unsafe(RND_FUNCTION_SQL);
    // Bulk load without per-row foreign key triggers when we may (superuser):
    // the generator makes every reference valid by construction. Others get
    // the normal checks (slower, same result).
    const [{ superuser }] = (await tx`SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`) as unknown as [{ superuser: boolean }];
    if (superuser) await tx`SET LOCAL session_replication_role = replica`;
    const emptied = await emptyTables(tx as unknown as Sql, options, anchor);
    plan = emptied.plan;
    tables = await loadTables(tx as unknown as Sql, options, anchor);
    // The derived tables (the inbox, the rollups, the search side tables)
    // from the loaded rows, before the index rebuild: the side tables'
    // trigram indexes are then built once, not filled row by row.
    await rebuildDerived(tx as unknown as Sql, emptied.derived);
    if (plan.strategy === "rebuild") rebuildMs = await rebuildIndexes(tx as unknown as Sql, plan, options);
    // The leaderboard view (migration 000075) reads the new messages.
    await refreshViews(tx as unknown as Sql);
    const [{ xid }] = (await tx`SELECT txid_current()::text AS xid`) as unknown as [{ xid: string }];
    loadXid = BigInt(xid);
  });
  const insertMs = performance.now() - started;
  const { xminWait, vacuumMs } = await vacuumLoadedTables(sql, loadXid, options);

  return {
    scale: options.scale,
    seed: options.seed,
    anchor: anchor.toISOString(),
    tables,
    insertMs,
    indexes: { strategy: plan.strategy, reason: plan.reason, count: plan.indexes.length, rebuildMs },
    vacuumMs,
    xminWait,
    totalMs: performance.now() - started,
  };
}

/**
 * Empty the eight tables and the tables derived from them, under one lock
 * (checked and emptied with no row arriving in between), dropping the
 * performance indexes first when they are to be rebuilt after the load.
 */
async function emptyTables(tx: Sql, options: SeedOptions, anchor: Date): Promise<{ plan: IndexPlan; derived: typeof DERIVED_TABLES }> {
  // Tables the migrations derive from these (the inbox's conversations)
  // are emptied with them and rebuilt after: the bulk load runs with
  // triggers off (replica role), so nothing maintains them meanwhile.
  const derived = await existingDerivedTables(tx);
  const tableList = [...SEED_TABLES.map((t) => t.table), ...derived.map((d) => d.table)].join(", ");
  await tx.unsafe(`LOCK TABLE ${tableList} IN ACCESS EXCLUSIVE MODE`);
  if (!options.replaceForeignData) await assertReplaceable(tx);
  const plan = planIndexes(options.indexes ?? "rebuild", await existingPerformanceIndexes(tx));
  options.onProgress?.({ kind: "index-plan", strategy: plan.strategy, count: plan.indexes.length, reason: plan.reason });
  if (plan.strategy === "rebuild") await tx.unsafe(dropIndexesStatement(plan.indexes));
  // No CASCADE: a table outside these eight that references them would be
  // emptied too. Such a table makes the TRUNCATE fail instead (below).
  try {
    await tx.unsafe(`TRUNCATE ${tableList} RESTART IDENTITY`);
  } catch (error) {
    if ((error as { code?: string }).code === "0A000") {
      throw new UserError(
        `Cannot empty the eight tables: ${(error as Error).message} (${(error as { detail?: string }).detail ?? "another table references them"}). ` +
          "seeding would have to empty it too. Seed a database that holds only the bollalabz-db schema.",
        EXIT.notReady,
      );
    }
    throw error;
  }
  await tx.unsafe(`COMMENT ON TABLE phone_contacts IS '${SEED_MARKER}: scale ${Number(options.scale)}, seed ${Number(options.seed)}, anchor ${anchorText(anchor.toISOString())}${options.rows ? ", rows per table set" : ""}${options.shares?.length ? `, shares ${describeShares(options.shares)}` : ""}'`);
  return { plan, derived };
}

/** Generate every table's rows server-side, in chunks of `chunkRows`, with progress per chunk. */
async function loadTables(tx: Sql, options: SeedOptions, anchor: Date): Promise<SeedResult["tables"]> {
  const chunkRows = options.chunkRows ?? 50_000;
  const contacts = seedRows(seedTable("phone_contacts"), options);
  const people = seedRows(seedTable("people"), options);
  const tables: { table: string; rows: number; ms: number }[] = [];
  for (const [index, table] of SEED_TABLES.entries()) {
    const rows = seedRows(table, options);
    const insertSql = insertSqlWithShares(table, options.shares ?? []);
    options.onProgress?.({ kind: "table-start", table: table.table, rows, index, total: SEED_TABLES.length });
    const t0 = performance.now();
    for (let from = 1; from <= rows; from += chunkRows) {
      const to = Math.min(rows, from + chunkRows - 1);
      await tx.unsafe(PARAMETER_TYPES + insertSql, [options.seed, anchor.toISOString(), from, to, contacts, people]);
      options.onProgress?.({ kind: "chunk", table: table.table, done: to, rows });
    }
    // Identity columns continue after the generated ids.
    await tx.unsafe(`SELECT setval(pg_get_serial_sequence('${table.table}', 'id'), ${rows})`);
    const ms = performance.now() - t0;
    tables.push({ table: table.table, rows, ms });
    options.onProgress?.({ kind: "table-done", table: table.table, rows, ms });
  }
  return tables;
}

/** Build the performance indexes dropped before the load; returns the time it took (ms). */
async function rebuildIndexes(tx: Sql, plan: IndexPlan, options: SeedOptions): Promise<number> {
  const r0 = performance.now();
  for (const [done, index] of plan.indexes.entries()) {
    options.onProgress?.({ kind: "index-start", name: index.name, table: index.table, done, total: plan.indexes.length });
    await tx.unsafe(index.definition);
  }
  const rebuildMs = performance.now() - r0;
  options.onProgress?.({ kind: "indexes-done", count: plan.indexes.length, ms: rebuildMs });
  return rebuildMs;
}

/**
 * Refill the derived tables from the loaded ones. Each rebuild reads a whole
 * table: a sequential scan and one in-memory sort beat walking the
 * (contact_id, created_at) index with a heap fetch per row, which the
 * planner picks (scale 10, load 11: conversations 6-8 s against 13 s).
 */
async function rebuildDerived(tx: Sql, derived: typeof DERIVED_TABLES): Promise<void> {
  await tx.unsafe(`SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL work_mem = '64MB'`);
  for (const d of derived) {
    await tx.unsafe(`TRUNCATE ${d.table}`);
    await tx.unsafe(d.rebuildSql);
  }
  await tx.unsafe(`SET LOCAL enable_indexscan = DEFAULT; SET LOCAL enable_bitmapscan = DEFAULT; SET LOCAL work_mem = DEFAULT`);
}

/**
 * VACUUM marks the loaded pages all-visible only once no snapshot older
 * than the load remains (a standby's slot with hot_standby_feedback, an
 * open transaction): wait for them first, then vacuum whatever the outcome.
 */
async function vacuumLoadedTables(sql: Sql, loadXid: bigint, options: SeedOptions): Promise<{ xminWait: XminWait; vacuumMs: number }> {
  const timeoutMs = options.xminWaitMs ?? 120_000;
  const xminWait = await waitForXminHorizon(sql, loadXid, {
    timeoutMs,
    onWait: (holders, waitedMs) => options.onProgress?.({ kind: "xmin-wait", holders, waitedMs, timeoutMs }),
  });
  const analyze = options.analyze !== false;
  options.onProgress?.({ kind: "vacuum-start", analyze });
  const v0 = performance.now();
  const derivedNow = await existingDerivedTables(sql);
  await sql.unsafe(`VACUUM${analyze ? " (ANALYZE)" : ""} ${[...SEED_TABLES.map((t) => t.table), ...derivedNow.map((d) => d.table)].join(", ")}`);
  const vacuumMs = performance.now() - v0;
  options.onProgress?.({ kind: "vacuum-done", ms: vacuumMs, analyze });
  return { xminWait, vacuumMs };
}

/**
 * BEGIN, work, COMMIT on one reserved connection; ROLLBACK on an error, but
 * not when the connection is gone: the server has rolled back already, and
 * postgres.js 3.4.9 (sql.begin) then writes the ROLLBACK to a closed socket
 * and dies with an uncaught TypeError. A lost connection becomes one clear
 * message: nothing was committed.
 */
async function inOneTransaction(sql: Sql, work: (tx: Sql) => Promise<void>): Promise<void> {
  const tx = (await sql.reserve()) as unknown as Sql & { release(): void };
  let lost = false;
  try {
    await tx`BEGIN`;
    try {
      await work(tx);
      await tx`COMMIT`;
    } catch (error) {
      lost = classifyConnectionError(error)?.kind === "lost";
      if (!lost) await tx`ROLLBACK`.catch(() => {});
      throw error;
    }
  } catch (error) {
    if (!lost) throw error;
    throw new UserError(
      `The connection to the server was lost while seeding (${(error as Error).message}). Nothing was committed: the data and indexes are as they were. ` +
        "Run the seed again when the server is back.",
      EXIT.unreachable,
    );
  } finally {
    // A dead connection is not handed back to the pool (a later query on it would hit the same closed socket).
    if (!lost) tx.release();
  }
}

/** md5 over every row of every seeded table, in id order (determinism checks). */
export async function tableChecksums(sql: Sql): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const { table } of SEED_TABLES) {
    const [row] = await sql.unsafe(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) AS digest FROM ${table} t`);
    result[table] = (row as unknown as { digest: string }).digest;
  }
  return result;
}

export async function tableRowCounts(sql: Sql): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const { table } of SEED_TABLES) {
    const [row] = await sql.unsafe(`SELECT count(*)::int AS n FROM ${table}`);
    result[table] = (row as unknown as { n: number }).n;
  }
  return result;
}
