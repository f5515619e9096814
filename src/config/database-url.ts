// Which database a command works on: DATABASE_URL when set, otherwise the
// embedded default server (started on demand). Validation reports every
// problem with the URL at once; errors never print the password.
import postgres from "postgres";
import { EXIT, UserError } from "../cli/errors.ts";
import { embeddedBaseDir } from "./project.ts";
import { DEFAULT_EMBEDDED_PORT, startEmbedded } from "../embedded/server.ts";

export interface DatabaseTarget {
  /** Full URL (holds the password: never print it, use `display`). */
  readonly url: string;
  /** The URL with the password masked, for messages and reports. */
  readonly display: string;
  readonly source: "DATABASE_URL" | "embedded";
  /** graphile-migrate's shadow and root URLs, when known. */
  readonly shadowUrl?: string;
  readonly rootUrl?: string;
}

/** Mask the password in a connection URL; unparsable input is masked whole. */
export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "****";
    // libpq and node-postgres also take the password as a query parameter.
    for (const key of [...url.searchParams.keys()]) {
      if (/^(ssl)?password$/i.test(key)) url.searchParams.set(key, "****");
    }
    return url.toString();
  } catch {
    return "<unparsable URL>";
  }
}

/** Validate a PostgreSQL connection URL; throws one UserError listing every problem. */
export function parseDatabaseUrl(raw: string, name = "DATABASE_URL"): URL {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(
      `${name} is not a valid URL (${maskUrl(raw)}). Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE, e.g. postgres://app:secret@127.0.0.1:5432/bollalabz`,
      EXIT.usage,
    );
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") problems.push(`scheme is '${url.protocol.replace(/:$/, "")}', expected 'postgres' or 'postgresql'`);
  if (!url.hostname) problems.push("host is missing");
  if (url.port && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) problems.push(`port '${url.port}' is not 1-65535`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!database) problems.push("database name is missing (the path after the port)");
  else if (database.includes("/")) problems.push(`database name '${database}' contains '/'`);
  if (problems.length > 0) {
    throw new UserError(
      `${name} (${maskUrl(raw)}) is invalid: ${problems.join("; ")}. Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`,
      EXIT.usage,
    );
  }
  return url;
}

export interface ResolveOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Print a line when the embedded server is started. */
  readonly log?: (line: string) => void;
}

/** The database this command should use, starting the embedded server if needed. */
export async function resolveDatabase(options: ResolveOptions = {}): Promise<DatabaseTarget> {
  const env = options.env ?? process.env;
  const fromEnv = env.DATABASE_URL?.trim();
  if (fromEnv) {
    parseDatabaseUrl(fromEnv);
    if (env.SHADOW_DATABASE_URL) parseDatabaseUrl(env.SHADOW_DATABASE_URL, "SHADOW_DATABASE_URL");
    if (env.ROOT_DATABASE_URL) parseDatabaseUrl(env.ROOT_DATABASE_URL, "ROOT_DATABASE_URL");
    return {
      url: fromEnv,
      display: maskUrl(fromEnv),
      source: "DATABASE_URL",
      shadowUrl: env.SHADOW_DATABASE_URL,
      rootUrl: env.ROOT_DATABASE_URL,
    };
  }
  const portEnv = env.EMBEDDED_PG_PORT?.trim();
  let port: number | undefined;
  if (portEnv) {
    port = Number(portEnv);
    if (!/^\d+$/.test(portEnv) || port < 1024 || port > 65535) {
      throw new UserError(`EMBEDDED_PG_PORT must be a port number from 1024 to 65535, got '${portEnv}'. Example: EMBEDDED_PG_PORT=${DEFAULT_EMBEDDED_PORT}`);
    }
  }
  const server = await startEmbedded({ baseDir: embeddedBaseDir(env), port, portExplicit: port !== undefined, log: options.log });
  if (!server.alreadyRunning) options.log?.(`started the embedded PostgreSQL on 127.0.0.1:${server.port}`);
  return { url: server.databaseUrl, display: maskUrl(server.databaseUrl), source: "embedded", shadowUrl: server.shadowUrl, rootUrl: server.rootUrl };
}

export type Sql = postgres.Sql;

/** Counts and sizes (int8) as JS numbers: they stay far below 2^53. */
export const INT8_AS_NUMBER = { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) };

export interface ConnectOptions {
  readonly max?: number;
  readonly applicationName?: string;
  readonly connectTimeoutSeconds?: number;
}

/** A postgres.js client for scripts (not the app pool: see src/pool). */
export function openSql(target: Pick<DatabaseTarget, "url">, options: ConnectOptions = {}): Sql {
  return postgres(target.url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "bollalabz-db" },
    types: { int8AsNumber: INT8_AS_NUMBER },
  }) as unknown as Sql;
}

/** Turn a connection failure into one clear message with the fix. */
export function explainConnectionError(error: unknown, target: Pick<DatabaseTarget, "display" | "source">): UserError {
  const e = error as { code?: string; message?: string; errno?: string };
  const where = `${target.display} (from ${target.source})`;
  switch (e.code) {
    case "ECONNREFUSED":
      return new UserError(`Cannot connect to ${where}: connection refused. Is PostgreSQL running there? For the embedded server run 'npm run db:start'.`, EXIT.unreachable);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new UserError(`Cannot connect to ${where}: the host name does not resolve. Check the host in DATABASE_URL.`, EXIT.unreachable);
    case "CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return new UserError(`Cannot connect to ${where}: timed out. Check the host/port and any firewall.`, EXIT.unreachable);
    case "28P01":
    case "28000":
      return new UserError(`Cannot connect to ${where}: authentication failed. Check the user and password in DATABASE_URL.`, EXIT.unreachable);
    case "3D000":
      return new UserError(`Cannot connect to ${where}: ${e.message}. Create the database first (createdb) or fix the name in DATABASE_URL.`, EXIT.unreachable);
    default:
      return new UserError(`Cannot connect to ${where}: ${e.message ?? String(error)}`, EXIT.unreachable);
  }
}

/** Open a client and prove the server answers; expected failures become UserErrors. */
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
    throw explainConnectionError(error, target);
  } finally {
    clearTimeout(timer);
  }
  return sql;
}
