// Transaction-ID and multixact wraparound, PgHero's "transaction ID danger"
// made relative to the server's own limits: autovacuum forces an
// anti-wraparound vacuum when a table's age passes autovacuum_freeze_max_age
// (multixacts: autovacuum_multixact_freeze_max_age). An age well past that
// limit means autovacuum cannot keep up (blocked by a long transaction, a
// prepared transaction or a replication slot holding the xmin horizon); at
// about 2^31 the server stops assigning transaction IDs altogether.
import type { Sql } from "../db/index.ts";
import { formatPercent } from "../base/format.ts";

/** Report a database or table once its age reaches this share of the freeze limit. */
export const FREEZE_AGE_WARN_FRACTION = 0.75;
/** How many tables to list, oldest first. */
export const FREEZE_AGE_TABLES_LIMIT = 20;
/** Ages wrap at 2^31: the server refuses new transaction IDs a few million before that. */
export const WRAPAROUND_LIMIT = 2 ** 31;

export interface FreezeLimits {
  readonly freezeMaxAge: number;
  readonly multixactFreezeMaxAge: number;
}

export interface DatabaseFreezeAge {
  readonly database: string;
  readonly xidAge: number;
  readonly mxidAge: number;
  /** xidAge / autovacuum_freeze_max_age (>= 1: an anti-wraparound vacuum is due or running). */
  readonly xidFraction: number;
  readonly mxidFraction: number;
  /** xidAge / 2^31: how close the hard stop is. */
  readonly xidWraparoundFraction: number;
}

export interface TableFreezeAge {
  readonly schema: string;
  readonly table: string;
  /** The older of the table and its TOAST table. */
  readonly xidAge: number;
  readonly mxidAge: number;
  readonly xidFraction: number;
  readonly mxidFraction: number;
  /** The table's own freeze limit when its reloptions lower it, else the server's. */
  readonly freezeMaxAge: number;
}

export async function freezeLimits(sql: Sql): Promise<FreezeLimits> {
  const [row] = await sql<FreezeLimits[]>`
    SELECT current_setting('autovacuum_freeze_max_age')::bigint AS "freezeMaxAge",
           current_setting('autovacuum_multixact_freeze_max_age')::bigint AS "multixactFreezeMaxAge"`;
  return row!;
}

/** Every database that accepts connections, oldest first. */
export async function databaseFreezeAges(sql: Sql): Promise<DatabaseFreezeAge[]> {
  return sql<DatabaseFreezeAge[]>`
    SELECT datname AS database, age(datfrozenxid)::bigint AS "xidAge", mxid_age(datminmxid)::bigint AS "mxidAge",
           (age(datfrozenxid) / current_setting('autovacuum_freeze_max_age')::float8) AS "xidFraction",
           (mxid_age(datminmxid) / current_setting('autovacuum_multixact_freeze_max_age')::float8) AS "mxidFraction",
           (age(datfrozenxid) / ${WRAPAROUND_LIMIT}::float8) AS "xidWraparoundFraction"
    FROM pg_database
    WHERE datallowconn
    ORDER BY age(datfrozenxid) DESC, datname`;
}

/** Tables (and materialized views) of the current database, oldest first. */
export async function tableFreezeAges(sql: Sql, limit = FREEZE_AGE_TABLES_LIMIT): Promise<TableFreezeAge[]> {
  return sql<TableFreezeAge[]>`
    WITH t AS (
      SELECT n.nspname AS schema, c.relname AS "table",
             greatest(age(c.relfrozenxid), CASE WHEN x.oid IS NULL THEN 0 ELSE age(x.relfrozenxid) END)::bigint AS xid_age,
             greatest(mxid_age(c.relminmxid), CASE WHEN x.oid IS NULL THEN 0 ELSE mxid_age(x.relminmxid) END)::bigint AS mxid_age,
             -- A table may lower (never raise) its limit with the autovacuum_freeze_max_age reloption.
             least(current_setting('autovacuum_freeze_max_age')::bigint,
                   coalesce((SELECT option_value::bigint FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_freeze_max_age'), 2147483647)) AS freeze_max,
             least(current_setting('autovacuum_multixact_freeze_max_age')::bigint,
                   coalesce((SELECT option_value::bigint FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_multixact_freeze_max_age'), 2147483647)) AS mxid_max
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_class x ON x.oid = c.reltoastrelid
      WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't'
    )
    SELECT schema, "table", xid_age AS "xidAge", mxid_age AS "mxidAge",
           (xid_age / freeze_max::float8) AS "xidFraction",
           (mxid_age / mxid_max::float8) AS "mxidFraction",
           freeze_max AS "freezeMaxAge"
    FROM t
    ORDER BY greatest(xid_age / freeze_max::numeric, mxid_age / mxid_max::numeric) DESC, schema, "table"
    LIMIT ${limit}`;
}

export interface FreezeAgeReport {
  readonly limits: FreezeLimits;
  readonly databases: readonly DatabaseFreezeAge[];
  /** The oldest tables of this database (up to FREEZE_AGE_TABLES_LIMIT). */
  readonly tables: readonly TableFreezeAge[];
  /** Databases and tables at or over FREEZE_AGE_WARN_FRACTION of their limit. */
  readonly warnings: readonly string[];
}

export async function freezeAgeReport(sql: Sql, fraction = FREEZE_AGE_WARN_FRACTION): Promise<FreezeAgeReport> {
  const [limits, databases, tables] = await Promise.all([freezeLimits(sql), databaseFreezeAges(sql), tableFreezeAges(sql)]);
  const pct = (x: number) => formatPercent(x, 0);
  const warnings = [
    ...databases.filter((d) => d.xidFraction >= fraction).map((d) => `database ${d.database}: transaction ID age ${d.xidAge} is ${pct(d.xidFraction)} of autovacuum_freeze_max_age`),
    ...databases.filter((d) => d.mxidFraction >= fraction).map((d) => `database ${d.database}: multixact age ${d.mxidAge} is ${pct(d.mxidFraction)} of autovacuum_multixact_freeze_max_age`),
    ...tables.filter((t) => t.xidFraction >= fraction).map((t) => `table ${t.schema}.${t.table}: transaction ID age ${t.xidAge} is ${pct(t.xidFraction)} of its freeze limit (VACUUM (FREEZE) it; look for long transactions or stale replication slots holding it back)`),
    ...tables.filter((t) => t.mxidFraction >= fraction).map((t) => `table ${t.schema}.${t.table}: multixact age ${t.mxidAge} is ${pct(t.mxidFraction)} of its freeze limit`),
  ];
  return { limits, databases, tables, warnings };
}
