// The performance index migrations applied by the runner (`npm run migrate`):
// the full set is there, valid, non-redundant, correct in kind, reported,
// and a re-run changes nothing.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findInvalidIndexes, findRedundantIndexes } from "../src/checks/index-health.ts";
import { MIGRATIONS_DIR } from "../src/base/project-paths.ts";
import { PERFORMANCE_INDEXES, SPEC_INDEXES_DROPPED } from "../src/indexes/performance-indexes.ts";
import { performanceMigrationProblems, readCommittedMigrations, readPerformanceMigrations, type PerformanceMigration } from "../src/migrate/performance-migrations.ts";
import { applyBaseSchema } from "../src/migrate/rollback.ts";
import { formatReport, runMigrations, type MigrationProgress, type MigrationReport } from "../src/migrate/run.ts";
import { indexStates } from "../src/migrate/stats.ts";
import { seedDatabase, currentHourUtc } from "../src/seed/generate.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";

/** The indexes the spec names (issue 3); the migrations must create each under this name. */
const SPEC_NAMES = [
  "idx_phone_contacts_name_pattern", "idx_phone_contacts_email_pattern", "idx_conversation_messages_content_pattern", "idx_people_name_pattern",
  "idx_phone_contacts_active_updated", "idx_conversation_messages_contact_created", "idx_scheduled_tasks_status_priority", "idx_relationship_interactions_person_date",
  "idx_scheduled_tasks_pending", "idx_scheduled_tasks_overdue", "idx_conversation_messages_inbound", "idx_workflow_triggers_active_updated",
  "idx_conversation_messages_metadata", "idx_scheduled_tasks_metadata", "idx_workflow_triggers_conditions", "idx_people_preferences",
  "idx_call_costs_billing_date_desc", "idx_calendar_events_start_end", "idx_relationship_interactions_date", "idx_phone_contacts_list_covering",
  "idx_phone_contacts_updated_at_desc",
];

describe("performance index migrations: the files", () => {
  let migrations: PerformanceMigration[];
  beforeAll(async () => {
    migrations = await readPerformanceMigrations();
  });

  it("hold at least 60 concurrent index builds (the spec's 60+; some were dropped later, see SPEC_INDEXES_DROPPED)", async () => {
    expect((await readCommittedMigrations()).filter((m) => m.index).length).toBeGreaterThanOrEqual(60);
    expect(migrations.length).toBe(PERFORMANCE_INDEXES.length);
  });

  it("each is one CREATE INDEX CONCURRENTLY IF NOT EXISTS in a --! no-transaction migration, names unique and <= 63 bytes", async () => {
    expect(performanceMigrationProblems(await readCommittedMigrations())).toEqual([]);
    for (const m of migrations) expect(m.index.ifNotExists, m.file).toBe(true);
  });

  it("come after the base schema, and every migration after the first is an index build", async () => {
    const committed = await readCommittedMigrations();
    expect(committed[0]!.index).toBeUndefined();
    const firstIndex = committed.findIndex((m) => m.index);
    expect(firstIndex).toBeGreaterThan(0);
    // After the first index migration: index migrations, and non-index ones only if re-runnable (rollback re-applies them).
    expect(committed.slice(firstIndex).every((m) => m.index || m.dropsIndex || m.rerunnable)).toBe(true);
  });

  it("the afterAllMigrations ANALYZE covers every table an index migration touches", () => {
    const analyzeSql = readFileSync(path.join(MIGRATIONS_DIR, "after-all-migrations.sql"), "utf8").replace(/--.*$/gm, "");
    for (const table of new Set(migrations.map((m) => m.index.table))) expect(analyzeSql, table).toMatch(new RegExp(`\\b${table}\\b`));
  });
});

describe("performance index migrations: applied by npm run migrate's runner", () => {
  let db: TestDatabase;
  let migrations: PerformanceMigration[];
  let report: MigrationReport;
  let names: string[];

  beforeAll(async () => {
    migrations = await readPerformanceMigrations();
    names = migrations.map((m) => m.index.name);
    db = await createDatabase("migrate_perf");
    await applyBaseSchema(db);
    await seedDatabase(db.sql, { scale: 0.05, seed: 3, anchor: currentHourUtc() });
    report = await runMigrations(db, { writeReport: false, onProgress: (e) => progress.push(e) });
  });
  afterAll(() => db?.drop());
  const progress: MigrationProgress[] = [];

  it("reports progress over the pending set: start, each migration with its index, end", () => {
    const total = report.applied.length;
    expect(progress[0]).toEqual({ kind: "start", total });
    const steps = progress.filter((e) => e.kind === "migration");
    expect(steps.map((e) => e.done)).toEqual([...Array(total).keys()]);
    expect(steps.map((e) => e.index)).toEqual(report.applied.map((a) => a.index));
    expect(progress.at(-1)).toEqual({ kind: "end", done: total, total, failed: null });
  });

  it("builds every performance index, all valid", async () => {
    const states = await indexStates(db.sql, names);
    expect(states.map((s) => s.index).sort()).toEqual([...names].sort());
    expect(states.filter((s) => !s.valid)).toEqual([]);
    expect(await findInvalidIndexes(db.sql)).toEqual([]);
    expect(states.length).toBe(PERFORMANCE_INDEXES.length);
  });

  it("raises the statistics target of the trigram-searched columns (ILIKE estimates)", async () => {
    const rows = await db.sql<{ col: string; target: number }[]>`
      SELECT attrelid::regclass || '.' || attname AS col, attstattarget::int AS target
      FROM pg_attribute WHERE attrelid = 'conversation_messages'::regclass AND attname = 'content'`;
    expect(rows).toEqual([{ col: "conversation_messages.content", target: 1000 }]);
  });

  it("includes every index the spec names", () => {
    expect(SPEC_NAMES.filter((n) => !names.includes(n) && !(n in SPEC_INDEXES_DROPPED))).toEqual([]);
  });

  it("leaves no redundant index (unless the index set explains why beside it)", async () => {
    const explained = new Set(PERFORMANCE_INDEXES.filter((i) => i.note).map((i) => i.name));
    const redundant = await findRedundantIndexes(db.sql);
    expect(redundant.filter((r) => !explained.has(r.index))).toEqual([]);
  });

  it("makes the pattern (search) indexes trigram GIN", async () => {
    const pattern = (await indexStates(db.sql, names)).filter((s) => s.index.endsWith("_pattern"));
    expect(pattern.length).toBeGreaterThanOrEqual(4);
    for (const p of pattern) expect(p.definition, p.index).toMatch(/USING gin \(.*gin_trgm_ops\)/);
  });

  it("keeps the base schema's own indexes", async () => {
    const rows = await db.sql<{ name: string }[]>`SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' AND indexname IN ('idx_phone_contacts_phone_number', 'idx_call_costs_call_sid')`;
    expect(rows).toHaveLength(2);
  });

  it("reports before/after figures and each index's build time and size", async () => {
    expect(report.status).toBe("ok");
    // Every committed migration from the first index build on ran, in order. The ones that build no
    // index are, by their own markers, re-runnable schema/backfill steps (the inbox's) or the drops
    // of a consolidation; indexes a later migration drops are built, then dropped.
    const committed = await readCommittedMigrations();
    const fromFirstIndex = committed.slice(committed.findIndex((m) => m.index));
    expect(report.applied.map((a) => a.file)).toEqual(fromFirstIndex.map((m) => m.file));
    const withoutIndex = fromFirstIndex.filter((m) => !m.index);
    expect(withoutIndex.length).toBeGreaterThan(0);
    for (const m of withoutIndex) expect(m.rerunnable || m.dropsIndex !== undefined, m.file).toBe(true);
    expect(report.applied.filter((a) => !a.index).map((a) => a.file)).toEqual(withoutIndex.map((m) => m.file));
    const current = new Set(names);
    const indexApplied = report.applied.filter((a) => a.index && current.has(a.index));
    expect(indexApplied.map((a) => a.index)).toEqual(names);
    for (const a of indexApplied) {
      expect(a.ms, a.file).toBeGreaterThan(0);
      expect(a.bytes, a.file).toBeGreaterThan(0);
      expect(a.valid, a.file).toBe(true);
    }
    // + the primary keys of the tables the other migrations create: conversations (the inbox),
    // message_hourly_rollup, call_cost_daily_rollup, contact_counters and their bookkeeping
    // (rollup_backfills, materialized_view_refreshes), the search side tables message_search and
    // contact_search and their search_watermarks. The view's key is not a table's.
    expect(report.after!.totalIndexes - report.before.totalIndexes).toBe(names.length + 9);
    expect(report.after!.databaseBytes).toBeGreaterThan(report.before.databaseBytes);
    expect(report.analyze!.tables).toEqual([...new Set(migrations.map((m) => m.index.table))].sort());
    const text = formatReport(report);
    for (const n of names) expect(text).toContain(n);
  });

  it("ANALYZEs the tables it touched", async () => {
    const rows = await db.sql<{ table: string; analyzed: Date | null }[]>`
      SELECT relname AS "table", greatest(last_analyze, last_autoanalyze) AS analyzed FROM pg_stat_user_tables WHERE relname = ANY(${report.analyze!.tables as string[]})`;
    for (const r of rows) expect(r.analyzed?.getTime() ?? 0, r.table).toBeGreaterThanOrEqual(new Date(report.startedAt).getTime() - 1000);
  });

  it("a re-run is a no-op", async () => {
    const ledger = await db.sql`SELECT hash, filename, date FROM graphile_migrate.migrations ORDER BY filename`;
    const indexes = await db.sql`SELECT indexrelid::regclass::text AS name, indexrelid::int AS oid FROM pg_index ORDER BY 1`;
    const again = await runMigrations(db, { writeReport: false });
    expect(again.applied).toEqual([]);
    expect(again.recovered).toEqual([]);
    expect(await db.sql`SELECT hash, filename, date FROM graphile_migrate.migrations ORDER BY filename`).toEqual(ledger);
    expect(await db.sql`SELECT indexrelid::regclass::text AS name, indexrelid::int AS oid FROM pg_index ORDER BY 1`).toEqual(indexes);
  });
});
