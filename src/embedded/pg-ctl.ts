// Running the server's own programs (initdb, pg_ctl) as the server's system
// user, and reading what a cluster's data directory says about it: its major
// version and its live postmaster.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ServerSetting } from "../settings/server-settings.ts";
import type { RunAs } from "./system-user.ts";

export function runServerCommand(cmd: string, args: string[], runAs: RunAs | undefined, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(cmd, args, {
    encoding: "utf8",
    uid: runAs?.uid,
    gid: runAs?.gid,
    env: { ...process.env, LC_ALL: "C", ...env },
    // pg_ctl forks the server into the background; its own stdio goes to the
    // log file, so nothing keeps our pipes open.
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });
}

/** The live postmaster pid from postmaster.pid, if the process exists. */
export function runningPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

export function postgresOptions(port: number, settings: readonly ServerSetting[]): string {
  // pg_ctl passes -o through /bin/sh; values are plain tokens (checked below).
  const byName = new Map<string, string>();
  for (const s of settings) byName.set(s.name, s.value);
  byName.set("listen_addresses", "127.0.0.1");
  const parts = [`-p ${port}`, "-c unix_socket_directories=''"];
  for (const [name, value] of byName) {
    if (value === "") {
      parts.push(`-c ${name}=''`);
      continue;
    }
    if (!/^[A-Za-z0-9_.,:-]+$/.test(value)) throw new Error(`Setting ${name}=${value} contains characters pg_ctl -o cannot pass safely`);
    parts.push(`-c ${name}=${value}`);
  }
  return parts.join(" ");
}

/** The PostgreSQL major of an initialised data directory (its PG_VERSION file), else undefined. */
export function clusterMajor(dataDir: string): number | undefined {
  const file = path.join(dataDir, "PG_VERSION");
  if (!existsSync(file)) return undefined;
  const major = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(major) && major > 0 ? major : undefined;
}
