// --write: the accepted candidates become migrations the way this project
// commits index migrations (scripts/dev/commit-index-migrations.ts): one
// CREATE INDEX CONCURRENTLY IF NOT EXISTS per `--! no-transaction` migration,
// committed the way graphile-migrate's `commit` does (its own hashing and
// header code, shadow replay) but WITHOUT its last step, which migrates the
// main database: --write writes files, `npm run migrate` applies them (a
// reviewed migration, at a time the operator picks). The index data (src/indexes/advised-indexes.json, part of
// PERFORMANCE_INDEXES) and the generated table in migrations/README.md learn
// them; rollback reads index names from the migration files, so it knows them
// without further work.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type { Settings } from "graphile-migrate";
import { EXIT, UserError } from "../base/errors.ts";
import type { DatabaseTarget } from "../db/index.ts";
import { ADVISED_INDEXES_FILE, MIGRATIONS_DIR } from "../base/project-paths.ts";
import { INDEX_TABLE_BEGIN, INDEX_TABLE_END, indexCatalogMarkdown } from "../indexes/markdown.ts";
import { PERFORMANCE_INDEXES, readAdvisedIndexes, type IndexCategory, type PerformanceIndex } from "../indexes/performance-indexes.ts";
import { migrationSettings } from "../migrate/graphile.ts";
import { MIGRATIONS_TABLE_BEGIN, MIGRATIONS_TABLE_END, migrationsTableMarkdown } from "../migrate/markdown.ts";
import { clearAllGraphilePools } from "../migrate/graphile.ts";
import type { AdviseReport, CandidateReport } from "./advise.ts";

export interface WriteOptions {
  readonly migrationsFolder?: string;
  readonly indexDataFile?: string;
  readonly log?: (line: string) => void;
}

export interface CommittedIndexMigration {
  readonly file: string;
  readonly name: string;
  readonly statement: string;
}

const require = createRequire(import.meta.url);
type ParsedSettings = { readonly migrationsFolder: string };
const gm = {
  parseSettings: (require("graphile-migrate/dist/settings.js") as { parseSettings: (s: Settings, requireShadow: boolean) => Promise<ParsedSettings> }).parseSettings,
  migration: require("graphile-migrate/dist/migration.js") as {
    getAllMigrations: (s: ParsedSettings) => Promise<{ filename: string; hash: string }[]>;
    parseMigrationText: (file: string, text: string, strict: boolean) => { headers: Record<string, string | null>; body: string };
    serializeMigration: (body: string, headers: Record<string, string | null | undefined>) => string;
  },
  sluggify: (require("graphile-migrate/dist/sluggify.js") as { sluggify: (text: string) => string }).sluggify,
  calculateHash: (require("graphile-migrate/dist/hash.js") as { calculateHash: (body: string, previous: string | null) => string }).calculateHash,
  reset: (require("graphile-migrate/dist/commands/reset.js") as { _reset: (s: ParsedSettings, shadow: boolean) => Promise<void> })._reset,
  migrate: (require("graphile-migrate/dist/commands/migrate.js") as { _migrate: (s: ParsedSettings, shadow?: boolean) => Promise<void> })._migrate,
};

const CATEGORY_OF: Record<CandidateReport["kind"], IndexCategory> = { trigram: "A", btree: "B", expression: "B", partial: "C", jsonb: "D", array: "D", covering: "F" };

/** current.sql holds nothing but comments and blank lines (graphile-migrate's work in progress must not be overwritten). */
function currentIsEmpty(file: string): boolean {
  if (!existsSync(file)) return true;
  return readFileSync(file, "utf8").split("\n").every((l) => l.trim() === "" || l.trim().startsWith("--"));
}

/**
 * --write commits through migrations/current.sql: refuse (exit 2) when it
 * holds someone's uncommitted work. Called before any candidate is built, so
 * the refusal costs nothing.
 */
export function assertCurrentMigrationEmpty(folder: string = MIGRATIONS_DIR): void {
  const current = path.join(folder, "current.sql");
  if (!currentIsEmpty(current)) {
    throw new UserError(`${current} holds uncommitted work; advise --write commits through it. Commit it (npx graphile-migrate commit) or empty it, then run advise --write again.`, EXIT.usage);
  }
}

/**
 * graphile-migrate's `commit` minus its final step: current.sql becomes the
 * next committed migration (same headers, hash chain and file name), the
 * shadow database is reset and replays everything (so a broken migration is
 * caught here), and the main database is left alone. On failure the
 * committed file is removed and current.sql keeps the body, as commit does.
 */
export async function commitWithoutApplying(settings: Settings, message: string): Promise<string> {
  const parsed = await gm.parseSettings(settings, true);
  const folder = parsed.migrationsFolder;
  const currentPath = path.join(folder, "current.sql");
  const contents = readFileSync(currentPath, "utf8");
  const all = await gm.migration.getAllMigrations(parsed);
  const last = all.at(-1);
  const number = last ? Number.parseInt(last.filename, 10) + 1 : 1;
  const file = `${String(number).padStart(6, "0")}-${gm.sluggify(message)}.sql`;
  const { headers, body } = gm.migration.parseMigrationText(currentPath, contents, false);
  const { Previous: _p, Hash: _h, Message: _m, ...rest } = headers;
  const finalBody = gm.migration.serializeMigration(body, { Previous: last ? last.hash : "-", Hash: gm.calculateHash(body, last?.hash ?? null), Message: message, ...rest });
  await gm.reset(parsed, true);
  const target = path.join(folder, "committed", file);
  writeFileSync(target, finalBody, { mode: 0o440 });
  try {
    await gm.migrate(parsed, true);
    writeFileSync(currentPath, "");
  } catch (error) {
    rmSync(target, { force: true });
    writeFileSync(currentPath, contents);
    throw error;
  }
  return file;
}

export function migrationBody(c: CandidateReport, name: string, date: string): string {
  const helped = c.afterMs?.map((a) => `${a.statement} ${c.beforeMs.find((b) => b.statement === a.statement)?.ms ?? "?"} -> ${a.ms} ms`).join("; ") ?? c.statements.join(", ");
  return [
    "--! no-transaction",
    `-- Advised by npm run advise (${date}), validated by building it: ${helped}.`,
    ...(c.replaces ? [`-- Widens ${c.replaces} (INCLUDE); that index becomes redundant: drop it once this one is in use.`] : []),
    `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${c.table} ${c.definition};`,
    "",
  ].join("\n");
}

/** Commit one migration per accepted candidate; returns what was committed. */
export async function writeAcceptedMigrations(target: DatabaseTarget, report: Pick<AdviseReport, "candidates" | "statements">, options: WriteOptions = {}): Promise<{ committed: CommittedIndexMigration[] }> {
  const folder = options.migrationsFolder ?? MIGRATIONS_DIR;
  const dataFile = options.indexDataFile ?? ADVISED_INDEXES_FILE;
  const current = path.join(folder, "current.sql");
  const accepted = report.candidates.filter((c) => c.accepted);
  if (accepted.length === 0) return { committed: [] };
  assertCurrentMigrationEmpty(folder);
  const known = new Set([...PERFORMANCE_INDEXES, ...readAdvisedIndexes(dataFile)].map((i) => i.name));
  const date = new Date().toISOString().slice(0, 10);
  const committed: CommittedIndexMigration[] = [];
  const advised = readAdvisedIndexes(dataFile);
  for (const c of accepted) {
    // The name the report showed (a covering candidate is already named <index>_wide).
    let name = c.name;
    for (let i = 2; known.has(name); i++) name = `${c.name.slice(0, 58)}_${i}`;
    known.add(name);
    const body = migrationBody(c, name, date);
    writeFileSync(current, body);
    let file: string;
    try {
      file = await commitWithoutApplying(migrationSettings(target, options.log, { migrationsFolder: folder }), `index ${name} (advised)`);
    } catch (error) {
      writeFileSync(current, "");
      throw new UserError(`graphile-migrate commit of index ${name} failed: ${(error as Error).message}. Nothing was committed for it; ${committed.length} earlier migration(s) were.`, EXIT.failed);
    } finally {
      clearAllGraphilePools();
    }
    const statement = `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${c.table} ${c.definition};`;
    committed.push({ file, name, statement });
    options.log?.(`committed ${file}`);
    const entry: PerformanceIndex = {
      name,
      table: c.table,
      category: CATEGORY_OF[c.kind],
      definition: c.definition,
      serves: c.statements.map((s) => `advise:${s}`),
      note: c.replaces ? `Widens ${c.replaces}. ${c.reason}` : c.reason,
      advised: {
        at: date,
        statements: c.statements.map((id) => ({
          id,
          query: report.statements.find((s) => s.id === id)?.query ?? "",
          beforeMs: c.beforeMs.find((b) => b.statement === id)?.ms ?? null,
          afterMs: c.afterMs?.find((a) => a.statement === id)?.ms ?? null,
        })),
      },
    };
    advised.push(entry);
    writeFileSync(dataFile, `${JSON.stringify(advised, null, 2)}\n`);
  }
  const readme = path.join(folder, "README.md");
  replaceReadmeBlock(readme, INDEX_TABLE_BEGIN, INDEX_TABLE_END, indexCatalogMarkdown([...PERFORMANCE_INDEXES.filter((i) => !advised.some((a) => a.name === i.name)), ...advised]));
  replaceReadmeBlock(readme, MIGRATIONS_TABLE_BEGIN, MIGRATIONS_TABLE_END, await migrationsTableMarkdown(folder));
  return { committed };
}

/** The generated block between `begin` and `end` in the migrations README, when the README has it. */
function replaceReadmeBlock(file: string, begin: string, end: string, content: string): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, "utf8");
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return;
  writeFileSync(file, text.slice(0, from) + content + text.slice(to + end.length));
}
