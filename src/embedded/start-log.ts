// What a server start wrote to its logs: pg_ctl's -l file and the logging
// collector's files, read back to tell why a start failed (a port another
// process took in between is retried; anything else is reported).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** What the server wrote to its log since `offset` (this start attempt only). */
function logSince(logFile: string, offset: number): string {
  if (!existsSync(logFile)) return "";
  return readFileSync(logFile).subarray(offset).toString("utf8");
}

/**
 * What the logging collector wrote since `sinceMs` (the server settings send
 * the log to <data dir>/log as jsonlog, and the collector starts before the
 * server binds its port: a start failure is there, not in pg_ctl's -l file).
 * jsonlog lines are turned back into "SEVERITY:  message" text.
 */
export function collectorLogSince(dataDir: string, sinceMs: number): string {
  const dir = path.join(dataDir, "log");
  if (!existsSync(dir)) return "";
  const files = readdirSync(dir)
    .map((name) => ({ name, file: path.join(dir, name) }))
    .filter((f) => statSync(f.file).mtimeMs >= sinceMs - 1000)
    .sort((a, b) => statSync(a.file).mtimeMs - statSync(b.file).mtimeMs);
  const out: string[] = [];
  for (const f of files) {
    const text = readFileSync(f.file, "utf8");
    if (!f.name.endsWith(".json")) {
      out.push(text);
      continue;
    }
    for (const line of text.split("\n")) {
      try {
        const o = JSON.parse(line) as { error_severity?: string; message?: string; hint?: string };
        out.push(`${o.error_severity ?? "LOG"}:  ${o.message ?? ""}${o.hint ? `\nHINT:  ${o.hint}` : ""}`);
      } catch {
        // a partly written last line
      }
    }
  }
  return out.join("\n");
}

/**
 * What a failed start wrote: pg_ctl's file from `offset`, and the logging
 * collector's files (<data dir>/log). The collector drains its pipe after the
 * postmaster exits, so the FATAL line (after the "could not bind" one) can
 * land a moment after pg_ctl returns: wait for it, at most 3 s.
 */
export function startFailureLog(logFile: string, offset: number, dataDir: string, startedAt: number): string {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 3_000;
  for (;;) {
    const text = `${logSince(logFile, offset)}\n${collectorLogSince(dataDir, startedAt)}`;
    if (/\b(FATAL|PANIC)\b/.test(text) || Date.now() >= deadline) return text;
    Atomics.wait(pause, 0, 0, 50);
  }
}

export function logSize(logFile: string): number {
  return existsSync(logFile) ? statSync(logFile).size : 0;
}
