// One place that knows where the suite's own PostgreSQL servers live, and
// sweeps the ones a killed run left behind. Every server a test starts lives
// in a temp folder whose name starts with one of SUITE_PREFIXES followed by
// the pid of the process that owns it; global setup (test/support/global-setup.ts)
// stops and removes those whose owner is gone, before anything else starts.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readState } from "../../src/embedded/server.ts";

/** Folders of servers a test file starts (suiteServerDir). */
export const SUITE_PREFIX = "bollalabz-db-suite-";
/** The shared test server (global setup) and the replication pairs (test/support/replication.ts). */
export const TEST_SERVER_PREFIX = "bollalabz-db-test-";
export const PAIR_PREFIX = "bollalabz-db-replpair-";
export const SUITE_PREFIXES = [SUITE_PREFIX, TEST_SERVER_PREFIX, PAIR_PREFIX] as const;

/** A fresh folder for a server this test process starts, named after its owner (this process). */
export function suiteServerDir(kind: string): string {
  return mkdtempSync(path.join(tmpdir(), `${SUITE_PREFIX}${process.pid}-${kind}-`));
}

/** BOLLALABZ_TEMP_PREFIX for a command a test runs: its throwaway servers are then this process's, and swept. */
export function suiteTempPrefix(kind: string): string {
  return path.join(tmpdir(), `${SUITE_PREFIX}${process.pid}-${kind}-`);
}

/**
 * Is the process alive? EPERM means it exists but belongs to another user (another engineer's
 * run on a shared machine): alive, hands off. Only ESRCH means gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** postmaster.pid files under `dir` (a few levels: <base>/<cluster>/pgdata, replicas beside it). */
function postmasterPidFiles(dir: string, depth = 4): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === "postmaster.pid") found.push(full);
    else if (entry.isDirectory() && !entry.isSymbolicLink()) found.push(...postmasterPidFiles(full, depth - 1));
  }
  return found;
}

/** Immediate shutdown (SIGQUIT) of every live postmaster whose data dir lies in `dir`; returns their pids. */
function killPostmastersIn(dir: string): number[] {
  const killed: number[] = [];
  for (const file of postmasterPidFiles(dir)) {
    const pid = Number(readFileSync(file, "utf8").split("\n", 1)[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) continue;
    const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
    if (!cmdline.includes("postgres")) continue; // a reused pid: not ours
    process.kill(pid, "SIGQUIT");
    killed.push(pid);
  }
  return killed;
}

/** Block until none of `pids` is alive (a postmaster exits within moments of SIGQUIT), at most `ms`. */
function awaitExit(pids: readonly number[], ms = 15_000): void {
  const deadline = Date.now() + ms;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (pids.some((pid) => processAlive(pid)) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 50);
}

/** The owner pid in `<prefix><pid>[-...]`, or undefined. */
export function ownerOf(entry: string): number | undefined {
  const prefix = SUITE_PREFIXES.find((p) => entry.startsWith(p));
  if (!prefix) return undefined;
  const pid = Number(entry.slice(prefix.length).split("-")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Stop and remove every suite server folder whose owner process is gone; returns the folders removed. */
export function sweepOrphanedServers(): string[] {
  const removed: string[] = [];
  for (const entry of readdirSync(tmpdir())) {
    const owner = ownerOf(entry);
    if (owner === undefined || processAlive(owner)) continue;
    const dir = path.join(tmpdir(), entry);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
    // The cluster may live outside the folder (a base dir the server's user cannot reach): its state says where.
    const clusterDir = readState(dir)?.clusterDir;
    const places = clusterDir && !clusterDir.startsWith(dir) ? [dir, clusterDir] : [dir];
    awaitExit(places.flatMap((place) => killPostmastersIn(place)));
    for (const place of places) rmSync(place, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
