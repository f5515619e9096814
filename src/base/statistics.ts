// Latency statistics over a set of samples (milliseconds).

export interface LatencyStats {
  readonly runs: number;
  readonly min: number;
  readonly median: number;
  readonly mean: number;
  readonly p95: number;
  readonly max: number;
}

/** Nearest-rank percentile (p in 0..100) of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Middle value (mean of the two middle ones for an even count); NaN when empty. */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

export function latencyStats(samples: readonly number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { runs: 0, min: NaN, median: NaN, mean: NaN, p95: NaN, max: NaN };
  return { runs: n, min: sorted[0]!, median: median(sorted), mean: sorted.reduce((s, x) => s + x, 0) / n, p95: percentile(sorted, 95), max: sorted[n - 1]! };
}
