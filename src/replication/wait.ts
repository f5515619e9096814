// Waiting on replication STATE (never on elapsed time): until a standby has
// replayed the primary's WAL up to a given position.
import type { Sql } from "../db/index.ts";

export interface WaitForReplayOptions {
  /** Give up after this long (default 60 s): a clear error names the positions. */
  readonly timeoutMs?: number;
  /** Poll interval (default 50 ms). */
  readonly intervalMs?: number;
}

/** Resolves once the standby's replay position is at or past `lsn`. */
export async function waitForReplayLsn(standby: Sql, lsn: string, options: WaitForReplayOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const [row] = await standby<{ done: boolean; replay: string | null }[]>`
      SELECT coalesce(pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn, false) AS done, pg_last_wal_replay_lsn()::text AS replay`;
    if (row!.done) return;
    if (Date.now() > deadline) {
      throw Object.assign(new Error(`the standby replayed WAL up to ${row!.replay ?? "nothing"}, not yet ${lsn}, within ${options.timeoutMs ?? 60_000} ms`), { code: "REPLAY_TIMEOUT" });
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

/**
 * Wait until the standby has replayed everything the primary had written when
 * this was called. The insert position, not the write position: with
 * synchronous_commit off a commit may still sit in the WAL buffers (the WAL
 * writer flushes it within wal_writer_delay, then it streams).
 */
export async function waitForCatchUp(primary: Sql, standby: Sql, options: WaitForReplayOptions = {}): Promise<string> {
  const [row] = await primary<{ lsn: string }[]>`SELECT pg_current_wal_insert_lsn()::text AS lsn`;
  const lsn = row!.lsn;
  await waitForReplayLsn(standby, lsn, options);
  return lsn;
}

export interface CatchUp {
  /** Seconds until the standby had replayed the primary's position at the start; null when not within the timeout. */
  readonly seconds: number | null;
  /** The primary's WAL position it waited for. */
  readonly lsn: string;
}

/**
 * How far behind a standby really is, as time: take the primary's current
 * WAL position and measure how long the standby takes to replay up to it
 * (0 when it already has). Unlike "now() - last replayed commit", this does
 * not grow while the primary writes WAL without commits (a long index build).
 */
export async function measureCatchUp(primary: Sql, standby: Sql, options: WaitForReplayOptions = {}): Promise<CatchUp> {
  const [row] = await primary<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`;
  const started = performance.now();
  try {
    await waitForReplayLsn(standby, row!.lsn, { intervalMs: 20, ...options });
    return { seconds: (performance.now() - started) / 1000, lsn: row!.lsn };
  } catch (error) {
    if ((error as { code?: string }).code === "REPLAY_TIMEOUT") return { seconds: null, lsn: row!.lsn };
    throw error;
  }
}
