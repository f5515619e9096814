// npm run rollback: drops exactly the indexes the performance migrations
// create (names from the migration files, not a LIKE 'idx_%' sweep), keeps
// the base schema's and anyone else's indexes, forgets those migrations in
// graphile-migrate's ledger, and a later migrate restores them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findInvalidIndexes } from "../src/checks/index-health.ts";
import { EXIT, UserError } from "../src/base/errors.ts";
import { applyMigrations } from "../src/migrate/graphile.ts";
import { appendCommittedMigration, baseMigrationFiles, subsetMigrationsFolder } from "../src/migrate/migrations-folder.ts";
import { readCommittedMigrations, readPerformanceMigrations, RERUNNABLE_MARK, type PerformanceMigration } from "../src/migrate/performance-migrations.ts";
import { applyBaseSchema, ensureBaseSchemaOnly, rollbackPerformanceIndexes } from "../src/migrate/rollback.ts";
import { indexStates } from "../src/migrate/stats.ts";
import { createDatabase, migratedDatabase, type TestDatabase } from "./support/databases.ts";
import { runScript } from "./support/run-script.ts";

let migrations: PerformanceMigration[];
let names: string[];

async function allIndexes(db: TestDatabase): Promise<string[]> {
  return (await db.sql<{ name: string }[]>`SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`).map((r) => r.name);
}
async function ledgerFiles(db: TestDatabase): Promise<string[]> {
  return (await db.sql<{ filename: string }[]>`SELECT filename FROM graphile_migrate.migrations ORDER BY filename`).map((r) => r.filename);
}

/** The ledger name of the first index build (also of an index a later migration dropped): rollback forgets the ledger from there on. */
let firstIndexBuild: string;

beforeAll(async () => {
  migrations = await readPerformanceMigrations();
  names = migrations.map((m) => m.index.name);
  firstIndexBuild = (await readCommittedMigrations()).find((m) => m.index)!.ledgerFilename;
});

describe("rollbackPerformanceIndexes", () => {
  let db: TestDatabase;
  let baseIndexes: string[];
  beforeAll(async () => {
    db = await migratedDatabase("rollback");
    // Somebody's own index with the same prefix: a LIKE 'idx_%' sweep would take it.
    await db.sql`CREATE INDEX idx_phone_contacts_custom_keep ON phone_contacts (company, is_active)`;
    baseIndexes = (await allIndexes(db)).filter((n) => !names.includes(n));
  });
  afterAll(() => db?.drop());

  it("drops exactly the performance indexes and forgets exactly their migrations", async () => {
    expect(baseIndexes).toEqual(expect.arrayContaining(["idx_phone_contacts_phone_number", "idx_call_costs_call_sid", "idx_phone_contacts_custom_keep", "phone_contacts_pkey"]));
    await applyMigrations(db); // every index in place, whichever test ran before
    const result = await rollbackPerformanceIndexes(db);
    expect([...result.dropped].sort()).toEqual([...names].sort());
    expect(result.absent).toEqual([]);
    // Every migration from the first index migration on: the index ones and the re-runnable ones between them (the inbox schema and backfill).
    const fromFirstIndex = (await readCommittedMigrations()).filter((m) => m.ledgerFilename >= firstIndexBuild);
    expect(fromFirstIndex.every((m) => m.index || m.dropsIndex || m.rerunnable)).toBe(true);
    expect(result.ledgerRowsRemoved).toEqual(fromFirstIndex.map((m) => m.ledgerFilename).sort());
    expect(await allIndexes(db)).toEqual(baseIndexes);
    const base = await readCommittedMigrations().then((all) => all.filter((m) => m.ledgerFilename < firstIndexBuild).map((m) => m.ledgerFilename));
    expect(await ledgerFiles(db)).toEqual(base);
  });

  it("a second rollback changes nothing", async () => {
    await applyMigrations(db);
    await rollbackPerformanceIndexes(db); // the first
    const result = await rollbackPerformanceIndexes(db);
    expect(result.dropped).toEqual([]);
    expect(result.absent).toEqual(names);
    expect(result.ledgerRowsRemoved).toEqual([]);
    expect(await allIndexes(db)).toEqual(baseIndexes);
  });

  it("a later migrate restores every index, valid", async () => {
    await rollbackPerformanceIndexes(db); // something to restore, whichever test ran before
    expect(await indexStates(db.sql, names)).toEqual([]);
    await applyMigrations(db);
    const states = await indexStates(db.sql, names);
    expect(states).toHaveLength(names.length);
    expect(states.every((s) => s.valid)).toBe(true);
    expect(await findInvalidIndexes(db.sql)).toEqual([]);
    expect(await ledgerFiles(db)).toHaveLength((await readCommittedMigrations()).length);
  });
});

describe("npm run rollback / npm run migrate round trip (the CLIs)", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await migratedDatabase("rollback_cli");
  });
  afterAll(() => db?.drop());

  it("rollback then migrate", async () => {
    const before = await allIndexes(db);
    const rolled = await runScript("rollback.ts", [], { DATABASE_URL: db.url });
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stdout).toContain(`dropped ${names.length} index(es)`);
    expect((await allIndexes(db)).filter((n) => names.includes(n))).toEqual([]);
    const migrated = await runScript("migrate.ts", ["--no-report"], { DATABASE_URL: db.url });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain(names.at(-1));
    // The set is ONE progress display (plain lines here: not a terminal), not a line per migration.
    expect(migrated.stdout + migrated.stderr).not.toContain("Running migration");
    expect(migrated.stderr).toContain("migrations ...");
    // The index migrations and the re-runnable ones among them (the inbox schema and backfill).
    const reapplied = (await readCommittedMigrations()).filter((m) => m.ledgerFilename >= firstIndexBuild).length;
    expect(migrated.stderr).toMatch(new RegExp(`migrations: ${reapplied}/${reapplied} applied in `));
    expect(await allIndexes(db)).toEqual(before);
  });
});

describe("base schema only", () => {
  it("applyBaseSchema applies only the base migrations; migrate adds the rest", async () => {
    const db = await createDatabase("rollback_base");
    try {
      await applyBaseSchema(db);
      const base = (await baseMigrationFiles()).map((f) => `${f.slice(0, 6)}.sql`);
      expect(await ledgerFiles(db)).toEqual(base);
      expect(await indexStates(db.sql, names)).toEqual([]);
      await applyMigrations(db);
      expect(await indexStates(db.sql, names)).toHaveLength(names.length);
      const result = await ensureBaseSchemaOnly(db);
      expect(result.dropped).toHaveLength(names.length);
      expect(await ledgerFiles(db)).toEqual(base);
    } finally {
      await db.drop();
    }
  });

  it("a re-runnable migration after the index migrations is forgotten with them and re-applied by migrate", async () => {
    const folder = await subsetMigrationsFolder(() => true);
    const db = await createDatabase("rollback_rerun");
    try {
      const file = await appendCommittedMigration(
        folder.folder,
        `${RERUNNABLE_MARK}\nCREATE TABLE IF NOT EXISTS later_feature (id bigint PRIMARY KEY);\nINSERT INTO later_feature VALUES (1) ON CONFLICT DO NOTHING;`,
        "a later re-runnable feature",
      );
      await appendCommittedMigration(folder.folder, "--! no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_later_feature_after ON later_feature (id);", "index after the feature");
      await applyMigrations(db, undefined, { migrationsFolder: folder.folder });
      const before = await allIndexes(db);
      expect(before).toContain("idx_later_feature_after");
      const result = await rollbackPerformanceIndexes(db, { migrationsFolder: folder.folder });
      expect(result.dropped).toContain("idx_later_feature_after");
      expect(result.ledgerRowsRemoved).toContain(`${file.slice(0, 6)}.sql`);
      expect(await allIndexes(db)).not.toContain("idx_later_feature_after");
      // The feature's data survives the rollback; migrate re-applies the feature migration without harm, then the index.
      await applyMigrations(db, undefined, { migrationsFolder: folder.folder });
      expect(await allIndexes(db)).toEqual(before);
      expect(await db.sql`SELECT id FROM later_feature`).toEqual([{ id: 1 }]);
    } finally {
      folder.remove();
      await db.drop();
    }
  });

  it("refuses (changing nothing) when another migration was applied after the index migrations", async () => {
    const folder = await subsetMigrationsFolder(() => true);
    const db = await createDatabase("rollback_refuse");
    try {
      await appendCommittedMigration(folder.folder, "CREATE TABLE IF NOT EXISTS later_feature (id bigint PRIMARY KEY);", "a later feature");
      await applyMigrations(db, undefined, { migrationsFolder: folder.folder });
      const indexes = await allIndexes(db);
      const ledger = await ledgerFiles(db);
      const error = await rollbackPerformanceIndexes(db, { migrationsFolder: folder.folder }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(EXIT.failed);
      expect((error as UserError).message).toContain("a-later-feature");
      expect(await allIndexes(db)).toEqual(indexes);
      expect(await ledgerFiles(db)).toEqual(ledger);
    } finally {
      folder.remove();
      await db.drop();
    }
  });
});
