// A killed run leaves nothing behind: the next run's global setup stops the
// servers and processes whose owner is gone and removes their folders, and
// never touches a live owner's. Here a child process plays a test run's owner:
// it starts a server through the suite's own helpers and a long-lived helper
// process (as `serve` or Chromium would be), then it is SIGKILLed.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { embeddedStatus } from "../src/embedded/server.ts";
import { ownerOf, ownerTokenAlive, processRunning, SUITE_OWNER_ENV, suiteOwnerToken, sweepOrphanedProcesses, sweepOrphanedServers } from "./support/server-dirs.ts";
import { waitFor } from "./support/wait-for.ts";

interface Owner {
  readonly child: ChildProcess;
  readonly baseDir: string;
  readonly clusterDir: string;
  /** The postmaster. */
  readonly pid: number;
  /** The owner's long-lived child: an orphan once the owner dies. */
  readonly helper: number;
}

const moduleUrl = (relative: string) => pathToFileURL(path.join(PROJECT_ROOT, relative)).href;

/** A process that owns a suite server the way a test run does (its own SUITE_OWNER_ENV, a folder named after it). */
async function startOwner(kind: string): Promise<Owner> {
  const script = `
    import { spawn } from "node:child_process";
    import path from "node:path";
    import { findFreePort, startEmbedded } from ${JSON.stringify(moduleUrl("src/embedded/server.ts"))};
    import { SUITE_OWNER_ENV, suiteOwnerToken, suiteServerDir } from ${JSON.stringify(moduleUrl("test/support/server-dirs.ts"))};
    process.env[SUITE_OWNER_ENV] = suiteOwnerToken();
    const baseDir = suiteServerDir(${JSON.stringify(kind)});
    const server = await startEmbedded({ baseDir, port: await findFreePort(), noSync: true });
    const helper = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
    console.log(JSON.stringify({ baseDir, clusterDir: path.dirname(server.dataDir), pid: server.pid, helper: helper.pid }));
    setInterval(() => {}, 1 << 30);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const line = await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the owner process exited with ${child.exitCode}:\n${out}`);
      return /^\{.*"helper":\d+\}$/m.exec(out)?.[0];
    },
    (found) => found !== undefined,
    "the owner process to start its server",
    120_000,
  );
  return { child, ...(JSON.parse(line!) as Omit<Owner, "child">) };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

describe("sweeping what a killed run left", () => {
  it("every process of this run carries the run's owner token, the shared server's postmaster too (pg_ctl passes it on)", () => {
    const token = process.env[SUITE_OWNER_ENV];
    expect(token).toMatch(/^\d+:\d+$/);
    expect(ownerTokenAlive(token!)).toBe(true);
    const pid = embeddedStatus(inject("testServerBaseDir")).server?.pid;
    expect(pid).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${pid}/environ`, "latin1").split("\0")).toContain(`${SUITE_OWNER_ENV}=${token}`);
  });

  it("an owner token names one process: the same pid with another start time (a reused pid) is not the owner", () => {
    const token = suiteOwnerToken();
    expect(ownerTokenAlive(token)).toBe(true);
    const [pid, started] = token.split(":");
    expect(ownerTokenAlive(`${pid}:${Number(started) + 1}`)).toBe(false);
    expect(ownerTokenAlive("0:1")).toBe(false);
  });

  it("a SIGKILLed owner's server, helper process and folders are swept; a live owner's are kept", async () => {
    const [dead, live] = await Promise.all([startOwner("sweep-dead"), startOwner("sweep-live")]);
    try {
      expect(ownerOf(path.basename(dead.baseDir))).toBe(dead.child.pid);
      await kill(dead.child);
      // What the sweep is for: the server and the helper outlive their owner.
      expect(processRunning(dead.pid)).toBe(true);
      expect(processRunning(dead.helper)).toBe(true);

      const stopped = sweepOrphanedProcesses();
      const removed = sweepOrphanedServers();
      expect(stopped).toEqual(expect.arrayContaining([dead.pid, dead.helper]));
      expect(removed).toContain(dead.baseDir);
      expect(processRunning(dead.pid)).toBe(false);
      expect(processRunning(dead.helper)).toBe(false);
      expect(existsSync(dead.baseDir)).toBe(false);
      expect(existsSync(dead.clusterDir)).toBe(false);

      // The live owner's: untouched, its server still running.
      expect(stopped).not.toContain(live.pid);
      expect(processRunning(live.pid)).toBe(true);
      expect(processRunning(live.helper)).toBe(true);
      expect(existsSync(live.baseDir)).toBe(true);
      expect(embeddedStatus(live.baseDir).running).toBe(true);
    } finally {
      await kill(dead.child);
      await kill(live.child);
      sweepOrphanedProcesses();
      sweepOrphanedServers();
    }
    // Once its owner is gone, the same sweep takes the other one's too.
    expect(processRunning(live.pid)).toBe(false);
    expect(processRunning(live.helper)).toBe(false);
    expect(existsSync(live.baseDir)).toBe(false);
    expect(existsSync(live.clusterDir)).toBe(false);
  }, 240_000);
});
