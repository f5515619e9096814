// What the migrate tests set up alike: the committed performance migrations,
// small seeded databases on the base schema (dropped after each test), and a
// transaction whose old snapshot makes every CREATE INDEX CONCURRENTLY wait.
import postgres from "postgres";
import { afterEach, beforeAll } from "vitest";
import { isPerformanceMigration, readCommittedMigrations, readPerformanceMigrations, type PerformanceMigration } from "../../src/migrate/performance-migrations.ts";
import { applyBaseSchema } from "../../src/migrate/rollback.ts";
import { currentHourUtc, seedDatabase } from "../../src/seed/generate.ts";
import { createDatabase, type TestDatabase } from "./databases.ts";

export interface MigrateFixtures {
  /** The committed performance migrations, in order (read before the file's tests run). */
  readonly migrations: readonly PerformanceMigration[];
  /**
   * The first index build a migrate run on the base schema starts: the first
   * committed migration that builds one, also when a later migration drops
   * that index again (000002's trigram index, dropped by 000089).
   */
  readonly firstBuild: PerformanceMigration;
  /** Drops `db` after the current test. */
  dropAfterTest(db: TestDatabase): TestDatabase;
  /** The base schema only, seeded at scale 0.02 (seed 5), dropped after the current test. */
  baseDatabase(prefix: string): Promise<TestDatabase>;
}

/** Registers the file's hooks (call it at the top level of a test file). */
export function migrateFixtures(): MigrateFixtures {
  const dbs: TestDatabase[] = [];
  let migrations: readonly PerformanceMigration[] = [];
  let firstBuild: PerformanceMigration | undefined;
  beforeAll(async () => {
    migrations = await readPerformanceMigrations();
    firstBuild = (await readCommittedMigrations()).find(isPerformanceMigration);
  });
  afterEach(async () => {
    await Promise.all(dbs.splice(0).map((db) => db.drop()));
  });
  const dropAfterTest = (db: TestDatabase) => {
    dbs.push(db);
    return db;
  };
  return {
    get migrations() {
      return migrations;
    },
    get firstBuild() {
      if (!firstBuild) throw new Error("no committed migration builds an index");
      return firstBuild;
    },
    dropAfterTest,
    async baseDatabase(prefix) {
      const db = dropAfterTest(await createDatabase(prefix));
      await applyBaseSchema(db);
      await seedDatabase(db.sql, { scale: 0.02, seed: 5, anchor: currentHourUtc() });
      return db;
    },
  };
}

/**
 * A transaction holding an old snapshot, on a connection of its own: every
 * CREATE INDEX CONCURRENTLY in the database waits for it (its INVALID index
 * already committed), so a build fails at lock_timeout, can be cancelled, or
 * is still running when its server or client is killed.
 */
export async function holdOldSnapshot(url: string): Promise<{ release(): Promise<void>; abandon(): Promise<void> }> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  const conn = await client.reserve();
  await conn`BEGIN ISOLATION LEVEL REPEATABLE READ`;
  await conn`SELECT count(*) FROM phone_contacts`;
  return {
    async release() {
      await conn`ROLLBACK`;
      conn.release();
      await client.end({ timeout: 1 });
    },
    // The server is gone: send nothing (postgres.js would write to a closed socket), just close.
    async abandon() {
      await client.end({ timeout: 0 }).catch(() => {});
    },
  };
}
