#!/usr/bin/env node
// Rewrites the "Index catalog" table in migrations/README.md from
// src/indexes/performance-indexes.ts (run after changing the index set).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MIGRATIONS_DIR } from "../../src/config/project.ts";
import { INDEX_TABLE_BEGIN, INDEX_TABLE_END, indexCatalogMarkdown } from "../../src/indexes/markdown.ts";

const file = path.join(MIGRATIONS_DIR, "README.md");
const text = readFileSync(file, "utf8");
const begin = text.indexOf(INDEX_TABLE_BEGIN);
const end = text.indexOf(INDEX_TABLE_END);
const updated =
  begin >= 0 && end > begin
    ? text.slice(0, begin) + indexCatalogMarkdown() + text.slice(end + INDEX_TABLE_END.length)
    : text.replace(/## Index catalog\n[\s\S]*$/, `## Index catalog\n\n${indexCatalogMarkdown()}\n`);
writeFileSync(file, updated);
console.log(`wrote the index table to ${file}`);
