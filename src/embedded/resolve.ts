// Which database a COMMAND works on: DATABASE_URL when set, otherwise the
// embedded default server, started on demand. Only scripts/ and the start
// pipeline may import this module: library code (pool, checks, health,
// maintenance, verify) takes a DatabaseTarget and never starts a server.
import { UserError } from "../base/errors.ts";
import { assertServerReady } from "../checks/preflight.ts";
import { embeddedBaseDir } from "../base/project-paths.ts";
import { maskUrl, parseDatabaseUrl, withSql, type DatabaseTarget } from "../db/index.ts";
import { DEFAULT_EMBEDDED_PORT, startEmbedded } from "./server.ts";

export interface ResolveOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Print a line when the embedded server is started. */
  readonly log?: (line: string) => void;
}

/** DATABASE_URL (validated with its shadow/root companions) or undefined when unset. */
export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseTarget | undefined {
  const fromEnv = env.DATABASE_URL?.trim();
  if (!fromEnv) return undefined;
  parseDatabaseUrl(fromEnv);
  if (env.SHADOW_DATABASE_URL) parseDatabaseUrl(env.SHADOW_DATABASE_URL, "SHADOW_DATABASE_URL");
  if (env.ROOT_DATABASE_URL) parseDatabaseUrl(env.ROOT_DATABASE_URL, "ROOT_DATABASE_URL");
  return { url: fromEnv, display: maskUrl(fromEnv), source: "DATABASE_URL", shadowUrl: env.SHADOW_DATABASE_URL, rootUrl: env.ROOT_DATABASE_URL };
}

/** The database this command should use, starting the embedded server if needed. */
export async function resolveDatabase(options: ResolveOptions = {}): Promise<DatabaseTarget> {
  const env = options.env ?? process.env;
  const fromEnv = targetFromEnv(env);
  if (fromEnv) return fromEnv;
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

/** The database of this command, proven reachable and ready (version, pg_stat_statements). */
export async function resolveReadyDatabase(options: ResolveOptions = {}): Promise<DatabaseTarget & { serverVersion: string }> {
  const target = await resolveDatabase(options);
  const ready = await withSql(target, (sql) => assertServerReady(sql, target.display), { max: 1 });
  return { ...target, ...ready };
}
