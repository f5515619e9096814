// Runs a project script the way `npm run` does (same Node), capturing output.
import { spawn } from "node:child_process";
import path from "node:path";
import { COMMAND_BIN, PROJECT_ROOT } from "../../src/base/project-paths.ts";

export interface ScriptResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** The verb a command module's file name stands for: "db-start.ts" -> "db:start". */
function verbOf(script: string): string {
  const name = script.replace(/\.ts$/, "");
  return name.startsWith("db-") ? `db:${name.slice(3)}` : name;
}

/** Run `npm run <verb>`'s command (src/commands/<script>) through the one bin, as npm does. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<ScriptResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COMMAND_BIN, verbOf(script), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CI: "true", DATABASE_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** An expected failure prints one clear error and no stack trace. */
export function looksLikeCleanError(stderr: string): boolean {
  return stderr.includes("error: ") && !/\n\s+at .+:\d+:\d+/.test(stderr) && !stderr.includes("internal error");
}
