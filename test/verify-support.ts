// Databases for the verify/bench tests: the base schema only (no performance
// index migration), so the tests create and drop the indexes they need.
import { applyBaseSchema } from "../src/migrate/rollback.ts";
import { seedDatabase, currentHourUtc } from "../src/seed/generate.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";

export async function baseSchemaDatabase(prefix: string): Promise<TestDatabase> {
  const db = await createDatabase(prefix);
  await applyBaseSchema(db);
  return db;
}

export async function baseSeededDatabase(prefix: string, scale = 0.1, seed = 7): Promise<TestDatabase> {
  const db = await baseSchemaDatabase(prefix);
  await seedDatabase(db.sql, { scale, seed, anchor: currentHourUtc() });
  return db;
}
