// The application pool: settings, the database handle with its query monitor, pool statistics.
export { POOL_DEFAULTS, POOL_ENV, parsePoolSettings, poolConfigFromEnv, throwIfProblems, type PoolConfig, type PoolSettings } from "./pool-options.ts";
export { createDatabase, type CreateDatabaseOptions, type Database, type PingResult, type PoolStats, type ServerPoolStats } from "./create-database.ts";
export { PoolClosedError, PoolQueueTimeoutError } from "./admission.ts";
export { QueryMonitor, classify, truncateQuery, stderrLogger, type PoolLogger, type QueryClass, type QueryStats, type SlowQuerySample } from "./query-monitor.ts";
export { createReadWriteDatabase, readWriteConfigFromEnv, type ReadWriteConfig, type ReadWriteDatabase } from "./read-write.ts";
