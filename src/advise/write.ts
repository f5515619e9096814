// --write: the accepted candidates become migrations the way this project
// commits index migrations (scripts/dev/commit-index-migrations.ts): one
// CREATE INDEX CONCURRENTLY IF NOT EXISTS per `--! no-transaction` migration,
// committed through graphile-migrate's own `commit` (shadow replay, hash
// chain). The index data (src/indexes/advised-indexes.json, part of
// PERFORMANCE_INDEXES) and the generated table in migrations/README.md learn
// them; rollback reads index names from the migration files, so it knows them
// without further work.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commit } from "graphile-migrate";
import { EXIT, UserError } from "../base/errors.ts";
import type { DatabaseTarget } from "../db/index.ts";
import { ADVISED_INDEXES_FILE, MIGRATIONS_DIR } from "../base/project-paths.ts";
import { INDEX_TABLE_BEGIN, INDEX_TABLE_END, indexCatalogMarkdown } from "../indexes/markdown.ts";
import { PERFORMANCE_INDEXES, readAdvisedIndexes, type IndexCategory, type PerformanceIndex } from "../indexes/performance-indexes.ts";
import { migrationSettings } from "../migrate/graphile.ts";
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

const CATEGORY_OF: Record<CandidateReport["kind"], IndexCategory> = { trigram: "A", btree: "B", expression: "B", partial: "C", jsonb: "D", array: "D", covering: "F" };

/** current.sql holds nothing but comments and blank lines (graphile-migrate's work in progress must not be overwritten). */
function currentIsEmpty(file: string): boolean {
  if (!existsSync(file)) return true;
  return readFileSync(file, "utf8").split("\n").every((l) => l.trim() === "" || l.trim().startsWith("--"));
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
  if (!currentIsEmpty(current)) {
    throw new UserError(`${current} holds uncommitted work; --write commits through it. Commit or empty it first (npx graphile-migrate commit, or clear the file).`, EXIT.usage);
  }
  const known = new Set([...PERFORMANCE_INDEXES, ...readAdvisedIndexes(dataFile)].map((i) => i.name));
  const date = new Date().toISOString().slice(0, 10);
  const committed: CommittedIndexMigration[] = [];
  const advised = readAdvisedIndexes(dataFile);
  for (const c of accepted) {
    let name = c.replaces ? `${c.name}_wide` : c.name;
    for (let i = 2; known.has(name); i++) name = `${c.name.slice(0, 58)}_${i}`;
    known.add(name);
    const body = migrationBody(c, name, date);
    writeFileSync(current, body);
    const before = new Set(readdirSync(path.join(folder, "committed")));
    try {
      await commit(migrationSettings(target, options.log, { migrationsFolder: folder }), `index ${name} (advised)`);
    } catch (error) {
      writeFileSync(current, "");
      throw new UserError(`graphile-migrate commit of index ${name} failed: ${(error as Error).message}. Nothing was committed for it; ${committed.length} earlier migration(s) were.`, EXIT.failed);
    } finally {
      clearAllGraphilePools();
    }
    const file = readdirSync(path.join(folder, "committed")).find((f) => !before.has(f)) ?? "?";
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
  updateReadmeTable(path.join(folder, "README.md"), [...PERFORMANCE_INDEXES.filter((i) => !advised.some((a) => a.name === i.name)), ...advised]);
  return { committed };
}

function updateReadmeTable(file: string, indexes: readonly PerformanceIndex[]): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, "utf8");
  const from = text.indexOf(INDEX_TABLE_BEGIN);
  const to = text.indexOf(INDEX_TABLE_END);
  if (from < 0 || to < from) return;
  writeFileSync(file, text.slice(0, from) + indexCatalogMarkdown(indexes) + text.slice(to + INDEX_TABLE_END.length));
}
