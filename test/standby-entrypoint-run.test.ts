// The replica entrypoint (src/container/standby-entrypoint.ts) RUN, not just
// read: the script Pulumi puts into a replica container, generated with the
// same function, executed here as root like Docker runs an entrypoint, against
// a real primary (npm's PostgreSQL binaries) that requires the replication
// role's password (scram). The standby side needs pg_basebackup, which the
// postgres image has and no npm package ships: a system PostgreSQL's tools
// (/usr/lib/postgresql/<major>/bin, e.g. Debian's postgresql-15) stand in for
// the image where they exist. Elsewhere (a machine with only Node and npm)
// test/support/pg-basebackup-standin.ts does the clone instead, the way
// `npm run db:start -- --replicas` does (low-level backup API and a copy,
// same host), honouring the entrypoint's flags and its password file; it runs
// as root and leaves the copy owned by PGDATA's owner, as pg_basebackup run as
// postgres does. The standby is then npm's postgres binary. Only the
// container specifics are swapped: the host's `setpriv` for the image's
// `gosu`, and a `postgres` binary for the image's docker-entrypoint.sh.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { passfileLine, shellQuote, standbyEntrypointScript } from "../src/container/standby-entrypoint.ts";
import { postgresBinaries } from "../src/embedded/binaries.ts";
import { serverRunAs } from "../src/embedded/system-user.ts";
import { NPM_POSTGRES_MAJORS } from "../src/embedded/binaries.ts";
import { startNpmPostgres, type NpmPostgres } from "./support/npm-postgres.ts";
import { restartablePort } from "./support/ports.ts";
import { STANDBY_ENTRYPOINT_PREFIX, sweepOrphanedServers } from "./support/server-dirs.ts";
import { waitFor } from "./support/wait-for.ts";

const ROLE = "bollalabz_replicator";
const SLOT = "bollalabz_replica_1";
const REPLICATION_PASSWORD = "Repl1cationPassw0rdOnlyInAFile";
const AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"];

/** A system PostgreSQL's bin folder with pg_basebackup, of a major npm also ships (the primary's). */
const SYSTEM_TOOLS = NPM_POSTGRES_MAJORS.map((major) => ({ major, bin: `/usr/lib/postgresql/${major}/bin` })).find((t) =>
  ["pg_basebackup", "postgres"].every((tool) => existsSync(path.join(t.bin, tool))),
);
/** The primary's major: the system tools' where they exist, else npm's oldest. */
const MAJOR = SYSTEM_TOOLS?.major ?? NPM_POSTGRES_MAJORS[0];
const STANDIN = path.join(PROJECT_ROOT, "test", "support", "pg-basebackup-standin.ts");
/** Where `pg_basebackup` is found: the system's, or a wrapper around the stand-in (made in beforeAll). */
let toolsBin = SYSTEM_TOOLS?.bin ?? "";

let pg15: NpmPostgres | undefined;
let primary: postgres.Sql;
let dir: string;
let pgdata: string;
let script: string;
let standbyPort: number;
let standbyUrl: string;
let child: ChildProcess | undefined;
let output = "";
/** The entrypoint's output on its first run (the clone), kept for the tests that read it. */
let cloneOutput = "";

/** Start the entrypoint the way Docker does: as root, with the container's command as arguments. */
function startEntrypoint(): ChildProcess {
  output = "";
  const args = ["-D", pgdata, "-p", String(standbyPort), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "hot_standby=on", "-c", "fsync=off"];
  const proc = spawn("/bin/sh", [script, ...args], {
    env: { PATH: `${toolsBin}:${process.env.PATH}`, PGDATA: pgdata, LC_ALL: "C" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  return proc;
}

async function stopEntrypoint(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  proc.kill("SIGINT"); // postgres: fast shutdown
  await exited;
}

/** Poll until the standby answers; fail early with the script's output if it exited. */
async function untilStandbyAnswers(): Promise<postgres.Sql> {
  return waitFor(
    async () => {
      if (child?.exitCode !== null) throw new Error(`the entrypoint exited with ${child?.exitCode}:\n${output}`);
      const sql = postgres(standbyUrl, { max: 1, connect_timeout: 2, onnotice: () => {} });
      try {
        await sql`SELECT 1`;
        return sql;
      } catch {
        await sql.end({ timeout: 1 });
        return undefined;
      }
    },
    (sql) => sql !== undefined,
    "the standby to accept connections",
    120_000,
  ) as Promise<postgres.Sql>;
}

beforeAll(async () => {
  if (userInfo().uid !== 0) throw new Error("This test runs the container entrypoint as Docker does, as root (CI runs as root).");
  pg15 = await startNpmPostgres(MAJOR, "untuned");
  primary = postgres(pg15.rootUrl, { max: 2, onnotice: () => {} });
  await primary.unsafe(`CREATE ROLE ${ROLE} LOGIN REPLICATION PASSWORD '${REPLICATION_PASSWORD}'`);
  // Reserved now, as pg_basebackup -S -X stream reserves it: the stand-in's copy streams all its WAL through it.
  await primary`SELECT pg_create_physical_replication_slot(${SLOT}, true)`;
  if (!SYSTEM_TOOLS) {
    // The stand-in takes the backup as the replication role (its password from the entrypoint's file).
    await primary.unsafe(`GRANT EXECUTE ON FUNCTION pg_backup_start(text, boolean), pg_backup_stop(boolean) TO ${ROLE}`);
  }
  await primary`CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)`;
  await primary`INSERT INTO notes VALUES (1, 'before the clone')`;

  sweepOrphanedServers(); // a standby a killed run left (the folder names its owner)
  dir = mkdtempSync(path.join(tmpdir(), `${STANDBY_ENTRYPOINT_PREFIX}${process.pid}-`));
  chmodSync(dir, 0o755); // the postgres user must reach PGDATA and its password file inside
  pgdata = path.join(dir, "pgdata");
  const secretPassfile = path.join(dir, "secret.pgpass");
  writeFileSync(secretPassfile, passfileLine("127.0.0.1", pg15.port, ROLE, REPLICATION_PASSWORD), { mode: 0o600 });
  if (!SYSTEM_TOOLS) {
    toolsBin = path.join(dir, "bin");
    mkdirSync(toolsBin, { mode: 0o755 });
    const wrapper = ["#!/bin/sh", `PG_BASEBACKUP_STANDIN_PRIMARY_DATA=${shellQuote(pg15.dataDir)} exec ${shellQuote(process.execPath)} ${shellQuote(STANDIN)} "$@"`, ""];
    writeFileSync(path.join(toolsBin, "pg_basebackup"), wrapper.join("\n"), { mode: 0o755 });
  }
  script = path.join(dir, "entrypoint.sh");
  writeFileSync(
    script,
    standbyEntrypointScript({
      primaryHost: "127.0.0.1",
      primaryPort: pg15.port,
      replicationRole: ROLE,
      slotName: SLOT,
      secretPassfile,
      passfile: path.join(dir, "postgres.pgpass"),
      // The stand-in runs as root (the project's node may sit where the postgres user cannot reach).
      asPostgres: SYSTEM_TOOLS ? AS_POSTGRES : ["env"],
      handOver: [...AS_POSTGRES, SYSTEM_TOOLS ? path.join(SYSTEM_TOOLS.bin, "postgres") : postgresBinaries(serverRunAs(), MAJOR).postgres],
    }),
    { mode: 0o755 },
  );
  standbyPort = await restartablePort(); // a test restarts the standby on it
  standbyUrl = pg15.rootUrl.replace(`:${pg15.port}/`, `:${standbyPort}/`);
  // The first run clones the primary; every test starts from a cloned, running standby.
  child = startEntrypoint();
  await (await untilStandbyAnswers()).end({ timeout: 1 });
  cloneOutput = output;
}, 240_000);

afterAll(async () => {
  await primary?.end({ timeout: 2 });
  await stopEntrypoint(child);
  if (dir) rmSync(dir, { recursive: true, force: true });
  pg15?.stop();
});

describe("the replica entrypoint, run against a real primary", () => {
  it(`clones an empty data directory with pg_basebackup -R -S (${SYSTEM_TOOLS ? "the system's" : "the stand-in"}) and starts a streaming hot standby`, async () => {
    const standby = await untilStandbyAnswers();
    try {
      expect(cloneOutput).toContain(`cloning the primary 127.0.0.1:${pg15!.port} through slot ${SLOT}`);
      const [row] = await standby<{ standby: boolean }[]>`SELECT pg_is_in_recovery() AS standby`;
      expect(row!.standby).toBe(true);
      expect(existsSync(path.join(pgdata, "standby.signal"))).toBe(true);
      // Streams through its slot: the primary shows the slot active.
      await waitFor(async () => (await primary<{ active: boolean }[]>`SELECT active FROM pg_replication_slots WHERE slot_name = ${SLOT}`)[0]?.active, (a) => a === true, "the slot to become active");
      // A write on the primary becomes readable on the standby.
      await primary`INSERT INTO notes VALUES (2, 'after the clone')`;
      const seen = await waitFor(async () => (await standby<{ n: number }[]>`SELECT count(*)::int AS n FROM notes WHERE id IN (1, 2)`)[0]!.n, (n) => n === 2, "the write to reach the standby");
      expect(seen).toBe(2);
    } finally {
      await standby.end({ timeout: 1 });
    }
  });

  it("records the password FILE in primary_conninfo, never the password, and keeps that file private to postgres", () => {
    const autoConf = readFileSync(path.join(pgdata, "postgresql.auto.conf"), "utf8");
    expect(autoConf).toMatch(new RegExp(`primary_slot_name = '${SLOT}'`));
    expect(autoConf).toMatch(/primary_conninfo = '.*passfile=/);
    expect(autoConf).not.toContain(REPLICATION_PASSWORD);
    expect(cloneOutput + output).not.toContain(REPLICATION_PASSWORD);
    const copy = statSync(path.join(dir, "postgres.pgpass"));
    expect(copy.mode & 0o777).toBe(0o600);
    // Owned by the user the server runs as (the script chowns PGDATA to postgres too), not root.
    expect(copy.uid).toBe(statSync(pgdata).uid);
    expect(copy.uid).not.toBe(0);
  });

  it("on a restart with data in place, does not clone again and streams on (the WAL receiver reads the password file)", async () => {
    await stopEntrypoint(child);
    await primary`INSERT INTO notes VALUES (3, 'while the standby was down')`;
    child = startEntrypoint();
    const standby = await untilStandbyAnswers();
    try {
      const n = await waitFor(async () => (await standby<{ n: number }[]>`SELECT count(*)::int AS n FROM notes WHERE id IN (1, 3)`)[0]!.n, (count) => count === 2, "the standby to catch up after its restart");
      expect(n).toBe(2);
      expect(output).not.toContain("cloning the primary");
      const [receiver] = await standby<{ status: string }[]>`SELECT status FROM pg_stat_wal_receiver`;
      expect(receiver?.status).toBe("streaming");
    } finally {
      await standby.end({ timeout: 1 });
    }
  });
});
