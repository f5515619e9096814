// Safe on live tables: a writer inserting and updating rows while the index
// migrations run is never blocked for a whole build. The same writer against
// a plain CREATE INDEX (in a transaction, as a naive migration would run it)
// IS blocked for the whole build — so the assertion is known to discriminate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCommittedMigrations } from "../src/migrate/performance-migrations.ts";
import { applyBaseSchema } from "../src/migrate/rollback.ts";
import { runMigrations, type MigrationReport } from "../src/migrate/run.ts";
import { startWriter, type WriterStats } from "../src/bench/concurrent-writer.ts";
import { seedDatabase, todayUtc } from "../src/seed/generate.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";
import { waitFor } from "./support/wait-for.ts";

/** Large enough that the trigram index on message content takes seconds to build. */
const SCALE = 0.5;
/** The writer is running (not just connected) once it has this many statements done. */
const WARM_STATEMENTS = 10;

describe("a concurrent writer during the index migrations", () => {
  let db: TestDatabase;
  let report: MigrationReport;
  let during: WriterStats;

  beforeAll(async () => {
    db = await createDatabase("migrate_writer");
    await applyBaseSchema(db);
    await seedDatabase(db.sql, { scale: SCALE, seed: 11, anchor: todayUtc() });
    const writer = await startWriter(db, { pauseMs: 2 });
    await waitFor(async () => writer.samples.length, (n) => n >= WARM_STATEMENTS, "the writer to get going");
    try {
      report = await runMigrations(db, { writeReport: false });
    } finally {
      during = await writer.stop();
    }
  }, 300_000);
  afterAll(() => db?.drop());

  it("keeps writing through every build, never waiting for a whole build", async () => {
    // Every index build ran (other migrations after the base schema, e.g. the inbox's, run too).
    // Every index build of the set's history ran, also of indexes a later migration drops (the consolidation).
    expect(report.applied.filter((a) => a.index).length).toBe((await readCommittedMigrations()).filter((m) => m.index).length);
    const longest = report.applied.reduce((a, b) => (b.ms > a.ms ? b : a));
    // The premise: at least one build long enough that blocking would show.
    expect(longest.ms, `${longest.index} built in ${longest.ms} ms`).toBeGreaterThan(1000);
    expect(during.errors, during.firstError ?? "").toBe(0);
    expect(during.statements).toBeGreaterThan(50);
    expect(during.worstMs, `worst writer statement ${during.worstMs} ms (${during.worstStatement}) vs ${longest.index} ${longest.ms} ms`).toBeLessThan(longest.ms / 2);
  });

  it("the same writer IS blocked for the whole build by a plain CREATE INDEX (the check discriminates)", async () => {
    const writer = await startWriter(db, { pauseMs: 2 });
    await waitFor(async () => writer.samples.length, (n) => n >= WARM_STATEMENTS, "the writer to get going");
    const t0 = performance.now();
    let buildMs: number;
    let blocked: WriterStats;
    try {
      await db.sql.begin(async (tx) => {
        await tx`CREATE INDEX plain_content_trgm ON conversation_messages USING gin (content gin_trgm_ops)`;
      });
    } finally {
      buildMs = performance.now() - t0;
      // The statement the build blocked has finished once the writer has moved on past it.
      const done = writer.samples.length;
      await waitFor(async () => writer.samples.length, (n) => n > done, "the writer to resume after the build");
      blocked = await writer.stop();
      await db.sql`DROP INDEX IF EXISTS plain_content_trgm`;
    }
    expect(buildMs).toBeGreaterThan(1000);
    expect(blocked.worstMs, `worst writer statement ${blocked.worstMs} ms during a ${buildMs} ms plain build`).toBeGreaterThanOrEqual(buildMs / 2);
  });
});
