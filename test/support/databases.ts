// Per-test-file databases on the shared test server: every file gets fresh
// databases, so files can run in parallel and never see each other's data.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { maskUrl, openSql, type DatabaseTarget, type Sql } from "../../src/db/index.ts";
import { applyMigrations } from "../../src/migrate/graphile.ts";
import { seedDatabase, currentHourUtc } from "../../src/seed/generate.ts";
import { ensureVerifyReaderRole } from "../../src/db/verify-reader-role.ts";

export interface TestDatabase extends DatabaseTarget {
  readonly name: string;
  /** A client on this database (closed by drop()). */
  readonly sql: Sql;
  drop(): Promise<void>;
}

function urlFor(database: string): string {
  const url = new URL(inject("testRootUrl"));
  url.pathname = `/${database}`;
  return url.toString();
}

/** The test server's maintenance database (superuser). */
export function rootTarget(): DatabaseTarget {
  const url = inject("testRootUrl");
  return { url, display: maskUrl(url), source: "DATABASE_URL" };
}

export async function createDatabase(prefix: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`.toLowerCase();
  const admin = postgres(inject("testRootUrl"), { max: 1, onnotice: () => {} });
  await admin`CREATE DATABASE ${admin(name)}`;
  await admin.end();
  const url = urlFor(name);
  const shadowName = `${name}_shadow`;
  const target = { url, display: maskUrl(url), source: "DATABASE_URL" as const, rootUrl: inject("testRootUrl"), shadowUrl: urlFor(shadowName) };
  const sql = openSql(target, { max: 4 });
  // What the embedded server's setup does for its app database: verify's
  // reader role may SELECT the tables this database's schema creates later.
  await ensureVerifyReaderRole(sql);
  return {
    ...target,
    name,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const root = postgres(inject("testRootUrl"), { max: 1, onnotice: () => {} });
      await root`DROP DATABASE IF EXISTS ${root(name)} WITH (FORCE)`;
      await root`DROP DATABASE IF EXISTS ${root(shadowName)} WITH (FORCE)`;
      await root.end();
    },
  };
}

/** A fresh database with every committed migration applied. */
export async function migratedDatabase(prefix: string): Promise<TestDatabase> {
  const db = await createDatabase(prefix);
  await applyMigrations(db);
  return db;
}

/** A fresh, migrated database seeded at a small scale (fixed seed and anchor). */
export async function seededDatabase(prefix: string, scale = 0.1, seed = 7): Promise<TestDatabase> {
  const db = await migratedDatabase(prefix);
  // Anchored today, so "last 30 days" queries find data.
  await seedDatabase(db.sql, { scale, seed, anchor: currentHourUtc() });
  return db;
}

/** A fixed day for determinism checks. */
export const TEST_ANCHOR = new Date(Date.UTC(2026, 0, 15));
