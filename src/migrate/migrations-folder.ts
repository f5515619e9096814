// Temporary graphile-migrate folders holding a subset of the committed
// migrations: "base schema only" for benchmarks (graphile-migrate has no
// `migrate --to`), and scratch migrations for tests. The hook files
// (migrations/*.sql) are copied along, so .gmrc.cjs's hooks still resolve.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { MIGRATIONS_DIR } from "../base/project-paths.ts";
import { readCommittedMigrations } from "./performance-migrations.ts";

const require = createRequire(import.meta.url);
const { calculateHash } = require("graphile-migrate/dist/hash.js") as { calculateHash: (body: string, previousHash: string | null) => string };

export interface MigrationsFolder {
  readonly folder: string;
  remove(): void;
}

/** A temp migrations folder with the committed migrations `keep` selects (by file name), in order. */
export async function subsetMigrationsFolder(keep: (file: string, index: number) => boolean, source = MIGRATIONS_DIR): Promise<MigrationsFolder> {
  const folder = mkdtempSync(path.join(tmpdir(), "bollalabz-db-migrations-"));
  mkdirSync(path.join(folder, "committed"));
  for (const entry of readdirSync(source)) {
    if (entry.endsWith(".sql") && entry !== "current.sql") copyFileSync(path.join(source, entry), path.join(folder, entry));
  }
  const committed = await readCommittedMigrations(source);
  committed.forEach((m, i) => {
    if (keep(m.file, i)) copyFileSync(path.join(source, "committed", m.file), path.join(folder, "committed", m.file));
  });
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

/**
 * The base migrations: every committed migration before the first
 * performance (concurrent index) migration.
 */
export async function baseMigrationFiles(source = MIGRATIONS_DIR): Promise<string[]> {
  const committed = await readCommittedMigrations(source);
  const firstPerformance = committed.findIndex((m) => m.index !== undefined);
  return (firstPerformance < 0 ? committed : committed.slice(0, firstPerformance)).map((m) => m.file);
}

export async function baseOnlyMigrationsFolder(source = MIGRATIONS_DIR): Promise<MigrationsFolder> {
  const base = new Set(await baseMigrationFiles(source));
  return subsetMigrationsFolder((file) => base.has(file), source);
}

/** Append a committed migration (headers and hash as `graphile-migrate commit` writes them); returns its file name. */
export async function appendCommittedMigration(folder: string, body: string, message: string): Promise<string> {
  const existing = await readCommittedMigrations(folder);
  const last = existing.at(-1);
  const number = last ? Number.parseInt(last.ledgerFilename, 10) + 1 : 1;
  const previous = last?.hash ?? null;
  const slug = message.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  const file = `${String(number).padStart(6, "0")}-${slug}.sql`;
  const headers = [`--! Previous: ${previous ?? "-"}`, `--! Hash: ${calculateHash(body, previous)}`, `--! Message: ${message}`];
  writeFileSync(path.join(folder, "committed", file), `${headers.join("\n")}\n\n${body.trim()}\n`);
  return file;
}
