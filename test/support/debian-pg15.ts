// A throwaway Debian PostgreSQL 15 cluster (apt package postgresql-15) with
// DEFAULT settings, for tests and measurements that must hold on a server we
// did not tune (what a new managed server looks like: random_page_cost 4,
// shared_buffers 128MB, plan_cache_mode auto, ...).
//
// The only setting we add is the one verify strictly requires:
//   shared_preload_libraries = pg_stat_statements
// plus where it listens (127.0.0.1 on a free port, no unix socket) and fsync
// off (durability of a throwaway cluster; no effect on plans or statistics).
//
// Usage (vitest):
//   const pg15 = await startDebianPg15();      // beforeAll, ~2 s
//   const url = pg15.urlFor("mydb");           // after CREATE DATABASE on pg15.rootUrl
//   await pg15.stop();                          // afterAll: stops and deletes the cluster
//
// Needs `apt-get install -y postgresql-15` (.ci/run does it). As root the
// server runs as the `postgres` system user, like the embedded one.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { findFreePort, runningPid } from "../../src/embedded/server.ts";
import { serverRunAs, type RunAs } from "../../src/embedded/system-user.ts";

export const DEBIAN_PG15_BIN = "/usr/lib/postgresql/15/bin";
const PREFIX = "bollalabz-db-pg15-";
const SUPERUSER = "postgres";

/** Settings added to Debian's defaults, each because verify cannot run without it. */
export const DEBIAN_PG15_REQUIRED_SETTINGS: Readonly<Record<string, string>> = {
  shared_preload_libraries: "pg_stat_statements",
};

export interface DebianPg15Options {
  /** More settings on top of the defaults (keep empty to test "an untuned server"). */
  readonly settings?: Readonly<Record<string, string>>;
}

export interface DebianPg15 {
  /** The `postgres` maintenance database, superuser (scram password; never logged). */
  readonly rootUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** e.g. "15.18 (Debian 15.18-0+deb12u1)" */
  readonly version: string;
  /** URL of another database on this cluster (create it first through rootUrl). */
  urlFor(database: string): string;
  /** Stop the server and delete the cluster (idempotent). */
  stop(): void;
}

/** Why the Debian PostgreSQL 15 cannot be used here, or undefined when it can. */
export function debianPg15Problem(): string | undefined {
  for (const tool of ["initdb", "pg_ctl", "postgres"]) {
    if (!existsSync(path.join(DEBIAN_PG15_BIN, tool))) {
      return `Debian's PostgreSQL 15 is not installed (${path.join(DEBIAN_PG15_BIN, tool)} is missing). Install it: apt-get update && apt-get install -y postgresql-15`;
    }
  }
  return undefined;
}

function run(cmd: string, args: string[], runAs: RunAs | undefined) {
  return spawnSync(cmd, args, {
    encoding: "utf8",
    uid: runAs?.uid,
    gid: runAs?.gid,
    env: { ...process.env, LC_ALL: "C" },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function stopCluster(dataDir: string, runAs: RunAs | undefined): void {
  if (runningPid(dataDir) === undefined) return;
  run(path.join(DEBIAN_PG15_BIN, "pg_ctl"), ["stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "60"], runAs);
}

/** Clusters left behind by a killed test process (its pid is in the folder name): stop and delete them. */
function removeStaleClusters(runAs: RunAs | undefined): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(PREFIX)) continue;
    const owner = Number(entry.slice(PREFIX.length).split("-")[0]);
    if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) continue;
    const dir = path.join(tmpdir(), entry);
    stopCluster(path.join(dir, "pgdata"), runAs);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startDebianPg15(options: DebianPg15Options = {}): Promise<DebianPg15> {
  const problem = debianPg15Problem();
  if (problem) throw new Error(problem);
  const runAs = serverRunAs();
  removeStaleClusters(runAs);

  const dir = path.join(tmpdir(), `${PREFIX}${process.pid}-${randomBytes(3).toString("hex")}`);
  const dataDir = path.join(dir, "pgdata");
  const logFile = path.join(dir, "postgres.log");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);

  // The password goes through a file, never argv (`ps` shows argv).
  const password = randomBytes(18).toString("base64url");
  const pwFile = path.join(dir, ".pwfile");
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (runAs) chownSync(pwFile, runAs.uid, runAs.gid);
  try {
    const init = run(
      path.join(DEBIAN_PG15_BIN, "initdb"),
      [`--pgdata=${dataDir}`, `--username=${SUPERUSER}`, `--pwfile=${pwFile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"],
      runAs,
    );
    if (init.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`initdb (Debian PostgreSQL 15) failed: ${(init.stderr || init.error?.message || "").trim()}`);
    }
  } finally {
    rmSync(pwFile, { force: true });
  }

  const settings: Record<string, string> = { ...DEBIAN_PG15_REQUIRED_SETTINGS, ...(options.settings ?? {}) };
  for (const [name, value] of Object.entries(settings)) {
    if (!/^[a-z_.]+$/.test(name) || !/^[A-Za-z0-9_.,:-]+$/.test(value)) throw new Error(`Setting ${name}=${value} cannot be passed to pg_ctl -o safely`);
  }
  // A port can be taken between findFreePort and the server's bind (other
  // engineers' servers start too): try a few.
  let lastError = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await findFreePort();
    const flags = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      "-c unix_socket_directories=''",
      "-c fsync=off",
      ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
    ].join(" ");
    const started = run(path.join(DEBIAN_PG15_BIN, "pg_ctl"), ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "60", "-o", flags], runAs);
    if (started.status === 0) {
      const base = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
      const versionFile = path.join(dataDir, "PG_VERSION");
      const version = existsSync(versionFile) ? readFileSync(versionFile, "utf8").trim() : "15";
      return {
        rootUrl: `${base}/postgres`,
        port,
        dataDir,
        version,
        urlFor: (database) => `${base}/${encodeURIComponent(database)}`,
        stop() {
          stopCluster(dataDir, runAs);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastError = existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n") : started.stderr.trim();
    if (!/could not bind|Address already in use/i.test(lastError)) break;
  }
  stopCluster(dataDir, runAs);
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`Debian PostgreSQL 15 did not start: ${lastError}`);
}
