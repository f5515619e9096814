// The analytics rollups and per-contact counters (migrations 000071-000078): after any mix of
// inserts, updates of every column they group or sum by, deletes and
// truncates, from 8 concurrent writers, every rollup equals the aggregate over
// its raw table (property style: a seeded random generator, several rounds);
// the backfill counts a live table exactly once while writes go on; the view
// refreshes concurrently and verify's freshness check names what is stale.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { applyMigrations } from "../src/migrate/graphile.ts";
import { subsetMigrationsFolder } from "../src/migrate/migrations-folder.ts";
import { MAINTAINED_ROLLUPS, checkFreshness, refreshViews, rollupMismatches, startRefreshSchedule } from "../src/rollups/index.ts";
import { seedDatabase, currentHourUtc } from "../src/seed/generate.ts";
import { CATALOG } from "../src/catalog/entries.ts";
import { createDatabase, migratedDatabase, seededDatabase, type TestDatabase } from "./support/databases.ts";
import { waitFor } from "./support/wait-for.ts";

const EVERYTHING = { from: new Date("1970-01-01T00:00:00Z"), to: new Date("2200-01-01T00:00:00Z") };

/** Every group where a rollup differs from its raw aggregate, over all time. */
async function allMismatches(db: TestDatabase): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const r of MAINTAINED_ROLLUPS) {
    out[r.table] = r.window === "time" ? await rollupMismatches(db.sql, r, EVERYTHING.from, EVERYTHING.to) : await rollupMismatches(db.sql, r, 0, 2 ** 53);
  }
  return out;
}
const NONE = Object.fromEntries(MAINTAINED_ROLLUPS.map((r) => [r.table, []]));

/** mulberry32: a small seeded generator, so a failing round can be replayed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIRECTIONS = ["inbound", "outbound"];
const STATUSES = ["queued", "sent", "delivered", "read", "failed"];
const TASK_STATUSES = ["pending", "in_progress", "completed", "cancelled"];

/**
 * One writer's random statements. Each writer changes only the rows it wrote
 * (content / call_sid prefix) so writers never wait on each other's rows, but
 * they all add to the same rollup rows: the concurrency the rollups must
 * survive. Multi-statement transactions commit or roll back at random.
 */
async function writer(
  url: string, id: number, seed: number, operations: number, contacts: number[], transactions = true,
): Promise<{ deadlocks: number; statements: number }> {
  const rnd = generator(seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const tag = `w${id}s${seed} `;
  let serial = 0;
  let deadlocks = 0;
  let statements = 0;
  const statement = (tx: postgres.Sql): Promise<unknown> => {
    statements++;
    const hours = Math.floor(rnd() * 24 * 40) - 24 * 35;
    const k = 2 + Math.floor(rnd() * 4);
    const r = Math.floor(rnd() * k);
    switch (Math.floor(rnd() * 15)) {
      case 12: {
        const n = 1 + Math.floor(rnd() * 10);
        const rows = Array.from({ length: n }, () => {
          const status = pick(TASK_STATUSES);
          return { contact_id: rnd() < 0.1 ? null : pick(contacts), title: `${tag}${serial++}`, status, completed_at: status === "completed" ? new Date() : null };
        });
        return tx`INSERT INTO scheduled_tasks ${tx(rows, "contact_id", "title", "status", "completed_at")}`;
      }
      case 13: {
        const status = pick(TASK_STATUSES);
        return tx`UPDATE scheduled_tasks SET status = ${status}, completed_at = ${status === "completed" ? new Date() : null}, contact_id = ${rnd() < 0.5 ? pick(contacts) : null}
                  WHERE title LIKE ${tag + "%"} AND id % ${k} = ${r}`;
      }
      case 14:
        return tx`DELETE FROM scheduled_tasks WHERE title LIKE ${tag + "%"} AND id % ${k} = ${r}`;
      case 0:
      case 1: {
        const n = 1 + Math.floor(rnd() * 40);
        const rows = Array.from({ length: n }, () => ({
          contact_id: pick(contacts), direction: pick(DIRECTIONS), status: pick(STATUSES), content: `${tag}${serial++}`,
          created_at: new Date(Date.now() + (hours + Math.floor(rnd() * 48)) * 3_600_000),
        }));
        return tx`INSERT INTO conversation_messages ${tx(rows, "contact_id", "direction", "status", "content", "created_at")}`;
      }
      case 2:
        return tx`UPDATE conversation_messages SET status = ${pick(STATUSES)} WHERE content LIKE ${tag + "%"} AND id % ${k} = ${r}`;
      case 3:
        return tx`UPDATE conversation_messages SET created_at = created_at + ${hours} * interval '1 hour' WHERE content LIKE ${tag + "%"} AND id % ${k} = ${r}`;
      case 4:
        return tx`UPDATE conversation_messages SET direction = CASE direction WHEN 'inbound' THEN 'outbound' ELSE 'inbound' END, contact_id = ${pick(contacts)}
                  WHERE content LIKE ${tag + "%"} AND id % ${k} = ${r}`;
      case 5:
        return tx`UPDATE conversation_messages SET content = content || '.' WHERE content LIKE ${tag + "%"} AND id % ${k} = ${r}`;
      case 6:
        return tx`DELETE FROM conversation_messages WHERE content LIKE ${tag + "%"} AND id % ${k} = ${r}`;
      case 7:
      case 8: {
        const n = 1 + Math.floor(rnd() * 20);
        const rows = Array.from({ length: n }, () => ({
          contact_id: pick(contacts), call_sid: `${tag}${serial++}`, direction: pick(DIRECTIONS),
          billing_date: new Date(Date.now() + hours * 3_600_000).toISOString().slice(0, 10),
          duration_seconds: Math.floor(rnd() * 3600), cost: (rnd() * 20).toFixed(4),
        }));
        return tx`INSERT INTO call_costs ${tx(rows, "contact_id", "call_sid", "direction", "billing_date", "duration_seconds", "cost")}`;
      }
      case 9:
        return tx`UPDATE call_costs SET billing_date = billing_date + ${Math.floor(hours / 24)}::int, direction = ${pick(DIRECTIONS)} WHERE call_sid LIKE ${tag + "%"} AND id % ${k} = ${r}`;
      case 10:
        return tx`UPDATE call_costs SET cost = cost + 1.5, duration_seconds = duration_seconds + 7, contact_id = ${pick(contacts)} WHERE call_sid LIKE ${tag + "%"} AND id % ${k} = ${r}`;
      default:
        return tx`DELETE FROM call_costs WHERE call_sid LIKE ${tag + "%"} AND id % ${k} = ${r}`;
    }
  };
  try {
    for (let i = 0; i < operations; i++) {
      // A transaction of several statements locks rollup rows across
      // statements, in no global order: the app retries a deadlock (40P01),
      // and a single statement can be the victim such a cycle picks.
      const count = !transactions || rnd() < 0.7 ? 1 : 2 + Math.floor(rnd() * 3);
      const commit = rnd() < 0.75;
      for (;;) {
        try {
          await sql.begin(async (tx) => {
            for (let s = 0; s < count; s++) await statement(tx as unknown as postgres.Sql);
            if (!commit && count > 1) throw Object.assign(new Error("rollback"), { rollback: true });
          });
          break;
        } catch (error) {
          if ((error as { rollback?: boolean }).rollback) break;
          if ((error as { code?: string }).code === "40P01") {
            deadlocks++;
            continue;
          }
          throw error;
        }
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return { deadlocks, statements };
}

describe("rollups under 8 concurrent writers", () => {
  let db: TestDatabase;
  let contacts: number[];
  beforeAll(async () => {
    db = await migratedDatabase("rollups");
    await db.sql`
      INSERT INTO phone_contacts (contact_name, phone_number)
      SELECT 'Rollup ' || g, '+1555000' || lpad(g::text, 4, '0') FROM generate_series(1, 40) g`;
    contacts = (await db.sql<{ id: number }[]>`SELECT id FROM phone_contacts ORDER BY id`).map((r) => r.id);
  }, 120_000);
  afterAll(() => db?.drop());

  it("equal the raw aggregates after every round of random inserts, updates, deletes and truncates", async () => {
    const seed = 2112;
    const rnd = generator(seed);
    for (let round = 0; round < 4; round++) {
      // Round 0: single statements only. Each upserts its rollup rows in key
      // order (and the inbox's in contact order), so none may deadlock.
      const results = await Promise.all(Array.from({ length: 8 }, (_, w) => writer(db.url, w, seed * 100 + round * 10 + w, 25, contacts, round > 0)));
      expect(results.reduce((s, r) => s + r.statements, 0)).toBeGreaterThan(150);
      if (round === 0) expect(results.map((r) => r.deadlocks)).toEqual(Array(8).fill(0));
      expect(await allMismatches(db), `round ${round} (seed ${seed})`).toEqual(NONE);
      // Between rounds, the statements only one session makes at a time.
      if (round === 1) {
        await db.sql`TRUNCATE conversation_messages`;
        expect(await db.sql`SELECT 1 FROM message_hourly_rollup WHERE messages <> 0`).toHaveLength(0);
      } else if (round === 2) {
        await db.sql`TRUNCATE call_costs, scheduled_tasks`;
        expect(await db.sql`SELECT 1 FROM call_cost_daily_rollup WHERE calls <> 0`).toHaveLength(0);
        expect(await db.sql`SELECT 1 FROM contact_counters WHERE open_tasks <> 0`).toHaveLength(0);
      } else {
        // A deleted contact takes its messages along (ON DELETE CASCADE) and
        // leaves its calls and tasks without a contact (SET NULL): all fire the triggers.
        const gone = contacts.splice(Math.floor(rnd() * contacts.length), 1)[0]!;
        await db.sql`DELETE FROM phone_contacts WHERE id = ${gone}`;
      }
      expect(await allMismatches(db), `after round ${round}'s single-session step`).toEqual(NONE);
    }
    const [{ messages, calls }] = (await db.sql`SELECT (SELECT count(*) FROM conversation_messages) AS messages, (SELECT count(*) FROM call_costs) AS calls`) as unknown as [{ messages: number; calls: number }];
    expect(messages + calls).toBeGreaterThan(0);
  }, 300_000);

  it("a status update nets out in one grouped upsert: only the groups that changed move", async () => {
    await db.sql`INSERT INTO conversation_messages (contact_id, direction, status, content, created_at) SELECT ${contacts[0]!}, 'inbound', 'delivered', 'net ' || g, '2030-01-01T10:30:00Z' FROM generate_series(1, 10) g`;
    await db.sql`UPDATE conversation_messages SET status = 'read' WHERE content LIKE 'net %' AND content <= 'net 3'`;
    const rows = await db.sql<{ status: string; messages: number }[]>`
      SELECT status, messages FROM message_hourly_rollup WHERE hour = '2030-01-01T10:00:00Z' AND direction = 'inbound' ORDER BY status`;
    // 'net 1', 'net 10', 'net 2', 'net 3' sort at or below 'net 3'.
    expect(rows.map((r) => [r.status, Number(r.messages)])).toEqual([["delivered", 6], ["read", 4]]);
  });

  it("bucket every instant in its UTC hour, before the bucketing origin and under a half-hour session time zone", async () => {
    // The triggers bucket with date_bin from a UTC midnight in 2000 (000092);
    // verify's check and the seed's rebuild use date_trunc(..., 'UTC').
    const sql = postgres(db.url, { max: 1, onnotice: () => {}, connection: { TimeZone: "Asia/Kolkata" } });
    try {
      const instants = ["1969-12-31T23:59:59.999Z", "1999-12-31T23:30:00Z", "2000-01-01T00:00:00Z", "2026-03-29T01:59:59Z", "2031-07-01T12:00:00.5Z"];
      const rows = instants.map((at, i) => ({ contact_id: contacts[i % contacts.length]!, direction: "inbound", status: "delivered", content: `tz ${i}`, created_at: new Date(at) }));
      await sql`INSERT INTO conversation_messages ${sql(rows, "contact_id", "direction", "status", "content", "created_at")}`;
      await sql`UPDATE conversation_messages SET status = 'read', created_at = created_at + interval '30 minutes' WHERE content LIKE 'tz %' AND content <= 'tz 2'`;
      expect(await allMismatches(db)).toEqual(NONE);
      const [{ hours }] = (await sql`SELECT array_agg(to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') ORDER BY hour) AS hours FROM message_hourly_rollup WHERE hour < '2000-01-02' AND messages <> 0`) as unknown as [{ hours: string[] }];
      expect(hours).toEqual(["1970-01-01 00:00", "2000-01-01 00:00"]);
      await sql`DELETE FROM conversation_messages WHERE content LIKE 'tz %'`;
      expect(await allMismatches(db)).toEqual(NONE);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});

describe("the backfill migrations on a table with data and writes going on", () => {
  let db: TestDatabase;
  afterAll(() => db?.drop());

  it("count every row exactly once", async () => {
    db = await createDatabase("rollups_backfill");
    const before = await subsetMigrationsFolder((file) => !/^0000(7[1-9]|[89]\d)/.test(file));
    try {
      await applyMigrations(db, undefined, { migrationsFolder: before.folder });
    } finally {
      before.remove();
    }
    await seedDatabase(db.sql, { scale: 0.1, seed: 5, anchor: currentHourUtc() });
    expect((await db.sql`SELECT to_regclass('message_hourly_rollup') AS t`)[0]!.t).toBeNull();
    const contacts = (await db.sql<{ id: number }[]>`SELECT id FROM phone_contacts ORDER BY id LIMIT 30`).map((r) => r.id);
    // Writers that keep going until the migrations are done.
    let migrating = true;
    const writers = Array.from({ length: 3 }, async (_, w) => {
      let rounds = 0;
      while (migrating || rounds === 0) {
        await writer(db.url, w, 7000 + rounds * 10 + w, 5, contacts);
        rounds++;
      }
      return rounds;
    }).map((p) => p.catch((error: Error) => error));
    try {
      await applyMigrations(db);
    } finally {
      migrating = false;
    }
    const rounds = await Promise.all(writers);
    expect(rounds.filter((r) => r instanceof Error)).toEqual([]);
    expect(rounds.every((r) => (r as number) > 0)).toBe(true);
    const [{ pending }] = (await db.sql`SELECT count(*)::int AS pending FROM rollup_backfills WHERE done_below <= watermark`) as unknown as [{ pending: number }];
    expect(pending).toBe(0);
    expect(await allMismatches(db)).toEqual(NONE);
    const [{ total }] = (await db.sql`SELECT sum(messages)::int AS total FROM message_hourly_rollup`) as unknown as [{ total: number }];
    expect(total).toBeGreaterThan(10_000);
  }, 300_000);
});

describe("the leaderboard view, the catalog and verify's freshness check", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await seededDatabase("rollups_read", 0.1);
  }, 120_000);
  afterAll(() => db?.drop());

  it("every analytics entry answers exactly what its raw reference answers", async () => {
    await refreshViews(db.sql);
    const rollupEntries = CATALOG.filter((e) => CATALOG.some((r) => r.referenceFor === e.name));
    expect(rollupEntries.length).toBeGreaterThanOrEqual(6);
    for (const e of CATALOG.filter((e) => e.kind === "analytics" && e.referenceFor === undefined)) expect(rollupEntries).toContain(e);
    for (const entry of rollupEntries) {
      const reference = CATALOG.find((e) => e.referenceFor === entry.name);
      expect(reference, `${entry.name} has a raw reference`).toBeDefined();
      expect(entry.maxStalenessSeconds, `${entry.name} states its staleness`).toBeTypeOf("number");
      for (const picker of Object.values(entry.params)) {
        const [values] = await db.sql.unsafe(picker);
        const args = Object.values(values ?? {}) as never[];
        const [mine, raw] = await db.sql.begin("isolation level repeatable read", async (tx) => [
          await tx.unsafe(entry.sql, args),
          await tx.unsafe(reference!.sql, args),
        ]);
        // As sets of rows: a GROUP BY without ORDER BY may return them in any order.
        const rowsOf = (r: unknown) => (r as object[]).map((x) => JSON.stringify(x)).sort();
        expect(rowsOf(mine), entry.name).toEqual(rowsOf(raw));
        expect((raw as unknown[]).length, entry.name).toBeGreaterThan(0);
      }
    }
  });

  it("verify's check passes fresh rollups and names a rollup written around its triggers and a stale view", async () => {
    await refreshViews(db.sql);
    expect((await checkFreshness(db.sql)).filter((f) => !f.fresh)).toEqual([]);
    // A writer with triggers off (replica role) bypasses the rollup.
    const [{ changed }] = (await db.sql.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      return tx`
        UPDATE conversation_messages SET status = CASE status WHEN 'failed' THEN 'read' ELSE 'failed' END
        WHERE id = (SELECT max(id) FROM conversation_messages) RETURNING created_at AS changed`;
    })) as unknown as [{ changed: Date }];
    await db.sql`UPDATE materialized_view_refreshes SET refreshed_at = now() - interval '1 hour'`;
    const hour = new Date(Math.floor(changed.getTime() / 3_600_000) * 3_600_000);
    const stale = (await checkFreshness(db.sql, [{ from: hour, to: new Date(hour.getTime() + 3_600_000) }])).filter((f) => !f.fresh);
    expect(stale.map((f) => f.table).sort()).toEqual(["message_hourly_rollup", "top_contacts_30d"]);
    expect(stale.find((f) => f.table === "message_hourly_rollup")!.mismatches!.length).toBeGreaterThan(0);
  });

  it("serve's schedule refreshes the view, without blocking its readers", async () => {
    await db.sql`UPDATE materialized_view_refreshes SET refreshed_at = now() - interval '1 hour'`;
    const errors: Error[] = [];
    const refreshed: unknown[] = [];
    const schedule = startRefreshSchedule(db, { intervalSeconds: 3600, onError: (error) => errors.push(error), onRefresh: (done) => refreshed.push(...done) });
    try {
      await schedule.firstRun;
      expect(errors).toEqual([]);
      expect(refreshed).toHaveLength(1);
      await waitFor(
        async () => (await db.sql<{ age: number }[]>`SELECT extract(epoch FROM now() - refreshed_at)::float8 AS age FROM materialized_view_refreshes WHERE view_name = 'top_contacts_30d'`)[0]!.age,
        (age) => age < 600,
        "the scheduled refresh",
      );
    } finally {
      await schedule.stop();
    }
    const board = CATALOG.find((e) => e.name === "top_contacts_by_volume")!;
    expect(await db.sql.unsafe(board.sql)).toHaveLength(10);
  });
});
