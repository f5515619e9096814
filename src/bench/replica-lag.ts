// Replica lag sampled at a fixed interval while something runs on the primary
// (e.g. `npm run migrate`): the figure behind "how far behind do reads get
// during a deploy". Each tick reads, at about the same moment,
// - on the standby: lag as postgres_exporter's pg_replication_lag_seconds
//   (0 when all received WAL is replayed, else now() - last replayed commit;
//   note it counts from the last COMMIT, so a long index build with no commits
//   in between inflates it) and its replay position;
// - on the primary: its WAL position, so bytes behind = current - replay;
//   and pg_stat_replication.replay_lag for that standby when it is identified.
import type { Sql } from "../db/index.ts";
import { percentile } from "../base/statistics.ts";

export interface LagSample {
  /** ms since sampling started */
  readonly atMs: number;
  readonly exporterSeconds: number;
  readonly bytesBehind: number;
  /** pg_stat_replication.replay_lag (null when not measured, e.g. idle, or the standby is not identified). */
  readonly replayLagSeconds: number | null;
}

export interface LagFigures {
  readonly worst: number;
  readonly p99: number;
  readonly p50: number;
}

export interface LagSummary {
  readonly samples: number;
  readonly intervalMs: number;
  readonly durationMs: number;
  /** Failed ticks (e.g. a connection hiccup); skipped, counted. */
  readonly errors: number;
  readonly exporterSeconds: LagFigures;
  readonly bytesBehind: LagFigures;
  readonly replayLagSeconds: LagFigures | null;
}

function figures(values: readonly number[]): LagFigures {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { worst: NaN, p99: NaN, p50: NaN };
  return { worst: sorted.at(-1)!, p99: percentile(sorted, 99), p50: percentile(sorted, 50) };
}

export function summarizeLag(samples: readonly LagSample[], intervalMs: number, durationMs: number, errors: number): LagSummary {
  const replay = samples.map((s) => s.replayLagSeconds).filter((x): x is number => x !== null);
  return {
    samples: samples.length,
    intervalMs,
    durationMs,
    errors,
    exporterSeconds: figures(samples.map((s) => s.exporterSeconds)),
    bytesBehind: figures(samples.map((s) => s.bytesBehind)),
    replayLagSeconds: replay.length ? figures(replay) : null,
  };
}

export interface LagSampler {
  /** Stop sampling; resolves with every sample and the summary. */
  stop(): Promise<{ samples: LagSample[]; summary: LagSummary }>;
}

/**
 * Start sampling every `intervalMs` (ticks do not overlap: a slow tick delays
 * the next one). `applicationName` picks the standby's row in
 * pg_stat_replication (default: the only one, if there is exactly one).
 */
export function sampleReplicaLag(primary: Sql, standby: Sql, options: { intervalMs?: number; applicationName?: string } = {}): LagSampler {
  const intervalMs = options.intervalMs ?? 100;
  const started = performance.now();
  const samples: LagSample[] = [];
  let errors = 0;
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  async function tick(): Promise<void> {
    const atMs = performance.now() - started;
    try {
      const [[s], senders] = await Promise.all([
        standby<{ exporter: number; replay: string }[]>`
          SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                      ELSE coalesce(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8 AS exporter,
                 pg_last_wal_replay_lsn()::text AS replay`,
        primary<{ name: string; lsn: string; replayLag: number | null }[]>`
          SELECT r.application_name AS name, pg_current_wal_lsn()::text AS lsn, EXTRACT(EPOCH FROM r.replay_lag)::float8 AS "replayLag"
          FROM (SELECT 1) one LEFT JOIN pg_stat_replication r ON true`,
      ]);
      const candidates = senders.filter((x) => x.name !== null);
      const mine = options.applicationName ? candidates.find((x) => x.name === options.applicationName) : candidates.length === 1 ? candidates[0] : undefined;
      const [diff] = await primary<{ bytes: number }[]>`SELECT greatest(pg_wal_lsn_diff(${senders[0]!.lsn}::pg_lsn, ${s!.replay}::pg_lsn), 0)::float8 AS bytes`;
      samples.push({ atMs, exporterSeconds: Math.max(0, s!.exporter), bytesBehind: diff!.bytes, replayLagSeconds: mine?.replayLag ?? null });
    } catch {
      errors++;
    }
  }

  const loop = () => {
    if (!running) return;
    const t0 = performance.now();
    current = tick().then(() => {
      if (running) timer = setTimeout(loop, Math.max(0, intervalMs - (performance.now() - t0)));
    });
  };
  loop();

  return {
    async stop() {
      running = false;
      clearTimeout(timer);
      await current;
      const durationMs = performance.now() - started;
      return { samples, summary: summarizeLag(samples, intervalMs, durationMs, errors) };
    },
  };
}

export function formatLagSummary(s: LagSummary): string {
  const sec = (f: LagFigures) => `worst ${f.worst.toFixed(3)} s, p99 ${f.p99.toFixed(3)} s, p50 ${f.p50.toFixed(3)} s`;
  const mb = (f: LagFigures) => `worst ${(f.worst / 1024 / 1024).toFixed(1)} MB, p99 ${(f.p99 / 1024 / 1024).toFixed(1)} MB, p50 ${(f.p50 / 1024 / 1024).toFixed(2)} MB`;
  return [
    `replica lag: ${s.samples} samples every ${s.intervalMs} ms over ${(s.durationMs / 1000).toFixed(1)} s${s.errors ? ` (${s.errors} failed ticks skipped)` : ""}`,
    `  pg_replication_lag_seconds (standby, as postgres_exporter): ${sec(s.exporterSeconds)}`,
    `  replay_lag (primary, pg_stat_replication):                ${s.replayLagSeconds ? sec(s.replayLagSeconds) : "not measured"}`,
    `  bytes behind (primary WAL position - standby replay):     ${mb(s.bytesBehind)}`,
  ].join("\n");
}
