// The replication slots read on the primary: which replica is gone (its slot
// inactive) and how much WAL its slot holds back on the primary's disk.
import type { Sql } from "../db/index.ts";
import { replicationSlots, type ReplicationSlot } from "./status.ts";

export interface SlotReport {
  /** Slots are read on this node (the primary). */
  readonly node: "primary";
  readonly slots: readonly ReplicationSlot[];
  /** No replica connected: the slot keeps WAL on the primary's disk until it comes back or the slot is dropped. */
  readonly inactive: readonly ReplicationSlot[];
  readonly inactiveRetainedBytes: number;
}

export async function replicationSlotReport(sql: Sql): Promise<SlotReport> {
  const slots = await replicationSlots(sql);
  const inactive = slots.filter((s) => !s.active);
  return { node: "primary", slots, inactive, inactiveRetainedBytes: inactive.reduce((sum, s) => sum + (s.retainedBytes ?? 0), 0) };
}
