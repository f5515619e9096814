// Local hot standbys of the embedded server (`npm run db:start -- --replicas N`).
//
// The npm binaries ship postgres, initdb and pg_ctl but no pg_basebackup, so a
// replica is made with the low-level backup API, in ONE session on the
// primary: pg_backup_start -> copy the data directory (without
// postmaster.pid/opts, the contents of pg_wal and the other run-time folders)
// -> pg_backup_stop, whose labelfile becomes the copy's backup_label. Then
// standby.signal + primary_conninfo + primary_slot_name make the copy a
// streaming standby. Each replica has its own physical slot (created before
// the backup, so the primary keeps every WAL segment the copy needs), and
// connects as a replication role whose password lives only in embedded.json
// (mode 600) and the replica's postgresql.auto.conf (mode 600, server user).
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { appendFileSync, chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { targetFromUrl, withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { EXIT, UserError } from "../base/errors.ts";
import { SERVER_SETTINGS, STANDBY_SETTINGS, type ServerSetting } from "../settings/server-settings.ts";
import { postgresBinaries } from "./binaries.ts";
import { clusterMajor, postgresOptions, runningPid, runServerCommand } from "./pg-ctl.ts";
import { findFreePort, isPortFree } from "./ports.ts";
import { startFailureLog } from "./start-log.ts";
import {
  readState,
  replicaDataDir,
  stopCluster,
  writeState,
  type EmbeddedReplicaState,
  type EmbeddedState,
} from "./server.ts";
import { serverRunAs, type RunAs } from "./system-user.ts";

/** The role replicas connect as (REPLICATION, no superuser). */
export const REPLICATION_ROLE = "bollalabz_replication";
const SUPERUSER = "postgres";

export interface EmbeddedReplica extends EmbeddedReplicaState {
  /** The application database on this replica (read-only). Holds the password: never print it. */
  readonly databaseUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly pid: number | undefined;
}

export function describeReplica(state: EmbeddedState, replica: EmbeddedReplicaState): EmbeddedReplica {
  const dataDir = replicaDataDir(replica);
  return {
    ...replica,
    databaseUrl: `postgres://${SUPERUSER}:${encodeURIComponent(state.password)}@127.0.0.1:${replica.port}/${state.database}`,
    dataDir,
    logFile: path.join(replica.dir, "postgres.log"),
    pid: runningPid(dataDir),
  };
}

export function embeddedReplicas(baseDir: string): EmbeddedReplica[] {
  const state = readState(baseDir);
  return state ? (state.replicas ?? []).map((r) => describeReplica(state, r)) : [];
}

export interface ReplicaOptions {
  readonly baseDir: string;
  /** Extra or overriding settings for the replicas (tests add fsync=off). */
  readonly extraSettings?: readonly ServerSetting[];
  readonly log?: (line: string) => void;
}

/** A SCRAM-SHA-256 verifier, so CREATE/ALTER ROLE never carries the password itself (server logs, pg_stat_activity). */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

const HBA_LINE = `host    replication     ${REPLICATION_ROLE}   127.0.0.1/32    scram-sha-256`;

function requireRunningPrimary(baseDir: string): EmbeddedState {
  const state = readState(baseDir);
  if (!state || runningPid(path.join(state.clusterDir, "pgdata")) === undefined) {
    throw new UserError("The embedded PostgreSQL (the primary) is not running, so no replica can stream from it. Start it with 'npm run db:start'.", EXIT.notReady);
  }
  return state;
}

/** The primary's maintenance database, as the superuser. */
function primaryRoot(state: EmbeddedState): DatabaseTarget {
  return targetFromUrl(`postgres://${SUPERUSER}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/postgres`, "embedded");
}

/** The replication role with its own password, and the pg_hba line that lets it stream over 127.0.0.1. */
async function prepareReplicationOnPrimary(sql: Sql, state: EmbeddedState, password: string): Promise<void> {
  const verifier = scramVerifier(password);
  const [exists] = await sql`SELECT 1 FROM pg_roles WHERE rolname = ${REPLICATION_ROLE}`;
  // The verifier is a literal (DDL takes no parameters); it is not the password.
  const literal = `'${verifier.replace(/'/g, "''")}'`;
  await sql.unsafe(`${exists ? "ALTER" : "CREATE"} ROLE ${REPLICATION_ROLE} WITH LOGIN REPLICATION PASSWORD ${literal}`);
  const hba = path.join(state.clusterDir, "pgdata", "pg_hba.conf");
  if (!readFileSync(hba, "utf8").split("\n").some((l) => l.trim().replace(/\s+/g, " ") === HBA_LINE.replace(/\s+/g, " "))) {
    appendFileSync(hba, `\n# streaming replicas of the embedded server (src/embedded/replicas.ts)\n${HBA_LINE}\n`);
    await sql`SELECT pg_reload_conf()`;
  }
}

// What a base backup leaves out (PostgreSQL docs, "Making a Base Backup Using
// the Low Level API"): these are recreated or meaningless on the copy.
const SKIP_TOP_FILES = new Set(["postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal", "backup_label", "tablespace_map"]);
const EMPTY_DIRS = new Set(["pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans"]);

/** Copy a live data directory; files that vanish mid-copy (temp files) are skipped. Returns bytes copied. */
function copyDataDir(from: string, to: string): number {
  let bytes = 0;
  const walk = (src: string, dst: string, depth: number) => {
    mkdirSync(dst, { recursive: true, mode: 0o700 });
    let entries;
    try {
      entries = readdirSync(src, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      const s = path.join(src, entry.name);
      const d = path.join(dst, entry.name);
      if (depth === 0 && SKIP_TOP_FILES.has(entry.name)) continue;
      if (entry.name === "pg_internal.init" || entry.name.startsWith("pgsql_tmp")) continue;
      try {
        if (entry.isDirectory()) {
          if (depth === 0 && EMPTY_DIRS.has(entry.name)) mkdirSync(d, { mode: 0o700 });
          else walk(s, d, depth + 1);
        } else if (entry.isSymbolicLink()) {
          symlinkSync(readlinkSync(s), d);
        } else if (entry.isFile()) {
          copyFileSync(s, d);
          bytes += lstatSync(d).size;
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
  };
  walk(from, to, 0);
  mkdirSync(path.join(to, "pg_wal", "archive_status"), { recursive: true, mode: 0o700 });
  return bytes;
}

/**
 * A base backup of the primary whose data directory is `from` (same host),
 * into `to`, by the low-level backup API: pg_backup_start (fast checkpoint),
 * the copy, pg_backup_stop, whose label becomes the copy's backup_label. The
 * two calls must share one session: a connection of `sql` is reserved for
 * them. The copy has no WAL: it streams what it needs from the primary
 * (reserve it first with a slot). Returns the bytes copied.
 */
export async function baseBackupByCopy(sql: Sql, options: { readonly from: string; readonly to: string; readonly label: string }): Promise<number> {
  const session = await sql.reserve();
  try {
    await session`SELECT pg_backup_start(${options.label}, true)`;
    let copied: number;
    let label: { labelfile: string; spcmapfile: string | null };
    try {
      copied = copyDataDir(options.from, options.to);
    } finally {
      [label] = (await session`SELECT labelfile, spcmapfile FROM pg_backup_stop(false)`) as unknown as [{ labelfile: string; spcmapfile: string | null }];
    }
    writeFileSync(path.join(options.to, "backup_label"), label.labelfile, { mode: 0o600 });
    if (label.spcmapfile) writeFileSync(path.join(options.to, "tablespace_map"), label.spcmapfile, { mode: 0o600 });
    return copied;
  } finally {
    session.release();
  }
}

/** Give a tree to the user the server runs as. */
export function chownTree(dir: string, runAs: RunAs): void {
  const walk = (p: string) => {
    chownSync(p, runAs.uid, runAs.gid);
    if (lstatSync(p).isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
}

/** A value for postgresql.conf syntax: single-quoted, quotes doubled. */
export const confString = (value: string) => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
/** A value inside a libpq conninfo string. */
export const conninfoValue = (value: string) => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

const CONNINFO_MARK = "# streaming replica of the embedded server (src/embedded/replicas.ts)";

/**
 * (Re)write primary_conninfo and primary_slot_name in the replica's
 * postgresql.auto.conf. Also on every start: the primary may have moved to
 * another port (a busy port is replaced by a free one), and the replica must
 * follow it. Returns whether the file changed.
 */
function writeStandbyConninfo(dataDir: string, state: EmbeddedState, replica: EmbeddedReplicaState, password: string): boolean {
  const file = path.join(dataDir, "postgresql.auto.conf");
  const conninfo = [`host=127.0.0.1`, `port=${state.port}`, `user=${REPLICATION_ROLE}`, `password=${conninfoValue(password)}`, `application_name=${replica.name}`].join(" ");
  const block = `${CONNINFO_MARK}\nprimary_conninfo = ${confString(conninfo)}\nprimary_slot_name = ${confString(replica.slot)}\n`;
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  const kept = before
    .split("\n")
    .filter((line) => line !== CONNINFO_MARK && !/^\s*primary_(conninfo|slot_name)\s*=/.test(line))
    .join("\n")
    .replace(/\n+$/, "");
  const after = `${kept}\n\n${block}`;
  if (after === before) return false;
  const stat = existsSync(file) ? lstatSync(file) : undefined;
  writeFileSync(file, after, { mode: 0o600 });
  chmodSync(file, 0o600);
  if (stat) chownSync(file, stat.uid, stat.gid);
  return true;
}

function startCluster(dataDir: string, logFile: string, port: number, settings: readonly ServerSetting[], runAs: RunAs | undefined): void {
  const bin = postgresBinaries(runAs, clusterMajor(dataDir));
  const startedAt = Date.now();
  const result = runServerCommand(bin.pgCtl, ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "120", "-o", postgresOptions(port, settings)], runAs);
  if (result.status !== 0) {
    // Startup messages in pg_ctl's file, the rest where the logging collector writes (<data dir>/log).
    const text = startFailureLog(logFile, 0, dataDir, startedAt);
    const tail = text.trim().split("\n").slice(-5).join("\n");
    throw new UserError(`The replica in ${dataDir} did not start (pg_ctl exit ${result.status}). Server log ${logFile}:\n${tail || result.stderr.trim()}`, EXIT.notReady);
  }
}

function replicaSettings(options: ReplicaOptions): ServerSetting[] {
  return [...SERVER_SETTINGS, ...STANDBY_SETTINGS, ...(options.extraSettings ?? [])];
}

async function freePort(previous?: number): Promise<number> {
  return previous !== undefined && (await isPortFree(previous)) ? previous : findFreePort();
}

export interface CreatedReplica {
  readonly replica: EmbeddedReplica;
  /** Wall time from the slot's creation to the standby accepting connections. */
  readonly ms: number;
  readonly copiedBytes: number;
}

/** Make one more replica of the running embedded primary and start it. */
export async function createReplica(options: ReplicaOptions): Promise<CreatedReplica> {
  const started = performance.now();
  let state = requireRunningPrimary(options.baseDir);
  const runAs = serverRunAs();
  const existing = state.replicas ?? [];
  let n = existing.length + 1;
  while (existing.some((r) => r.name === `replica-${n}`)) n++;
  const name = `replica-${n}`;
  const slot = `bollalabz_replica_${n}`;
  const dir = path.join(state.clusterDir, name);
  const dataDir = path.join(dir, "pgdata");
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  const password = state.replicationPassword ?? randomBytes(18).toString("base64url");
  state = { ...state, replicationPassword: password };
  writeState(options.baseDir, state);

  let copiedBytes = 0;
  // One connection: pg_backup_start and pg_backup_stop must run in the same session.
  await withSql(primaryRoot(state), async (sql) => {
    try {
      await prepareReplicationOnPrimary(sql, state, password);
      // The slot first, reserving WAL now: everything from the backup's start on is kept for this replica.
      const [stale] = await sql`SELECT active FROM pg_replication_slots WHERE slot_name = ${slot}`;
      if (stale) await sql`SELECT pg_drop_replication_slot(${slot})`;
      await sql`SELECT pg_create_physical_replication_slot(${slot}, true)`;
      options.log?.(`${name}: base backup of ${path.join(state.clusterDir, "pgdata")} (low-level API, slot ${slot})`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      copiedBytes = await baseBackupByCopy(sql, { from: path.join(state.clusterDir, "pgdata"), to: dataDir, label: `bollalabz ${name}` });
    } catch (error) {
      await sql`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${slot} AND NOT active`.catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }, { max: 1, applicationName: "bollalabz-db replica backup", connectTimeoutSeconds: 10 });

  writeFileSync(path.join(dataDir, "standby.signal"), "");
  writeStandbyConninfo(dataDir, state, { name, slot, dir, port: 0 }, password);
  chmodSync(dataDir, 0o700);
  if (runAs) chownTree(dir, runAs);

  const port = await freePort();
  const replica: EmbeddedReplicaState = { name, port, slot, dir };
  state = { ...state, replicas: [...existing, replica] };
  writeState(options.baseDir, state);
  startCluster(dataDir, path.join(dir, "postgres.log"), port, replicaSettings(options), runAs);
  return { replica: describeReplica(state, replica), ms: performance.now() - started, copiedBytes };
}

/** Start every recorded replica that is not running (after the primary). */
export async function startReplicas(options: ReplicaOptions): Promise<EmbeddedReplica[]> {
  let state = requireRunningPrimary(options.baseDir);
  const runAs = serverRunAs();
  const started: EmbeddedReplica[] = [];
  for (const replica of state.replicas ?? []) {
    const dataDir = replicaDataDir(replica);
    if (runningPid(dataDir) !== undefined) {
      // Running, but the primary may have come back on another port: primary_conninfo reloads without a restart.
      if (state.replicationPassword && writeStandbyConninfo(dataDir, state, replica, state.replicationPassword)) {
        runServerCommand(postgresBinaries(runAs, clusterMajor(dataDir)).pgCtl, ["reload", "-D", dataDir], runAs);
        options.log?.(`${replica.name}: now streams from the primary on port ${state.port}`);
      }
      continue;
    }
    if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
      throw new UserError(`${replica.name}'s data directory ${dataDir} is gone. Remove it from the set with 'npm run db:start -- --replicas <fewer>' and add it again.`, EXIT.notReady);
    }
    const port = await freePort(replica.port);
    if (port !== replica.port) {
      options.log?.(`${replica.name}: port ${replica.port} is busy; using free port ${port}`);
      state = { ...state, replicas: (state.replicas ?? []).map((r) => (r.name === replica.name ? { ...r, port } : r)) };
      writeState(options.baseDir, state);
    }
    if (state.replicationPassword) writeStandbyConninfo(dataDir, state, replica, state.replicationPassword);
    startCluster(dataDir, path.join(replica.dir, "postgres.log"), port, replicaSettings(options), runAs);
    started.push(describeReplica(state, { ...replica, port }));
  }
  return started;
}

/** Stop and delete the last replica: its server, its files and its slot on the primary. */
export async function removeLastReplica(options: ReplicaOptions): Promise<EmbeddedReplicaState | undefined> {
  const state = requireRunningPrimary(options.baseDir);
  const replicas = state.replicas ?? [];
  const last = replicas.at(-1);
  if (!last) return undefined;
  stopCluster(replicaDataDir(last));
  await withSql(primaryRoot(state), (sql) => sql`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${last.slot}`, { max: 1, applicationName: "bollalabz-db replicas" });
  rmSync(last.dir, { recursive: true, force: true });
  writeState(options.baseDir, { ...state, replicas: replicas.slice(0, -1) });
  return last;
}

export interface ReplicaSetChange {
  readonly created: readonly CreatedReplica[];
  readonly started: readonly EmbeddedReplica[];
  readonly removed: readonly EmbeddedReplicaState[];
  readonly replicas: readonly EmbeddedReplica[];
}

/**
 * Make the running primary have exactly `count` replicas (undefined: keep the
 * recorded ones): start the recorded ones, create the missing ones, remove
 * the extra ones (newest first).
 */
export async function ensureReplicas(options: ReplicaOptions & { readonly count?: number }): Promise<ReplicaSetChange> {
  const removed: EmbeddedReplicaState[] = [];
  if (options.count !== undefined) {
    while ((readState(options.baseDir)?.replicas ?? []).length > options.count) {
      const gone = await removeLastReplica(options);
      if (gone) {
        removed.push(gone);
        options.log?.(`removed ${gone.name} (its data and slot ${gone.slot})`);
      }
    }
  }
  const started = await startReplicas(options);
  const created: CreatedReplica[] = [];
  while (options.count !== undefined && (readState(options.baseDir)?.replicas ?? []).length < options.count) {
    created.push(await createReplica(options));
  }
  return { created, started, removed, replicas: embeddedReplicas(options.baseDir) };
}
