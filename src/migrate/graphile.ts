// graphile-migrate driven from code: the settings are .gmrc.cjs (the same
// file the graphile-migrate CLI reads), with the connection strings of the
// database this command resolved.
import { createRequire } from "node:module";
import path from "node:path";
import { migrate, type Settings } from "graphile-migrate";
import { Logger } from "@graphile/logger";
import { EXIT, UserError } from "../base/errors.ts";
import { MIGRATIONS_DIR, PROJECT_ROOT } from "../base/project-paths.ts";
import { classifyConnectionError, connectionUserError, type DatabaseTarget } from "../db/index.ts";
import { readCommittedMigrations } from "./performance-migrations.ts";

const require = createRequire(import.meta.url);
// graphile-migrate keeps its pg pools open for a while after a command and
// exits the process if an idle pooled connection errors (e.g. the database is
// dropped or restarted). We close them as soon as our call is done.
const { clearAllPools } = require("graphile-migrate/dist/pgReal.js") as { clearAllPools: () => void };

// When a migration's connection dies mid-statement (pg_terminate_backend, a
// server restart), pg emits 'error' on the checked-out client, and
// graphile-migrate has no listener there: the process would die of an
// unhandled 'error' event instead of reporting which index failed. The
// statement's promise rejects anyway, so a listener that ignores the event is
// enough. Patched once, on the pg module graphile-migrate itself loads.
type PgPoolPrototype = { connect: (...args: unknown[]) => unknown; __bollalabzErrorGuard?: true };
const graphilePg = createRequire(require.resolve("graphile-migrate"))("pg") as { Pool: { prototype: PgPoolPrototype } };
const poolPrototype = graphilePg.Pool.prototype;
if (!poolPrototype.__bollalabzErrorGuard) {
  const connect = poolPrototype.connect;
  poolPrototype.connect = function (this: unknown, ...args: unknown[]) {
    if (args.length > 0) return connect.apply(this, args);
    return (connect.call(this) as Promise<{ on: (event: string, fn: () => void) => void; __bollalabzErrorGuard?: true }>).then((client) => {
      if (!client.__bollalabzErrorGuard) {
        client.on("error", () => {});
        client.__bollalabzErrorGuard = true;
      }
      return client;
    });
  };
  poolPrototype.__bollalabzErrorGuard = true;
}

/** Close graphile-migrate's pg pools (after a library call such as commit). */
export function clearAllGraphilePools(): void {
  clearAllPools();
}

export interface ApplyOptions {
  /** Another migrations folder (e.g. the base-only one of src/migrate/base-only.ts). */
  readonly migrationsFolder?: string;
  /** Session settings merged over .gmrc.cjs's pgSettings (e.g. a shorter lock_timeout in tests). */
  readonly pgSettings?: Readonly<Record<string, string>>;
  /** Run .gmrc.cjs's beforeAllMigrations / afterAllMigrations hooks (default: both). */
  readonly hooks?: { readonly before?: boolean; readonly after?: boolean };
  /** Called as graphile-migrate starts each committed migration (its file name). */
  readonly onMigrationStart?: (file: string) => void;
}

export function migrationSettings(target: DatabaseTarget, log: (line: string) => void = () => {}, options: ApplyOptions = {}): Settings {
  const base = require(path.join(PROJECT_ROOT, ".gmrc.cjs")) as Settings;
  return {
    ...base,
    connectionString: target.url,
    shadowConnectionString: target.shadowUrl ?? base.shadowConnectionString,
    rootConnectionString: target.rootUrl ?? base.rootConnectionString,
    ...(options.migrationsFolder ? { migrationsFolder: options.migrationsFolder } : {}),
    pgSettings: { ...base.pgSettings, ...options.pgSettings },
    ...(options.hooks?.before === false ? { beforeAllMigrations: [] } : {}),
    ...(options.hooks?.after === false ? { afterAllMigrations: [] } : {}),
    // graphile-migrate reports through @graphile/logger. Its per-migration
    // "Running migration '...'" lines become onMigrationStart calls (the
    // callers show ONE progress display for the set, not 61 lines), and its
    // failure dump (the error's stack) is left out: explainMigrationError
    // reports the failure once, naming the migration and its index.
    logger: new Logger(() => (level, message) => {
      const line = String(message);
      const started = /Running migration '([^']+)'/.exec(line);
      if (started) return void options.onMigrationStart?.(started[1]!);
      if (/Error occurred whilst processing migration/.test(line)) return;
      // Its closing count repeats what the progress display's end line says
      // (and would land in the middle of a live bar).
      if (/: \d+ committed migrations executed$/.test(line)) return;
      if (level !== "debug") log(line);
    }),
  };
}

/** Apply every committed migration not yet applied (a no-op when up to date). */
export async function applyMigrations(target: DatabaseTarget, log?: (line: string) => void, options: ApplyOptions = {}): Promise<void> {
  let current: string | undefined;
  const settings = migrationSettings(target, log, {
    ...options,
    onMigrationStart(file) {
      current = file;
      options.onMigrationStart?.(file);
    },
  });
  try {
    await migrate(settings);
  } catch (error) {
    throw await explainMigrationError(error, target, current, options.migrationsFolder ?? MIGRATIONS_DIR);
  } finally {
    clearAllPools();
  }
}

/** One message naming the migration (and the index it builds) that failed, and why. */
async function explainMigrationError(error: unknown, target: DatabaseTarget, file: string | undefined, migrationsFolder: string): Promise<UserError> {
  if (error instanceof UserError) return error;
  const e = error as { code?: string | number; message?: string; cmd?: string; stderr?: string };
  const fault = classifyConnectionError(error);
  // Before any migration started, a connection fault is "cannot reach"; during one, "went away" (below).
  if (fault && (fault.kind !== "lost" || !file)) return connectionUserError(error, target, "migrate");
  if (typeof e.cmd === "string") {
    const detail = (e.stderr ?? "").trim().replace(/^error: /, "") || e.message;
    return new UserError(`A graphile-migrate hook failed (${path.basename(e.cmd.replace(/"/g, ""))}): ${detail}`, EXIT.failed);
  }
  if (e.message === "Failed to get exclusive lock") {
    return new UserError(`Another graphile-migrate run holds the migration lock on ${target.display}; wait for it to finish and run again.`, EXIT.failed);
  }
  let what = "Migration";
  if (file) {
    const migration = await readCommittedMigrations(migrationsFolder).then((all) => all.find((m) => m.file === file), () => undefined);
    what = migration?.index ? `Migration ${file} (index ${migration.index.name} on ${migration.index.table})` : `Migration ${file}`;
  }
  const resume = "Nothing else was applied after it; a re-run drops what the failed build left and resumes there.";
  if (fault?.kind === "lost") {
    return new UserError(`${what} failed: the server went away (${e.message}). When ${target.display} is back, run the migration again. ${resume}`, EXIT.unreachable);
  }
  if (e.code === "55P03") {
    return new UserError(`${what} stopped: could not get a lock within lock_timeout (${e.message}). A long transaction holds it; retry when it ends. ${resume}`, EXIT.failed);
  }
  if (e.code === "57014") {
    return new UserError(`${what} was cancelled (${e.message}): statement_timeout reached or the build was cancelled. ${resume}`, EXIT.failed);
  }
  if (e.code === "42P01" && file) {
    return new UserError(`${what} failed: ${e.message}. The base schema is missing although graphile_migrate.migrations records it; restore the schema (or recreate the database and run 'npm run migrate').`, EXIT.notReady);
  }
  return new UserError(`${what} failed on ${target.display}: ${e.message ?? String(error)}${e.code ? ` (SQLSTATE ${e.code})` : ""}`, EXIT.failed);
}
