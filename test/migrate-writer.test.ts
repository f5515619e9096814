// Safe on live tables: a writer inserting and updating rows while the index
// migrations run is never blocked by an index build (pg_blocking_pids of every
// lock wait it is seen in), while index builds are seen running. Its other
// lock waits are brief ones behind migrations that are not index builds and
// hold a lock by design: row waits behind one committed batch of a backfill
// (it upserts the rows the writer's triggers do) and the instant a trigger
// migration takes to install its trigger. The same writer against a plain
// CREATE INDEX (in a transaction, as a naive migration would run it) IS seen
// blocked by that build — so the check is known to discriminate.
// State, not durations: how long a build takes depends on the machine.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCommittedMigrations } from "../src/migrate/performance-migrations.ts";
import { applyBaseSchema } from "../src/migrate/rollback.ts";
import { runMigrations, type MigrationReport } from "../src/migrate/run.ts";
import { startWriter, type WriterStats } from "../src/bench/concurrent-writer.ts";
import { seedDatabase, currentHourUtc } from "../src/seed/generate.ts";
import { createDatabase, rootTarget, type TestDatabase } from "./support/databases.ts";
import { openSql } from "../src/db/index.ts";
import { waitFor } from "./support/wait-for.ts";

/** Large enough that the index builds last well past a few activity samples. */
const SCALE = 0.5;
/** application_name of startWriter's session. */
const WRITER = "bollalabz-db writer";

interface ActivityWatch {
  /** Samples in which the writer was waiting on a heavyweight lock: "<wait event>: <query>", and the statements of the sessions blocking it. */
  readonly writerLockWaits: { wait: string; blockers: string[] }[];
  /** Index builds seen running (query text, once each). */
  readonly buildsSeen: Set<string>;
  samples: number;
  stop(): Promise<void>;
}

/** Sample pg_stat_activity of one database until stopped: the writer's waits and the running index builds. */
function watchActivity(database: string): ActivityWatch {
  const sql = openSql(rootTarget(), { max: 1, applicationName: "migrate-writer watcher" });
  let stopping = false;
  const watch: ActivityWatch = {
    writerLockWaits: [],
    buildsSeen: new Set(),
    samples: 0,
    async stop() {
      stopping = true;
      await loop;
      await sql.end({ timeout: 5 });
    },
  };
  const loop = (async () => {
    while (!stopping) {
      const rows = await sql<{ application_name: string; wait_event_type: string | null; wait_event: string | null; query: string; blockers: string[] }[]>`
        SELECT a.application_name, a.wait_event_type, a.wait_event, a.query,
               ARRAY(SELECT b.query FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(a.pid))) AS blockers
        FROM pg_stat_activity a
        WHERE a.datname = ${database} AND a.state = 'active' AND a.pid <> pg_backend_pid()`;
      watch.samples++;
      for (const r of rows) {
        if (r.application_name === WRITER && r.wait_event_type === "Lock") watch.writerLockWaits.push({ wait: `${r.wait_event}: ${r.query}`, blockers: r.blockers });
        if (/CREATE\s+(UNIQUE\s+)?INDEX/i.test(r.query) && r.application_name !== WRITER) watch.buildsSeen.add(r.query.slice(0, 120));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return watch;
}
const INDEX_BUILD = /CREATE\s+(UNIQUE\s+)?INDEX/i;
/** The writer's lock waits whose blocker is an index build. */
const blockedByIndexBuild = (watch: ActivityWatch) => watch.writerLockWaits.filter((w) => w.blockers.some((q) => INDEX_BUILD.test(q)));
/** The writer is running (not just connected) once it has this many statements done. */
const WARM_STATEMENTS = 10;

describe("a concurrent writer during the index migrations", () => {
  let db: TestDatabase;
  let report: MigrationReport;
  let during: WriterStats;
  let activity: ActivityWatch;

  beforeAll(async () => {
    db = await createDatabase("migrate_writer");
    await applyBaseSchema(db);
    await seedDatabase(db.sql, { scale: SCALE, seed: 11, anchor: currentHourUtc() });
    const writer = await startWriter(db, { pauseMs: 2 });
    await waitFor(async () => writer.samples.length, (n) => n >= WARM_STATEMENTS, "the writer to get going");
    activity = watchActivity(db.name);
    try {
      report = await runMigrations(db, { writeReport: false });
    } finally {
      await activity.stop();
      during = await writer.stop();
    }
  }, 300_000);
  afterAll(() => db?.drop());

  it("keeps writing through every build, never blocked by one", async () => {
    // Every index build of the set's history ran, also of indexes a later migration drops (the consolidation).
    expect(report.applied.filter((a) => a.index).length).toBe((await readCommittedMigrations()).filter((m) => m.index).length);
    // The premise: builds were seen in progress while the writer wrote, so a lock wait would have been sampled.
    expect(activity.buildsSeen.size, `${activity.samples} samples`).toBeGreaterThan(0);
    // No wait behind an index build, ever (other migrations' brief waits are by design: see the top of the file).
    expect(blockedByIndexBuild(activity)).toEqual([]);
    expect(during.errors, during.firstError ?? "").toBe(0);
    expect(during.statements).toBeGreaterThan(WARM_STATEMENTS);
  });

  it("the same writer IS seen waiting on a lock behind a plain CREATE INDEX (the check discriminates)", async () => {
    const writer = await startWriter(db, { pauseMs: 2 });
    await waitFor(async () => writer.samples.length, (n) => n >= WARM_STATEMENTS, "the writer to get going");
    const watch = watchActivity(db.name);
    try {
      await db.sql.begin(async (tx) => {
        await tx`CREATE INDEX plain_content_trgm ON conversation_messages USING gin (content gin_trgm_ops)`;
        // The build's SHARE lock is held until commit: the writer's next write to the table queues behind it.
        await waitFor(async () => blockedByIndexBuild(watch).length, (n) => n > 0, "the writer to wait on the plain build's lock");
      });
      // The statement that waited finishes once the lock is gone: the writer moves on.
      const done = writer.samples.length;
      await waitFor(async () => writer.samples.length, (n) => n > done, "the writer to resume after the build");
    } finally {
      await watch.stop();
      const stats = await writer.stop();
      expect(stats.errors, stats.firstError ?? "").toBe(0);
      await db.sql`DROP INDEX IF EXISTS plain_content_trgm`;
    }
    const [wait] = blockedByIndexBuild(watch);
    expect(wait?.wait).toMatch(/^relation: (INSERT|UPDATE)/);
    expect(wait?.blockers.join(" ")).toContain("plain_content_trgm");
  });
});
