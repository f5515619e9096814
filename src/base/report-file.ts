// Every report a command leaves behind (reports/<kind>-<time>.<ext>, or a
// path the user chose) is written here: one timestamp format, folders made as
// needed, JSON always pretty-printed with a final newline so it diffs well.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { REPORTS_DIR } from "./project-paths.ts";

/** 2026-01-15T10-20-30Z: sortable and safe in file names. */
export function fileTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
}

/** reports/<kind>-<timestamp>.<ext> */
export function defaultReportPath(kind: string, ext: string, date = new Date(), dir = REPORTS_DIR): string {
  return path.join(dir, `${kind}-${fileTimestamp(date)}.${ext}`);
}

/** Write text as is, anything else as JSON; returns the absolute path. */
export function writeReportFile(file: string, content: unknown): string {
  const resolved = path.resolve(file);
  mkdirSync(path.dirname(resolved), { recursive: true });
  writeFileSync(resolved, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
  return resolved;
}
