// graphile-migrate configuration (CommonJS: the project is ESM and
// graphile-migrate 1.4 rejects .gmrc.mjs).
//
// Connection strings come from the environment (DATABASE_URL,
// SHADOW_DATABASE_URL, ROOT_DATABASE_URL). When DATABASE_URL is unset they
// come from the embedded server's state file, so `npx graphile-migrate commit`
// works against `npm run db:start` with no setup.
const { existsSync, readFileSync } = require("node:fs");
const path = require("node:path");

function embeddedUrls() {
  const dir = process.env.EMBEDDED_PG_DIR || path.join(__dirname, ".data");
  try {
    const state = JSON.parse(readFileSync(path.join(dir, "embedded.json"), "utf8"));
    const base = `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}`;
    return {
      connectionString: `${base}/${state.database}`,
      shadowConnectionString: `${base}/${state.database}_shadow`,
      rootConnectionString: `${base}/postgres`,
    };
  } catch {
    return {};
  }
}

const embedded = process.env.DATABASE_URL ? {} : embeddedUrls();

// Hook scripts are TypeScript: run them with the project-local Node 24 (npm
// package `node`) whichever node runs graphile-migrate (an `npx` PATH puts it
// first, a bare `graphile-migrate` on the system Node 20 would not).
const localNode = path.join(__dirname, "node_modules", ".bin", "node");
const hookNode = existsSync(localNode) ? localNode : process.execPath;
const hookCommand = (verb) => `"${hookNode}" "${path.join(__dirname, "scripts", "bollalabz-db.ts")}" ${verb}`;

module.exports = {
  connectionString: process.env.DATABASE_URL || embedded.connectionString,
  shadowConnectionString: process.env.SHADOW_DATABASE_URL || embedded.shadowConnectionString,
  rootConnectionString: process.env.ROOT_DATABASE_URL || embedded.rootConnectionString,

  // Every migration session: wait at most 5 s for a lock (a migration queued
  // behind a long transaction would otherwise block every writer queued
  // behind it), but let index builds run long.
  pgSettings: {
    lock_timeout: "5s",
    statement_timeout: "30min",
  },

  // BOLLALABZ_MIGRATIONS_DIR: a copy of the folder (tests of `npm run advise -- --write`).
  migrationsFolder: process.env.BOLLALABZ_MIGRATIONS_DIR || path.join(__dirname, "migrations"),

  // A failed or killed CREATE INDEX CONCURRENTLY leaves an INVALID index and
  // no ledger row; a re-run would then skip it (IF NOT EXISTS) and record
  // success over a broken index. Before pending migrations run, drop the
  // INVALID indexes that performance migrations create (names read from the
  // migration files), one DROP INDEX CONCURRENTLY at a time, so they are
  // rebuilt. The command gets the database as GM_DBURL.
  beforeAllMigrations: [{ _: "command", command: hookCommand("drop-invalid-indexes") }],
  // Fresh planner statistics for the tables that got new indexes
  // (expression indexes need them to be costed at all).
  // And verify's reader role (src/verify/reader-role.ts): created and granted
  // SELECT on the tables where the migrating role may.
  afterAllMigrations: ["after-all-migrations.sql", "verify-reader-role.sql"],
};
