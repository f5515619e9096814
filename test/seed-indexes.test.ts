// Seeding a database that already has the performance indexes: by default
// they are dropped and rebuilt inside the seed transaction (fast, no bloat),
// the same indexes exist afterwards, graphile-migrate's ledger is untouched,
// and a seed killed inside its transaction leaves indexes, data and ledger as
// they were.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/base/errors.ts";
import { openSql } from "../src/db/index.ts";
import { PERFORMANCE_INDEXES } from "../src/indexes/performance-indexes.ts";
import { applyBaseSchema } from "../src/migrate/rollback.ts";
import { runMigrations } from "../src/migrate/run.ts";
import { appliedLedgerFilenames } from "../src/migrate/stats.ts";
import { seedDatabase, tableChecksums, type SeedProgress } from "../src/seed/generate.ts";
import { SEED_TABLES } from "../src/seed/tables.ts";
import { SEARCH_TABLES } from "../src/rollups/index.ts";
import { createDatabase, migratedDatabase, TEST_ANCHOR, type TestDatabase } from "./support/databases.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { waitFor } from "./support/wait-for.ts";

const PERFORMANCE_NAMES = PERFORMANCE_INDEXES.map((i) => i.name);
/** The seed rebuilds the performance indexes of the tables it fills and of the search side tables it refills (others, e.g. the inbox's, are not its business). */
const SEEDED_TABLES = new Set([...SEED_TABLES.map((t) => t.table), ...SEARCH_TABLES.map((t) => t.table)]);
const REBUILT_NAMES = PERFORMANCE_INDEXES.filter((i) => SEEDED_TABLES.has(i.table)).map((i) => i.name);

/** Every performance index with its exact definition and validity. */
async function performanceIndexes(db: TestDatabase): Promise<Record<string, { definition: string; valid: boolean }>> {
  const rows = await db.sql<{ name: string; definition: string; valid: boolean }[]>`
    SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid AS valid
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relname = ANY(${PERFORMANCE_NAMES})`;
  return Object.fromEntries(rows.map((r) => [r.name, { definition: r.definition, valid: r.valid }]));
}

describe("seeding into the performance indexes", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await migratedDatabase("seed_idx");
  });
  afterAll(() => db?.drop());

  it("by default drops and rebuilds them in the seed transaction: same indexes, valid, ledger untouched, nothing left to migrate", async () => {
    const before = await performanceIndexes(db);
    expect(Object.keys(before)).toHaveLength(PERFORMANCE_NAMES.length);
    const ledger = await appliedLedgerFilenames(db.sql);
    const events: SeedProgress[] = [];
    const result = await seedDatabase(db.sql, { scale: 0.02, seed: 5, anchor: TEST_ANCHOR, onProgress: (e) => events.push(e) });

    expect(result.indexes).toMatchObject({ strategy: "rebuild", count: REBUILT_NAMES.length });
    expect(events.find((e) => e.kind === "index-plan")).toMatchObject({ strategy: "rebuild", reason: expect.stringMatching(/dropping them inside the seed transaction/) });
    const rebuilt = events.flatMap((e) => (e.kind === "index-start" ? [e.name] : []));
    expect(rebuilt.sort()).toEqual([...REBUILT_NAMES].sort());
    expect(await performanceIndexes(db)).toEqual(before);
    expect(await appliedLedgerFilenames(db.sql)).toEqual(ledger);
    const migrated = await runMigrations(db, { writeReport: false });
    expect(migrated.applied).toEqual([]);
  });

  it("--indexes keep loads into them instead (same indexes afterwards)", async () => {
    const before = await performanceIndexes(db);
    const result = await seedDatabase(db.sql, { scale: 0.02, seed: 6, anchor: TEST_ANCHOR, indexes: "keep" });
    expect(result.indexes).toMatchObject({ strategy: "keep", count: REBUILT_NAMES.length, rebuildMs: 0 });
    expect(await performanceIndexes(db)).toEqual(before);
  });

  it("a seed killed inside its transaction (load done, every performance index dropped) leaves indexes, data and ledger as they were", async () => {
    await seedDatabase(db.sql, { scale: 0.02, seed: 7, anchor: TEST_ANCHOR });
    const [indexes, data, ledger] = [await performanceIndexes(db), await tableChecksums(db.sql), await appliedLedgerFilenames(db.sql)];

    const applicationName = `seed-kill-${randomBytes(4).toString("hex")}`;
    const victim = openSql(db, { max: 1, applicationName });
    const admin = postgres(db.url, { max: 2, onnotice: () => {} });
    // The seed refills the search side tables after its load and moves their
    // watermark: holding that row makes it wait right there, with the rows
    // loaded and every performance index dropped in its transaction. It is
    // killed while it waits (state, not timing: a kill sent on a progress
    // event could land after a fast rebuild had already finished).
    const holder = await admin.reserve();
    const events: SeedProgress["kind"][] = [];
    try {
      await holder`BEGIN`;
      await holder`SELECT 1 FROM search_watermarks WHERE side_table = ${SEARCH_TABLES[0]!.table} FOR UPDATE`;
      const seeding = seedDatabase(victim, { scale: 0.02, seed: 8, anchor: TEST_ANCHOR, onProgress: (e) => events.push(e.kind) });
      seeding.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
      const pid = await waitFor(
        async () => (await admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${applicationName} AND wait_event_type = 'Lock'`)[0]?.pid,
        (p) => p !== undefined,
        "the seed to wait for the side table's watermark row",
        120_000,
      );
      expect(events).toContain("index-plan");
      expect(events.at(-1)).toBe("table-done");
      await admin`SELECT pg_terminate_backend(${pid!})`;
      await expect(seeding).rejects.toMatchObject({ exitCode: EXIT.unreachable, message: expect.stringMatching(/connection to the server was lost while seeding .*Nothing was committed/) });
    } finally {
      await holder`ROLLBACK`.catch(() => {});
      holder.release();
      await victim.end({ timeout: 1 }).catch(() => {});
      await admin.end({ timeout: 5 });
    }
    expect(await performanceIndexes(db)).toEqual(indexes);
    expect(await tableChecksums(db.sql)).toEqual(data);
    expect(await appliedLedgerFilenames(db.sql)).toEqual(ledger);
    expect((await runMigrations(db, { writeReport: false })).applied).toEqual([]);
  });

  it("npm run seed prints the choice and why; a bad --indexes value exits 2", async () => {
    const result = await runScript("seed.ts", ["--scale", "0.01"], { DATABASE_URL: db.url });
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stderr).toContain(`indexes: ${REBUILT_NAMES.length} performance indexes exist: dropping them inside the seed transaction and rebuilding them`);
    expect(result.stdout).toMatch(new RegExp(`of which rebuilding ${REBUILT_NAMES.length} indexes`));

    const bad = await runScript("seed.ts", ["--indexes", "sometimes"], { DATABASE_URL: db.url });
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/--indexes must be one of rebuild, keep, got 'sometimes'/);
    expect(looksLikeCleanError(bad.stderr)).toBe(true);
  });
});

describe("seeding the bare schema", () => {
  it("has nothing to rebuild and says so", async () => {
    const bare = await createDatabase("seed_bare");
    try {
      await applyBaseSchema(bare);
      const result = await seedDatabase(bare.sql, { scale: 0.01, seed: 1, anchor: TEST_ANCHOR });
      expect(result.indexes).toMatchObject({ strategy: "none", count: 0, reason: expect.stringMatching(/no performance indexes/) });
    } finally {
      await bare.drop();
    }
  });
});
