// Percentiles in bounded memory: a log-bucketed histogram (each bucket 5%
// wider than the one before, 10 µs to ~20 min in ~400 counters), so p50/p95/p99
// are exact to within 5% however many queries run. Min and max are exact.

const BASE_MS = 0.01;
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(1_200_000 / BASE_MS) / LOG_GROWTH) + 1;

export class LatencyHistogram {
  private counts = new Uint32Array(BUCKETS);
  private n = 0;
  private min = Infinity;
  private max = 0;

  record(ms: number): void {
    const value = Math.max(ms, 0);
    const index = value <= BASE_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(value / BASE_MS) / LOG_GROWTH));
    this.counts[index]!++;
    this.n++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get count(): number {
    return this.n;
  }

  /** The q-quantile (0..1) in ms: the upper bound of its bucket, clamped to the observed min/max; null when empty. */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const upper = BASE_MS * GROWTH ** i;
        return Math.min(Math.max(upper, this.min), this.max);
      }
    }
    return this.max;
  }

  get minMs(): number | null {
    return this.n === 0 ? null : this.min;
  }

  get maxMs(): number | null {
    return this.n === 0 ? null : this.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.min = Infinity;
    this.max = 0;
  }
}
