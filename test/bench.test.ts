// npm run bench's pipeline at a tiny scale: its own database, baseline on the
// base schema, the committed migrations, the same measurements again.
import postgres from "postgres";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildBenchReport, formatBenchTable, writeBenchReports } from "../src/bench/report.ts";
import { benchDatabaseName, runBench } from "../src/bench/run-bench.ts";
import type { CatalogEntry } from "../src/catalog/types.ts";
import { rootTarget } from "./support/databases.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const CATALOG: CatalogEntry[] = [
  {
    name: "message_history",
    title: "Message history",
    kind: "list",
    sql: "SELECT id, content FROM conversation_messages WHERE contact_id = $1 ORDER BY created_at DESC LIMIT 50",
    params: { heavy: "SELECT contact_id FROM conversation_messages GROUP BY contact_id ORDER BY count(*) DESC, contact_id LIMIT 1" },
    expectIndexes: ["idx_conversation_messages_contact_created"],
    budgetMs: 500,
    reason: "test",
  },
  {
    name: "contact_by_phone",
    title: "Contact by phone",
    kind: "point",
    sql: "SELECT id FROM phone_contacts WHERE phone_number = $1",
    params: { one: "SELECT phone_number FROM phone_contacts ORDER BY id LIMIT 1" },
    expectIndexes: ["idx_phone_contacts_phone_number"],
    budgetMs: 500,
    reason: "test",
  },
];

describe("bench", () => {
  const dir = suiteServerDir("bench-test");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names its database after the target", () => {
    expect(benchDatabaseName({ url: "postgres://u:p@h:5432/bollalabz" })).toBe("bollalabz_bench");
  });

  it("measures baseline and indexed phases in a database of its own, then drops it", async () => {
    const server = rootTarget();
    const name = `benchtest_${randomBytes(3).toString("hex")}`;
    const lines: string[] = [];
    const result = await runBench(server, name, { scale: 0.02, seed: 1, catalog: CATALOG, runs: 5, warmup: 1, explainRuns: 2, writeRows: 200, log: (l) => lines.push(l) });
    expect(lines.some((l) => l.startsWith("baseline:"))).toBe(true);
    const [baseline, indexed] = result.phases;
    expect(baseline.name).toBe("baseline");
    expect(indexed.indexes).toBeGreaterThanOrEqual(baseline.indexes);
    expect(baseline.run.queries.map((q) => q.name)).toEqual(["message_history", "contact_by_phone"]);
    expect(baseline.run.queries[1]!.pass).toBe(true);
    for (const phase of result.phases) {
      expect(phase.writes.map((w) => `${w.table} ${w.operation}`)).toEqual([
        "conversation_messages insert", "phone_contacts insert", "conversation_messages update", "phone_contacts update",
      ]);
      for (const w of phase.writes) expect(w.rowsPerSecond).toBeGreaterThan(0);
    }

    const report = buildBenchReport(result, { runs: 5, warmup: 1, explainRuns: 2, writeRows: 200 }, "test");
    expect(report.queries[0]).toMatchObject({ name: "message_history", baseline: { client: { runs: 5 } }, indexed: { client: { runs: 5 } } });
    expect(typeof report.queries[0]!.improvement).toBe("number");
    expect(report.roundTrip.baseline.runs).toBeGreaterThanOrEqual(20);
    expect(report.writes).toHaveLength(4);
    expect(formatBenchTable(report)).toMatch(/write cost/);
    const written = writeBenchReports(report, { json: path.join(dir, "b.json"), markdown: path.join(dir, "b.md") });
    expect(JSON.parse(readFileSync(written.json, "utf8")).tool).toBe("bollalabz-db bench");
    expect(readFileSync(written.markdown, "utf8")).toMatch(/^# Benchmark: before\/after/);

    const admin = postgres(server.url, { max: 1 });
    const left = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    await admin.end();
    expect(left).toHaveLength(0);
  });
});
