// The faults of issue #10 around `migrate` and `rollback`, each reproduced
// against a real server: the server dies mid-build (its own throwaway server),
// a `migrate` killed with SIGKILL leaves its build running and holding the
// lock, a crashed run leaves indexes without statistics, and a rollback on a
// database that was never migrated. Every one ends with one clear message and
// a documented exit code, never a stack trace.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/base/errors.ts";
import { COMMAND_BIN, PROJECT_ROOT } from "../src/base/project-paths.ts";
import { maskUrl, type DatabaseTarget } from "../src/db/index.ts";
import { destroyEmbedded, findFreePort, runningPid, startEmbedded } from "../src/embedded/server.ts";
import { applyBaseSchema } from "../src/migrate/rollback.ts";
import { runMigrations, type MigrationReport } from "../src/migrate/run.ts";
import { indexStates } from "../src/migrate/stats.ts";
import { seedDatabase, currentHourUtc } from "../src/seed/generate.ts";
import { createDatabase } from "./support/databases.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { waitFor } from "./support/wait-for.ts";
import { holdOldSnapshot, migrateFixtures } from "./support/migrate-fixtures.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const migrate = migrateFixtures();

type Client = ReturnType<typeof postgres>;

/** The backend building an index whose INVALID catalog entry is committed (visible from here). */
async function waitForCommittedBuild(sql: Client): Promise<{ pid: number; index: string }> {
  const row = await waitFor(
    async () =>
      (
        await sql<{ pid: number; index: string }[]>`
          SELECT p.pid, c.relname AS index FROM pg_stat_progress_create_index p
          JOIN pg_index i ON i.indexrelid = p.index_relid AND NOT i.indisvalid
          JOIN pg_class c ON c.oid = i.indexrelid
          WHERE p.datname = current_database() LIMIT 1`
      )[0],
    (found) => found !== undefined,
    "a CREATE INDEX CONCURRENTLY with its INVALID index committed",
    120_000,
  );
  return row!;
}

/** `npm run migrate` as a child process we can kill. */
function startMigrate(url: string): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [COMMAND_BIN, "migrate"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CI: "true", DATABASE_URL: url },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/**
 * The migrate run ended as one whose server went away mid-build of `index` (the first migration):
 * exit 3 naming it, and the report written with what was done and no after-figures.
 */
async function expectWentAwayWithReport(done: ReturnType<typeof startMigrate>["done"], index: string): Promise<void> {
  const result = await done;
  expect(result.code, result.stderr).toBe(EXIT.unreachable);
  expect(looksLikeCleanError(result.stderr)).toBe(true);
  expect(result.stderr).toContain(`index ${index}`);
  expect(result.stderr).toMatch(/server went away/);
  const reportFile = /report: (\S+\.json)/.exec(result.stdout)?.[1];
  expect(reportFile, result.stdout).toBeDefined();
  try {
    const report = JSON.parse(readFileSync(reportFile!, "utf8")) as MigrationReport;
    expect(report.status).toBe("failed");
    expect(report.error).toMatchObject({ index, migration: migrate.firstBuild.file });
    expect(report.applied.map((a) => a.index)).toEqual([index]);
    expect(report.before.totalIndexes).toBeGreaterThan(0);
    expect(report.after).toBeNull(); // the server went away: it is not asked again for figures
  } finally {
    rmSync(reportFile!, { force: true });
  }
}

describe("the server dies while migrate builds an index (a throwaway server of this test)", () => {
  const baseDirs: string[] = [];
  afterAll(() => {
    for (const dir of baseDirs) {
      try {
        destroyEmbedded(dir);
      } catch {
        rmSync(dir, { recursive: true, force: true }); // the server is already gone
      }
    }
  });

  it.each([
    { how: "kill -9 of the postmaster", signal: "SIGKILL" as const },
    { how: "immediate shutdown (what pg_ctl stop -m immediate sends)", signal: "SIGQUIT" as const },
  ])("$how: exit 3 naming the index being built; the report is written with what was done", async ({ signal }) => {
    const baseDir = suiteServerDir("migrate-crash");
    baseDirs.push(baseDir);
    const server = await startEmbedded({ baseDir, port: await findFreePort(), portExplicit: true, noSync: true });
    const target: DatabaseTarget = { url: server.databaseUrl, display: maskUrl(server.databaseUrl), source: "DATABASE_URL" };
    await applyBaseSchema(target);
    const seedSql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
    await seedDatabase(seedSql as never, { scale: 0.02, seed: 5, anchor: currentHourUtc() });

    const blocker = await holdOldSnapshot(server.databaseUrl);
    const run = startMigrate(server.databaseUrl);
    try {
      const building = await waitForCommittedBuild(seedSql);
      expect(building.index).toBe(migrate.firstBuild.index.name);
      process.kill(runningPid(server.dataDir)!, signal);
      await expectWentAwayWithReport(run.done, building.index);
    } finally {
      run.child.kill("SIGKILL");
      await blocker.abandon();
      await seedSql.end({ timeout: 0 }).catch(() => {});
    }
  }, 240_000);
});

describe("the build's backend is terminated while the server stays up", () => {
  // Without the race of a dying server: the figures could be read now, but a
  // migration that lost its server is final, so the report is the same as when
  // the server died (it must not depend on which backend the postmaster signals first).
  it("exit 3 naming the index; the report has no after-figures, the same as when the server dies", async () => {
    const db = await migrate.baseDatabase("migrate_terminated");
    const blocker = await holdOldSnapshot(db.url);
    const run = startMigrate(db.url);
    try {
      const building = await waitForCommittedBuild(db.sql);
      await db.sql`SELECT pg_terminate_backend(${building.pid})`;
      await expectWentAwayWithReport(run.done, building.index);
    } finally {
      run.child.kill("SIGKILL");
      await blocker.release();
    }
  }, 240_000);
});

describe("a migrate killed with SIGKILL mid-build", () => {
  it("the re-run names the orphaned build's backend pid, its index, and what to do; once it ends, migrate completes", async () => {
    const db = await migrate.baseDatabase("migrate_orphan");
    const blocker = await holdOldSnapshot(db.url);
    let released = false;
    try {
      const run = startMigrate(db.url);
      const building = await waitForCommittedBuild(db.sql);
      run.child.kill("SIGKILL");
      expect((await run.done).signal).toBe("SIGKILL");
      // The server goes on with the build (it waits for our snapshot) and holds the lock.
      expect((await db.sql`SELECT 1 FROM pg_stat_progress_create_index WHERE pid = ${building.pid}`).length).toBe(1);

      const rerun = await runScript("migrate.ts", ["--no-report"], { DATABASE_URL: db.url });
      expect(rerun.code, rerun.stderr).toBe(EXIT.failed);
      expect(looksLikeCleanError(rerun.stderr)).toBe(true);
      expect(rerun.stderr).toContain(`backend pid ${building.pid}`);
      expect(rerun.stderr).toContain(`building index ${building.index}`);
      expect(rerun.stderr).toContain("pg_stat_progress_create_index");
      expect(rerun.stderr).toContain(`pg_cancel_backend(${building.pid})`);
      expect(rerun.stderr).toMatch(/wait for it/i);

      // Let it finish: the orphan completes, its session ends, the lock is free.
      released = true;
      await blocker.release();
      await waitFor(async () => (await db.sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${building.pid}`).length, (n) => n === 0, "the orphaned build's session to end", 120_000);
      const report = await runMigrations(db, { writeReport: false });
      expect(report.status).toBe("ok");
      const states = await indexStates(db.sql, migrate.migrations.map((m) => m.index.name));
      expect(states.filter((s) => !s.valid)).toEqual([]);
      expect(states).toHaveLength(migrate.migrations.length);
    } finally {
      if (!released) await blocker.release();
    }
  }, 300_000);
});

describe("a run that stopped before its ANALYZE", () => {
  it("the re-run ANALYZEs every table whose performance indexes were built since its last ANALYZE, not only this run's", async () => {
    const db = await migrate.baseDatabase("migrate_stats");
    const tables = [...new Set(migrate.migrations.map((m) => m.index.table))];
    // Autovacuum must not analyze behind the test's back.
    for (const table of tables) {
      // (a table a later migration creates does not exist yet)
      if ((await db.sql`SELECT to_regclass(${table}) AS t`)[0]!.t) await db.sql.unsafe(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    }
    const firstLater = migrate.migrations.find((m) => m.index.table === "scheduled_tasks")!;
    const earlierTables = [...new Set(migrate.migrations.slice(0, migrate.migrations.indexOf(firstLater)).map((m) => m.index.table))].sort();
    expect(earlierTables).toContain("phone_contacts");

    // The run stops at the first scheduled_tasks index (its table lock is taken), after
    // building every phone_contacts and conversation_messages index, before any ANALYZE.
    const holder = await db.sql.reserve();
    await holder`BEGIN`;
    await holder`LOCK TABLE scheduled_tasks IN SHARE UPDATE EXCLUSIVE MODE`;
    try {
      await expect(runMigrations(db, { writeReport: false, pgSettings: { lock_timeout: "300ms" } })).rejects.toThrow(firstLater.index.name);
    } finally {
      await holder`ROLLBACK`;
      holder.release();
    }
    const expressionStats = async () => (await db.sql`SELECT 1 FROM pg_stats WHERE tablename = 'idx_phone_contacts_email_lower'`).length;
    expect(await expressionStats()).toBe(0);

    const rerun = await runMigrations(db, { writeReport: false });
    expect(rerun.applied[0]!.index).toBe(firstLater.index.name);
    expect(rerun.analyze?.tables).toEqual(expect.arrayContaining(tables));
    // Tables the re-run builds on anyway are analyzed as "this run's"; the others only because they lacked statistics.
    const rerunTables = new Set(rerun.applied.flatMap((a) => (a.table ? [a.table] : [])));
    expect(rerun.analyze?.lackingStatistics).toEqual(earlierTables.filter((t) => !rerunTables.has(t)));
    expect(rerun.analyze?.lackingStatistics).toContain("phone_contacts");
    expect(await expressionStats()).toBeGreaterThan(0);

    // Nothing lacks statistics any more: a third run analyzes nothing.
    const third = await runMigrations(db, { writeReport: false });
    expect(third.applied).toEqual([]);
    expect(third.analyze).toBeNull();
  }, 300_000);
});

describe("rollback on a database that was never migrated", () => {
  it("says there is nothing to roll back and exits 0", async () => {
    const db = migrate.dropAfterTest(await createDatabase("rollback_nothing"));
    const result = await runScript("rollback.ts", [], { DATABASE_URL: db.url });
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/nothing to roll back: .*never migrated \(no graphile_migrate schema\)/);
    expect(result.stderr).not.toMatch(/error|\n\s+at /);
    expect((await db.sql`SELECT to_regclass('graphile_migrate.migrations') AS t`)[0]!.t).toBeNull();
  });
});
