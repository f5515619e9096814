// Ctrl-C (SIGINT) and SIGTERM stop a command with ONE line saying what was
// interrupted and what state is left, and exit 130 / 143 (runCommand,
// src/cli/run-command.ts). Each case waits for the command's own progress (a
// line it printed, a migration recorded), never for elapsed time, then
// signals it and checks the line, the exit code and the database.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNAL_EXIT } from "../src/commands/run-command.ts";
import { COMMAND_BIN, PROJECT_ROOT } from "../src/base/project-paths.ts";
import { tableRowCounts } from "../src/seed/generate.ts";
import type { TestDatabase } from "./support/databases.ts";
import { waitFor } from "./support/wait-for.ts";
import { baseSchemaDatabase, baseSeededDatabase } from "./verify-support.ts";

interface Running {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** `npm run <verb>` as npm runs it (the one bin), with its output kept as it arrives. */
function start(verb: string, args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [COMMAND_BIN, verb, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CI: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout!.on("data", (d) => (text += d));
  child.stderr!.on("data", (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, output: () => text, exited };
}

const interruptedLines = (output: string) => output.split("\n").filter((l) => / \((SIGINT|SIGTERM), exit \d+\)$/.test(l));

describe("commands stopped by a signal", () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it("verify + SIGINT: exit 130, one line: nothing changed, no report", async () => {
    const db = await baseSeededDatabase("sigverify", 0.05);
    dbs.push(db);
    const run = start("verify", ["--stats-samples", "0"], { DATABASE_URL: db.url });
    await waitFor(async () => run.output(), (o) => /verifying .*queries/.test(o), "verify to start measuring");
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(SIGNAL_EXIT.SIGINT);
    expect(interruptedLines(run.output())).toEqual([expect.stringMatching(/^verify interrupted: nothing changed on the server .* no report was written; run npm run verify again \(SIGINT, exit 130\)$/)]);
    expect(run.output()).not.toMatch(/internal error|\n\s+at /);
  });

  it("seed + SIGTERM while loading: exit 143, one line: nothing committed, and the tables are as they were", async () => {
    const db = await baseSchemaDatabase("sigseed");
    dbs.push(db);
    const run = start("seed", ["--scale", "1"], { DATABASE_URL: db.url });
    // The first table is being loaded inside the seed's transaction.
    await waitFor(async () => run.output(), (o) => /seeding .* at scale 1/.test(o), "seed to start");
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(SIGNAL_EXIT.SIGTERM);
    expect(interruptedLines(run.output())).toEqual([expect.stringMatching(/^seed interrupted while loading: nothing was committed .* run npm run seed again \(SIGTERM, exit 143\)$/)]);
    expect(Object.values(await tableRowCounts(db.sql)).every((n) => n === 0)).toBe(true);
  });

  it("migrate + SIGINT during the migrations: exit 130, one line naming the migration (and index) and the re-run", async () => {
    const db = await baseSeededDatabase("sigmigrate", 0.3);
    dbs.push(db);
    const run = start("migrate", ["--no-report"], { DATABASE_URL: db.url });
    // State, not time: the first performance migration is recorded in graphile-migrate's ledger.
    await waitFor(
      async () => ((await db.sql`SELECT count(*)::int AS n FROM graphile_migrate.migrations`.catch(() => [{ n: 0 }])) as unknown as [{ n: number }])[0].n,
      (n) => n >= 2,
      "a migration to be applied",
    );
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(SIGNAL_EXIT.SIGINT);
    const [line] = interruptedLines(run.output());
    expect(interruptedLines(run.output())).toHaveLength(1);
    // Where it stopped depends on the machine: during a migration (named), or after the last one.
    expect(line).toMatch(/^(migration \d{6}\S*\.sql interrupted \(\d+ of this run's \d+ applied before it\)(; the server may still be building idx_\w+ \(.*?\))?; run npm run migrate again: it drops an INVALID leftover index and applies the rest|migrate interrupted after its migrations .*) \(SIGINT, exit 130\)$/);
    // The server may still be building the index the run was creating (the line says so), holding
    // graphile-migrate's lock until it ends; a re-run before that exits 5 saying to wait. Wait (on state)
    // for the build and the lock to be gone, as that message advises; then the re-run completes the set.
    await waitFor(
      async () =>
        ((await db.sql`
          SELECT (SELECT count(*) FROM pg_stat_progress_create_index WHERE datid = d.oid)::int
               + (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = d.oid)::int AS n
          FROM pg_database d WHERE d.datname = current_database()`) as unknown as [{ n: number }])[0].n,
      (n) => n === 0,
      "the interrupted index build and the migration lock to be gone",
      120_000,
    );
    const again = start("migrate", ["--no-report"], { DATABASE_URL: db.url });
    expect(await again.exited, again.output()).toBe(0);
  });
});
