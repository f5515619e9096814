// The command layer's dispatch: every npm script that runs the bin names a
// verb the bin knows, `bench -- --help` lists every benchmark, and an
// unknown verb or benchmark is a usage error (exit 2) naming the known ones.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../src/base/errors.ts";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { BENCHES } from "../src/commands/bench.ts";
import { VERBS } from "../src/commands/cli.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";

const scripts: Record<string, string> = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).scripts;

describe("command verbs", () => {
  it("each npm script that runs the bin is named after the verb it runs, and the verb exists", () => {
    const viaBin = Object.entries(scripts).filter(([, command]) => command.startsWith("node scripts/bollalabz-db.ts "));
    expect(viaBin.length).toBeGreaterThan(10);
    for (const [name, command] of viaBin) {
      expect(command).toBe(`node scripts/bollalabz-db.ts ${name}`);
      expect(VERBS[name], name).toBeDefined();
    }
  });

  it("bench --help lists every benchmark and exits 0", async () => {
    const r = await runScript("bench.ts", ["--help"]);
    expect(r.code).toBe(EXIT.ok);
    for (const name of Object.keys(BENCHES)) expect(r.stdout).toContain(`  ${name} `);
    expect(r.stdout).toContain("--scale VALUE");
  });

  it.each([
    ["an unknown verb", "nosuch.ts", [], /Unknown command 'nosuch'.*\n(.*\n)*\s+verify\s/],
    ["an unknown benchmark", "bench.ts", ["nosuch"], /Unknown benchmark 'nosuch'.*\n(.*\n)*\s+health-load\s/],
  ])("%s is a usage error naming the known ones", async (_what, script, args, message) => {
    const r = await runScript(script, args as string[]);
    expect(r.code).toBe(EXIT.usage);
    expect(looksLikeCleanError(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(message);
  });
});
