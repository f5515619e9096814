// Scratch databases the benchmarks create next to the target (<db>_bench,
// <db>_migrate_bench). They are dropped and recreated on every run, so a name
// must never reach a database someone else made: we mark ours
// (COMMENT ON DATABASE) and refuse to drop one without the mark.
import { EXIT, UserError } from "../base/errors.ts";
import type { Sql } from "./index.ts";
import type { DatabaseTarget } from "./target.ts";

export const SCRATCH_MARK = "bollalabz-db scratch database (dropped and recreated by its benchmarks)";
/** The embedded server's own databases: a developer's copy, safe for experiments (advise --validate). */
export const DEVELOPMENT_MARK = "bollalabz-db development database (embedded server; safe for experiments)";

export type DatabaseMark = "scratch" | "development";

/** Which of our marks the connected database carries, if any. */
export async function currentDatabaseMark(sql: Sql): Promise<DatabaseMark | null> {
  const [row] = await sql<{ comment: string | null }[]>`
    SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = current_database()`;
  return row?.comment === SCRATCH_MARK ? "scratch" : row?.comment === DEVELOPMENT_MARK ? "development" : null;
}

/** Mark a database (COMMENT ON DATABASE) as one of ours. */
export async function markDatabase(sql: Sql, name: string, mark: DatabaseMark): Promise<void> {
  await sql.unsafe(`COMMENT ON DATABASE "${name.replaceAll('"', '""')}" IS '${mark === "scratch" ? SCRATCH_MARK : DEVELOPMENT_MARK}'`);
}

/** A scratch database beside the target's own: `<its name>_<suffix>` (bollalabz when its URL names none). */
export function scratchDatabaseBeside(target: { readonly url: string }, suffix: string): string {
  return scratchDatabaseName(decodeURIComponent(new URL(target.url).pathname.slice(1)) || "bollalabz", suffix);
}

/** `<base>_<suffix>` within PostgreSQL's 63-byte identifier limit (longer names are silently truncated). */
export function scratchDatabaseName(base: string, suffix: string): string {
  const tail = `_${suffix}`;
  let head = base;
  while (Buffer.byteLength(head + tail) > 63) head = head.slice(0, -1);
  return head + tail;
}

async function existingMark(sql: Sql, name: string): Promise<{ exists: boolean; marked: boolean }> {
  const [row] = await sql<{ comment: string | null }[]>`
    SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = ${name}`;
  return { exists: row !== undefined, marked: row?.comment === SCRATCH_MARK };
}

/** Drop our earlier scratch database of that name (if any) and create it anew, marked. */
export async function recreateScratchDatabase(sql: Sql, name: string): Promise<void> {
  const { exists, marked } = await existingMark(sql, name);
  if (exists && !marked) {
    throw new UserError(
      `A database named '${name}' already exists and was not created by bollalabz-db's benchmarks; refusing to drop it. ` +
        "Choose another name (bench: --database NAME) or drop it yourself if it is disposable.",
      EXIT.notReady,
    );
  }
  if (exists) await sql`DROP DATABASE ${sql(name)} WITH (FORCE)`;
  await sql`CREATE DATABASE ${sql(name)}`;
  await markDatabase(sql, name, "scratch");
}

/** Drop a scratch database, only if it carries our mark. */
export async function dropScratchDatabase(sql: Sql, name: string): Promise<void> {
  if ((await existingMark(sql, name)).marked) await sql`DROP DATABASE ${sql(name)} WITH (FORCE)`;
}

/**
 * Refuse unless the database is marked scratch/development (or the user said
 * --yes). `what` says what the command does there, e.g. "advise --validate
 * builds and drops indexes".
 */
export async function assertMayExperiment(sql: Sql, target: Pick<DatabaseTarget, "display" | "source">, yes: boolean, what: string): Promise<DatabaseMark | "embedded" | "confirmed"> {
  const mark = await currentDatabaseMark(sql);
  if (mark) return mark;
  if (target.source === "embedded") return "embedded";
  if (yes) return "confirmed";
  throw new UserError(
    `${what} on ${target.display}, which is not marked as a scratch or development database. ` +
      "Run it on a copy (the embedded server, or a database made by the benchmarks), or add --yes to run it here anyway.",
    EXIT.usage,
  );
}
