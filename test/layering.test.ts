// The house's floors, enforced. Every folder of src/ stands on one floor; a
// file may import its own folder and any LOWER floor, never its own floor's
// other folders and never a higher one, so no arrow runs back up and folders
// cannot form a loop. Files must not import each other in a loop either.
// And the package's library entries never start a server: nothing they
// import reaches src/embedded (initdb, pg_ctl) or the start pipeline.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

/** Bottom to top (docs/ARCHITECTURE.md explains each). "index.ts" is src/index.ts, the package's main entry. */
const FLOORS: readonly (readonly string[])[] = [
  ["base"],
  ["db", "settings", "container"],
  ["catalog", "checks", "replication", "rollups"],
  ["indexes", "embedded", "deploy", "pool", "observe"],
  ["seed", "migrate", "dashboard"],
  ["stats"],
  ["verify", "advise", "health"],
  ["bench", "maintenance", "start", "index.ts"],
  ["commands"],
];
const FLOOR_OF = new Map(FLOORS.flatMap((folders, floor) => folders.map((f) => [f, floor] as const)));

type Edge = { readonly from: string; readonly to: string };

/** src/<part>/... -> part; src/index.ts -> "index.ts"; anything outside src -> undefined (scripts/ stand above everything). */
function partOf(file: string): string | undefined {
  const parts = file.split("/");
  return parts[0] === "src" ? parts[1] : undefined;
}

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), m[1]!)));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));
}

const EDGES: readonly Edge[] = sourceFiles("src").flatMap((from) => importsOf(from).map((to) => ({ from, to })));

/** Every import that does not point to a lower floor (or stay in its own folder), as "from -> to (floor a -> floor b)". */
function floorViolations(edges: readonly Edge[]): string[] {
  return edges.flatMap(({ from, to }) => {
    const [a, b] = [partOf(from), partOf(to)];
    if (a === undefined || b === undefined || a === b) return [];
    const [fa, fb] = [FLOOR_OF.get(a), FLOOR_OF.get(b)];
    if (fa === undefined || fb === undefined) return [`${from} -> ${to}: a folder without a floor (add it to FLOORS)`];
    return fb < fa ? [] : [`${from} -> ${to} (floor ${fa + 1} -> ${fb + 1})`];
  });
}

/** Loops of files, each as "a -> b -> ... -> a". */
function fileLoops(edges: readonly Edge[]): string[] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const loops: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === "open") loops.push([...stack.slice(stack.indexOf(to)), to].join(" -> "));
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of next.keys()) if (!state.has(file)) visit(file);
  return loops;
}

/** Every project file reachable from `entry` through relative imports (static and dynamic). */
function reachable(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const next of importsOf(entry)) reachable(next, seen);
  return seen;
}

describe("layering", () => {
  it("every folder of src/ has a floor", () => {
    const parts = new Set(sourceFiles("src").map((f) => partOf(f)!));
    expect([...parts].filter((p) => !FLOOR_OF.has(p))).toEqual([]);
  });

  it("no import runs back up a floor or sideways to another folder of the same floor", () => {
    expect(EDGES.length).toBeGreaterThan(300);
    expect(floorViolations(EDGES)).toEqual([]);
  });

  it("no files import each other in a loop", () => {
    expect(fileLoops(EDGES)).toEqual([]);
  });

  it("the checks catch a violation (control: an upward import, a sideways import, a loop)", () => {
    expect(floorViolations([{ from: "src/db/client.ts", to: "src/commands/cli.ts" }])).toEqual(["src/db/client.ts -> src/commands/cli.ts (floor 2 -> 9)"]);
    expect(floorViolations([{ from: "src/verify/verify.ts", to: "src/advise/advise.ts" }])).toHaveLength(1);
    expect(floorViolations([{ from: "src/commands/cli.ts", to: "src/db/client.ts" }])).toEqual([]);
    expect(fileLoops([{ from: "src/verify/a.ts", to: "src/verify/b.ts" }, { from: "src/verify/b.ts", to: "src/verify/a.ts" }])).toEqual(["src/verify/a.ts -> src/verify/b.ts -> src/verify/a.ts"]);
  });

  it("the ground floor (src/base) imports nothing of the project; src/db stands on it alone", () => {
    expect(EDGES.filter((e) => partOf(e.from) === "base" && partOf(e.to) !== "base")).toEqual([]);
    expect([...reachable("src/db/index.ts")].filter((f) => !f.startsWith("src/db/") && !f.startsWith("src/base/"))).toEqual([]);
  });

  const LIBRARY_ENTRIES = ["src/index.ts", "src/pool/index.ts", "src/health/index.ts", "src/checks/index.ts", "src/maintenance/index.ts", "src/observe/index.ts"];

  it.each(LIBRARY_ENTRIES)("%s never reaches the embedded server or the start pipeline", (entry) => {
    const files = [...reachable(entry)];
    expect(files.length).toBeGreaterThan(1);
    expect(files.filter((f) => f.startsWith("src/embedded/") || f.startsWith("src/start/"))).toEqual([]);
  });

  it("the reachability check detects a violation (the db:start command does start the server)", () => {
    expect([...reachable("src/commands/db-start.ts")].some((f) => f.startsWith("src/embedded/"))).toBe(true);
  });
});
