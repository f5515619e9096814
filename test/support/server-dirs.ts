// One place that knows where the suite's own PostgreSQL servers and other
// processes live, and sweeps the ones a killed run left behind:
// - every server a test starts lives in a temp folder whose name starts with
//   one of SUITE_PREFIXES followed by the pid of the process that owns it;
// - every process the suite starts (servers: pg_ctl passes its environment on;
//   `serve`, Chromium, npm commands) inherits SUITE_OWNER_ENV, which names the
//   vitest process of the run (global setup sets it).
// Global setup (test/support/global-setup.ts) stops and removes those whose
// owner is gone, before anything else starts. A live owner's are never touched.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readState } from "../../src/embedded/server.ts";

/** Folders of servers a test file starts (suiteServerDir). */
export const SUITE_PREFIX = "bollalabz-db-suite-";
/** The shared test server (global setup) and the replication pairs (test/support/replication.ts). */
export const TEST_SERVER_PREFIX = "bollalabz-db-test-";
export const PAIR_PREFIX = "bollalabz-db-replpair-";
/** The replica entrypoint's standby (test/standby-entrypoint-run.test.ts), run by the entrypoint script with an environment of its own. */
export const STANDBY_ENTRYPOINT_PREFIX = "bollalabz-db-standby-entrypoint-";
export const SUITE_PREFIXES = [SUITE_PREFIX, TEST_SERVER_PREFIX, PAIR_PREFIX, STANDBY_ENTRYPOINT_PREFIX] as const;

/** `<pid>:<start time>` of the vitest process that owns the run; every process the suite starts inherits it. */
export const SUITE_OWNER_ENV = "BOLLALABZ_TEST_SUITE_OWNER";

/** A fresh folder for a server (or anything else) this test process starts, named after its owner (this process): swept once the owner is gone. */
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

/** The kernel's start time of `pid` (clock ticks since boot, /proc/<pid>/stat field 22), or undefined when it is gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3, start time field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** The value of SUITE_OWNER_ENV for `pid` (default: this process). A pid alone could be reused by the time a sweep looks. */
export function suiteOwnerToken(pid = process.pid): string {
  return `${pid}:${startTime(pid) ?? "?"}`;
}

/** Is the process a token names still the same running process? */
export function ownerTokenAlive(token: string): boolean {
  const [pid, started] = token.split(":");
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  const now = startTime(n);
  return now !== undefined && (started === "?" || now === started);
}

/** Send a signal to a process that may have ended meanwhile. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Running (not a zombie)? */
export function processRunning(pid: number): boolean {
  return startTime(pid) !== undefined;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function commandName(pid: number | undefined): string {
  try {
    return pid === undefined ? "" : readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** The SUITE_OWNER_ENV token a process was started with, if any. */
function ownerTokenOf(pid: number): string | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, "latin1")
      .split("\0")
      .find((e) => e.startsWith(`${SUITE_OWNER_ENV}=`));
    return entry?.slice(SUITE_OWNER_ENV.length + 1);
  } catch {
    return undefined; // gone, or another user's
  }
}

/**
 * Stop every process started by a suite run whose vitest process is gone
 * (found by SUITE_OWNER_ENV in its environment): postmasters with an immediate
 * shutdown (SIGQUIT: their backends end with them), everything else (serve,
 * Chromium, commands) with SIGKILL. Never this process or its ancestors.
 * Returns the pids stopped.
 */
export function sweepOrphanedProcesses(): number[] {
  const spared = new Set<number>();
  for (let pid: number | undefined = process.pid; pid && pid > 1 && !spared.has(pid); pid = parentOf(pid)) spared.add(pid);
  const orphans = new Map<number, { token: string; started: string }>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || spared.has(pid)) continue;
    const token = ownerTokenOf(pid);
    const started = startTime(pid);
    if (token === undefined || started === undefined || ownerTokenAlive(token)) continue;
    orphans.set(pid, { token, started });
  }
  // Still the process found above (a pid freed meanwhile may have been reused)?
  const same = (pid: number) => orphans.has(pid) && startTime(pid) === orphans.get(pid)!.started && ownerTokenOf(pid) === orphans.get(pid)!.token;
  const postmasters = [...orphans.keys()].filter((pid) => commandName(pid) === "postgres" && commandName(parentOf(pid)) !== "postgres");
  for (const pid of postmasters) if (same(pid)) signal(pid, "SIGQUIT");
  awaitExit(postmasters);
  const rest = [...orphans.keys()].filter((pid) => same(pid));
  for (const pid of rest) signal(pid, "SIGKILL");
  awaitExit(rest);
  return [...orphans.keys()];
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
    signal(pid, "SIGQUIT");
    killed.push(pid);
  }
  return killed;
}

/** Block until none of `pids` is alive (a postmaster exits within moments of SIGQUIT), at most `ms`. */
function awaitExit(pids: readonly number[], ms = 15_000): void {
  const deadline = Date.now() + ms;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (pids.some((pid) => processRunning(pid)) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 50);
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
