// Paths every command agrees on.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Embedded server state + (when reachable) its cluster. EMBEDDED_PG_DIR overrides. */
export function embeddedBaseDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.EMBEDDED_PG_DIR || path.join(PROJECT_ROOT, ".data"));
}

/** The one command-line entry: `node <COMMAND_BIN> <verb> [flags]` is what `npm run <verb>` runs. */
export const COMMAND_BIN = path.join(PROJECT_ROOT, "scripts", "bollalabz-db.ts");

/** Where commands write their reports by default; BOLLALABZ_REPORTS_DIR overrides (tests keep the checkout clean with it). */
export const REPORTS_DIR = path.resolve(process.env.BOLLALABZ_REPORTS_DIR || path.join(PROJECT_ROOT, "reports"));
/** graphile-migrate's folder; BOLLALABZ_MIGRATIONS_DIR points commands (and .gmrc.cjs) at a copy, e.g. in tests of `advise --write`. */
export const MIGRATIONS_DIR = path.resolve(process.env.BOLLALABZ_MIGRATIONS_DIR || path.join(PROJECT_ROOT, "migrations"));
/** Indexes `npm run advise -- --write` committed (index data beside src/indexes/performance-indexes.ts); BOLLALABZ_ADVISED_INDEXES overrides. */
export const ADVISED_INDEXES_FILE = path.resolve(process.env.BOLLALABZ_ADVISED_INDEXES || path.join(PROJECT_ROOT, "src", "indexes", "advised-indexes.json"));

/**
 * A fresh temp folder for a command's throwaway server. BOLLALABZ_TEMP_PREFIX
 * replaces the start of its name: the test suite names them after its own
 * process, so its sweeper stops what a killed run left running in them.
 */
export function makeTempFolder(kind: string, env: NodeJS.ProcessEnv = process.env): string {
  return mkdtempSync(`${env.BOLLALABZ_TEMP_PREFIX || path.join(tmpdir(), "bollalabz-db-")}${kind}-`);
}
