// postgres.js (3.4.9) fetches the server's array types on every new
// connection from inside a protocol message handler and does not catch that
// promise (connection.js: `return fetchArrayTypes()`). If the server goes away
// in exactly that moment — a restart, a failover — the rejection is unhandled
// and Node ends the process. A service that must outlive a database restart
// (the health API, the app) cannot allow that, so we recognise exactly this
// rejection and log it; postgres.js itself closes the connection and the next
// query reconnects. Every other unhandled rejection keeps Node's default
// (fatal) unless the application installed a handler of its own.
import type { PoolLogger } from "./query-monitor.ts";

/** Text of postgres.js's array-type query (connection.js fetchArrayTypes). */
const ARRAY_TYPES_QUERY = /from pg_catalog\.pg_type a\s+left join pg_catalog\.pg_type b on b\.oid = a\.typelem/;

export function isArrayTypeFetchFailure(reason: unknown): boolean {
  const query = (reason as { query?: unknown } | null)?.query;
  return typeof query === "string" && ARRAY_TYPES_QUERY.test(query);
}

let installed = false;
let log: Pick<PoolLogger, "warn"> | undefined;

export function guardArrayTypeFetch(logger: Pick<PoolLogger, "warn">): void {
  log = logger;
  if (installed) return;
  installed = true;
  process.on("unhandledRejection", function onUnhandled(reason) {
    if (isArrayTypeFetchFailure(reason)) {
      const code = (reason as { code?: string }).code ?? "unknown";
      log?.warn({ code }, "a new database connection closed while postgres.js read the array types; it will reconnect");
      return;
    }
    // Only listener: behave like Node without one (the rejection is fatal).
    if (process.listenerCount("unhandledRejection") === 1) throw reason;
  });
}
