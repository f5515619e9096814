#!/usr/bin/env node
// Rewrites the generated parts of the docs from their sources (run after
// changing a command's flags, the migrations, the index set, the catalog or
// the server settings; test/docs.test.ts and test/index-set.test.ts fail
// until you do):
// - every `<!-- help:VERB -->` block      <- `npm run VERB -- --help`
// - every `<!-- count:NAME -->` figure    <- scripts/dev/doc-blocks.ts docCounts()
// - migrations/README.md migrations table <- migrations/committed/
// - migrations/README.md "Index catalog"  <- src/indexes/performance-indexes.ts
// - docs/server-settings.md, docs/SCALING.md settings tables <- src/settings/server-settings.ts
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MIGRATIONS_DIR, PROJECT_ROOT } from "../../src/base/project-paths.ts";
import { INDEX_TABLE_BEGIN, INDEX_TABLE_END, indexCatalogMarkdown } from "../../src/indexes/markdown.ts";
import {
  REPLICATION_TABLE_BEGIN,
  REPLICATION_TABLE_END,
  SETTINGS_TABLE_BEGIN,
  SETTINGS_TABLE_END,
  replicationSettingsMarkdown,
  serverSettingsMarkdown,
} from "../../src/settings/markdown.ts";
import { MIGRATIONS_TABLE_BEGIN, MIGRATIONS_TABLE_END, migrationsTableMarkdown } from "../../src/migrate/markdown.ts";
import { commandHelp, docFiles, helpBlocks, readDoc, withCounts, withHelp } from "./doc-blocks.ts";

function replaceBetween(file: string, begin: string, end: string, content: string): void {
  const text = readFileSync(file, "utf8");
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no '${begin}' ... '${end}' block to replace`);
  writeFileSync(file, text.slice(0, from) + content + text.slice(to + end.length));
  console.log(`updated ${path.relative(PROJECT_ROOT, file)}`);
}

replaceBetween(path.join(MIGRATIONS_DIR, "README.md"), INDEX_TABLE_BEGIN, INDEX_TABLE_END, indexCatalogMarkdown());
replaceBetween(path.join(MIGRATIONS_DIR, "README.md"), MIGRATIONS_TABLE_BEGIN, MIGRATIONS_TABLE_END, await migrationsTableMarkdown());
replaceBetween(path.join(PROJECT_ROOT, "docs", "server-settings.md"), SETTINGS_TABLE_BEGIN, SETTINGS_TABLE_END, serverSettingsMarkdown());
replaceBetween(path.join(PROJECT_ROOT, "docs", "SCALING.md"), REPLICATION_TABLE_BEGIN, REPLICATION_TABLE_END, replicationSettingsMarkdown());

// Every command's help once, then every block that shows it.
const commands = [...new Set(docFiles().flatMap((file) => helpBlocks(readDoc(file)).map((b) => b.command)))];
const help = new Map<string, string>();
for (const command of commands) help.set(command, await commandHelp(command));
for (const file of docFiles()) {
  const before = readDoc(file);
  const after = withCounts(withHelp(before, (command) => help.get(command)!));
  if (after !== before) {
    writeFileSync(path.join(PROJECT_ROOT, file), after);
    console.log(`updated ${file}`);
  }
}
