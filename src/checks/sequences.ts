// Sequences close to running out: the limit is the smaller of the sequence's
// max_value and the range of the column it feeds (a bigint sequence behind an
// integer column fails at 2^31 - 1, not at 2^63 - 1). A schema of null
// covers every user schema.
import type { Sql } from "../db/index.ts";

/** Report a sequence once it has used this share of its range. */
export const SEQUENCE_USED_FRACTION_WARN = 0.5;

export interface SequenceUsage {
  readonly schema: string;
  readonly sequence: string;
  /** The sequence's own type (pg_sequences.data_type): smallint, integer or bigint. */
  readonly dataType: string;
  /** "table.column" the sequence feeds (identity or serial / OWNED BY), or null. */
  readonly column: string | null;
  readonly columnType: string | null;
  readonly lastValue: number | null;
  /** The effective limit: min(sequence max_value, the column type's maximum). */
  readonly maxValue: number;
  /** Share of the range used, 0..1 (0 when never used). */
  readonly usedFraction: number;
  /** Values left before nextval() fails (limit - last value, in steps of the increment); null when never used or descending. */
  readonly remaining: number | null;
}

/** Every sequence of `schema` with its usage, most used first. Values are compared as numeric (they may exceed 2^53). */
export async function sequenceUsage(sql: Sql, schema: string | null = "public"): Promise<SequenceUsage[]> {
  const rows = await sql<{ schema: string; sequence: string; dataType: string; column: string | null; columnType: string | null; lastValue: string | null; maxValue: string; usedFraction: number; remaining: string | null }[]>`
    WITH seqs AS (
      SELECT s.schemaname, s.sequencename, s.data_type::text AS data_type, s.last_value, s.min_value, s.max_value, s.increment_by,
             (SELECT t.relname || '.' || a.attname FROM pg_depend d
                JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
               WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') LIMIT 1) AS column_name,
             (SELECT format_type(a.atttypid, NULL) FROM pg_depend d
                JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
               WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') LIMIT 1) AS column_type
      FROM pg_sequences s
      JOIN pg_namespace n ON n.nspname = s.schemaname
      JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
      WHERE (s.schemaname = ${schema} OR (${schema}::text IS NULL AND s.schemaname NOT IN ('pg_catalog', 'information_schema')))
    ), limits AS (
      SELECT *, least(max_value::numeric, CASE column_type WHEN 'smallint' THEN 32767 WHEN 'integer' THEN 2147483647 ELSE max_value::numeric END) AS limit_value
      FROM seqs
    )
    SELECT schemaname AS schema, sequencename AS sequence, data_type AS "dataType", column_name AS column, column_type AS "columnType",
           last_value::text AS "lastValue", limit_value::text AS "maxValue",
           CASE WHEN last_value IS NULL OR increment_by < 0 THEN 0
                ELSE ((last_value::numeric - min_value::numeric) / nullif(limit_value - min_value::numeric, 0))::float8 END AS "usedFraction",
           CASE WHEN last_value IS NULL OR increment_by < 0 THEN NULL
                ELSE greatest(0, floor((limit_value - last_value::numeric) / increment_by))::text END AS remaining
    FROM limits
    ORDER BY "usedFraction" DESC, 1, 2`;
  return rows.map((r) => ({
    ...r,
    lastValue: r.lastValue === null ? null : Number(r.lastValue),
    maxValue: Number(r.maxValue),
    usedFraction: r.usedFraction ?? 0,
    remaining: r.remaining === null ? null : Number(r.remaining),
  }));
}

export async function findSequencesNearOverflow(sql: Sql, schema: string | null = "public", fraction = SEQUENCE_USED_FRACTION_WARN): Promise<SequenceUsage[]> {
  return (await sequenceUsage(sql, schema)).filter((s) => s.usedFraction >= fraction);
}
