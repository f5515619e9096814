// The package's library entries never start a server: nothing they import,
// directly or through other modules, reaches src/embedded (which runs initdb
// and pg_ctl) or the start pipeline. Only scripts/ and src/start may.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

/** Every project file reachable from `entry` through relative imports (static and dynamic). */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [path.resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      queue.push(path.resolve(path.dirname(file), m[1]!));
    }
  }
  return new Set([...seen].map((f) => path.relative(ROOT, f)));
}

describe("layering", () => {
  const LIBRARY_ENTRIES = ["src/index.ts", "src/pool/index.ts", "src/health/index.ts", "src/checks/index.ts", "src/maintenance/index.ts", "src/observe/index.ts"];

  it.each(LIBRARY_ENTRIES)("%s never reaches the embedded server or the start pipeline", (entry) => {
    const files = [...reachable(entry)];
    expect(files.length).toBeGreaterThan(1);
    expect(files.filter((f) => f.startsWith("src/embedded/") || f.startsWith("src/start/"))).toEqual([]);
  });

  it("the ground floor (src/db) depends on nothing above it", () => {
    const files = [...reachable("src/db/index.ts")].sort();
    expect(files).toEqual(["src/base/errors.ts", "src/db/client.ts", "src/db/errors.ts", "src/db/index.ts", "src/db/quote.ts", "src/db/target.ts"]);
  });

  it("the check detects a violation (the db:start command does start the server)", () => {
    expect([...reachable("src/commands/db-start.ts")].some((f) => f.startsWith("src/embedded/"))).toBe(true);
  });
});
