// Live activity against a real server: a running pg_sleep, a lock wait and an
// idle-in-transaction session are seen as such, and the cancel/terminate
// rules hold. Every wait polls the server's state with a generous deadline.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../src/db/index.ts";
import { activity, blockedStatements, connectionSummary, idleInTransaction, runningStatements } from "../src/observe/activity.ts";
import { isValidPid, signalBackend } from "../src/observe/backend-control.ts";
import { normalizeStatement } from "../src/observe/normalize-sql.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";
import { testSessions } from "./support/sessions.ts";
import { waitFor } from "./support/wait-for.ts";

const SECRET = "+1-555-0142-NEVER-SHOW";

describe("normalizeStatement", () => {
  it("replaces every literal with $n and keeps the shape", () => {
    expect(normalizeStatement("SELECT pg_sleep(30)")).toBe("SELECT pg_sleep($1)");
    expect(normalizeStatement(`SELECT * FROM contacts WHERE phone = '${SECRET}' AND id > 10 AND name = $1`)).toBe("SELECT * FROM contacts WHERE phone = $2 AND id > $3 AND name = $1");
    expect(normalizeStatement("SELECT E'a\\'b', 'it''s', $$body ' x$$, $t$y$t$, 1.5e3, x1, \"col 2\" -- '555'\n/* 'c' */ FROM t2")).toBe('SELECT $1, $2, $3, $4, $5, x1, "col 2" FROM t2');
    expect(normalizeStatement("ALTER ROLE app PASSWORD 'hunter2-secret")).toBe("ALTER ROLE app PASSWORD $1");
  });
});

describe("live activity", () => {
  let db: TestDatabase;
  const sessions = testSessions();
  const client = (applicationName: string) => sessions.open(db.url, applicationName);
  const pidOf = sessions.pidOf;

  beforeAll(async () => {
    db = await createDatabase("activity");
    await db.sql`CREATE TABLE accounts (id int PRIMARY KEY, balance int)`;
    await db.sql`INSERT INTO accounts VALUES (1, 100), (2, 200)`;
  });
  afterAll(async () => {
    await sessions.closeAll();
    await db?.drop();
  });

  it("a running pg_sleep is listed with its duration and normalized text, then cancelled by pid", async () => {
    const sleeper = client("activity-sleeper");
    const pid = await pidOf(sleeper);
    const sleeping = sleeper.unsafe(`SELECT pg_sleep(60), '${SECRET}' AS tag`).then(
      () => "finished",
      (e: { code?: string }) => e.code,
    );
    const running = await waitFor(() => runningStatements(db.sql), (rows) => rows.some((r) => r.pid === pid && r.query.includes("pg_sleep")), "pg_sleep to show as running");
    const row = running.find((r) => r.pid === pid)!;
    expect(row).toMatchObject({ applicationName: "activity-sleeper", state: "active", backendType: "client backend", query: "SELECT pg_sleep($1), $2 AS tag" });
    expect(row.durationMs).toEqual(expect.any(Number));
    expect(JSON.stringify(running)).not.toContain(SECRET);

    const summary = await connectionSummary(db.sql);
    expect(summary.maxConnections).toBeGreaterThan(0);
    expect(summary.total).toBeGreaterThanOrEqual(2);
    expect(summary.byApplication).toEqual(expect.arrayContaining([expect.objectContaining({ applicationName: "activity-sleeper", count: 1, active: 1 })]));
    expect(summary.byState.find((s) => s.state === "active")!.count).toBeGreaterThanOrEqual(1);

    const outcome = await signalBackend(db.sql, "cancel", pid, { protectedApplicationName: "not-this-one" });
    expect(outcome).toMatchObject({ outcome: "signalled", action: "cancel", pid, target: { applicationName: "activity-sleeper" } });
    expect(await sleeping).toBe("57014");
  });

  it("a lock wait shows the blocked statement and its blocker; the blocker is idle in transaction", async () => {
    const holder = client("activity-holder");
    const waiter = client("activity-waiter");
    const holderPid = await pidOf(holder);
    const waiterPid = await pidOf(waiter);
    await holder.unsafe("BEGIN");
    await holder.unsafe("UPDATE accounts SET balance = balance + 1 WHERE id = 1");
    const waiting = waiter.unsafe("UPDATE accounts SET balance = balance - 5 WHERE id = 1").then(() => "updated", (e: { code?: string }) => e.code);

    const blocked = await waitFor(() => blockedStatements(db.sql), (rows) => rows.some((r) => r.blocked.pid === waiterPid), "the waiter to be blocked");
    const entry = blocked.find((r) => r.blocked.pid === waiterPid)!;
    expect(entry.blockedBy).toEqual([holderPid]);
    expect(entry.blocked).toMatchObject({ applicationName: "activity-waiter", waitEventType: "Lock", query: "UPDATE accounts SET balance = balance - $1 WHERE id = $2" });
    expect(entry.blockers).toEqual([expect.objectContaining({ pid: holderPid, applicationName: "activity-holder", state: "idle in transaction" })]);

    const idle = await idleInTransaction(db.sql);
    expect(idle).toEqual(expect.arrayContaining([expect.objectContaining({ pid: holderPid, state: "idle in transaction", transactionMs: expect.any(Number) })]));
    const all = await activity(db.sql);
    expect(all.blocked.map((b) => b.blocked.pid)).toContain(waiterPid);
    expect(all.idleInTransaction.map((b) => b.pid)).toContain(holderPid);

    // Ending the idle transaction's session frees the waiter.
    expect(await signalBackend(db.sql, "terminate", holderPid, { protectedApplicationName: "x" })).toMatchObject({ outcome: "signalled", action: "terminate" });
    expect(await waiting).toBe("updated");
    await waitFor(() => idleInTransaction(db.sql), (rows) => !rows.some((r) => r.pid === holderPid), "the terminated session to be gone");
  });

  it("refuses server processes, other databases, the API's own connections and unknown pids", async () => {
    const [launcher] = await db.sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE backend_type = 'autovacuum launcher'`;
    if (launcher) {
      expect(await signalBackend(db.sql, "terminate", launcher.pid, { protectedApplicationName: "x" })).toMatchObject({ outcome: "refused", reason: expect.stringContaining("server process") });
    }
    const [checkpointer] = await db.sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`;
    expect(await signalBackend(db.sql, "cancel", checkpointer!.pid, { protectedApplicationName: "x" })).toMatchObject({ outcome: "refused", reason: expect.stringContaining("checkpointer") });

    const own = client("the-api-pool");
    const ownPid = await pidOf(own);
    expect(await signalBackend(db.sql, "terminate", ownPid, { protectedApplicationName: "the-api-pool" })).toMatchObject({ outcome: "refused", reason: expect.stringContaining("own pool") });
    expect((await own`SELECT 1 AS one`)[0]).toEqual({ one: 1 });

    const reserved = await db.sql.reserve();
    try {
      const [self] = await reserved<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      expect(await signalBackend(reserved as unknown as Sql, "cancel", self!.pid, { protectedApplicationName: "x" })).toMatchObject({ outcome: "refused", reason: expect.stringContaining("own session") });
    } finally {
      reserved.release();
    }

    const elsewhere = sessions.open(db.rootUrl!, "other-db");
    const elsewherePid = await pidOf(elsewhere);
    expect(await signalBackend(db.sql, "terminate", elsewherePid, { protectedApplicationName: "x" })).toMatchObject({ outcome: "refused", reason: expect.stringContaining("belongs to database") });

    expect(await signalBackend(db.sql, "cancel", 2_147_483_000, { protectedApplicationName: "x" })).toEqual({ outcome: "not-found", pid: 2_147_483_000 });
    expect(isValidPid(0)).toBe(false);
    expect(isValidPid(-3)).toBe(false);
    expect(isValidPid(1.5)).toBe(false);
    expect(isValidPid(2 ** 31)).toBe(false);
    await expect(signalBackend(db.sql, "cancel", 0, { protectedApplicationName: "x" })).rejects.toThrow(RangeError);
  });
});
