// The application's database handle: a postgres.js pool with the spec's
// settings, every query timed by the monitor, bounded waiting for a free
// connection, and pool statistics postgres.js does not expose.
//
// postgres.js has no completion hook, so `sql` is a Proxy over the real
// client: each Query it creates gets its `handler` wrapped (admission + start
// time) and a settle listener attached with Promise.prototype.then (which,
// unlike Query#then, does not start the query). Queries stay lazy and keep
// every Query method (.values(), .cursor(), .cancel() ...).
import postgres from "postgres";
import { classifyConnectionError, INT8_AS_NUMBER, type Sql } from "../db/index.ts";
import { AdmissionGate, PoolClosedError, type Ticket } from "./admission.ts";
import type { PoolConfig } from "./pool-options.ts";
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
  /** `SELECT 1` with a deadline; never throws, never waits longer than timeoutMs. Not counted in the query stats. */
  ping(timeoutMs?: number): Promise<PingResult>;
  /** Open `min` connections now (also done at creation). */
  warmUp(): Promise<void>;
  close(options?: { timeoutSeconds?: number }): Promise<void>;
}

export interface CreateDatabaseOptions {
  readonly logger?: PoolLogger;
  /** Skip the warm-up at creation (tests that count connections). Default false. */
  readonly skipWarmUp?: boolean;
}

// postgres.js internals we touch (see node_modules/postgres/src/query.js).
interface RawQuery extends Promise<unknown> {
  handler: ((q: RawQuery) => unknown) & { debug?: unknown };
  strings: readonly string[];
  string?: string;
  cancelled?: unknown;
  state?: { pid?: number } | null;
  reject(error: unknown): void;
}

type AnyFn = (...args: any[]) => any;
type RawSql = AnyFn & Record<string, any>;

function templateText(strings: readonly string[]): string {
  return strings.reduce((text, part, i) => (i === 0 ? part : `${text}$${i}${part}`), "");
}

/**
 * postgres.js fetches the array types again on every new connection, from a
 * code path that leaves the promise unhandled if the server goes away in that
 * moment (see type-fetch-guard.ts). Once one connection has fetched them they
 * are in the shared options: later connections need not fetch them again.
 */
function stopFetchingArrayTypes(raw: RawSql): void {
  const options = (raw as unknown as { options?: { fetch_types?: boolean; shared?: { typeArrayMap?: Record<string, number> } } }).options;
  if (options?.fetch_types && Object.keys(options.shared?.typeArrayMap ?? {}).length > 0) options.fetch_types = false;
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

function isQuery(x: unknown): x is RawQuery {
  return x instanceof Promise && typeof (x as RawQuery).handler === "function";
}

export function createDatabase(config: PoolConfig, options: CreateDatabaseOptions = {}): Database {
  const logger = options.logger ?? stderrLogger;
  guardArrayTypeFetch(logger);
  const monitor = new QueryMonitor({ slowMs: config.slowQueryMs, verySlowMs: config.verySlowQueryMs }, logger);
  const gate = new AdmissionGate(config.max, config.queueTimeoutMs);
  /** backend pid -> last time a query finished on it. */
  const connections = new Map<number, number>();

  const raw = postgres(config.target.url, {
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

  /** Wrap one query: admission (when gated), timing, stats on settle. */
  function instrument<Q>(query: Q, gated: boolean, counted = true): Q {
    if (!isQuery(query)) return query;
    const q = query;
    const original = q.handler;
    let ticket: Ticket | undefined;
    let started: number | undefined;
    const run = ((target: RawQuery) => {
      if (!gated) {
        started = performance.now();
        return original(target);
      }
      ticket = gate.enter();
      ticket.ready.then(
        () => {
          if (target.cancelled) return ticket!.done();
          if (counted) monitor.recordWait(ticket!.waitedMs());
          started = performance.now();
          original(target);
        },
        (error: unknown) => target.reject(error),
      );
    }) as RawQuery["handler"];
    run.debug = original.debug;
    q.handler = run;
    const settle = (error?: unknown) => {
      ticket?.done();
      if (error === undefined) stopFetchingArrayTypes(raw);
      const pid = q.state?.pid;
      if (pid) connections.set(pid, Date.now());
      if (!counted) return;
      if (started === undefined) {
        if (error !== undefined) monitor.recordUnstarted(error);
        return;
      }
      monitor.record(q.string ?? templateText(q.strings), performance.now() - started, error);
    };
    Promise.prototype.then.call(q, () => settle(), (error: unknown) => settle(error ?? new Error("rejected")));
    return query;
  }

  /** A client over `inner` whose queries are instrumented (gated only at the top level). */
  function wrapClient(inner: RawSql, gated: boolean, extra: Record<string, unknown> = {}): RawSql {
    const overrides: Record<string | symbol, unknown> = {
      unsafe: (...args: unknown[]) => instrument(inner.unsafe(...args), gated),
      file: (...args: unknown[]) => instrument(inner.file(...args), gated),
      ...extra,
    };
    if (typeof inner.savepoint === "function") {
      overrides.savepoint = (...args: unknown[]) => {
        const fn = args.at(-1);
        if (typeof fn !== "function") return inner.savepoint(...args);
        return inner.savepoint(...args.slice(0, -1), (scoped: RawSql) => fn(wrapClient(scoped, false)));
      };
    }
    return new Proxy(inner, {
      apply: (target, thisArg, args) => instrument(Reflect.apply(target, thisArg, args), gated),
      get: (target, prop) => (prop in overrides ? overrides[prop] : Reflect.get(target, prop, target)),
    });
  }

  /** Run `work` while holding one pool slot (transactions, reserved connections). */
  async function withSlot<T>(work: (release: () => void) => Promise<T>, releaseOnSettle: boolean): Promise<T> {
    const ticket = gate.enter();
    await ticket.ready;
    monitor.recordWait(ticket.waitedMs());
    try {
      return await work(() => ticket.done());
    } catch (error) {
      ticket.done();
      throw error;
    } finally {
      if (releaseOnSettle) ticket.done();
    }
  }

  const sql = wrapClient(raw, true, {
    begin: (...args: unknown[]) => {
      const fn = args.at(-1) as AnyFn;
      const mode = args.length > 1 ? args[0] : undefined;
      return withSlot(
        () => (mode === undefined ? raw.begin((tx: RawSql) => fn(wrapClient(tx, false))) : raw.begin(mode, (tx: RawSql) => fn(wrapClient(tx, false)))),
        true,
      );
    },
    reserve: () =>
      withSlot(async (release) => {
        const reserved = (await raw.reserve()) as RawSql;
        return wrapClient(reserved, false, {
          release: () => {
            reserved.release();
            release();
          },
        });
      }, false),
    end: (...args: unknown[]) => close(...(args as [])),
    close: (...args: unknown[]) => close(...(args as [])),
  }) as unknown as Sql;

  async function warmUp(): Promise<void> {
    const slots = Math.min(config.min, config.max);
    await Promise.all(Array.from({ length: slots }, () => instrument(raw`SELECT 1`, true, false).catch(() => {})));
  }

  async function close(opts: { timeout?: number; timeoutSeconds?: number } = {}): Promise<void> {
    clearInterval(rewarm);
    gate.close();
    await raw.end({ timeout: opts.timeoutSeconds ?? opts.timeout ?? 5 });
    connections.clear();
  }

  function poolStats(): PoolStats {
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

  async function serverPoolStats(): Promise<ServerPoolStats> {
    const rows = await instrument(
      raw`SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${config.applicationName} AND backend_type = 'client backend'`,
      true,
    ) as unknown as { pid: number; state: string | null }[];
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

  async function ping(timeoutMs = 2_000): Promise<PingResult> {
    const started = performance.now();
    const query = instrument(raw`SELECT 1`, true, false) as RawQuery & { cancel(): unknown };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(resolve, timeoutMs, "timeout")));
    try {
      const outcome = await Promise.race([query.then(() => "ok" as const), deadline]);
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

  // Keep `min` connections: postgres.js closes idle ones after idleTimeout.
  const rewarm = setInterval(() => {
    if (connections.size < config.min && gate.busy === 0) void warmUp();
  }, config.idleTimeoutSeconds * 1000);
  rewarm.unref();
  if (!options.skipWarmUp) void warmUp();

  return {
    sql,
    config,
    getQueryStats: () => monitor.stats(),
    onQueryDuration: (listener) => monitor.onRecord(listener),
    resetQueryStats: () => {
      monitor.reset();
      gate.resetPeaks();
    },
    poolStats,
    serverPoolStats,
    ping,
    warmUp,
    close: (opts) => close(opts),
  };
}

/** A short reason for a failed query without values from the statement (safe for unauthenticated answers). */
function describeFailure(e: { code?: string; message?: string }): string {
  if (e.code === "POOL_QUEUE_TIMEOUT") return "no free connection in the pool";
  return classifyConnectionError(e)?.short ?? (e.code === undefined ? "query failed" : `query failed with code ${e.code}`);
}

export { PoolClosedError };
