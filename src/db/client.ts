// Opening and closing clients for commands and library code (the app's pool
// is src/pool). `withSql` is the lifecycle everyone uses: connect, prove the
// server answers, run, and always close — graphile-migrate's withClient.
import postgres from "postgres";
import { UserError } from "../cli/errors.ts";
import { connectionUserError, isConnectionError } from "./errors.ts";
import type { DatabaseTarget } from "./target.ts";

export type Sql = postgres.Sql;

/** Counts and sizes (int8) as JS numbers: they stay far below 2^53. */
export const INT8_AS_NUMBER = { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) };

export interface ConnectOptions {
  readonly max?: number;
  readonly applicationName?: string;
  readonly connectTimeoutSeconds?: number;
}

/** A postgres.js client (lazy: nothing connects until the first query). */
export function openSql(target: Pick<DatabaseTarget, "url">, options: ConnectOptions = {}): Sql {
  return postgres(target.url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "bollalabz-db" },
    types: { int8AsNumber: INT8_AS_NUMBER },
  }) as unknown as Sql;
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
