// Constraints added NOT VALID and never validated (pg_constraint.convalidated
// = false): the table may hold rows that break them, and the planner cannot
// rely on them. ALTER TABLE ... VALIDATE CONSTRAINT takes only a SHARE UPDATE
// EXCLUSIVE lock, so fixing one does not block writers.
import type { Sql } from "../db/index.ts";

export interface InvalidConstraint {
  readonly schema: string;
  readonly table: string;
  readonly constraint: string;
  /** f = foreign key, c = check, n = not null (PG18) ... (pg_constraint.contype). */
  readonly type: string;
  readonly definition: string;
  /** The statement that validates it. */
  readonly fix: string;
}

const TYPE_NAMES: Record<string, string> = { f: "foreign key", c: "check", n: "not null", u: "unique", p: "primary key", x: "exclusion", t: "trigger" };

export async function findInvalidConstraints(sql: Sql): Promise<InvalidConstraint[]> {
  const rows = await sql<{ schema: string; table: string; constraint: string; contype: string; definition: string; fix: string }[]>`
    SELECT n.nspname AS schema, t.relname AS "table", c.conname AS "constraint", c.contype::text AS contype,
           pg_get_constraintdef(c.oid) AS definition,
           format('ALTER TABLE %I.%I VALIDATE CONSTRAINT %I;', n.nspname, t.relname, c.conname) AS fix
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE NOT c.convalidated AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    ORDER BY 1, 2, 3`;
  return rows.map(({ contype, ...r }) => ({ ...r, type: TYPE_NAMES[contype] ?? contype }));
}
