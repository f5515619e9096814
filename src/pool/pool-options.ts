// The application pool's settings: the spec's values as defaults, each
// overridable from the environment, validated all at once (every problem is
// reported in one error, each naming the setting to fix).
import { EXIT, UserError } from "../base/errors.ts";
import { databaseUrlProblems, maskUrl, type DatabaseTarget } from "../db/index.ts";
import { POOL_MAX } from "../settings/pool-sizing.ts";

export interface PoolSettings {
  /** Most connections the pool opens (spec `max: 20`). */
  readonly max: number;
  /**
   * Connections opened at start (spec `min: 2`). postgres.js has no minimum:
   * the pool runs `min` concurrent `SELECT 1` when created (warm-up) and again
   * whenever fewer than `min` connections are open, checked every idle timeout.
   */
  readonly min: number;
  /** Seconds a connection may stay idle before postgres.js closes it (spec 30 s). */
  readonly idleTimeoutSeconds: number;
  /** Seconds to establish a connection (spec 2 s). */
  readonly connectTimeoutSeconds: number;
  /** Server-side statement_timeout, sent as a connection parameter (spec 10 s). */
  readonly statementTimeoutMs: number;
  /** TCP keep-alive initial delay (spec keepAliveInitialDelayMillis 10 s). */
  readonly keepAliveSeconds: number;
  /** application_name: shows in pg_stat_activity, the pool cross-checks by it. */
  readonly applicationName: string;
  /** How long a query may wait for a free connection before failing (pool exhausted). */
  readonly queueTimeoutMs: number;
  /** A query slower than this is logged as a warning (spec > 100 ms). */
  readonly slowQueryMs: number;
  /** A query slower than this is logged as an error (spec > 500 ms). */
  readonly verySlowQueryMs: number;
  /** Bind-parameter value sets the monitor keeps per statement for `npm run advise` (0: none); in memory, never logged. */
  readonly parameterSamples: number;
}

export interface PoolConfig extends PoolSettings {
  readonly target: Pick<DatabaseTarget, "url" | "display" | "source">;
}

export const POOL_DEFAULTS: PoolSettings = {
  max: POOL_MAX,
  min: 2,
  idleTimeoutSeconds: 30,
  connectTimeoutSeconds: 2,
  statementTimeoutMs: 10_000,
  keepAliveSeconds: 10,
  applicationName: "bollalabz-api",
  queueTimeoutMs: 5_000,
  slowQueryMs: 100,
  verySlowQueryMs: 500,
  parameterSamples: 5,
};

/** Environment variable per setting (docs/health-api.md lists them). */
export const POOL_ENV: Record<keyof PoolSettings, string> = {
  max: "POOL_MAX",
  min: "POOL_MIN",
  idleTimeoutSeconds: "POOL_IDLE_TIMEOUT_SECONDS",
  connectTimeoutSeconds: "POOL_CONNECT_TIMEOUT_SECONDS",
  statementTimeoutMs: "POOL_STATEMENT_TIMEOUT_MS",
  keepAliveSeconds: "POOL_KEEP_ALIVE_SECONDS",
  applicationName: "POOL_APPLICATION_NAME",
  queueTimeoutMs: "POOL_QUEUE_TIMEOUT_MS",
  slowQueryMs: "SLOW_QUERY_MS",
  verySlowQueryMs: "VERY_SLOW_QUERY_MS",
  parameterSamples: "POOL_PARAMETER_SAMPLES",
};

const INTEGER_RANGES: Record<Exclude<keyof PoolSettings, "applicationName">, readonly [number, number]> = {
  max: [1, 1000],
  min: [0, 1000],
  idleTimeoutSeconds: [1, 86_400],
  connectTimeoutSeconds: [1, 300],
  statementTimeoutMs: [1, 86_400_000],
  keepAliveSeconds: [1, 86_400],
  queueTimeoutMs: [1, 600_000],
  slowQueryMs: [1, 3_600_000],
  verySlowQueryMs: [1, 3_600_000],
  parameterSamples: [0, 100],
};

export interface Parsed<T> {
  readonly value: T;
  readonly problems: string[];
}

/** Pool settings from the environment over `overrides` over the defaults; never throws. */
export function parsePoolSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<PoolSettings> = {}): Parsed<PoolSettings> {
  const problems: string[] = [];
  const value: Record<string, number | string> = { ...POOL_DEFAULTS, ...overrides };
  for (const [key, [min, max]] of Object.entries(INTEGER_RANGES) as [keyof typeof INTEGER_RANGES, readonly [number, number]][]) {
    const name = POOL_ENV[key];
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const n = Number(raw.trim());
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`Setting '${name}': must be an integer from ${min} to ${max}, got '${raw}' (default ${POOL_DEFAULTS[key]})`);
    } else value[key] = n;
  }
  const appName = env[POOL_ENV.applicationName];
  if (appName !== undefined && appName !== "") {
    // application_name is truncated at 63 bytes by the server and shown in
    // pg_stat_activity: keep it printable ASCII so the cross-check matches.
    if (!/^[\x20-\x7e]{1,63}$/.test(appName)) problems.push(`Setting '${POOL_ENV.applicationName}': must be 1-63 printable ASCII characters, got '${appName}'`);
    else value.applicationName = appName;
  }
  const v = value as unknown as PoolSettings;
  if (v.min > v.max) problems.push(`Setting '${POOL_ENV.min}': must not exceed ${POOL_ENV.max} (${v.max}), got ${v.min}`);
  if (v.verySlowQueryMs <= v.slowQueryMs) {
    problems.push(`Setting '${POOL_ENV.verySlowQueryMs}': must be greater than ${POOL_ENV.slowQueryMs} (${v.slowQueryMs} ms), got ${v.verySlowQueryMs}`);
  }
  return { value: v, problems };
}

/** Throw one UserError listing every problem (exit 2), or return quietly. */
export function throwIfProblems(problems: readonly string[], what = "The pool configuration"): void {
  if (problems.length === 0) return;
  throw new UserError(`${what} has ${problems.length} problem(s):\n  ${problems.join("\n  ")}`, EXIT.usage);
}

/**
 * The pool configuration from the environment: the settings above plus the
 * database — DATABASE_URL, or `options.target` when the caller resolved one
 * (`npm run serve` passes the embedded server's). Library code never starts a
 * server. Every setting problem, and a malformed or missing DATABASE_URL, are
 * reported together.
 */
export function poolConfigFromEnv(env: NodeJS.ProcessEnv = process.env, options: { target?: DatabaseTarget; extraProblems?: readonly string[] } = {}): PoolConfig {
  const { value, problems } = parsePoolSettings(env);
  const all = [...(options.extraProblems ?? []), ...problems];
  const url = env.DATABASE_URL?.trim();
  let target = options.target;
  if (url) {
    const urlProblems = databaseUrlProblems(url);
    if (urlProblems.length > 0) all.unshift(`Setting 'DATABASE_URL': (${maskUrl(url)}) ${urlProblems.join("; ")}. Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
    else target ??= { url, display: maskUrl(url), source: "DATABASE_URL" };
  } else if (!target) {
    all.unshift("Setting 'DATABASE_URL': not set. Set it to postgres://USER:PASSWORD@HOST:PORT/DATABASE (npm run serve uses the embedded server when it is unset)");
  }
  throwIfProblems(all, "The configuration");
  return { ...value, target: target! };
}
