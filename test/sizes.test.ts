// Small units, kept small: no source file over 400 lines unless it is pure
// data, and no function over 80 lines (issue #19). A function is measured
// from its first line to its last, comments and nested functions included,
// with the TypeScript compiler's own parse, so a long arrow function passed
// as an argument or assigned to a const counts the same as a declaration.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

/** Files that may be longer: pure data, each with why. */
const DATA_FILES: Readonly<Record<string, string>> = {
  "src/catalog/entries.ts": "the built-in catalog: one object per query, with a two-line default for its budget",
};


function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f).split(path.sep).join("/"))
    .sort();
}

const lineCount = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

/** What a function is called where it stands: its own name, the variable or property it is assigned to, or the call it is passed to. */
function functionName(node: ts.SignatureDeclaration, file: ts.SourceFile): string {
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(file);
  if (ts.isCallExpression(parent)) return `(passed to ${parent.expression.getText(file).slice(0, 40)})`;
  return "(anonymous)";
}

/** Every function with a body in `text`, with its length in lines, first line to last. */
function functionLengths(fileName: string, text: string): { name: string; line: number; lines: number }[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: { name: string; line: number; lines: number }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ name: functionName(node, file), line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

const FILES = [...sourceFiles("src"), ...sourceFiles("scripts")];

describe("small units", () => {
  it(`no source file is over ${MAX_FILE_LINES} lines, except pure data`, () => {
    const long = FILES.map((file) => ({ file, lines: lineCount(readFileSync(path.join(ROOT, file), "utf8")) }))
      .filter(({ file, lines }) => lines > MAX_FILE_LINES && !(file in DATA_FILES))
      .map(({ file, lines }) => `${file}: ${lines} lines; split it by what each part does`);
    expect(long).toEqual([]);
  });

  it(`no function is over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = FILES.flatMap((file) =>
      functionLengths(file, readFileSync(path.join(ROOT, file), "utf8"))
        .filter((f) => f.lines > MAX_FUNCTION_LINES)
        .map((f) => `${file}:${f.line} ${f.name}: ${f.lines} lines; split it by what each part does`),
    );
    expect(long).toEqual([]);
  });

  it("every exception names a file (and function) that exists", () => {
    const missing = Object.keys(DATA_FILES).filter((key) => {
      const [file, name] = key.split(":") as [string, string | undefined];
      if (!FILES.includes(file)) return true;
      return name !== undefined && !functionLengths(file, readFileSync(path.join(ROOT, file), "utf8")).some((f) => f.name === name);
    });
    expect(missing).toEqual([]);
  });

  it("control: the measure sees a long function however it is written, and passes one at the limit", () => {
    const body = (n: number) => Array.from({ length: n - 2 }, (_, i) => `  const x${i} = ${i};`).join("\n");
    const text = [
      `export function declared() {\n${body(81)}\n}`,
      `const assigned = async () => {\n${body(81)}\n};`,
      `app.get("/x", async (request, reply) => {\n${body(81)}\n});`,
      `class Holder {\n  method() {\n${body(81)}\n  }\n}`,
      `function atTheLimit() {\n${body(80)}\n}`,
    ].join("\n");
    const measured = functionLengths("control.ts", text);
    expect(measured.filter((f) => f.lines > MAX_FUNCTION_LINES).map((f) => f.name)).toEqual(["declared", "assigned", '(passed to app.get)', "method"]);
    expect(measured.find((f) => f.name === "atTheLimit")?.lines).toBe(80);
  });
});
