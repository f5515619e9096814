// Paths every command agrees on.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Embedded server state + (when reachable) its cluster. EMBEDDED_PG_DIR overrides. */
export function embeddedBaseDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.EMBEDDED_PG_DIR || path.join(PROJECT_ROOT, ".data"));
}

export const REPORTS_DIR = path.join(PROJECT_ROOT, "reports");
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "migrations");
