// The parts of the docs that are generated from the code, in one place, so
// they cannot go stale (as graphile-migrate keeps its CLI reference):
// - `<!-- help:VERB -->` ... `<!-- /help:VERB -->`: the command's `--help`
//   output, exactly as `npm run VERB -- --help` prints it (VERB may carry
//   arguments: `bench seed`);
// - `<!-- count:NAME -->N<!-- /count:NAME -->`: a count read from the code;
// scripts/dev/write-doc-tables.ts writes them; test/docs.test.ts fails until
// they equal what the code produces now.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { COMMAND_BIN, MIGRATIONS_DIR, PROJECT_ROOT } from "../../src/base/project-paths.ts";
import { PERFORMANCE_INDEXES } from "../../src/indexes/performance-indexes.ts";
import { SERVER_SETTINGS } from "../../src/settings/server-settings.ts";
import { CATALOG } from "../../src/catalog/entries.ts";

/** Every Markdown file of the documentation, relative to the project root. */
export function docFiles(): string[] {
  const docs = readdirSync(path.join(PROJECT_ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
  return ["README.md", ...docs.sort(), "migrations/README.md"];
}

export function readDoc(file: string): string {
  return readFileSync(path.join(PROJECT_ROOT, file), "utf8");
}

// ---------------------------------------------------------------- --help

const HELP_BLOCK = /<!-- help:([^>]+?) -->\n([\s\S]*?)<!-- \/help:\1 -->/g;

export interface HelpBlock {
  /** What follows `npm run`: the verb, then any arguments (`bench seed`). */
  readonly command: string;
  /** The block's text between the markers. */
  readonly body: string;
}

export function helpBlocks(text: string): HelpBlock[] {
  return [...text.matchAll(HELP_BLOCK)].map((m) => ({ command: m[1]!, body: m[2]! }));
}

/** A command's help as the block shows it. */
export function helpBody(output: string): string {
  return "```text\n" + output.trimEnd() + "\n```\n";
}

const run = promisify(execFile);


/** `npm run <verb> -- [args] --help`, run the way npm runs it (the project's Node, the project root as cwd). */
export async function commandHelp(command: string): Promise<string> {
  const args = command.split(" ");
  // Without the colour and terminal hints a command might read.
  const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", CI: "true" };
  const { stdout } = await run(process.execPath, [COMMAND_BIN, ...args, "--help"], { cwd: PROJECT_ROOT, env, maxBuffer: 1 << 20 });
  return stdout;
}

/** `text` with every help block's body replaced by `helpFor(command)`. */
export function withHelp(text: string, helpFor: (command: string) => string): string {
  return text.replace(HELP_BLOCK, (_all, command: string) => `<!-- help:${command} -->\n${helpBody(helpFor(command))}<!-- /help:${command} -->`);
}

// ---------------------------------------------------------------- counts

const COUNT = /<!-- count:([a-z-]+) -->([^<]*)<!-- \/count:\1 -->/g;

function committedMigrationFiles(): string[] {
  return readdirSync(path.join(MIGRATIONS_DIR, "committed")).filter((f) => f.endsWith(".sql")).sort();
}

/** Every count the docs may show, read from the code. */
export function docCounts(): Record<string, number> {
  return {
    migrations: committedMigrationFiles().length,
    indexes: PERFORMANCE_INDEXES.length,
    "catalog-queries": CATALOG.length,
    settings: SERVER_SETTINGS.length,
  };
}

export function countBlocks(text: string): { name: string; value: string }[] {
  return [...text.matchAll(COUNT)].map((m) => ({ name: m[1]!, value: m[2]! }));
}

export function withCounts(text: string, counts: Record<string, number> = docCounts()): string {
  return text.replace(COUNT, (all, name: string) => {
    if (!(name in counts)) throw new Error(`unknown count '${name}' in the docs: expected one of ${Object.keys(counts).join(", ")}`);
    return `<!-- count:${name} -->${counts[name]}<!-- /count:${name} -->`;
  });
}
