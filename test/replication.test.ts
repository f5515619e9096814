// Streaming replication against REAL servers: a primary and a hot standby made
// the way `npm run db:start -- --replicas 1` makes it (test/support/replication.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replicaStates, replicationSlots, standbyLag, nodeRole } from "../src/replication/status.ts";
import { replicaTargets } from "../src/replication/targets.ts";
import { waitForReplayLsn } from "../src/replication/wait.ts";
import { EXIT, UserError } from "../src/cli/errors.ts";
import type { FastifyInstance } from "fastify";
import { buildHealthApp } from "../src/health/server.ts";
import { POOL_DEFAULTS } from "../src/pool/config.ts";
import { createDatabase, type Database } from "../src/pool/create-database.ts";
import { startReplicationPair, type ReplicationPair } from "./support/replication.ts";

const TOKEN = "replication-token-0123456789";

/** Poll until `check` returns a value (not undefined), or fail after `ms`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("streaming replica of the embedded server", () => {
  let pair: ReplicationPair;
  let database: Database;
  let app: FastifyInstance;
  const health = async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/health/replication", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    return res.json() as { status: string; role: string; inactiveSlots: string[]; replicas: { slotName: string; slotActive: boolean; connected: boolean; lagSeconds: number | null; lagBytes: number | null; retainedBytes: number | null }[] };
  };
  const metrics = async () => (await app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } })).body;
  beforeAll(async () => {
    pair = await startReplicationPair("repl");
    database = createDatabase({ ...POOL_DEFAULTS, min: 0, applicationName: `repltest-${process.pid}`, target: pair.primaryTarget }, { logger: { warn() {}, error() {} } });
    ({ app } = await buildHealthApp({ database, token: TOKEN }));
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await pair?.destroy();
  });

  it("the standby is a read-only hot standby; a write on the primary becomes readable there", async () => {
    expect(await nodeRole(pair.primarySql)).toBe("primary");
    expect(await nodeRole(pair.standbySql)).toBe("standby");
    await pair.primarySql`CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)`;
    await pair.primarySql`INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 500) g`;
    await pair.catchUp();
    const [row] = await pair.standbySql<{ n: number; last: string }[]>`SELECT count(*)::int AS n, max(body) AS last FROM notes`;
    expect(row).toEqual({ n: 500, last: "note 99" });
    await expect(pair.standbySql`INSERT INTO notes VALUES (1000, 'x')`).rejects.toMatchObject({ code: "25006" });
    const [settings] = await pair.standbySql<{ feedback: string; level: string }[]>`
      SELECT current_setting('hot_standby_feedback') AS feedback, current_setting('wal_level') AS level`;
    expect(settings).toEqual({ feedback: "on", level: "replica" });
  });

  it("lag is measured on the standby and from the primary (slot active, bytes, seconds)", async () => {
    await pair.catchUp();
    const lag = await standbyLag(pair.standbySql);
    expect(lag.streaming).toBe(true);
    expect(lag.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(lag.replayLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const states = await until("the standby's WAL sender to stream", async () => {
      const s = await replicaStates(pair.primarySql);
      return s.find((x) => x.slotName === pair.replica.slot && x.state === "streaming") ? s : undefined;
    });
    const mine = states.find((s) => s.slotName === pair.replica.slot)!;
    expect(mine).toMatchObject({ slotActive: true, connected: true, applicationName: pair.replica.name, walStatus: "reserved" });
    expect(mine.lagBytes).toBeGreaterThanOrEqual(0);
    await expect(standbyLag(pair.primarySql)).rejects.toThrow(/not a standby/);

    // The health API and /metrics report the same, behind the token; the public route is unchanged.
    expect((await app.inject({ method: "GET", url: "/api/v1/health/replication" })).statusCode).toBe(401);
    const body = await health();
    expect(body).toMatchObject({ status: "ok", role: "primary", inactiveSlots: [] });
    expect(body.replicas).toEqual([expect.objectContaining({ slotName: pair.replica.slot, slotActive: true, connected: true })]);
    expect(body.replicas[0]!.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(body.replicas[0]!.lagBytes).toBeGreaterThanOrEqual(0);
    const text = await metrics();
    expect(text).toContain(`pg_replication_slots_active{slot_name="${pair.replica.slot}"} 1`);
    expect(text).toMatch(new RegExp(`pg_replication_lag_seconds\\{slot_name="${pair.replica.slot}",application_name="${pair.replica.name}"\\} [0-9.e-]+`));
    expect(text).toMatch(new RegExp(`pg_replication_slots_pg_wal_lsn_diff\\{slot_name="${pair.replica.slot}"\\} \\d+`));
    const pub = await app.inject({ method: "GET", url: "/api/v1/health" });
    expect(pub.statusCode).toBe(200);
    expect(pub.json()).not.toHaveProperty("replicas");
  });

  it("the replication role has its own password, never the superuser's, and streams only from 127.0.0.1", async () => {
    const [role] = await pair.primarySql<{ replication: boolean; superuser: boolean; scram: boolean }[]>`
      SELECT rolreplication AS replication, rolsuper AS superuser, rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = 'bollalabz_replication'`;
    expect(role).toEqual({ replication: true, superuser: false, scram: true });
    const hba = await pair.primarySql<{ address: string | null }[]>`
      SELECT address FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND 'bollalabz_replication' = ANY(user_name)`;
    expect(hba.map((h) => h.address)).toEqual(["127.0.0.1"]);
  });

  it("a stopped standby leaves its slot inactive, holding back WAL the primary keeps writing; restarted, it catches up", async () => {
    pair.stopStandby();
    await until("the slot to turn inactive", async () => {
      const slot = (await replicationSlots(pair.primarySql)).find((s) => s.slotName === pair.replica.slot);
      return slot && !slot.active ? slot : undefined;
    });
    await pair.primarySql`INSERT INTO notes SELECT g, 'later ' || g FROM generate_series(501, 5000) g`;
    await pair.primarySql`SELECT pg_switch_wal()`;
    const [held] = (await replicaStates(pair.primarySql)).filter((s) => s.slotName === pair.replica.slot);
    expect(held).toMatchObject({ slotActive: false, connected: false });
    expect(held!.retainedBytes).toBeGreaterThan(0);
    const down = await health();
    expect(down).toMatchObject({ status: "degraded", inactiveSlots: [pair.replica.slot] });
    expect(down.replicas[0]).toMatchObject({ slotName: pair.replica.slot, slotActive: false, connected: false });
    expect(down.replicas[0]!.retainedBytes).toBeGreaterThan(0);
    expect(await metrics()).toContain(`pg_replication_slots_active{slot_name="${pair.replica.slot}"} 0`);

    await pair.startStandby();
    const [insert] = await pair.primarySql<{ lsn: string }[]>`SELECT pg_current_wal_insert_lsn()::text AS lsn`;
    await waitForReplayLsn(pair.standbySql, insert!.lsn, { timeoutMs: 60_000 });
    const [count] = await pair.standbySql<{ n: number }[]>`SELECT count(*)::int AS n FROM notes`;
    expect(count!.n).toBe(5000);
    await until("the slot to be active again", async () => {
      const slot = (await replicationSlots(pair.primarySql)).find((s) => s.slotName === pair.replica.slot);
      return slot?.active ? slot : undefined;
    });
  });
});

describe("replica URLs (--replica / DATABASE_REPLICA_URLS)", () => {
  it("flags win over the environment; nothing given is no replicas", () => {
    expect(replicaTargets(undefined, {})).toEqual([]);
    expect(replicaTargets([], { DATABASE_REPLICA_URLS: " " })).toEqual([]);
    const [a, b] = replicaTargets(undefined, { DATABASE_REPLICA_URLS: "postgres://u:secret@127.0.0.1:5433/db, postgres://u:secret@127.0.0.1:5434/db" });
    expect(a!.display).toBe("postgres://u:****@127.0.0.1:5433/db");
    expect(b!.url).toBe("postgres://u:secret@127.0.0.1:5434/db");
    expect(replicaTargets(["postgres://u:p@h:1/x"], { DATABASE_REPLICA_URLS: "postgres://u:p@h:2/x" }).map((t) => t.url)).toEqual(["postgres://u:p@h:1/x"]);
  });

  it("every bad URL is named in one message with the fix, and no password is echoed", () => {
    let error: unknown;
    try {
      replicaTargets(undefined, { DATABASE_REPLICA_URLS: "mysql://u:hunter2@h:1/x,,postgres://u:hunter2@h:1/" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    const message = (error as UserError).message;
    expect((error as UserError).exitCode).toBe(EXIT.usage);
    expect(message).toMatch(/entry 1 .*scheme is 'mysql'/);
    expect(message).toMatch(/entry 2 is empty/);
    expect(message).toMatch(/entry 3 .*database name is missing/);
    expect(message).toMatch(/--replica-urls/);
    expect(message).not.toContain("hunter2");
  });
});
