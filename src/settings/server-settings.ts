// The single source of truth for the PostgreSQL server configuration.
//
// The embedded server (src/embedded) passes these as `-c name=value` flags and
// the Pulumi container (infra/) puts the same flags in its `command`; verify
// compares what the server reports with this list. Values are written the way
// PostgreSQL displays them in `SHOW`, so "in effect" checks are plain string
// comparisons (a test asserts that for every entry).
//
// Sized for the workload this project tunes: an OLTP contacts/messaging/tasks
// backend on a small server (2 cores, a few GB of RAM for PostgreSQL, SSD),
// ~1.5 GB of data plus indexes at benchmark scale.

import { MAX_CONNECTIONS } from "./pool-sizing.ts";

export interface ServerSetting {
  /** GUC name as in pg_settings. */
  readonly name: string;
  /** Value as `SHOW name` prints it. */
  readonly value: string;
  /** One line: why this value for this workload. */
  readonly reason: string;
}

export const SERVER_SETTINGS: readonly ServerSetting[] = [
  // --- Query statistics ------------------------------------------------------
  {
    name: "shared_preload_libraries",
    value: "pg_stat_statements",
    reason: "pg_stat_statements must be loaded at start to collect per-query statistics for verify and the slow-queries endpoint.",
  },
  {
    name: "pg_stat_statements.track",
    value: "top",
    reason: "Track statements the app sends, not the statements inside functions, so totals match what clients see.",
  },
  {
    name: "pg_stat_statements.max",
    value: "10000",
    reason: "Room for every distinct app query plus ad-hoc ones before the least-used entries are evicted.",
  },
  {
    name: "pg_stat_statements.track_utility",
    value: "off",
    reason: "SET/SHOW/BEGIN noise from pools would crowd out the real queries.",
  },
  {
    name: "track_io_timing",
    value: "on",
    reason: "Shows read time in EXPLAIN (BUFFERS) and pg_stat_statements; the cost is negligible on modern clocks.",
  },
  {
    name: "track_activity_query_size",
    value: "4kB",
    reason: "pg_stat_activity shows whole queries (the default 1kB cuts the longer analytics SQL).",
  },

  // --- Connections -----------------------------------------------------------
  {
    name: "max_connections",
    value: String(MAX_CONNECTIONS),
    reason: "Pool max 20 + 1 health probe connection per app instance x 3 instances + 15 for migrations, verify and admin sessions.",
  },
  {
    name: "idle_in_transaction_session_timeout",
    value: "1min",
    reason: "A client that opened a transaction and went away must not hold locks and block vacuum indefinitely.",
  },
  {
    name: "tcp_keepalives_idle",
    value: "60",
    reason: "Detect dead clients after a minute of silence instead of the kernel's two hours.",
  },

  // --- Memory ----------------------------------------------------------------
  {
    name: "shared_buffers",
    value: "1GB",
    reason: "Holds the hot set (recent messages, contacts, all indexes at benchmark scale) so the cache hit ratio stays above 95%.",
  },
  {
    name: "effective_cache_size",
    value: "3GB",
    reason: "Planner hint: shared_buffers plus the OS page cache available to PostgreSQL; favours index scans.",
  },
  {
    name: "work_mem",
    value: "16MB",
    reason: "Per sort/hash node: the 30-day analytics group-bys fit in memory; 78 connections x a few nodes stays bounded.",
  },
  {
    name: "maintenance_work_mem",
    value: "256MB",
    reason: "Faster CREATE INDEX CONCURRENTLY and VACUUM on the 2M-row messages table.",
  },
  {
    name: "max_parallel_maintenance_workers",
    value: "2",
    reason: "Lets btree index builds use both cores of the target machine.",
  },
  {
    name: "max_parallel_workers_per_gather",
    value: "1",
    reason: "On 2 cores one extra worker helps large analytics scans without starving concurrent OLTP queries.",
  },

  // --- Planner ---------------------------------------------------------------
  {
    name: "random_page_cost",
    value: "1.1",
    reason: "SSD storage: random reads cost about as much as sequential ones, so index scans are priced correctly.",
  },
  {
    name: "effective_io_concurrency",
    value: "200",
    reason: "SSDs serve many concurrent reads; speeds bitmap heap scans.",
  },
  {
    name: "jit",
    value: "off",
    reason: "Queries here run in milliseconds; JIT compilation adds tens of ms to the analytics queries instead of saving time.",
  },

  // --- WAL and checkpoints ---------------------------------------------------
  {
    name: "max_wal_size",
    value: "4GB",
    reason: "Bulk seeding and index builds would otherwise force a checkpoint every few seconds.",
  },
  {
    name: "checkpoint_completion_target",
    value: "0.9",
    reason: "Spread checkpoint writes over the interval to avoid I/O spikes under write load.",
  },
  {
    name: "wal_compression",
    value: "pglz",
    reason: "Full-page images after checkpoints shrink several-fold for the text-heavy message rows (pglz: the npm binaries are built without lz4).",
  },

  // --- Replication (primary side; the standby-only ones are STANDBY_SETTINGS) --
  {
    name: "wal_level",
    value: "replica",
    reason: "Streaming replicas and base backups need WAL at replica level (minimal would skip WAL for bulk loads and index builds).",
  },
  {
    name: "max_wal_senders",
    value: "10",
    reason: "One WAL sender per streaming replica plus room for a base backup; replicas need at least the primary's value.",
  },
  {
    name: "max_replication_slots",
    value: "10",
    reason: "One physical slot per replica keeps the WAL it still needs; spare slots for a new replica's base backup.",
  },
  {
    name: "max_slot_wal_keep_size",
    value: "10GB",
    reason: "A replica that is gone for good must not fill the disk: past 10GB of retained WAL its slot is invalidated (maintenance reports inactive slots long before).",
  },

  // --- Autovacuum ------------------------------------------------------------
  {
    name: "autovacuum_vacuum_scale_factor",
    value: "0.05",
    reason: "Vacuum the large messages/contacts tables after 5% churn, not the default 20% (millions of dead rows).",
  },
  {
    name: "autovacuum_analyze_scale_factor",
    value: "0.02",
    reason: "Keep planner statistics fresh for the recent-days queries on append-heavy tables.",
  },

  // --- Logging ---------------------------------------------------------------
  {
    name: "log_min_duration_statement",
    value: "10ms",
    reason: "Log every statement over the catalog's 10 ms budget with its bind parameters: the calls an index must fix, and the values advise measures them with (Dexter reads the same lines).",
  },
  {
    name: "log_min_duration_sample",
    value: "0",
    reason: "With log_statement_sample_rate: a sample of the fast statements too, so a frequent 2 ms query (top by total time, never over 10 ms) also has the app's values in the log.",
  },
  {
    name: "log_statement_sample_rate",
    value: "0.01",
    reason: "1% of the statements under log_min_duration_statement: enough values per frequent statement within minutes, about 10 lines/s at 1,000 queries/s.",
  },
  {
    name: "log_parameter_max_length",
    value: "1kB",
    reason: "Bind parameters in the log, each cut at 1 kB: search terms, ids and dates whole, message bodies of INSERTs not copied into the log (advise ignores a cut value).",
  },
  {
    name: "logging_collector",
    value: "on",
    reason: "jsonlog needs the collector; the log lands in log_directory, where advise reads it (pg_ls_logdir, pg_read_file).",
  },
  {
    name: "log_destination",
    value: "jsonlog",
    reason: "One JSON object per line (PG 15+): statement, duration, parameters and database as fields, read without guessing a log_line_prefix.",
  },
  {
    name: "log_directory",
    value: "log",
    reason: "Inside the data directory (embedded: <cluster>/pgdata/log; container: the data volume): a known place that survives restarts.",
  },
  {
    name: "log_lock_waits",
    value: "on",
    reason: "Log lock waits longer than deadlock_timeout: the first clue when a migration or a writer gets stuck.",
  },
  {
    name: "log_temp_files",
    value: "8MB",
    reason: "A sort or hash spilling more than 8MB to disk means work_mem is too small for that query.",
  },
  {
    name: "log_autovacuum_min_duration",
    value: "10s",
    reason: "Long autovacuum runs explain I/O spikes; short ones are noise.",
  },

  // --- Locale / time ---------------------------------------------------------
  {
    name: "timezone",
    value: "UTC",
    reason: "Day buckets in the analytics queries and billing dates must not depend on the server's location.",
  },
];

/**
 * Settings that belong on a hot standby only, on top of SERVER_SETTINGS (a
 * standby must run with the primary's max_connections, max_wal_senders, ...
 * or higher, so it gets the same list plus these).
 */
export const STANDBY_SETTINGS: readonly ServerSetting[] = [
  {
    name: "hot_standby",
    value: "on",
    reason: "A standby answers read-only queries while it replays WAL: that is what a read replica is for.",
  },
  {
    name: "hot_standby_feedback",
    value: "on",
    reason: "The standby tells the primary which rows its queries still see, so VACUUM on the primary does not cancel long replica reads (costs some bloat on the primary while they run).",
  },
];

// Deliberately NOT server-wide:
// - statement_timeout: the app pool sets 10s per connection; a server-wide
//   value would cancel index builds and maintenance.
// - lock_timeout: set per migration session (.gmrc.cjs pgSettings).
// - listen_addresses: per target (embedded: 127.0.0.1; container: all
//   interfaces inside the container, published on bindAddress by Docker).

/** Settings as `-c name=value` argument pairs for `postgres` or `pg_ctl -o`. */
export function serverSettingsAsFlags(settings: readonly ServerSetting[] = SERVER_SETTINGS): string[] {
  return settings.flatMap((s) => ["-c", `${s.name}=${s.value}`]);
}

/** Look up one setting's value; throws for a name that is not in the module. */
export function serverSetting(name: string): string {
  const found = SERVER_SETTINGS.find((s) => s.name === name);
  if (!found) throw new Error(`No server setting named '${name}' in src/settings/server-settings.ts`);
  return found.value;
}

/**
 * Shared memory the server needs for shared_buffers plus headroom, in bytes.
 * The Pulumi container sizes /dev/shm from this (parallel query and dynamic
 * shared memory live there).
 */
export function sharedMemoryBytes(): number {
  return parseMemory(serverSetting("shared_buffers")) + 256 * 1024 * 1024;
}

const MEMORY_UNITS: Record<string, number> = { kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Parse a PostgreSQL memory value like `1GB` or `16MB` into bytes. */
export function parseMemory(value: string): number {
  const m = /^(\d+)(kB|MB|GB|TB)$/.exec(value);
  if (!m) throw new Error(`Not a PostgreSQL memory value: '${value}' (expected e.g. 16MB)`);
  return Number(m[1]) * MEMORY_UNITS[m[2]!]!;
}
