// Sequences close to running out: the limit is the smaller of the sequence's
// max_value and the range of the column it feeds (a bigint sequence behind an
// integer column fails at 2^31 - 1, not at 2^63 - 1).
import type { Sql } from "../config/database-url.ts";

/** Report a sequence once it has used this share of its range. */
export const SEQUENCE_USED_FRACTION_WARN = 0.5;

export interface SequenceUsage {
  readonly sequence: string;
  /** "table.column" the sequence feeds (identity or serial / OWNED BY), or null. */
  readonly column: string | null;
  readonly columnType: string | null;
  readonly lastValue: number | null;
  /** The effective limit: min(sequence max_value, the column type's maximum). */
  readonly maxValue: number;
  /** Share of the range used, 0..1 (0 when never used). */
  readonly usedFraction: number;
}

/** Every sequence of `schema` with its usage, most used first. Values are compared as numeric (they may exceed 2^53). */
export async function sequenceUsage(sql: Sql, schema = "public"): Promise<SequenceUsage[]> {
  const rows = await sql<{ sequence: string; column: string | null; columnType: string | null; lastValue: string | null; maxValue: string; usedFraction: number }[]>`
    WITH seqs AS (
      SELECT s.schemaname, s.sequencename, s.last_value, s.min_value, s.max_value, s.increment_by,
             (SELECT t.relname || '.' || a.attname FROM pg_depend d
                JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
               WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') LIMIT 1) AS column_name,
             (SELECT format_type(a.atttypid, NULL) FROM pg_depend d
                JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
               WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') LIMIT 1) AS column_type
      FROM pg_sequences s
      JOIN pg_namespace n ON n.nspname = s.schemaname
      JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
      WHERE s.schemaname = ${schema}
    ), limits AS (
      SELECT *, least(max_value::numeric, CASE column_type WHEN 'smallint' THEN 32767 WHEN 'integer' THEN 2147483647 ELSE max_value::numeric END) AS limit_value
      FROM seqs
    )
    SELECT sequencename AS sequence, column_name AS column, column_type AS "columnType",
           last_value::text AS "lastValue", limit_value::text AS "maxValue",
           CASE WHEN last_value IS NULL OR increment_by < 0 THEN 0
                ELSE ((last_value::numeric - min_value::numeric) / nullif(limit_value - min_value::numeric, 0))::float8 END AS "usedFraction"
    FROM limits
    ORDER BY 6 DESC, 1`;
  return rows.map((r) => ({ ...r, lastValue: r.lastValue === null ? null : Number(r.lastValue), maxValue: Number(r.maxValue), usedFraction: r.usedFraction ?? 0 }));
}

export async function findSequencesNearOverflow(sql: Sql, schema = "public", fraction = SEQUENCE_USED_FRACTION_WARN): Promise<SequenceUsage[]> {
  return (await sequenceUsage(sql, schema)).filter((s) => s.usedFraction >= fraction);
}
