// The monitor's own schema: pg_stat_statements deltas and relation sizes.
// Created idempotently by the monitor itself (capture), NOT by the app's
// graphile-migrate ledger: it is operator history, not application schema;
// it must exist wherever the monitor points (a database whose migrations are
// managed elsewhere, a replica's primary), and dropping it loses only history.
// MONITOR_SCHEMA_VERSION guards changes: every statement below is idempotent,
// so an older layout is brought up to date by running them again.
import type { Sql } from "../db/index.ts";

export const MONITOR_SCHEMA = "bollalabz_monitor";
export const MONITOR_SCHEMA_VERSION = 3;
/** pg_advisory_xact_lock key shared by schema creation and capture (one capture at a time per database). */
export const MONITOR_LOCK_KEY = 0x6d6f6e69746f72; // "monitor"

const DDL = `
CREATE SCHEMA IF NOT EXISTS ${MONITOR_SCHEMA};
COMMENT ON SCHEMA ${MONITOR_SCHEMA} IS 'bollalabz-db monitor history (pg_stat_statements deltas, relation sizes, the app pool''s bind-parameter sample, advise''s write counters). Created by the monitor (npm run capture / serve), not by migrations; safe to drop.';
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.schema_version (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version int NOT NULL
);
-- One row per capture; deltas hang off it and go with it at retention time.
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.statement_captures (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  captured_at timestamptz NOT NULL,
  -- Start of the interval the deltas cover; null for a baseline-only capture.
  previous_at timestamptz,
  stats_reset timestamptz,
  reset_detected boolean NOT NULL DEFAULT false,
  statements int NOT NULL,
  duration_ms real NOT NULL
);
CREATE INDEX IF NOT EXISTS statement_captures_captured_at ON ${MONITOR_SCHEMA}.statement_captures (captured_at);
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.statement_deltas (
  capture_id bigint NOT NULL REFERENCES ${MONITOR_SCHEMA}.statement_captures (id) ON DELETE CASCADE,
  queryid bigint NOT NULL,
  userid oid NOT NULL,
  toplevel boolean NOT NULL,
  calls bigint NOT NULL,
  total_exec_ms double precision NOT NULL,
  rows bigint NOT NULL,
  shared_blks_hit bigint NOT NULL,
  shared_blks_read bigint NOT NULL,
  PRIMARY KEY (capture_id, queryid, userid, toplevel)
);
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.statement_texts (
  queryid bigint PRIMARY KEY,
  query text NOT NULL,
  last_seen timestamptz NOT NULL
);
-- The cumulative counters as of the last capture: the next delta is taken against them.
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.statement_baseline (
  queryid bigint NOT NULL,
  userid oid NOT NULL,
  toplevel boolean NOT NULL,
  stats_since timestamptz,
  calls bigint NOT NULL,
  total_exec_ms double precision NOT NULL,
  rows bigint NOT NULL,
  shared_blks_hit bigint NOT NULL,
  shared_blks_read bigint NOT NULL,
  PRIMARY KEY (queryid, userid, toplevel)
);
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.capture_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  captured_at timestamptz NOT NULL,
  stats_reset timestamptz,
  postmaster_started_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.relation_sizes (
  captured_on date NOT NULL,
  schema_name name NOT NULL,
  relation name NOT NULL,
  kind text NOT NULL CHECK (kind IN ('table', 'index')),
  table_name name NOT NULL,
  bytes bigint NOT NULL,
  PRIMARY KEY (captured_on, schema_name, relation)
);
-- v2: one row per size snapshot, so a day is "taken" even when the database has no tables.
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.space_captures (
  captured_on date PRIMARY KEY,
  captured_at timestamptz NOT NULL,
  relations int NOT NULL,
  duration_ms real NOT NULL
);
-- v3: the app pool's sample of bind parameters per statement (values are data:
-- advise shows them only with --show-values), and advise's table write
-- counters, so its write rates are deltas between two runs.
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.parameter_samples (
  query_md5 text NOT NULL,
  application_name text NOT NULL,
  query text NOT NULL,
  calls bigint NOT NULL,
  value_sets jsonb NOT NULL,
  sampled_at timestamptz NOT NULL,
  PRIMARY KEY (query_md5, application_name)
);
CREATE TABLE IF NOT EXISTS ${MONITOR_SCHEMA}.table_write_counters (
  relid oid PRIMARY KEY,
  table_name name NOT NULL,
  taken_at timestamptz NOT NULL,
  stats_reset timestamptz,
  n_tup_ins bigint NOT NULL,
  n_tup_upd bigint NOT NULL,
  n_tup_hot_upd bigint NOT NULL
);
INSERT INTO ${MONITOR_SCHEMA}.schema_version (version) VALUES (${MONITOR_SCHEMA_VERSION})
  ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version;
`;

/** Does the monitor schema exist (at the current version)? Never creates anything. */
export async function monitorSchemaReady(sql: Sql): Promise<boolean> {
  // Marked as the project's own (src/db/own-statements.ts): advise, which reads the monitor schema, leaves it out of the workload.
  const [row] = await sql<{ present: boolean }[]>`SELECT to_regclass(${`${MONITOR_SCHEMA}.schema_version`}) IS NOT NULL AS present /* bollalabz-db */`;
  if (!row?.present) return false;
  const [version] = await sql.unsafe<{ version: number }[]>(`SELECT version FROM ${MONITOR_SCHEMA}.schema_version /* bollalabz-db */`);
  return version?.version === MONITOR_SCHEMA_VERSION;
}

/**
 * Create the schema when missing, under the monitor's advisory lock so two
 * processes starting at once do not race on CREATE SCHEMA.
 */
export async function ensureMonitorSchema(sql: Sql): Promise<void> {
  if (await monitorSchemaReady(sql)) return;
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MONITOR_LOCK_KEY})`;
    await tx`SET LOCAL client_min_messages = warning`;
    await tx.unsafe(DDL);
  });
}
