// The docs stay true to the code and to themselves: every command's --help
// block equals what the command prints, every generated table and count
// equals what the code produces now, every link and every file path they name
// resolves inside the repository, and they speak of the project alone.
// `node scripts/dev/write-doc-tables.ts` rewrites the generated parts.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { PERFORMANCE_INDEXES } from "../src/indexes/performance-indexes.ts";
import { validateCatalog } from "../src/catalog/load.ts";
import { VERBS } from "../src/commands/cli.ts";
import { BENCHES } from "../src/commands/bench.ts";
import { MIGRATIONS_TABLE_BEGIN, MIGRATIONS_TABLE_END, migrationsTableMarkdown } from "../src/migrate/markdown.ts";
import { commandHelp, countBlocks, docCounts, docFiles, helpBlocks, helpBody, readDoc } from "../scripts/dev/doc-blocks.ts";

const files = docFiles();
const docs = new Map(files.map((file) => [file, readDoc(file)]));

/** The text outside fenced code blocks (a link inside code is not a link). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe("the docs", () => {
  it("README.md starts with what the project is and stays short", () => {
    const readme = docs.get("README.md")!;
    expect(readme.split("\n").length).toBeLessThanOrEqual(210);
    expect(readme.split("\n").slice(0, 5).join(" ")).toMatch(/PostgreSQL database behind a contacts/);
  });

  it("speak of the project alone: no builders, issues, internal tags or shared notes", () => {
    for (const [file, text] of docs) {
      const lines = text.split("\n");
      const bad = lines
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => /\.\.\/shared|the spec\b|issue #[0-9]|engineers|\bOur CI\b|\br1[0-9]\b|\bf10b\b/i.test(line));
      expect(bad.map((b) => `${b.at}: ${b.line}`)).toEqual([]);
    }
  });

  it("link nowhere outside the repository", () => {
    for (const [file, text] of docs) {
      const external = [...prose(text).matchAll(/\]\((https?:[^)]*)\)|<(https?:[^>]*)>/g)].map((m) => m[1] ?? m[2]);
      expect(external, file).toEqual([]);
    }
  });

  it("every relative link resolves, anchors included", () => {
    const broken: string[] = [];
    for (const [file, text] of docs) {
      for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        const [pathPart, anchor] = target!.split("#") as [string, string | undefined];
        const resolved = pathPart === "" ? path.join(PROJECT_ROOT, file) : path.resolve(PROJECT_ROOT, path.dirname(file), pathPart);
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith(".md") && !anchors(readFileSync(resolved, "utf8")).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("every file path they name in backticks exists", () => {
    const missing: string[] = [];
    for (const [file, text] of docs) {
      for (const [, name] of text.matchAll(/`((?:src|scripts|test|docs|migrations|infra|policy)\/[^`\s]*)`/g)) {
        if (/[*<>{}$]|\.\.\./.test(name!)) continue; // a pattern, not a path
        if (!existsSync(path.join(PROJECT_ROOT, name!.replace(/[:,.]+$/, "")))) missing.push(`${file}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("show every count as the code has it", () => {
    const counts = docCounts();
    for (const [file, text] of docs) {
      for (const { name, value } of countBlocks(text)) expect(`${file} ${name} ${value}`).toBe(`${file} ${name} ${counts[name]}`);
    }
  });

  it("list the committed migrations by kind as they are", async () => {
    const text = docs.get("migrations/README.md")!;
    expect(text.slice(text.indexOf(MIGRATIONS_TABLE_BEGIN), text.indexOf(MIGRATIONS_TABLE_END) + MIGRATIONS_TABLE_END.length)).toBe(await migrationsTableMarkdown());
  });

  it("the catalog example in verify.md is a valid catalog whose indexes exist", () => {
    const block = /<!-- example:catalog -->\n```yaml\n([\s\S]*?)```\n<!-- \/example:catalog -->/.exec(docs.get("docs/verify.md")!);
    expect(block, "example block").not.toBeNull();
    const entries = validateCatalog(YAML.parse(block![1]!), "docs/verify.md");
    const known = new Set(PERFORMANCE_INDEXES.map((i) => i.name));
    for (const entry of entries) for (const index of entry.expectIndexes) expect(known, index).toContain(index);
  });
});

describe("the command reference in the docs", () => {
  const blocks = files.flatMap((file) => helpBlocks(docs.get(file)!).map((b) => ({ file, ...b })));

  it("shows every command and every benchmark once", () => {
    const shown = blocks.map((b) => b.command).sort();
    const expected = [
      ...Object.keys(VERBS).filter((verb) => verb !== "test:performance"), // an alias of verify
      ...Object.keys(BENCHES).map((name) => `bench ${name}`),
    ].sort();
    expect(shown).toEqual(expected);
  });

  it("equals each command's --help output", { timeout: 180_000 }, async () => {
    const stale: string[] = [];
    // Two at a time: each is a Node process loading its command's modules.
    for (let i = 0; i < blocks.length; i += 2) {
      await Promise.all(
        blocks.slice(i, i + 2).map(async (block) => {
          if (block.body !== helpBody(await commandHelp(block.command))) stale.push(`${block.file}: help:${block.command}`);
        }),
      );
    }
    expect(stale, "run: node scripts/dev/write-doc-tables.ts").toEqual([]);
  });
});
