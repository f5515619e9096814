// `npm run rollback`: undo the performance index migrations exactly.
//
// graphile-migrate is forward-only (no down migrations), so the rollback is
// ours: the index names come from the performance migrations themselves
// (src/migrate/performance-migrations.ts — never a LIKE 'idx_%' sweep, the
// base schema has idx_* indexes too), and so do their ledger rows.
//
// Order matters for a rollback that is interrupted:
//   1. delete the performance migrations' rows from graphile_migrate.migrations
//      (one transaction), then
//   2. DROP INDEX CONCURRENTLY IF EXISTS each index, one at a time, each with
//      lock_timeout (writers are never blocked; a lock it cannot get fails
//      that one drop and stops with a message).
// Interrupted after 1: `npm run migrate` re-applies every migration (IF NOT
// EXISTS keeps the surviving indexes), or `npm run rollback` again finishes
// the drops. The reverse order could leave indexes gone while the ledger says
// they exist, which `migrate` would never repair.
import { EXIT, UserError } from "../base/errors.ts";
import { withSql, quoteIdent, type DatabaseTarget, type Sql } from "../db/index.ts";
import { MIGRATIONS_DIR } from "../base/project-paths.ts";
import { applyMigrations } from "./graphile.ts";
import { baseOnlyMigrationsFolder } from "./migrations-folder.ts";
import { currentPerformanceMigrations, isIndexSetMigration, readCommittedMigrations, RERUNNABLE_MARK, type CommittedMigration, type PerformanceMigration } from "./performance-migrations.ts";
import { DROP_LOCK_TIMEOUT } from "./recovery.ts";
import { withMigrationLock } from "./lock.ts";
import { appliedLedgerFilenames } from "./stats.ts";

export interface RollbackResult {
  /** Indexes dropped, in drop order. */
  readonly dropped: readonly string[];
  /** Performance indexes that did not exist (never built, or already dropped). */
  readonly absent: readonly string[];
  /** graphile_migrate.migrations filenames removed. */
  readonly ledgerRowsRemoved: readonly string[];
  /** False: the database has no graphile_migrate schema (never migrated). */
  readonly ledger: boolean;
  readonly ms: number;
}

export interface RollbackOptions {
  readonly log?: (line: string) => void;
  readonly migrationsFolder?: string;
  readonly lockTimeout?: string;
}

/** Drop exactly the indexes the performance migrations create and forget those migrations, so `migrate` re-applies them. */
export async function rollbackPerformanceIndexes(target: DatabaseTarget, options: RollbackOptions = {}): Promise<RollbackResult> {
  const t0 = performance.now();
  const log = options.log ?? (() => {});
  const committed = await readCommittedMigrations(options.migrationsFolder ?? MIGRATIONS_DIR);
  // The indexes the set holds now (built by a migration and not dropped by a later one).
  const performance_ = currentPerformanceMigrations(committed);
  return withSql(target, async (sql) => {
    return withMigrationLock(sql, target, "roll back", async () => {
      // A database that was never migrated (no graphile_migrate schema) has no ledger to cut.
      const [{ ledger }] = (await sql`SELECT to_regclass('graphile_migrate.migrations') IS NOT NULL AS ledger`) as unknown as [{ ledger: boolean }];
      const ledgerRowsRemoved = ledger ? await forgetPerformanceMigrations(sql, committed, performance_) : [];
      if (ledgerRowsRemoved.length > 0) log(`removed ${ledgerRowsRemoved.length} performance migration(s) from graphile_migrate.migrations`);
      await sql`SELECT set_config('lock_timeout', ${options.lockTimeout ?? DROP_LOCK_TIMEOUT}, false)`;
      const existing = new Set(
        (await sql<{ name: string }[]>`
          SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relkind = 'i' AND c.relname = ANY(${performance_.map((m) => m.index.name)})`).map((r) => r.name),
      );
      const dropped: string[] = [];
      const absent: string[] = [];
      for (const m of [...performance_].reverse()) {
        const name = m.index.name;
        if (!existing.has(name)) {
          absent.push(name);
          continue;
        }
        try {
          await sql.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(name)}`);
        } catch (error) {
          const e = error as { code?: string; message?: string };
          const cause = e.code === "55P03" ? `could not get a lock on ${m.index.table} within lock_timeout (a long transaction holds it)` : `${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ""}`;
          throw new UserError(
            `Rollback stopped at index ${name}: ${cause}. ${dropped.length} index(es) were dropped; the ledger no longer lists the performance migrations, so 'npm run rollback' finishes the job and 'npm run migrate' restores everything.`,
            EXIT.failed,
          );
        }
        dropped.push(name);
        log(`dropped ${name}`);
      }
      return { dropped, absent: absent.reverse(), ledgerRowsRemoved, ledger, ms: performance.now() - t0 };
    });
  }, { max: 1, applicationName: "bollalabz-db/rollback" });
}

/**
 * Remove the performance migrations' ledger rows, and those of the
 * re-runnable migrations between them (RERUNNABLE_MARK). graphile-migrate
 * applies only migrations numbered after the last one recorded, so after the
 * first index migration the ledger must end: forgetting everything from there
 * on makes `migrate` re-apply it all in order. A migration after it that is
 * neither an index build nor marked re-runnable (or is not in this checkout)
 * would be re-applied against a schema that already has it: refuse.
 */
async function forgetPerformanceMigrations(sql: Sql, committed: readonly CommittedMigration[], performance_: readonly PerformanceMigration[]): Promise<string[]> {
  const firstIndexMigration = committed.find(isIndexSetMigration);
  if (performance_.length === 0 || !firstIndexMigration) return [];
  const applied = await appliedLedgerFilenames(sql);
  const first = firstIndexMigration.ledgerFilename;
  const forgettable = new Set(committed.filter((m) => m.ledgerFilename >= first && (isIndexSetMigration(m) || m.rerunnable)).map((m) => m.ledgerFilename));
  const blocking = applied.filter((f) => f > first && !forgettable.has(f));
  if (blocking.length > 0) {
    const known = blocking.flatMap((f) => committed.filter((m) => m.ledgerFilename === f).map((m) => m.file));
    const unknown = blocking.filter((f) => !committed.some((m) => m.ledgerFilename === f));
    const what = [
      known.length > 0 ? `${known.join(", ")} (not an index migration, and not marked '${RERUNNABLE_MARK}')` : "",
      unknown.length > 0 ? `${unknown.join(", ")} (recorded in graphile_migrate.migrations but not in this checkout's migrations/committed: applied from another checkout or branch?)` : "",
    ].filter(Boolean);
    throw new UserError(
      `Cannot roll back the performance indexes: ${what.join(" and ")} came after them, and graphile-migrate only re-applies migrations numbered after the last one recorded. ` +
        `A migration that is safe to apply twice can say so with a line '${RERUNNABLE_MARK}'. Nothing was changed.`,
      EXIT.failed,
    );
  }
  const rows = await sql<{ filename: string }[]>`
    DELETE FROM graphile_migrate.migrations WHERE filename = ANY(${[...forgettable]}) RETURNING filename`;
  return rows.map((r) => r.filename).sort();
}

/**
 * Apply only the base migrations (every committed migration before the first
 * performance one), from a temporary migrations folder: graphile-migrate has
 * no `migrate --to`. A later applyMigrations() applies the rest.
 */
export async function applyBaseSchema(target: DatabaseTarget, log?: (line: string) => void): Promise<void> {
  const folder = await baseOnlyMigrationsFolder();
  try {
    await applyMigrations(target, log, { migrationsFolder: folder.folder, hooks: { before: false, after: false } });
  } finally {
    folder.remove();
  }
}

/** Whatever state the database is in: base schema applied, no performance index, ready for `migrate` to build them all. */
export async function ensureBaseSchemaOnly(target: DatabaseTarget, log?: (line: string) => void): Promise<RollbackResult> {
  await applyBaseSchema(target, log);
  return rollbackPerformanceIndexes(target, { log });
}
