// Replication state, read with plain SQL from a server we are given (library
// code: it never starts a server). The figures are the ones operators know:
// - on a standby, lag as PgHero and postgres_exporter compute it
//   (`pg_replication_lag_seconds`): 0 when everything received is replayed,
//   else the age of the last replayed transaction;
// - on the primary, pg_stat_replication per connected standby and
//   pg_replication_slots per slot, with the WAL each slot holds back
//   (postgres_exporter's `pg_replication_slots_pg_wal_lsn_diff`).
import type { Sql } from "../db/index.ts";

export type NodeRole = "primary" | "standby";

export async function nodeRole(sql: Sql): Promise<NodeRole> {
  const [row] = await sql<{ standby: boolean }[]>`SELECT pg_is_in_recovery() AS standby`;
  return row!.standby ? "standby" : "primary";
}

export interface StandbyLag {
  /** Seconds behind, as postgres_exporter's pg_replication_lag_seconds (0 when caught up with what it received). */
  readonly lagSeconds: number;
  /** WAL received but not yet replayed, in bytes. */
  readonly replayBacklogBytes: number;
  readonly receiveLsn: string | null;
  readonly replayLsn: string | null;
  /** Commit time of the last transaction replayed (null before the first one). */
  readonly lastReplayAt: Date | null;
  /** Whether the WAL receiver is streaming from the primary right now. */
  readonly streaming: boolean;
}

/** Lag measured on the standby itself; throws when the server is not a standby. */
export async function standbyLag(sql: Sql): Promise<StandbyLag> {
  const [row] = await sql<(StandbyLag & { standby: boolean })[]>`
    SELECT pg_is_in_recovery() AS standby,
           CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE coalesce(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8 AS "lagSeconds",
           coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::float8 AS "replayBacklogBytes",
           pg_last_wal_receive_lsn()::text AS "receiveLsn",
           pg_last_wal_replay_lsn()::text AS "replayLsn",
           pg_last_xact_replay_timestamp() AS "lastReplayAt",
           EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming`;
  if (!row!.standby) throw new Error("standbyLag: the server is not a standby (pg_is_in_recovery() is false)");
  const { standby: _standby, ...lag } = row!;
  return { ...lag, lagSeconds: Math.max(0, lag.lagSeconds) };
}

export interface ConnectedStandby {
  readonly pid: number;
  readonly applicationName: string;
  readonly clientAddr: string | null;
  /** startup, catchup, streaming, backup, stopping */
  readonly state: string;
  readonly slotName: string | null;
  readonly replayLsn: string | null;
  /** pg_current_wal_lsn() - replay_lsn: WAL the standby has not applied yet. */
  readonly lagBytes: number | null;
  /** 0 when replay_lsn is at the primary's position, else replay_lag (null when not measured yet). */
  readonly lagSeconds: number | null;
  readonly syncState: string;
}

/** pg_stat_replication on the primary: one row per connected standby (WAL sender). */
export async function connectedStandbys(sql: Sql): Promise<ConnectedStandby[]> {
  return sql<ConnectedStandby[]>`
    SELECT r.pid, r.application_name AS "applicationName", host(r.client_addr) AS "clientAddr", r.state,
           s.slot_name AS "slotName", r.replay_lsn::text AS "replayLsn",
           pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::float8 AS "lagBytes",
           CASE WHEN r.replay_lsn >= pg_current_wal_lsn() THEN 0 ELSE EXTRACT(EPOCH FROM r.replay_lag)::float8 END AS "lagSeconds",
           r.sync_state AS "syncState"
    FROM pg_stat_replication r
    LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid
    ORDER BY r.application_name, r.pid`;
}

export interface ReplicationSlot {
  readonly slotName: string;
  readonly slotType: "physical" | "logical";
  readonly active: boolean;
  /** WAL the slot holds back on the primary: pg_current_wal_lsn() - restart_lsn (null if it never reserved WAL). */
  readonly retainedBytes: number | null;
  /** reserved, extended, unreserved or lost (PostgreSQL's wal_status). */
  readonly walStatus: string | null;
  readonly restartLsn: string | null;
}

/** pg_replication_slots with the WAL each holds back (read on the primary). */
export async function replicationSlots(sql: Sql): Promise<ReplicationSlot[]> {
  return sql<ReplicationSlot[]>`
    SELECT slot_name AS "slotName", slot_type AS "slotType", active,
           CASE WHEN restart_lsn IS NULL THEN NULL
                ELSE pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, restart_lsn)::float8 END AS "retainedBytes",
           wal_status AS "walStatus", restart_lsn::text AS "restartLsn"
    FROM pg_replication_slots
    ORDER BY slot_name`;
}

/** One replica as the primary sees it: its slot joined with its WAL sender, if connected. */
export interface ReplicaState {
  readonly slotName: string;
  readonly slotActive: boolean;
  readonly retainedBytes: number | null;
  readonly walStatus: string | null;
  readonly connected: boolean;
  readonly applicationName: string | null;
  readonly state: string | null;
  readonly lagBytes: number | null;
  readonly lagSeconds: number | null;
}

/**
 * Replication as the primary sees it, one entry per physical slot (a replica
 * keeps its slot when it disconnects, so a stopped replica still shows up,
 * inactive) plus connected standbys that use no slot.
 */
export async function replicaStates(sql: Sql): Promise<ReplicaState[]> {
  const [slots, standbys] = await Promise.all([replicationSlots(sql), connectedStandbys(sql)]);
  const bySlot = new Map(standbys.filter((s) => s.slotName).map((s) => [s.slotName!, s]));
  const states: ReplicaState[] = slots
    .filter((s) => s.slotType === "physical")
    .map((slot) => {
      const sender = bySlot.get(slot.slotName);
      return {
        slotName: slot.slotName,
        slotActive: slot.active,
        retainedBytes: slot.retainedBytes,
        walStatus: slot.walStatus,
        connected: sender !== undefined,
        applicationName: sender?.applicationName ?? null,
        state: sender?.state ?? null,
        lagBytes: sender?.lagBytes ?? slot.retainedBytes,
        lagSeconds: sender?.lagSeconds ?? null,
      };
    });
  for (const s of standbys.filter((x) => !x.slotName)) {
    states.push({ slotName: "", slotActive: false, retainedBytes: null, walStatus: null, connected: true, applicationName: s.applicationName, state: s.state, lagBytes: s.lagBytes, lagSeconds: s.lagSeconds });
  }
  return states;
}

/** The primary's current WAL position (text LSN). */
export async function currentWalLsn(sql: Sql): Promise<string> {
  const [row] = await sql<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`;
  return row!.lsn;
}

/** Bytes from `from` to `to` (pg_wal_lsn_diff), computed by the server. */
export async function lsnDiff(sql: Sql, to: string, from: string): Promise<number> {
  const [row] = await sql<{ diff: number }[]>`SELECT pg_wal_lsn_diff(${to}::pg_lsn, ${from}::pg_lsn)::float8 AS diff`;
  return row!.diff;
}
