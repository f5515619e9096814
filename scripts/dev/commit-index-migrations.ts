#!/usr/bin/env node
// Maintainer tool (run once when the index set changes): turns each index of
// src/indexes/performance-indexes.ts that has no migration yet into its own
// committed graphile-migrate migration, through the real `graphile-migrate
// commit` (shadow replay, hash chain). One CREATE INDEX CONCURRENTLY per file,
// `--! no-transaction` on line 1: graphile-migrate runs a multi-statement file
// in one transaction, where CONCURRENTLY is not allowed.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { $ } from "zx";
import { MIGRATIONS_DIR, PROJECT_ROOT } from "../../src/base/project-paths.ts";
import { PERFORMANCE_INDEXES, createIndexStatement } from "../../src/indexes/performance-indexes.ts";

const committedDir = path.join(MIGRATIONS_DIR, "committed");
const committedText = readdirSync(committedDir).map((f) => readFileSync(path.join(committedDir, f), "utf8")).join("\n");
const missing = PERFORMANCE_INDEXES.filter((ix) => !committedText.includes(` ${ix.name} ON `));
console.log(`${missing.length} of ${PERFORMANCE_INDEXES.length} indexes need a migration`);
$.cwd = PROJECT_ROOT;
$.verbose = false;
for (const ix of missing) {
  writeFileSync(
    path.join(MIGRATIONS_DIR, "current.sql"),
    `--! no-transaction\n-- Category ${ix.category}; serves: ${ix.serves.join(", ")}\n${createIndexStatement(ix)}\n`,
  );
  await $`npx graphile-migrate commit --message ${`index ${ix.name}`}`;
  console.log(`committed ${ix.name}`);
}
