// graphile-migrate driven from code: the settings are .gmrc.cjs (the same
// file the graphile-migrate CLI reads), with the connection strings of the
// database this command resolved.
import { createRequire } from "node:module";
import path from "node:path";
import { migrate, type Settings } from "graphile-migrate";
import { Logger } from "@graphile/logger";
import { EXIT, UserError } from "../cli/errors.ts";
import { PROJECT_ROOT } from "../config/project.ts";
import type { DatabaseTarget } from "../config/database-url.ts";

const require = createRequire(import.meta.url);
// graphile-migrate keeps its pg pools open for a while after a command and
// exits the process if an idle pooled connection errors (e.g. the database is
// dropped or restarted). We close them as soon as our call is done.
const { clearAllPools } = require("graphile-migrate/dist/pgReal.js") as { clearAllPools: () => void };

export function migrationSettings(target: DatabaseTarget, log: (line: string) => void = () => {}): Settings {
  const base = require(path.join(PROJECT_ROOT, ".gmrc.cjs")) as Settings;
  return {
    ...base,
    connectionString: target.url,
    shadowConnectionString: target.shadowUrl ?? base.shadowConnectionString,
    rootConnectionString: target.rootUrl ?? base.rootConnectionString,
    logger: new Logger(() => (level, message) => {
      if (level !== "debug") log(String(message));
    }),
  };
}

/** Apply every committed migration not yet applied (a no-op when up to date). */
export async function applyMigrations(target: DatabaseTarget, log?: (line: string) => void): Promise<void> {
  try {
    await migrate(migrationSettings(target, log));
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === "ECONNREFUSED" || e.code === "ENOTFOUND" || e.code === "28P01" || e.code === "3D000") {
      throw new UserError(`Cannot migrate ${target.display}: ${e.message}. Check DATABASE_URL or run 'npm run db:start'.`, EXIT.unreachable);
    }
    if (e.code === "55P03") {
      throw new UserError(`Migration stopped: could not get a lock within lock_timeout (${e.message}). A long transaction holds it; retry when it ends — a re-run resumes where this stopped.`, EXIT.failed);
    }
    throw new UserError(`Migration failed on ${target.display}: ${e.message ?? String(error)}${e.code ? ` (SQLSTATE ${e.code})` : ""}`, EXIT.failed);
  } finally {
    clearAllPools();
  }
}
