// Which committed migrations are "performance index" migrations, and which
// index each one creates — read from the migration files themselves, so the
// recovery hook and the rollback act on exactly what the migrations create
// (never a LIKE 'idx_%' sweep: the base schema has idx_* indexes of its own).
//
// A performance migration is a committed migration whose single statement is
// `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON table ...`.
import { createRequire } from "node:module";
import path from "node:path";
import { MIGRATIONS_DIR } from "../base/project-paths.ts";

const require = createRequire(import.meta.url);
// graphile-migrate's own reader: same file-name rules, header parsing and
// hash-chain validation as `graphile-migrate migrate`.
const { getAllMigrations } = require("graphile-migrate/dist/migration.js") as {
  getAllMigrations: (settings: { migrationsFolder: string }) => Promise<GraphileCommittedMigration[]>;
};

interface GraphileCommittedMigration {
  /** e.g. 000002-idx-phone-contacts-name-pattern.sql */
  realFilename: string;
  /** e.g. 000002.sql — what graphile_migrate.migrations.filename holds. */
  filename: string;
  hash: string;
  previousHash: string | null;
  body: string;
}

export interface CommittedMigration {
  readonly file: string;
  /** The ledger's name for it (graphile_migrate.migrations.filename). */
  readonly ledgerFilename: string;
  readonly hash: string;
  /** `--! no-transaction` on the body's first line (graphile-migrate's rule). */
  readonly noTransaction: boolean;
  /** Statements outside comments and string literals. */
  readonly statementCount: number;
  /** Set when the migration's statement is a concurrent index build. */
  readonly index?: CreatedIndex;
  /**
   * A non-index migration that declares (a line `-- rollback: re-runnable`)
   * that applying it again changes nothing (IF NOT EXISTS, CREATE OR REPLACE,
   * a backfill that only fills what is missing). Rollback may then forget it
   * with the index migrations around it, and `migrate` re-applies it in order.
   */
  readonly rerunnable: boolean;
  /** The migration's SQL (headers removed). */
  readonly body?: string;
  /** Set when the migration's statement drops an index concurrently (the set was consolidated). */
  readonly dropsIndex?: string;
}

/** The line a re-runnable non-index migration carries (see CommittedMigration.rerunnable). */
export const RERUNNABLE_MARK = "-- rollback: re-runnable";

export interface CreatedIndex {
  readonly name: string;
  /** As written after ON (possibly schema-qualified). */
  readonly table: string;
  readonly unique: boolean;
  readonly ifNotExists: boolean;
  /** The whole statement, comments removed. */
  readonly statement: string;
}

export interface PerformanceMigration extends CommittedMigration {
  readonly index: CreatedIndex;
}

/** Remove `-- ...` comments and count `;`-terminated statements, respecting quotes. */
export function splitStatements(sqlText: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  while (i < sqlText.length) {
    const ch = sqlText[i]!;
    if (ch === "-" && sqlText[i + 1] === "-") {
      while (i < sqlText.length && sqlText[i] !== "\n") i++;
      continue;
    }
    if (ch === "/" && sqlText[i + 1] === "*") {
      const end = sqlText.indexOf("*/", i + 2);
      i = end < 0 ? sqlText.length : end + 2;
      current += " ";
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = sqlText.indexOf(ch, i + 1);
      const stop = end < 0 ? sqlText.length : end + 1;
      current += sqlText.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === ";") {
      if (current.trim()) statements.push(current.trim());
      current = "";
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const CREATE_INDEX_CONCURRENTLY = new RegExp(
  String.raw`^CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(IF\s+NOT\s+EXISTS\s+)?(${IDENT})\s+ON\s+(?:ONLY\s+)?((?:${IDENT}\.)?${IDENT})[\s(]`,
  "is",
);

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replace(/""/g, '"') : identifier.toLowerCase();
}

const DROP_INDEX_CONCURRENTLY = new RegExp(String.raw`^DROP\s+INDEX\s+CONCURRENTLY\s+(?:IF\s+EXISTS\s+)?(${IDENT})$`, "is");

export function describeMigrationBody(body: string): Pick<CommittedMigration, "noTransaction" | "statementCount" | "index" | "rerunnable" | "dropsIndex"> {
  const firstLine = body.split("\n", 1)[0] ?? "";
  const statements = splitStatements(body);
  const match = statements.length > 0 ? CREATE_INDEX_CONCURRENTLY.exec(statements[0]!.replace(/\s+/g, " ")) : null;
  return {
    noTransaction: /^--!\s*no-transaction\b/.test(firstLine),
    rerunnable: body.split("\n").some((line) => line.trim() === RERUNNABLE_MARK),
    ...(() => {
      const drop = statements.length === 1 ? DROP_INDEX_CONCURRENTLY.exec(statements[0]!.replace(/\s+/g, " ").trim()) : null;
      return drop ? { dropsIndex: unquote(drop[1]!) } : {};
    })(),
    statementCount: statements.length,
    index: match
      ? {
          name: unquote(match[3]!),
          table: match[4]!.split(".").map(unquote).join("."),
          unique: Boolean(match[1]),
          ifNotExists: Boolean(match[2]),
          statement: statements[0]!.replace(/\s+/g, " "),
        }
      : undefined,
  };
}

/** Every committed migration in order (graphile-migrate validates the hash chain). */
export async function readCommittedMigrations(migrationsFolder = MIGRATIONS_DIR): Promise<CommittedMigration[]> {
  const all = await getAllMigrations({ migrationsFolder: path.resolve(migrationsFolder) });
  return all.map((m) => ({
    file: m.realFilename,
    ledgerFilename: m.filename,
    hash: m.hash,
    body: m.body,
    ...describeMigrationBody(m.body),
  }));
}

export function isPerformanceMigration(m: CommittedMigration): m is PerformanceMigration {
  return m.index !== undefined;
}

/**
 * The committed migrations that each build one index concurrently and whose
 * index is still part of the set (no later migration drops it), in order.
 */
export async function readPerformanceMigrations(migrationsFolder = MIGRATIONS_DIR): Promise<PerformanceMigration[]> {
  return currentPerformanceMigrations(await readCommittedMigrations(migrationsFolder));
}

export function currentPerformanceMigrations(committed: readonly CommittedMigration[]): PerformanceMigration[] {
  return committed.filter((m, i): m is PerformanceMigration => isPerformanceMigration(m) && !committed.slice(i + 1).some((later) => later.dropsIndex === m.index.name));
}

/** Migrations that belong to the index set's history: every concurrent build (also of indexes dropped since) and every concurrent drop. */
export function isIndexSetMigration(m: CommittedMigration): boolean {
  return m.index !== undefined || m.dropsIndex !== undefined;
}

/**
 * Every index a committed migration builds, also one a later migration drops
 * again: a run on an older database builds it first, and a failed build of it
 * is left INVALID like any other (the recovery drops these).
 */
export function builtIndexNames(committed: readonly CommittedMigration[]): string[] {
  return committed.flatMap((m) => (m.index ? [m.index.name] : []));
}

/**
 * Problems with the performance migrations as graphile-migrate will run them:
 * a concurrent build must be the only statement of a `--! no-transaction`
 * migration; index names must be unique and fit PostgreSQL's 63 bytes.
 */
export function performanceMigrationProblems(migrations: readonly CommittedMigration[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const m of migrations) {
    if (m.dropsIndex) {
      if (!m.noTransaction) problems.push(`${m.file}: drops ${m.dropsIndex} CONCURRENTLY but its first line is not '--! no-transaction'`);
      if (!migrations.some((c) => c.index?.name === m.dropsIndex && c.ledgerFilename < m.ledgerFilename)) problems.push(`${m.file}: drops ${m.dropsIndex}, which no earlier migration creates`);
      continue;
    }
    if (!m.index) continue;
    if (!m.noTransaction) problems.push(`${m.file}: builds ${m.index.name} CONCURRENTLY but its first line is not '--! no-transaction'`);
    if (m.statementCount !== 1) problems.push(`${m.file}: ${m.statementCount} statements; a concurrent build must be alone in its migration`);
    if (Buffer.byteLength(m.index.name) > 63) problems.push(`${m.file}: index name ${m.index.name} is longer than 63 bytes`);
    const other = seen.get(m.index.name);
    if (other) problems.push(`${m.file}: index ${m.index.name} is also created by ${other}`);
    seen.set(m.index.name, m.file);
  }
  return problems;
}
