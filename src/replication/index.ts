// Streaming replication: state as the primary and the standbys report it, waiting on replay, replica URLs.
export { nodeRole, standbyLag, connectedStandbys, replicationSlots, replicaStates, currentWalLsn, lsnDiff, type NodeRole, type StandbyLag, type ConnectedStandby, type ReplicationSlot, type ReplicaState } from "./status.ts";
export { waitForReplayLsn, waitForCatchUp, type WaitForReplayOptions } from "./wait.ts";
export { replicationHealth, type ReplicationHealth } from "./health.ts";
export { replicationSlotReport, type SlotReport } from "./slots.ts";
export { replicaTargets, REPLICA_URLS_ENV } from "./targets.ts";
