// Streaming replication against REAL servers: a primary and a hot standby made
// the way `npm run db:start -- --replicas 1` makes it (test/support/replication.ts).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { seedDatabase, currentHourUtc } from "../src/seed/generate.ts";
import { checkPerformanceIndexes } from "../src/verify/replicas.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { replicaStates, replicationSlots, standbyLag, nodeRole } from "../src/replication/status.ts";
import { replicaTargets } from "../src/replication/targets.ts";
import { waitForCatchUp, waitForReplayLsn } from "../src/replication/wait.ts";
import { EXIT, UserError } from "../src/base/errors.ts";
import type { FastifyInstance } from "fastify";
import { buildHealthApp } from "../src/health/server.ts";
import { POOL_DEFAULTS } from "../src/pool/pool-options.ts";
import { createDatabase, type Database } from "../src/pool/create-database.ts";
import { startReplicationPair, type ReplicationPair } from "./support/replication.ts";
import { suiteServerDir } from "./support/server-dirs.ts";
import { CONTACT_BY_PHONE } from "./support/catalog-entries.ts";

const TOKEN = "replication-token-0123456789";
const dir = suiteServerDir("replication-test");

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

let pair: ReplicationPair;
let database: Database;
let app: FastifyInstance;
beforeAll(async () => {
  pair = await startReplicationPair("repl");
  database = createDatabase({ ...POOL_DEFAULTS, min: 0, applicationName: `repltest-${process.pid}`, target: pair.primaryTarget }, { logger: { warn() {}, error() {} } });
  ({ app } = await buildHealthApp({ database, token: TOKEN }));
});
afterAll(async () => {
  await app?.close();
  await database?.close().catch(() => {});
  await pair?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const sharedHealth = async () => {
  const res = await app.inject({ method: "GET", url: "/api/v1/health/replication", headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.statusCode).toBe(200);
  return res.json() as { status: string; role: string; inactiveSlots: string[]; replicas: { slotName: string; slotActive: boolean; connected: boolean; lagSeconds: number | null; lagBytes: number | null; retainedBytes: number | null }[] };
};
const metrics = async () => (await app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } })).body;

describe("streaming replica of the embedded server", () => {

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
    const body = await sharedHealth();
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
});


describe("migrate, maintenance and verify with the standby (real servers)", () => {
  const INDEX = "idx_conversation_messages_contact_created";

  beforeAll(async () => {
    const migrated = await runScript("migrate.ts", ["--no-report"], { DATABASE_URL: pair.primaryTarget.url }, 300_000);
    expect(migrated.stderr + migrated.stdout).not.toMatch(/internal error/);
    expect(migrated.code).toBe(0);
    await seedDatabase(pair.primarySql, { scale: 0.05, seed: 7, anchor: currentHourUtc() });
    await pair.catchUp(120_000);
  }, 400_000);

  it("npm run migrate on the primary builds the performance indexes concurrently; on the standby every one is present, valid and used", async () => {
    expect(await checkPerformanceIndexes(pair.primarySql)).toEqual({ missing: [], invalid: [] });
    expect(await checkPerformanceIndexes(pair.standbySql)).toEqual({ missing: [], invalid: [] });
    const [heavy] = await pair.standbySql<{ id: number }[]>`SELECT contact_id AS id FROM conversation_messages GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`;
    const plan = await pair.standbySql.unsafe(`EXPLAIN (FORMAT JSON) SELECT id FROM conversation_messages WHERE contact_id = ${Number(heavy!.id)} ORDER BY created_at DESC LIMIT 50`);
    expect(JSON.stringify(plan)).toContain(INDEX);
  });

  it("maintenance: an index scanned only on the standby is not reported unused once the standby's counters are merged", async () => {
    // An index of this test's own, scanned on the standby only. Not a shared
    // index with its counters reset: a backend that scanned that one before the
    // reset publishes its counts when it goes idle or exits, up to seconds
    // later, and the primary then counts scans again. Nothing has scanned a
    // new index, and only a query on its exact expression can use it.
    const PROBE = "test_probe_scanned_on_standby_only";
    onTestFinished(async () => {
      await pair.primarySql.unsafe(`DROP INDEX IF EXISTS ${PROBE}`);
      await pair.catchUp(120_000);
    });
    await pair.primarySql.unsafe(`CREATE INDEX ${PROBE} ON conversation_messages ((contact_id + 0))`);
    await pair.catchUp(120_000);
    const session = await pair.standbySql.reserve();
    try {
      await session`SET enable_seqscan = off`;
      const [heavy] = await session<{ id: number }[]>`SELECT contact_id AS id FROM conversation_messages GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`;
      const probe = `SELECT id FROM conversation_messages WHERE contact_id + 0 = ${Number(heavy!.id)}`;
      expect(JSON.stringify(await session.unsafe(`EXPLAIN (FORMAT JSON) ${probe}`))).toContain(PROBE);
      await session.unsafe(probe);
      await session`SELECT pg_stat_force_next_flush()`;
    } finally {
      session.release();
    }
    await until("the standby to count the scan", async () => {
      const [row] = await pair.standbySql<{ scans: number }[]>`SELECT idx_scan AS scans FROM pg_stat_user_indexes WHERE indexrelname = ${PROBE}`;
      return row && row.scans > 0 ? row : undefined;
    });
    const [primaryScans] = await pair.primarySql<{ scans: number }[]>`SELECT idx_scan AS scans FROM pg_stat_user_indexes WHERE indexrelname = ${PROBE}`;
    expect(primaryScans!.scans).toBe(0);
    const alone = path.join(dir, "maint-primary.json");
    const merged = path.join(dir, "maint-merged.json");
    const base = ["--analyze", "none", "--min-stats-days", "0"];
    const primaryOnly = await runScript("maintenance.ts", [...base, "--json", alone], { DATABASE_URL: pair.primaryTarget.url });
    expect(primaryOnly.code, primaryOnly.stderr).toBe(0);
    const both = await runScript("maintenance.ts", [...base, "--json", merged], { DATABASE_URL: pair.primaryTarget.url, DATABASE_REPLICA_URLS: pair.standbyTarget.url });
    expect(both.code, both.stderr).toBe(0);

    const a = JSON.parse(readFileSync(alone, "utf8"));
    expect(a.unused.verdict).toBe("judged");
    expect(a.unused.indexes.map((i: { index: string }) => i.index)).toContain(PROBE);
    const b = JSON.parse(readFileSync(merged, "utf8"));
    expect(b.unused.verdict).toBe("judged");
    expect(b.unused.indexes.map((i: { index: string }) => i.index)).not.toContain(PROBE);
    expect(b.unused.nodes.map((n: { node: string }) => n.node)).toEqual(["primary", "replica-1"]);
    const entry = b.unused.usedOnReplicasOnly.find((x: { index: string }) => x.index === PROBE);
    expect(entry.scans.primary).toBe(0);
    expect(entry.scans["replica-1"]).toBeGreaterThan(0);
    expect(both.stdout).toMatch(/NOT unused — no scans on the primary, but scanned on a replica/);
    expect(both.stdout).toMatch(/replication slots \(read on the primary\):[\s\S]*bollalabz_replica_1\s+physical\s+active/);
    expect(both.stdout + both.stderr).not.toContain(new URL(pair.standbyTarget.url).password);
  });

  it("verify --replica grades each node with its own plans and timings, checks the indexes there and reports lag before and after", async () => {
    const json = path.join(dir, "verify.json");
    const result = await runScript(
      "verify.ts",
      ["--replica", pair.standbyTarget.url, "--runs", "5", "--warmup", "0", "--min-grade", "F", "--json", json, "--markdown", path.join(dir, "verify.md")],
      { DATABASE_URL: pair.primaryTarget.url },
      300_000,
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.replicas).toHaveLength(1);
    const replica = report.replicas[0];
    expect(replica).toMatchObject({ node: "replica-1", passed: true, problems: [], indexes: { missing: [], invalid: [] } });
    expect(replica.lagBefore.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(replica.lagBefore.catchUpSeconds).toBeGreaterThanOrEqual(0);
    expect(replica.lagAfter.catchUpSeconds).toBeGreaterThanOrEqual(0);
    expect(replica.lagAfter.streaming).toBe(true);
    expect(replica.report.queries).toHaveLength(report.queries.length);
    expect(replica.report.database).toContain(`:${pair.replica.port}/`);
    expect(report.database).toContain(`:${pair.primary.port}/`);
    expect(result.stdout).toMatch(/== primary: /);
    expect(result.stdout).toMatch(/== replica-1: /);
    expect(result.stdout).toMatch(/nodes:[\s\S]*primary[\s\S]*replica-1[\s\S]*all valid/);
    expect(readFileSync(path.join(dir, "verify-replica-1.md"), "utf8")).toMatch(/# Verification report/);
    expect(result.stdout + result.stderr).not.toContain(new URL(pair.standbyTarget.url).password);
  }, 300_000); // the primary also takes verify's 3 statistics samples of the whole catalog (tens of seconds on a busy machine)

  it("verify fails with a clear message when a replica lags more than --max-replica-lag (replay paused on the standby)", async () => {
    const catalog = path.join(dir, "one.yaml");
    writeFileSync(catalog, YAML.stringify([{ ...CONTACT_BY_PHONE, seqScanOk: true, budgetMs: 1000 }]));
    await pair.standbySql`SELECT pg_wal_replay_pause()`;
    try {
      await pair.primarySql`CREATE TABLE lag_marker (id int)`;
      await until("the paused standby to hold WAL it received but has not replayed", async () => {
        const lag = await standbyLag(pair.standbySql);
        return lag.replayBacklogBytes > 0 ? lag : undefined;
      });
      const result = await runScript(
        "verify.ts",
        ["--replica", pair.standbyTarget.url, "--catalog", catalog, "--runs", "5", "--min-grade", "F", "--max-replica-lag", "1", "--markdown", path.join(dir, "lag.md")],
        { DATABASE_URL: pair.primaryTarget.url },
      );
      expect(result.code).toBe(EXIT.failed);
      expect(result.stdout).toMatch(/replica-1 lagged more than --max-replica-lag 1 s behind the primary before the run: it did not replay the primary's WAL position within 1 s/);
      expect(result.stdout).toMatch(/all nodes: BELOW THE BAR/);
    } finally {
      await pair.standbySql`SELECT pg_wal_replay_resume()`;
    }
    await pair.catchUp();
  }, 300_000); // a verify run per node on a busy machine takes well over the default 60 s

  it("--replica that is a primary, or bad, is refused with one clear message", async () => {
    const notStandby = await runScript("verify.ts", ["--replica", pair.primaryTarget.url, "--runs", "5"], { DATABASE_URL: pair.primaryTarget.url });
    expect(notStandby.code).toBe(EXIT.usage);
    expect(looksLikeCleanError(notStandby.stderr)).toBe(true);
    expect(notStandby.stderr).toMatch(/replica-1 .* is not a standby/);
    const bad = await runScript("verify.ts", ["--replica", "postgres://u:pw@127.0.0.1:1/", "--replica", "http://x"], { DATABASE_URL: pair.primaryTarget.url });
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/--replica #1 .*database name is missing[\s\S]*--replica #2 .*scheme is 'http'/);
  });
});

describe("a standby that stops (a pair of its own: it changes the pair)", () => {
  let pair: ReplicationPair;
  let database: Database;
  let app: FastifyInstance;
  beforeAll(async () => {
    pair = await startReplicationPair("repl_stop");
    database = createDatabase({ ...POOL_DEFAULTS, min: 0, applicationName: `repltest-stop-${process.pid}`, target: pair.primaryTarget }, { logger: { warn() {}, error() {} } });
    ({ app } = await buildHealthApp({ database, token: TOKEN }));
  });
  afterAll(async () => {
    await app?.close();
    await database?.close().catch(() => {});
    await pair?.destroy();
  });
  const health = async () => (await app.inject({ method: "GET", url: "/api/v1/health/replication", headers: { authorization: `Bearer ${TOKEN}` } })).json() as Awaited<ReturnType<typeof sharedHealth>>;
  const metrics = async () => (await app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } })).body;

  it("a stopped standby leaves its slot inactive, holding back WAL the primary keeps writing; restarted, it catches up", async () => {
    await pair.primarySql`CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)`;
    await pair.primarySql`INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 500) g`;
    await pair.catchUp();
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

describe("the primary comes back on another port (a pair of its own)", () => {
  let pair: ReplicationPair;
  beforeAll(async () => {
    pair = await startReplicationPair("repl_move");
  });
  afterAll(() => pair?.destroy());

  it("the standby follows it: primary_conninfo is rewritten when the replicas start", async () => {
    const { embeddedStatus, stopEmbedded, startEmbedded, findFreePort } = await import("../src/embedded/server.ts");
    const { startReplicas } = await import("../src/embedded/replicas.ts");
    const { openSql } = await import("../src/db/index.ts");
    await Promise.all([pair.primarySql.end({ timeout: 1 }), pair.standbySql.end({ timeout: 1 })]);
    stopEmbedded(pair.baseDir);
    const oldPort = pair.primary.port;
    let newPort = await findFreePort();
    while (newPort === oldPort) newPort = await findFreePort();
    // Not pinned: if another process takes the wished port first, the server retries on another free
    // one (the project's own logic) and the standby must follow whichever port it reports.
    const primary = await startEmbedded({ baseDir: pair.baseDir, port: newPort, extraSettings: [{ name: "fsync", value: "off", reason: "test" }] });
    expect(primary.port).not.toBe(oldPort);
    await startReplicas({ baseDir: pair.baseDir, extraSettings: [{ name: "fsync", value: "off", reason: "test" }] });
    const p = openSql({ url: primary.databaseUrl }, { max: 1 });
    const replicaUrl = embeddedStatus(pair.baseDir).server!.replicas![0]!;
    const s = openSql({ url: `postgres://postgres:${encodeURIComponent(primary.password)}@127.0.0.1:${replicaUrl.port}/${primary.database}` }, { max: 1 });
    try {
      await p`CREATE TABLE after_move (id int)`;
      await waitForCatchUp(p, s, { timeoutMs: 60_000 });
      const [row] = await s<{ n: number }[]>`SELECT count(*)::int AS n FROM after_move`;
      expect(row!.n).toBe(0);
      expect((await standbyLag(s)).streaming).toBe(true);
    } finally {
      await Promise.all([p.end({ timeout: 1 }), s.end({ timeout: 1 })]);
    }
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
