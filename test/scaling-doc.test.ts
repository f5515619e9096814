// docs/SCALING.md stays true to the code: its settings table is generated
// from the settings module, its code is the type-checked example that
// test/read-write.test.ts runs, and the docs index names it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { replicationSettingsMarkdown } from "../src/settings/markdown.ts";
import { MAX_REPLICAS } from "../infra/stack-config.ts";

const doc = readFileSync(path.join(PROJECT_ROOT, "docs", "SCALING.md"), "utf8");

describe("docs/SCALING.md", () => {
  it("shows the replication settings exactly as src/settings generates them", () => {
    expect(doc).toContain(replicationSettingsMarkdown());
  });

  it("shows the read/write example file verbatim (the file tsc checks and the read-write test runs)", () => {
    const example = readFileSync(path.join(PROJECT_ROOT, "docs", "examples", "read-write-split.ts"), "utf8");
    const m = /<!-- example:begin docs\/examples\/read-write-split\.ts -->\n```ts\n([\s\S]*?)```\n<!-- example:end -->/.exec(doc);
    expect(m, "example block").not.toBeNull();
    expect(m![1]).toBe(example);
  });

  it("states the replica bound the config enforces, and the Citus caveat", () => {
    expect(doc).toContain(`bounds \`replicas\` at ${MAX_REPLICAS}`);
    expect(doc).toContain("citus#8338");
    expect(doc).toMatch(/CREATE INDEX\s+CONCURRENTLY IF NOT EXISTS/);
  });

  it("is named in the docs index and linked from the README", () => {
    expect(readFileSync(path.join(PROJECT_ROOT, "docs", "README.md"), "utf8")).toContain("[SCALING.md](SCALING.md)");
    expect(readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8")).toContain("(docs/SCALING.md)");
  });
});
