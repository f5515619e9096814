// Progress when the output is not a terminal (CI logs, pipes): a state line
// every few seconds even while one long statement gives no update, and the
// migration set as one display that names a failing index.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { progressBar } from "../src/base/progress.ts";
import { migrationProgressDisplay } from "../src/migrate/progress.ts";

function collector() {
  const lines: string[] = [];
  let pending = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      pending += String(chunk);
      const parts = pending.split("\n");
      pending = parts.pop()!;
      lines.push(...parts);
      done();
    },
  });
  return { stream, lines };
}

async function until(condition: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("plain progress (not a terminal)", () => {
  it("prints a start line, then state lines on a timer with count, current item and elapsed, then the finish line", async () => {
    const { stream, lines } = collector();
    const bar = progressBar("verify", 62, "queries", { interactive: false, stream, everyMs: 20 });
    expect(lines).toEqual(["verify ..."]);
    bar.update(7, "message_history");
    // No further update: the lines must come anyway (a long statement gives none).
    await until(() => lines.length >= 3, "two state lines");
    expect(lines[1]).toMatch(/^verify: 7\/62 queries \(11%\), message_history, \d+ ms elapsed$/);
    bar.finish("ran 62 queries");
    expect(lines.at(-1)).toBe("ran 62 queries");
  });
});

describe("migration set progress", () => {
  it("is one display: start line, finish line with the count; a failure names the index", () => {
    const { stream, lines } = collector();
    const show = migrationProgressDisplay("migrations", { interactive: false, stream, everyMs: 60_000 });
    show({ kind: "start", total: 3 });
    show({ kind: "migration", done: 0, total: 3, file: "000002.sql", index: "idx_a" });
    show({ kind: "migration", done: 1, total: 3, file: "000003.sql", index: "idx_b" });
    show({ kind: "end", done: 1, total: 3, failed: { file: "000003.sql", index: "idx_b" } });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("migrations ...");
    expect(lines[1]).toMatch(/^migrations: 1\/3 applied; FAILED at index idx_b \(000003\.sql\) after \d+ ms$/);
  });
});
