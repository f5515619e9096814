// How every query of the pool is timed and admitted. postgres.js has no
// completion hook, so `sql` is a Proxy over the real client: each Query it
// creates gets its `handler` wrapped (admission + start time) and a settle
// listener attached with Promise.prototype.then (which, unlike Query#then,
// does not start the query). Queries stay lazy and keep every Query method
// (.values(), .cursor(), .cancel() ...).
import type { AdmissionGate, Ticket } from "./admission.ts";
import type { PoolConfig } from "./pool-options.ts";
import type { QueryMonitor } from "./query-monitor.ts";

// postgres.js internals we touch (see node_modules/postgres/src/query.js).
export interface RawQuery extends Promise<unknown> {
  handler: ((q: RawQuery) => unknown) & { debug?: unknown };
  strings: readonly string[];
  string?: string;
  /** The bind parameters postgres.js built (for the monitor's bounded sample; never logged). */
  parameters?: readonly unknown[];
  cancelled?: unknown;
  state?: { pid?: number } | null;
  reject(error: unknown): void;
}

export type AnyFn = (...args: any[]) => any;
export type RawSql = AnyFn & Record<string, any>;

/** What the pool's parts share: the postgres.js client, the admission gate, the monitor and the backends seen. */
export interface PoolCore {
  readonly config: PoolConfig;
  readonly raw: RawSql;
  readonly gate: AdmissionGate;
  readonly monitor: QueryMonitor;
  /** backend pid -> last time a query finished on it. */
  readonly connections: Map<number, number>;
}

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

function isQuery(x: unknown): x is RawQuery {
  return x instanceof Promise && typeof (x as RawQuery).handler === "function";
}

/** Wrap one query: admission (when gated), timing, stats on settle. */
export function instrument<Q>(core: PoolCore, query: Q, gated: boolean, counted = true): Q {
  const { gate, monitor, connections, raw } = core;
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
    monitor.record(q.string ?? templateText(q.strings), performance.now() - started, error, q.parameters);
  };
  Promise.prototype.then.call(q, () => settle(), (error: unknown) => settle(error ?? new Error("rejected")));
  return query;
}

/** A client over `inner` whose queries are instrumented (gated only at the top level). */
export function wrapClient(core: PoolCore, inner: RawSql, gated: boolean, extra: Record<string, unknown> = {}): RawSql {
  const overrides: Record<string | symbol, unknown> = {
    unsafe: (...args: unknown[]) => instrument(core, inner.unsafe(...args), gated),
    file: (...args: unknown[]) => instrument(core, inner.file(...args), gated),
    ...extra,
  };
  if (typeof inner.savepoint === "function") {
    overrides.savepoint = (...args: unknown[]) => {
      const fn = args.at(-1);
      if (typeof fn !== "function") return inner.savepoint(...args);
      return inner.savepoint(...args.slice(0, -1), (scoped: RawSql) => fn(wrapClient(core, scoped, false)));
    };
  }
  return new Proxy(inner, {
    apply: (target, thisArg, args) => instrument(core, Reflect.apply(target, thisArg, args), gated),
    get: (target, prop) => (prop in overrides ? overrides[prop] : Reflect.get(target, prop, target)),
  });
}

/** Run `work` while holding one pool slot (transactions, reserved connections). */
export async function withSlot<T>(core: PoolCore, work: (release: () => void) => Promise<T>, releaseOnSettle: boolean): Promise<T> {
  const ticket = core.gate.enter();
  await ticket.ready;
  core.monitor.recordWait(ticket.waitedMs());
  try {
    return await work(() => ticket.done());
  } catch (error) {
    ticket.done();
    throw error;
  } finally {
    if (releaseOnSettle) ticket.done();
  }
}
