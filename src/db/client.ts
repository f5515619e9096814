// Opening and closing clients for commands and library code (the app's pool
// is src/pool). `withSql` is the lifecycle everyone uses: connect, prove the
// server answers, run, and always close — graphile-migrate's withClient.
import net from "node:net";
import postgres from "postgres";
import { UserError } from "../base/errors.ts";
import { connectionUserError, isConnectionError } from "./errors.ts";
import type { DatabaseTarget } from "./target.ts";

export type Sql = postgres.Sql;

/** Counts and sizes (int8) as JS numbers: they stay far below 2^53. */
export const INT8_AS_NUMBER = { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) };

export interface ConnectOptions {
  readonly max?: number;
  readonly applicationName?: string;
  readonly connectTimeoutSeconds?: number;
  /** Server notices and warnings (default: dropped). The statistics restore collects its refusals here. */
  readonly onNotice?: (notice: postgres.Notice) => void;
  /** Session settings sent with the connection (e.g. a statistics file's planner settings). */
  readonly settings?: Readonly<Record<string, string>>;
}

/**
 * The client's sockets, created by us (postgres.js `socket` option) so that
 * closing the client really closes them. postgres.js's end() only half-closes
 * a socket whose server has not answered yet, leaves its connect timer running,
 * and a reconnect it scheduled just before runs afterwards: a command that has
 * reported "connection timed out" stayed alive up to connect_timeout longer
 * (~5 s). After end() no socket is opened and every one left is destroyed.
 * Multi-host URLs and unix-socket hosts (?host=/dir) keep postgres.js's own.
 */
function closableSockets(url: string) {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.hostname.includes(",") || parsed.searchParams.has("host")) return undefined;
  const sockets = new Set<net.Socket>();
  let closed = false;
  return {
    create(options: { host: readonly string[]; port: readonly number[] }): net.Socket {
      if (closed) throw Object.assign(new Error("the client was closed"), { code: "CONNECTION_ENDED" });
      const host = options.host[0]!;
      const port = options.port[0]!;
      const socket = net.connect({ host, port });
      // postgres.js names the peer (messages, TLS servername) from these.
      Object.assign(socket, { host, port });
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      return socket;
    },
    refuseNew() {
      closed = true;
    },
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * `bollalabz-db/<verb>` for the command this process runs (scripts/<verb>.ts,
 * or the verb after the one bin script): every connection a command opens
 * says which command it belongs to in pg_stat_activity and the server log.
 */
export function commandApplicationName(argv: readonly string[] = process.argv): string {
  const script = (argv[1] ?? "").split(/[\\/]/).pop()!.replace(/\.(ts|js|mjs|cjs)$/, "");
  const verb = script === "bollalabz-db" ? argv[2] : script;
  return verb && /^[\w:.-]{1,40}$/.test(verb) ? `bollalabz-db/${verb}` : "bollalabz-db";
}

/** A postgres.js client (lazy: nothing connects until the first query). */
export function openSql(target: Pick<DatabaseTarget, "url">, options: ConnectOptions = {}): Sql {
  const sockets = closableSockets(target.url);
  const sql = postgres(target.url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: options.onNotice ?? (() => {}),
    connection: { ...options.settings, application_name: options.applicationName ?? commandApplicationName() },
    types: { int8AsNumber: INT8_AS_NUMBER },
    // `socket` is in postgres.js (connection.js createSocket), not in its typings.
    ...((sockets ? { socket: sockets.create } : {}) as object),
  }) as unknown as Sql;
  if (sockets) {
    const end = sql.end.bind(sql);
    (sql as { end: Sql["end"] }).end = async (opts) => {
      sockets.refuseNew();
      try {
        return await end(opts);
      } finally {
        sockets.destroyAll();
      }
    };
  }
  return sql;
}

/** Open a client and prove the server answers; a failure is one UserError (exit 3) with the fix. */
export async function connect(target: DatabaseTarget, options: ConnectOptions = {}): Promise<Sql> {
  const sql = openSql(target, options);
  // postgres.js cancels its connect timeout when the peer closes the socket
  // (an HTTP port, a proxy without backends) and then retries forever: keep
  // our own deadline so every command fails in seconds, never hangs.
  const seconds = (options.connectTimeoutSeconds ?? 5) + 1;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no PostgreSQL answer within ${seconds} s`), { code: "CONNECT_TIMEOUT" })), seconds * 1000);
  });
  try {
    await Promise.race([sql`SELECT 1`, deadline]);
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    throw connectionUserError(error, target);
  } finally {
    clearTimeout(timer);
  }
  return sql;
}

export interface WithSqlOptions extends ConnectOptions {
  /** Seconds to let running queries finish on close (default 5; 0 cancels them). */
  readonly closeTimeoutSeconds?: number;
}

/**
 * connect → fn(sql) → close, whatever fn does. A server that goes away while
 * fn works (shutdown, crash, terminated backend) is an expected failure too:
 * the one connection message (exit 3), not a stack trace.
 */
export async function withSql<T>(target: DatabaseTarget, fn: (sql: Sql) => Promise<T>, options: WithSqlOptions = {}): Promise<T> {
  const sql = await connect(target, options);
  let failed = false;
  try {
    return await fn(sql);
  } catch (error) {
    failed = true;
    if (!(error instanceof UserError) && isConnectionError(error)) throw connectionUserError(error, target, "finish the work on");
    throw error;
  } finally {
    // After a failure nothing is worth waiting for: a lost server would
    // otherwise hold the command for the whole close timeout after its error.
    await sql.end({ timeout: failed ? 0 : (options.closeTimeoutSeconds ?? 5) }).catch(() => {});
  }
}
