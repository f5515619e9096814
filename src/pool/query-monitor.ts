// Times every query the pool runs, classifies it against the slow and very
// slow thresholds, logs those (query text truncated, parameters never) and
// keeps statistics in bounded memory. The bind parameters go only to the
// bounded parameter sample (parameter-sample.ts), never to a log line.
import { LatencyHistogram } from "../base/latency-histogram.ts";
import { ParameterSampler } from "./parameter-sample.ts";

/** pino-compatible subset (Fastify's `app.log` fits). */
export interface PoolLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Default logger: one JSON line per event on stderr. */
export const stderrLogger: PoolLogger = {
  warn: (obj, msg) => process.stderr.write(JSON.stringify({ level: "warn", time: Date.now(), ...obj, msg }) + "\n"),
  error: (obj, msg) => process.stderr.write(JSON.stringify({ level: "error", time: Date.now(), ...obj, msg }) + "\n"),
};

/** Called with each finished query's duration in ms and whether it failed. */
export type QueryDurationListener = (durationMs: number, failed: boolean) => void;

export type QueryClass = "normal" | "slow" | "very slow";

export interface SlowQuerySample {
  /** Statement text with $n placeholders, truncated; never parameter values. */
  readonly query: string;
  readonly durationMs: number;
  readonly class: Exclude<QueryClass, "normal">;
  readonly errorCode?: string;
  readonly at: string;
}

export interface QueryStats {
  readonly totalQueries: number;
  readonly totalDurationMs: number;
  readonly meanDurationMs: number | null;
  readonly minDurationMs: number | null;
  readonly maxDurationMs: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly slowQueries: number;
  readonly slowQueryPercentage: number;
  readonly verySlowQueries: number;
  readonly verySlowQueryPercentage: number;
  readonly errors: number;
  /** SQLSTATE (or postgres.js / pool code such as CONNECT_TIMEOUT, POOL_QUEUE_TIMEOUT) -> count. */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Time queries waited for a free connection (not included in the durations above). */
  readonly queueWait: { readonly waited: number; readonly meanMs: number | null; readonly maxMs: number | null };
  readonly thresholds: { readonly slowMs: number; readonly verySlowMs: number };
  /** The most recent slow / very slow queries, newest first (bounded). */
  readonly recentSlowQueries: readonly SlowQuerySample[];
  readonly since: string;
}

export const QUERY_TEXT_MAX = 200;
const RECENT_SLOW_MAX = 20;
const ERROR_CODES_MAX = 50;

/** Collapse whitespace and cut long statements: logs and API answers stay readable and bounded. */
export function truncateQuery(text: string, max = QUERY_TEXT_MAX): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export function classify(durationMs: number, thresholds: { slowMs: number; verySlowMs: number }): QueryClass {
  if (durationMs > thresholds.verySlowMs) return "very slow";
  if (durationMs > thresholds.slowMs) return "slow";
  return "normal";
}

export class QueryMonitor {
  private readonly histogram = new LatencyHistogram();
  private total = 0;
  private totalMs = 0;
  private slow = 0;
  private verySlow = 0;
  private errors = 0;
  private errorsByCode = new Map<string, number>();
  private waited = 0;
  private waitMs = 0;
  private waitMax = 0;
  private recent: SlowQuerySample[] = [];
  private since = new Date();
  private readonly listeners = new Set<QueryDurationListener>();
  readonly thresholds: { readonly slowMs: number; readonly verySlowMs: number };
  private readonly logger: PoolLogger;
  /** The bind parameters of successful queries, bounded (not cleared by reset(): advise reads it). */
  readonly parameters: ParameterSampler;

  constructor(thresholds: { slowMs: number; verySlowMs: number }, logger: PoolLogger = stderrLogger, parameterSetsPerStatement = 0) {
    this.thresholds = thresholds;
    this.logger = logger;
    this.parameters = new ParameterSampler(parameterSetsPerStatement);
  }

  /** Record one finished query. `text` must be the statement without parameter values; `parameters` go to the sample only. */
  record(text: string, durationMs: number, error?: unknown, parameters?: readonly unknown[]): QueryClass {
    if (error === undefined) this.parameters.record(text, parameters, durationMs);
    this.total++;
    this.totalMs += durationMs;
    this.histogram.record(durationMs);
    for (const listener of this.listeners) listener(durationMs, error !== undefined);
    let errorCode: string | undefined;
    if (error !== undefined) errorCode = this.countError(error);
    const cls = classify(durationMs, this.thresholds);
    if (cls !== "normal") {
      const query = truncateQuery(text);
      const ms = Math.round(durationMs * 10) / 10;
      if (cls === "slow") this.slow++;
      else this.verySlow++;
      this.recent.unshift({ query, durationMs: ms, class: cls, ...(errorCode ? { errorCode } : {}), at: new Date().toISOString() });
      if (this.recent.length > RECENT_SLOW_MAX) this.recent.length = RECENT_SLOW_MAX;
      const fields = { durationMs: ms, query, ...(errorCode ? { errorCode } : {}) };
      if (cls === "slow") this.logger.warn(fields, `slow query (> ${this.thresholds.slowMs} ms)`);
      else this.logger.error(fields, `very slow query (> ${this.thresholds.verySlowMs} ms)`);
    }
    return cls;
  }

  /**
   * Be told of every finished query's duration (e.g. a Prometheus histogram,
   * which must keep counting across resetQueryStats). Returns the unsubscribe.
   */
  onRecord(listener: QueryDurationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A query that failed before it ran (pool queue timeout, pool closed): an error, not a duration. */
  recordUnstarted(error: unknown): void {
    this.countError(error);
  }

  private countError(error: unknown): string {
    this.errors++;
    const errorCode = String((error as { code?: unknown })?.code ?? "UNKNOWN");
    const key = this.errorsByCode.has(errorCode) || this.errorsByCode.size < ERROR_CODES_MAX ? errorCode : "OTHER";
    this.errorsByCode.set(key, (this.errorsByCode.get(key) ?? 0) + 1);
    return errorCode;
  }

  /** Record how long a query waited for a free connection. */
  recordWait(ms: number): void {
    // Admitted at once (a few µs of bookkeeping) is not waiting.
    if (ms < 0.05) return;
    this.waited++;
    this.waitMs += ms;
    if (ms > this.waitMax) this.waitMax = ms;
  }

  stats(): QueryStats {
    const pct = (n: number) => (this.total === 0 ? 0 : Math.round((n / this.total) * 10_000) / 100);
    const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
    return {
      totalQueries: this.total,
      totalDurationMs: round(this.totalMs)!,
      meanDurationMs: this.total === 0 ? null : round(this.totalMs / this.total),
      minDurationMs: round(this.histogram.minMs),
      maxDurationMs: round(this.histogram.maxMs),
      p50Ms: round(this.histogram.quantile(0.5)),
      p95Ms: round(this.histogram.quantile(0.95)),
      p99Ms: round(this.histogram.quantile(0.99)),
      slowQueries: this.slow,
      slowQueryPercentage: pct(this.slow),
      verySlowQueries: this.verySlow,
      verySlowQueryPercentage: pct(this.verySlow),
      errors: this.errors,
      errorsByCode: Object.fromEntries(this.errorsByCode),
      queueWait: { waited: this.waited, meanMs: this.waited === 0 ? null : round(this.waitMs / this.waited), maxMs: this.waited === 0 ? null : round(this.waitMax) },
      thresholds: this.thresholds,
      recentSlowQueries: [...this.recent],
      since: this.since.toISOString(),
    };
  }

  reset(): void {
    this.histogram.reset();
    this.total = this.totalMs = this.slow = this.verySlow = this.errors = 0;
    this.errorsByCode = new Map();
    this.waited = this.waitMs = this.waitMax = 0;
    this.recent = [];
    this.since = new Date();
  }
}
