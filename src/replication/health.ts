// One node's replication health, the verdict the health API serves and
// graphs: on a primary one entry per physical slot (a stopped replica keeps
// its slot, so it shows up as inactive, with the WAL it holds back) joined
// with its WAL sender; on a standby, its own lag.
import type { Sql } from "../db/index.ts";
import { nodeRole, replicaStates, standbyLag, type ReplicaState, type StandbyLag } from "./status.ts";

export interface ReplicationHealth {
  /** ok: every replica's slot is active; degraded: a slot is inactive (its replica is down and WAL piles up). */
  readonly status: "ok" | "degraded";
  readonly role: "primary" | "standby";
  readonly replicas: readonly ReplicaState[];
  readonly inactiveSlots: readonly string[];
  /** When the pool's server is itself a standby: its own lag. */
  readonly standby: StandbyLag | null;
}

export async function replicationHealth(sql: Sql): Promise<ReplicationHealth> {
  const role = await nodeRole(sql);
  if (role === "standby") return { status: "ok", role, replicas: [], inactiveSlots: [], standby: await standbyLag(sql) };
  const replicas = await replicaStates(sql);
  const inactiveSlots = replicas.filter((r) => r.slotName && !r.slotActive).map((r) => r.slotName);
  return { status: inactiveSlots.length ? "degraded" : "ok", role, replicas, inactiveSlots, standby: null };
}
