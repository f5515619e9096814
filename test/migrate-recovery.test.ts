// A concurrent index build that fails (lock timeout) or is cancelled midway
// leaves an INVALID index and no ledger row; a plain re-run — `npm run
// migrate` (the runner's own recovery) or a bare `graphile-migrate migrate`
// (the beforeAllMigrations hook) — must end with every index valid.
// Also: the faults of the issue (lock timeout, unreachable server, missing
// base schema) give one clear message naming the index, and a non-zero exit.
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findInvalidIndexes } from "../src/checks/index-health.ts";
import { EXIT, UserError } from "../src/base/errors.ts";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { readCommittedMigrations } from "../src/migrate/performance-migrations.ts";
import { runMigrations } from "../src/migrate/run.ts";
import { indexStates } from "../src/migrate/stats.ts";
import type { TestDatabase } from "./support/databases.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { holdOldSnapshot, migrateFixtures } from "./support/migrate-fixtures.ts";

const migrate = migrateFixtures();

async function ledgerFiles(db: TestDatabase): Promise<string[]> {
  return (await db.sql<{ filename: string }[]>`SELECT filename FROM graphile_migrate.migrations ORDER BY filename`).map((r) => r.filename);
}

async function expectAllPerformanceIndexesValid(db: TestDatabase): Promise<void> {
  const states = await indexStates(db.sql, migrate.migrations.map((m) => m.index.name));
  expect(states).toHaveLength(migrate.migrations.length);
  expect(states.filter((s) => !s.valid).map((s) => s.index)).toEqual([]);
  expect(await findInvalidIndexes(db.sql)).toEqual([]);
  // Every committed migration (the base schema, the index builds and drops, the inbox's).
  expect(await ledgerFiles(db)).toHaveLength((await readCommittedMigrations()).length);
}

/** A user's shell PATH: whatever the test runner had, minus node_modules/.bin entries (npm run / npx add those). */
const userPath = (process.env.PATH ?? "").split(":").filter((p) => !p.includes("node_modules")).join(":");

/**
 * The graphile-migrate CLI as a user runs it, with the project's .gmrc.cjs:
 * "npx" = `npx graphile-migrate migrate` from a user's shell (npx puts
 * node_modules/.bin first on PATH); "system-path" = the CLI started by the
 * project's Node with only the system directories on PATH (a `node` there,
 * if any, is not the project's).
 */
function graphileMigrateCli(db: TestDatabase, mode: "npx" | "system-path"): Promise<{ code: number | null; output: string }> {
  const localNode = path.join(PROJECT_ROOT, "node_modules", ".bin", "node");
  const [command, args, pathEnv] =
    mode === "npx"
      ? ["npx", ["--no-install", "graphile-migrate", "migrate"], userPath]
      : [localNode, [path.join(PROJECT_ROOT, "node_modules", "graphile-migrate", "dist", "cli.js"), "migrate"], "/usr/local/bin:/usr/bin:/bin"];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, PATH: pathEnv, DATABASE_URL: db.url, SHADOW_DATABASE_URL: "", ROOT_DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("crash recovery", () => {
  it("npm run migrate stopped by lock_timeout names the index; npx graphile-migrate migrate (hook) then repairs it", async () => {
    const db = await migrate.baseDatabase("migrate_lock");
    const first = migrate.firstBuild;
    const blocker = await holdOldSnapshot(db.url);
    let result;
    try {
      result = await runScript("migrate.ts", ["--no-report"], { DATABASE_URL: db.url });
    } finally {
      await blocker.release();
    }
    expect(result.code).toBe(EXIT.failed);
    expect(looksLikeCleanError(result.stderr)).toBe(true);
    expect(result.stderr).toContain(first.index.name);
    expect(result.stderr).toContain("lock_timeout");
    // What the crash left: the index INVALID, no ledger row for it.
    expect((await findInvalidIndexes(db.sql)).map((i) => i.index)).toEqual([first.index.name]);
    expect(await ledgerFiles(db)).toEqual(["000001.sql"]);

    const cli = await graphileMigrateCli(db, "npx");
    expect(cli.output).toContain(`dropping INVALID index ${first.index.name}`);
    expect(cli.code, cli.output).toBe(0);
    await expectAllPerformanceIndexesValid(db);
  });

  it.each([
    { how: "cancelled (pg_cancel_backend)", fn: "pg_cancel_backend", exit: EXIT.failed, says: "cancel" },
    { how: "killed (pg_terminate_backend: its connection dies)", fn: "pg_terminate_backend", exit: EXIT.unreachable, says: "server went away" },
  ])("a build $how midway is rebuilt by the runner's own recovery", async ({ fn, exit, says }) => {
    const db = await migrate.baseDatabase("migrate_kill");
    const first = migrate.firstBuild;
    const blocker = await holdOldSnapshot(db.url);
    const run = runMigrations(db, { writeReport: false });
    const failed = run.then(
      () => undefined,
      (error: unknown) => error,
    );
    try {
      // Wait until the builder is inside CREATE INDEX CONCURRENTLY AND its
      // INVALID index is committed (visible in pg_index from this session):
      // the progress row alone appears before that commit, and a build
      // stopped then leaves nothing behind. Then cancel it.
      let cancelled = false;
      const deadline = Date.now() + 90_000;
      while (!cancelled && Date.now() < deadline) {
        const [row] = await db.sql<{ cancelled: boolean }[]>`
          SELECT CASE WHEN ${fn} = 'pg_cancel_backend' THEN pg_cancel_backend(p.pid) ELSE pg_terminate_backend(p.pid) END AS cancelled
          FROM pg_stat_progress_create_index p
          JOIN pg_index i ON i.indexrelid = p.index_relid AND NOT i.indisvalid
          WHERE p.datname = current_database() LIMIT 1`;
        cancelled = Boolean(row?.cancelled);
        if (!cancelled) await new Promise((r) => setTimeout(r, 50));
      }
      expect(cancelled).toBe(true);
    } finally {
      await blocker.release();
    }
    const error = await failed;
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(exit);
    expect((error as UserError).message).toContain(first.index.name);
    expect((error as UserError).message).toContain(says);
    expect((await findInvalidIndexes(db.sql)).map((i) => i.index)).toEqual([first.index.name]);

    const report = await runMigrations(db, { writeReport: false });
    expect(report.recovered).toEqual([first.index.name]);
    // Every index build of the set's history (also of indexes a later migration drops), in order.
    expect(report.applied.map((a) => a.index).filter(Boolean)).toEqual((await readCommittedMigrations()).flatMap((m) => (m.index ? [m.index.name] : [])));
    await expectAllPerformanceIndexesValid(db);
  });

  it("the hook does not depend on PATH: graphile-migrate with the system PATH (no project-local node) repairs too", async () => {
    const db = await migrate.baseDatabase("migrate_path");
    const blocker = await holdOldSnapshot(db.url);
    try {
      await expect(runMigrations(db, { writeReport: false, pgSettings: { lock_timeout: "500ms" } })).rejects.toThrow(migrate.firstBuild.index.name);
    } finally {
      await blocker.release();
    }
    expect(await findInvalidIndexes(db.sql)).toHaveLength(1);
    const cli = await graphileMigrateCli(db, "system-path");
    expect(cli.output).toContain(`dropping INVALID index ${migrate.firstBuild.index.name}`);
    expect(cli.code, cli.output).toBe(0);
    await expectAllPerformanceIndexesValid(db);
  });
});

describe("faults", () => {
  it("an unreachable server: exit 3, one clear line", async () => {
    const result = await runScript("migrate.ts", [], { DATABASE_URL: "postgres://postgres:secret@127.0.0.1:1/nowhere" });
    expect(result.code).toBe(EXIT.unreachable);
    expect(looksLikeCleanError(result.stderr)).toBe(true);
    expect(result.stderr).not.toContain("secret");
  });

  it("a database whose base schema is gone: names the first index, nothing is built", async () => {
    const db = await migrate.baseDatabase("migrate_noschema");
    await db.sql`DROP TABLE phone_contacts, conversation_messages, scheduled_tasks, relationship_interactions, workflow_triggers, people, call_costs, calendar_events CASCADE`;
    const error = await runMigrations(db, { writeReport: false }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(EXIT.notReady);
    expect((error as UserError).message).toContain(migrate.firstBuild.index.name);
    expect((error as UserError).message).toContain("base schema is missing");
    expect(await ledgerFiles(db)).toEqual(["000001.sql"]);
  });
});
