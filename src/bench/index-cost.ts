// What each index of the set costs on write and buys on read, measured in one
// run (issue #21): the app's bulk writes (a set-based 10,000-row insert into
// conversation_messages and phone_contacts, a 10,000-row status update of
// messages, triggers included) against a copy of each table holding the same
// rows with only the base schema's keys and constraints; per trigger, its
// time inside the write (EXPLAIN ANALYZE); then, per index,
// the same writes with that one index dropped (inside the rolled-back
// transaction) beside the catalog queries it serves, timed with and without
// it; and the same writes in other shapes (write-shapes.ts: fewer contacts per
// insert, the newest messages by time), whose triggers touch fewer rows.
// Every write is one statement in a transaction that is rolled back;
// the two sides of each comparison are sampled alternately (median of
// `repeats` each, after one untimed round), so the machine's drift hits both. The status update's HOT ratio
// (n_tup_hot_upd / n_tup_upd) comes from pg_stat_xact_user_tables inside the
// transaction.
import { inRolledBackTransaction, quoteIdent, type Sql } from "../db/index.ts";
import { baseCopyName, createBaseCopy, measurePair, WRITE_OPS, type OpFigures, type WriteIds, type WriteOpName } from "./write-pairs.ts";
import { PERFORMANCE_INDEXES } from "../indexes/performance-indexes.ts";
import { latencyStats } from "../base/statistics.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { firstPlan, type ExplainResult } from "../catalog/explain.ts";
import { formatPercent } from "../base/format.ts";
import { measureShapes, newestByTime, type ShapeRatio } from "./write-shapes.ts";

export interface OpRatio {
  readonly op: WriteOpName;
  readonly app: OpFigures;
  readonly base: OpFigures;
  /** app rows/s / base rows/s (the goal: >= 0.4). */
  readonly ratio: number;
}

export interface IndexCost {
  readonly index: string;
  readonly table: string;
  readonly bytes: number;
  /** Per write op on its table: rows/s with the whole set, and with this index dropped. */
  readonly writes: readonly { readonly op: WriteOpName; readonly withIndex: number; readonly without: number; readonly cost: number }[];
  /** Catalog queries that expect it: server ms (EXPLAIN ANALYZE, median of 3) with it and without it. */
  readonly reads: readonly { readonly entry: string; readonly withMs: number; readonly withoutMs: number }[];
}

/**
 * One trigger the write fires (the inbox, rollups and counters, and the
 * foreign key's check, which the base copy runs too): its time inside the
 * statement, from EXPLAIN ANALYZE's per-trigger timing. Read inside one
 * statement, it does not drift with the machine the way two timed variants do.
 */
export interface TriggerCost {
  readonly trigger: string;
  readonly op: WriteOpName;
  /** Median of the trigger's time per statement, ms. */
  readonly ms: number;
  /** Median of the whole statement's execution time, ms (triggers included). */
  readonly statementMs: number;
}

export interface IndexCostResult {
  readonly rows: number;
  readonly repeats: number;
  readonly ratios: readonly OpRatio[];
  /**
   * The same writes with no performance index and the triggers off: the
   * ceiling of the table itself (the trigram search indexes, which once set
   * it, live on side tables since migrations 000083-000091).
   */
  readonly bare: readonly OpRatio[];
  /** The insert over fewer contacts and the status update of the newest messages by time (write-shapes.ts). */
  readonly shapes: readonly ShapeRatio[];
  /** Per user trigger that the write fires (inbox, rollups, counters): its cost. */
  readonly triggers: readonly TriggerCost[];
  readonly indexes: readonly IndexCost[];
}

async function serverMs(sql: Sql, entry: CatalogEntry, before?: string): Promise<number> {
  const [picker] = Object.values(entry.params);
  const samples: number[] = [];
  await inRolledBackTransaction(sql, async (tx) => {
    if (before) await tx.unsafe(before);
    const [values] = await tx.unsafe(picker!);
    const args = Object.values(values ?? {}) as never[];
    for (let i = 0; i < 4; i++) {
      const plan = firstPlan(await tx.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${entry.sql}`, args));
      if (i > 0) samples.push(plan["Execution Time"] ?? 0);
    }
  });
  return latencyStats(samples).median;
}

/** EXPLAIN ANALYZE of one write in a transaction that is rolled back. */
async function explainAnalyzed(sql: Sql, statement: string): Promise<ExplainResult> {
  return inRolledBackTransaction(sql, async (tx) => firstPlan(await tx.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`)));
}

/** Each write as the app makes it against the same write on the base copy. */
async function measureRatios(sql: Sql, rows: number, repeats: number, ids: WriteIds, log: (line: string) => void): Promise<OpRatio[]> {
  const ratios: OpRatio[] = [];
  for (const op of WRITE_OPS) {
    log(`${op.name}: the table as the app writes it, and its base copy`);
    const [app, base] = await measurePair(
      sql,
      { statement: op.sql(op.table, rows, ids), table: op.table },
      { statement: op.sql(baseCopyName(op.table), rows, ids), table: baseCopyName(op.table) },
      rows,
      repeats,
    );
    ratios.push({ op: op.name, app, base, ratio: app.rowsPerSecond / base.rowsPerSecond });
  }
  return ratios;
}

/** The ceiling of the table itself: the same writes with every performance index dropped and the triggers off (rolled back). */
async function measureBareTable(
  sql: Sql,
  present: readonly { readonly index: string; readonly table: string }[],
  rows: number,
  repeats: number,
  ids: WriteIds,
  log: (line: string) => void,
): Promise<OpRatio[]> {
  const bare: OpRatio[] = [];
  for (const op of WRITE_OPS) {
    const indexes = present.filter((ix) => ix.table === op.table).map((ix) => quoteIdent(ix.index));
    const before = [`ALTER TABLE ${op.table} DISABLE TRIGGER USER`, ...(indexes.length > 0 ? [`DROP INDEX ${indexes.join(", ")}`] : [])].join("; ");
    log(`${op.name}: with no performance index and the triggers off, and the base copy`);
    const [app, base] = await measurePair(
      sql,
      { statement: op.sql(op.table, rows, ids), table: op.table, before },
      { statement: op.sql(baseCopyName(op.table), rows, ids), table: baseCopyName(op.table) },
      rows,
      repeats,
    );
    bare.push({ op: op.name, app, base, ratio: app.rowsPerSecond / base.rowsPerSecond });
  }
  return bare;
}

/** Each trigger's time inside its write, from EXPLAIN ANALYZE (first run discarded). */
async function measureTriggers(sql: Sql, rows: number, repeats: number, ids: WriteIds, log: (line: string) => void): Promise<TriggerCost[]> {
  const triggers: TriggerCost[] = [];
  for (const op of WRITE_OPS) {
    log(`${op.name}: each trigger's time (EXPLAIN ANALYZE)`);
    const statementMs: number[] = [];
    const perTrigger = new Map<string, number[]>();
    for (let i = -1; i < repeats; i++) {
      const plan = await explainAnalyzed(sql, op.sql(op.table, rows, ids));
      if (i < 0) continue;
      statementMs.push(plan["Execution Time"] ?? 0);
      for (const t of plan.Triggers ?? []) perTrigger.set(t["Trigger Name"], [...(perTrigger.get(t["Trigger Name"]) ?? []), t.Time ?? 0]);
    }
    const statement = latencyStats(statementMs).median;
    for (const [name, ms] of perTrigger) triggers.push({ trigger: name, op: op.name, ms: latencyStats(ms).median, statementMs: statement });
  }
  return triggers;
}

/** One index: its table's writes with and without it, and the catalog reads it serves with and without it. */
async function measureOneIndex(
  sql: Sql,
  ix: { readonly index: string; readonly table: string; readonly bytes: number },
  catalog: readonly CatalogEntry[],
  rows: number,
  repeats: number,
  ids: WriteIds,
): Promise<IndexCost> {
  const drop = `DROP INDEX ${quoteIdent(ix.index)}`;
  const writes = [];
  for (const op of WRITE_OPS.filter((o) => o.table === ix.table)) {
    const statement = op.sql(op.table, rows, ids);
    const [withIt, without] = await measurePair(sql, { statement, table: op.table }, { statement, table: op.table, before: drop }, rows, repeats);
    writes.push({ op: op.name, withIndex: withIt.rowsPerSecond, without: without.rowsPerSecond, cost: 1 - withIt.rowsPerSecond / without.rowsPerSecond });
  }
  const served = catalog.filter((e) => e.expectIndexes.includes(ix.index) || PERFORMANCE_INDEXES.find((p) => p.name === ix.index)?.serves.includes(e.name));
  const reads = [];
  for (const entry of served) reads.push({ entry: entry.name, withMs: await serverMs(sql, entry), withoutMs: await serverMs(sql, entry, drop) });
  return { index: ix.index, table: ix.table, bytes: ix.bytes, writes, reads };
}

export async function measureIndexCost(
  sql: Sql,
  options: { readonly rows?: number; readonly repeats?: number; readonly catalog: readonly CatalogEntry[]; readonly log?: (line: string) => void },
): Promise<IndexCostResult> {
  const rows = options.rows ?? 10_000;
  const repeats = options.repeats ?? 5;
  const log = options.log ?? (() => {});
  const [stats] = await sql<{ maxMessageId: number; contacts: number }[]>`
    SELECT (SELECT coalesce(max(id), 0) FROM conversation_messages)::float8 AS "maxMessageId", (SELECT count(*) FROM phone_contacts)::float8 AS contacts`;
  const ids = { maxMessageId: stats!.maxMessageId, contacts: Math.max(1, stats!.contacts) };
  const tables = [...new Set(WRITE_OPS.map((o) => o.table))];
  try {
    for (const t of tables) {
      log(`copying ${t} with only the base schema's keys and constraints`);
      await createBaseCopy(sql, t);
    }
    await vacuumTables(sql, tables, log);
    const ratios = await measureRatios(sql, rows, repeats, ids, log);
    const present = await sql<{ index: string; table: string; bytes: number }[]>`
      SELECT i.indexrelid::regclass::text AS index, i.indrelid::regclass::text AS table, pg_relation_size(i.indexrelid)::float8 AS bytes
      FROM pg_index i WHERE i.indrelid = ANY(${tables}::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique ORDER BY 2, 1`;
    const bare = await measureBareTable(sql, present, rows, repeats, ids, log);
    await vacuumTables(sql, tables, log);
    const shapes = await measureShapes(sql, rows, repeats, { ...ids, newestByTime: await newestByTime(sql, rows) }, log);
    const triggers = await measureTriggers(sql, rows, repeats, ids, log);
    const indexes: IndexCost[] = [];
    for (const ix of present) {
      log(`${ix.index}: writes and reads without it`);
      indexes.push(await measureOneIndex(sql, ix, options.catalog, rows, repeats, ids));
    }
    return { rows, repeats, ratios, bare, shapes, triggers, indexes };
  } finally {
    for (const t of tables) await sql.unsafe(`DROP TABLE IF EXISTS ${baseCopyName(t)}`);
    await vacuumTables(sql, tables, log);
  }
}

/**
 * Every rolled-back insert leaves its heap tuples and index entries behind,
 * dead until a VACUUM (two runs grew the phone_contacts indexes 15.7 -> 86.9
 * MB), and the next writes slow down with them (the same insert 171 -> 195
 * ms over eight measurements): each section starts from a vacuumed table.
 */
async function vacuumTables(sql: Sql, tables: readonly string[], log: (line: string) => void): Promise<void> {
  log(`VACUUM ${tables.join(", ")} (the rolled-back writes' dead entries)`);
  await sql.unsafe(`VACUUM ${tables.join(", ")}`);
}

const pct = (x: number) => formatPercent(x, 0);
const num = (x: number) => Math.round(x).toLocaleString("en-US");

export function formatIndexCost(result: IndexCostResult): string {
  const out = [
    `Writes as the app makes them (triggers included) vs a copy with only the base keys and constraints; ${num(result.rows)} rows per statement, rolled back, median of ${result.repeats}:`,
    "",
    "| operation | app rows/s | base rows/s | ratio (goal >= 40%) | HOT updates |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...result.ratios.map((r) => `| ${r.op} | ${num(r.app.rowsPerSecond)} | ${num(r.base.rowsPerSecond)} | ${pct(r.ratio)} | ${r.app.hotRatio === null ? "-" : `${pct(r.app.hotRatio)} (base ${pct(r.base.hotRatio ?? 0)})`} |`),
    "",
    "The same writes with no performance index and the triggers off (rolled back): the ceiling of the table itself:",
    "",
    "| operation | rows/s | base rows/s | ratio | HOT updates |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...result.bare.map((r) => `| ${r.op} | ${num(r.app.rowsPerSecond)} | ${num(r.base.rowsPerSecond)} | ${pct(r.ratio)} | ${r.app.hotRatio === null ? "-" : `${pct(r.app.hotRatio)} (base ${pct(r.base.hotRatio ?? 0)})`} |`),
    "",
    "The ratio depends on the write's shape: the triggers keep one row per contact and per hour current, so their cost grows with the contacts and hours one statement touches (the seed's ids are not in time order: the newest ids span two years):",
    "",
    "| write | app rows/s | base rows/s | ratio | ratio with the triggers off |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...result.shapes.map((r) => `| ${r.shape} | ${num(r.app.rowsPerSecond)} | ${num(r.base.rowsPerSecond)} | ${pct(r.ratio)} | ${pct(r.ratioWithoutTriggers)} |`),
    "",
    `Per trigger: its time inside the write (EXPLAIN ANALYZE, median of ${result.repeats}), and its share of the statement (RI_ConstraintTrigger_*: the foreign key's check, which the base copy runs too):`,
    "",
    "| trigger | write | ms | share of the statement |",
    "| --- | --- | ---: | ---: |",
    ...result.triggers.map((t) => `| ${t.trigger} | ${t.op} | ${t.ms.toFixed(1)} of ${t.statementMs.toFixed(0)} | ${pct(t.ms / t.statementMs)} |`),
    "",
    "Per index: rows/s with the whole set and with that index dropped (its write cost), and the catalog queries that expect it, server ms with -> without it:",
    "",
    "| index | size | writes: with / without (cost) | reads: with -> without |",
    "| --- | ---: | --- | --- |",
    ...result.indexes.map(
      (i) =>
        `| ${i.index} | ${(i.bytes / 1024 / 1024).toFixed(1)} MB | ${i.writes.map((w) => `${w.op} ${num(w.withIndex)} / ${num(w.without)} (${pct(w.cost)})`).join("; ")} | ${i.reads.map((r) => `${r.entry} ${r.withMs.toFixed(2)} -> ${r.withoutMs.toFixed(2)}`).join("; ") || "none in the catalog"} |`,
    ),
  ];
  return out.join("\n");
}
