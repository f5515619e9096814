// The application's database handle: a postgres.js pool with the spec's
// settings, every query timed by the monitor, bounded waiting for a free
// connection, and pool statistics postgres.js does not expose. How each query
// is timed and admitted: instrumented-client.ts.
import postgres from "postgres";
import { classifyConnectionError, INT8_AS_NUMBER, type Sql } from "../db/index.ts";
import { AdmissionGate, PoolClosedError } from "./admission.ts";
import { instrument, withSlot, wrapClient, type AnyFn, type PoolCore, type RawQuery, type RawSql } from "./instrumented-client.ts";
import { POOL_DEFAULTS, type PoolConfig } from "./pool-options.ts";
import type { SampledStatement } from "./parameter-sample.ts";
import { QueryMonitor, stderrLogger, type PoolLogger, type QueryDurationListener, type QueryStats } from "./query-monitor.ts";
import { guardArrayTypeFetch } from "./type-fetch-guard.ts";
import { APP_PLAN_CACHE_MODE } from "../settings/plan-cache.ts";

export interface PoolStats {
  readonly max: number;
  readonly min: number;
  /** Connections open to the server (tracked from the backend pids queries ran on, minus closes). */
  readonly open: number;
  /** Slots in use: running queries, open transactions, reserved connections. */
  readonly busy: number;
  readonly idle: number;
  /** Queries waiting for a free slot (each waits at most queueTimeoutMs). */
  readonly waiting: number;
  /** Since the last resetQueryStats(): highest busy / waiting, and how many queries had to wait at all. */
  readonly peakBusy: number;
  readonly peakWaiting: number;
  readonly queuedTotal: number;
  readonly queueTimeoutMs: number;
  readonly applicationName: string;
}

export interface ServerPoolStats {
  /** Rows in pg_stat_activity of this database with our application_name (all instances). */
  readonly connections: number;
  readonly active: number;
  readonly idle: number;
  readonly idleInTransaction: number;
  /** Of those, the ones whose pid this pool has seen (this instance). */
  readonly ours: number;
}

export interface PingResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface Database {
  /** The pool's tagged-template client; every query is timed and admitted through the pool gate. */
  readonly sql: Sql;
  readonly config: PoolConfig;
  getQueryStats(): QueryStats;
  resetQueryStats(): void;
  /** Be told of every timed query's duration (not reset by resetQueryStats). Returns the unsubscribe. */
  onQueryDuration(listener: QueryDurationListener): () => void;
  poolStats(): PoolStats;
  /** Cross-check with the server: pg_stat_activity by application_name (also prunes closed connections from the count). */
  serverPoolStats(): Promise<ServerPoolStats>;
  /** A round trip with a deadline on a connection of its own, outside the admission queue; never throws, never waits longer than timeoutMs. Not counted in the query stats. */
  ping(timeoutMs?: number): Promise<PingResult>;
  /** Open `min` connections now (also done at creation). */
  warmUp(): Promise<void>;
  /**
   * The bind parameters the pool saw, a bounded sample per statement (the
   * slowest calls' value sets; POOL_PARAMETER_SAMPLES per statement). Values
   * are data: store them only with saveParameterSamples (monitor schema), for advise.
   */
  parameterSamples(): SampledStatement[];
  close(options?: { timeoutSeconds?: number }): Promise<void>;
}

export interface CreateDatabaseOptions {
  readonly logger?: PoolLogger;
  /** Skip the warm-up at creation (tests that count connections). Default false. */
  readonly skipWarmUp?: boolean;
}

/**
 * Seconds a closed connection waits before its next connect attempt.
 * postgres.js's default grows with every failed attempt in the pool (0.5-1 x
 * 3^n / 100 s, up to 20 s): after a few seconds of outage the first attempt
 * once the server is back comes 3-8 s late, and the health API stays 503 that
 * long. A refused connect is cheap, so we retry soon: at most 0.25 s, which
 * keeps recovery under a second while bounding attempts to 4/s per slot.
 */
export const RECONNECT_BACKOFF_MAX_SECONDS = 0.25;
export function reconnectBackoffSeconds(retries: number): number {
  return Math.min(RECONNECT_BACKOFF_MAX_SECONDS, 0.01 * 2 ** retries);
}

export function createDatabase(config: PoolConfig, options: CreateDatabaseOptions = {}): Database {
  const logger = options.logger ?? stderrLogger;
  guardArrayTypeFetch(logger);
  const connections = new Map<number, number>();
  const probe: ProbeConnection = { raw: openProbeClient(config), pid: undefined, closed: false };
  const core: PoolCore = {
    config,
    raw: openRawPool(config, connections),
    gate: new AdmissionGate(config.max, config.queueTimeoutMs),
    monitor: new QueryMonitor({ slowMs: config.slowQueryMs, verySlowMs: config.verySlowQueryMs }, logger, config.parameterSamples ?? POOL_DEFAULTS.parameterSamples),
    connections,
  };
  const { raw, gate, monitor } = core;

  const warmUp = async (): Promise<void> => {
    const slots = Math.min(config.min, config.max);
    await Promise.all(Array.from({ length: slots }, () => instrument(core, raw`SELECT 1`, true, false).catch(() => {})));
  };
  // Keep `min` connections: postgres.js closes idle ones after idleTimeout.
  const rewarm = setInterval(() => {
    if (connections.size < config.min && gate.busy === 0) void warmUp();
  }, config.idleTimeoutSeconds * 1000);
  rewarm.unref();
  const close = async (opts: { timeout?: number; timeoutSeconds?: number } = {}): Promise<void> => {
    clearInterval(rewarm);
    gate.close();
    probe.closed = true;
    const timeout = opts.timeoutSeconds ?? opts.timeout ?? 5;
    await Promise.all([raw.end({ timeout }), probe.raw.end({ timeout })]);
    connections.clear();
  };
  if (!options.skipWarmUp) void warmUp();

  return {
    sql: pooledClient(core, close),
    config,
    getQueryStats: () => monitor.stats(),
    onQueryDuration: (listener) => monitor.onRecord(listener),
    resetQueryStats: () => {
      monitor.reset();
      gate.resetPeaks();
    },
    poolStats: () => poolStats(core),
    serverPoolStats: () => serverPoolStats(core, probe),
    ping: (timeoutMs) => ping(probe, timeoutMs),
    warmUp,
    parameterSamples: () => monitor.parameters.snapshot(),
    close: (opts) => close(opts),
  };
}

/** The postgres.js pool itself, with the spec's settings; `connections` forgets a backend when postgres.js closes one. */
function openRawPool(config: PoolConfig, connections: Map<number, number>): RawSql {
  return postgres(config.target.url, {
    max: config.max,
    idle_timeout: config.idleTimeoutSeconds,
    connect_timeout: config.connectTimeoutSeconds,
    keep_alive: config.keepAliveSeconds,
    backoff: reconnectBackoffSeconds,
    onnotice: () => {},
    // Server-side limits travel as startup parameters: the server cancels an
    // over-long statement itself (SQLSTATE 57014), even if this process stalls.
    // plan_cache_mode: every prepared execution is planned with its values
    // (src/settings/plan-cache.ts: the generic plan of a page query can read a
    // heavy key's whole history).
    connection: { application_name: config.applicationName, statement_timeout: config.statementTimeoutMs, plan_cache_mode: APP_PLAN_CACHE_MODE },
    types: { int8AsNumber: INT8_AS_NUMBER },
    onclose: () => {
      // postgres.js names the closed connection by its slot id, not its pid:
      // forget the connection idle longest (idle timeout and max_lifetime
      // close those first); serverPoolStats() corrects any drift.
      let oldest: number | undefined;
      let oldestAt = Infinity;
      for (const [pid, at] of connections) if (at < oldestAt) [oldest, oldestAt] = [pid, at];
      if (oldest !== undefined) connections.delete(oldest);
    },
  }) as unknown as RawSql;
}

/**
 * The health probe's own connection, outside the admission gate. A probe that
 * queued behind the app's queries timed out whenever they held every slot
 * (200 requests on a pool of 20 under load), and the health API then called a
 * reachable database down: a saturated pool is a busy app, which GET /health
 * reports as pool busy/waiting, not an outage. One connection, opened by the
 * first ping, closed after idleTimeoutSeconds without probes; it carries the
 * pool's application_name (the API's cancel/terminate refuses it like the
 * pool's own) but is left out of the pool's figures.
 */
interface ProbeConnection {
  readonly raw: RawSql;
  /** Backend pid of the probe's connection, from its last answer: serverPoolStats leaves it out. */
  pid: number | undefined;
  closed: boolean;
}

function openProbeClient(config: PoolConfig): RawSql {
  return postgres(config.target.url, {
    max: 1,
    idle_timeout: config.idleTimeoutSeconds,
    connect_timeout: config.connectTimeoutSeconds,
    keep_alive: config.keepAliveSeconds,
    backoff: reconnectBackoffSeconds,
    onnotice: () => {},
    // It reads one integer: no array types to fetch on every reconnect (type-fetch-guard.ts says why that fetch is fragile during an outage).
    fetch_types: false,
    connection: { application_name: config.applicationName, statement_timeout: config.statementTimeoutMs },
    types: { int8AsNumber: INT8_AS_NUMBER },
  }) as unknown as RawSql;
}

/** The pool's `sql`: top-level queries gated; a transaction or reserved connection holds one slot for its whole life. */
function pooledClient(core: PoolCore, close: (opts?: { timeout?: number; timeoutSeconds?: number }) => Promise<void>): Sql {
  const { raw } = core;
  return wrapClient(core, raw, true, {
    begin: (...args: unknown[]) => {
      const fn = args.at(-1) as AnyFn;
      const mode = args.length > 1 ? args[0] : undefined;
      return withSlot(
        core,
        () => (mode === undefined ? raw.begin((tx: RawSql) => fn(wrapClient(core, tx, false))) : raw.begin(mode, (tx: RawSql) => fn(wrapClient(core, tx, false)))),
        true,
      );
    },
    reserve: () =>
      withSlot(core, async (release) => {
        const reserved = (await raw.reserve()) as RawSql;
        return wrapClient(core, reserved, false, {
          release: () => {
            reserved.release();
            release();
          },
        });
      }, false),
    end: (...args: unknown[]) => close(...(args as [])),
    close: (...args: unknown[]) => close(...(args as [])),
  }) as unknown as Sql;
}

function poolStats({ config, gate, connections }: PoolCore): PoolStats {
  const busy = gate.busy;
  const open = connections.size;
  return {
    max: config.max,
    min: config.min,
    open,
    busy,
    idle: Math.max(0, open - busy),
    waiting: gate.waiting,
    peakBusy: gate.peak.busy,
    peakWaiting: gate.peak.waiting,
    queuedTotal: gate.peak.queued,
    queueTimeoutMs: config.queueTimeoutMs,
    applicationName: config.applicationName,
  };
}

async function serverPoolStats(core: PoolCore, probe: ProbeConnection): Promise<ServerPoolStats> {
  const { raw, config, connections } = core;
  const all = await instrument(
    core,
    raw`SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${config.applicationName} AND backend_type = 'client backend'`,
    true,
  ) as unknown as { pid: number; state: string | null }[];
  const rows = all.filter((r) => r.pid !== probe.pid);
  const serverPids = new Set(rows.map((r) => r.pid));
  for (const pid of connections.keys()) if (!serverPids.has(pid)) connections.delete(pid);
  return {
    connections: rows.length,
    active: rows.filter((r) => r.state === "active").length,
    idle: rows.filter((r) => r.state === "idle").length,
    idleInTransaction: rows.filter((r) => r.state?.startsWith("idle in transaction")).length,
    ours: rows.filter((r) => connections.has(r.pid)).length,
  };
}

/** The probe: a round trip on the probe's own connection (never queued behind the pool's queries). */
async function ping(probe: ProbeConnection, timeoutMs = 2_000): Promise<PingResult> {
  const started = performance.now();
  if (probe.closed) return { ok: false, latencyMs: 0, error: { code: "POOL_CLOSED", message: "the connection pool is closed" } };
  const query = probe.raw`SELECT pg_backend_pid() AS pid` as RawQuery & { cancel(): unknown };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(resolve, timeoutMs, "timeout")));
  try {
    const outcome = await Promise.race([query.then((rows) => ((probe.pid = (rows as { pid: number }[])[0]?.pid), "ok" as const)), deadline]);
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    if (outcome === "ok") return { ok: true, latencyMs };
    Promise.resolve(query.cancel()).catch(() => {});
    return { ok: false, latencyMs, error: { code: "PING_TIMEOUT", message: `the database did not answer SELECT 1 within ${timeoutMs} ms` } };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    return { ok: false, latencyMs, error: { code: String(e.code ?? "UNKNOWN"), message: describeFailure(e) } };
  } finally {
    clearTimeout(timer);
  }
}

/** A short reason for a failed query without values from the statement (safe for unauthenticated answers). */
function describeFailure(e: { code?: string; message?: string }): string {
  if (e.code === "CONNECTION_ENDED") return "the connection pool is closed";
  return classifyConnectionError(e)?.short ?? (e.code === undefined ? "query failed" : `query failed with code ${e.code}`);
}

export { PoolClosedError };
