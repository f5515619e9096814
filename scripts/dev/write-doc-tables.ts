#!/usr/bin/env node
// Rewrites the generated tables in the docs from their sources (run after
// changing the index set or the server settings; a test fails until you do):
// - migrations/README.md "Index catalog"  <- src/indexes/performance-indexes.ts
// - docs/PERFORMANCE.md server settings   <- src/settings/server-settings.ts
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MIGRATIONS_DIR, PROJECT_ROOT } from "../../src/base/project-paths.ts";
import { INDEX_TABLE_BEGIN, INDEX_TABLE_END, indexCatalogMarkdown } from "../../src/indexes/markdown.ts";
import { SETTINGS_TABLE_BEGIN, SETTINGS_TABLE_END, serverSettingsMarkdown } from "../../src/settings/markdown.ts";

function replaceBetween(file: string, begin: string, end: string, content: string): void {
  const text = readFileSync(file, "utf8");
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no '${begin}' ... '${end}' block to replace`);
  writeFileSync(file, text.slice(0, from) + content + text.slice(to + end.length));
  console.log(`updated ${path.relative(PROJECT_ROOT, file)}`);
}

replaceBetween(path.join(MIGRATIONS_DIR, "README.md"), INDEX_TABLE_BEGIN, INDEX_TABLE_END, indexCatalogMarkdown());
replaceBetween(path.join(PROJECT_ROOT, "docs", "PERFORMANCE.md"), SETTINGS_TABLE_BEGIN, SETTINGS_TABLE_END, serverSettingsMarkdown());
