// npm run bench -- dexter without Dexter or a server (the side by side itself
// is a benchmark, never a test): Dexter's printed indexes become the CREATE
// INDEX statements the bench builds, and the workload stays one the project
// has never seen (valid in the verify --catalog shape, none of its SQL in the
// built-in catalog).
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dexterIndexes } from "../src/bench/dexter.ts";
import { builtInCatalog, loadCatalogFile } from "../src/catalog/load.ts";

describe("bench dexter", () => {
  it("turns Dexter's 'Index found' lines into CREATE INDEX statements, quoted, in order", () => {
    const output = [
      "Processing 12 new query fingerprints",
      "Index found: public.calendar_events (end_time)",
      "Index found: public.conversation_messages (contact_id, channel)",
      "Query 0123abcd",
      "No new indexes found",
    ].join("\n");
    expect(dexterIndexes(output)).toEqual([
      'CREATE INDEX ON "public"."calendar_events" ("end_time")',
      'CREATE INDEX ON "public"."conversation_messages" ("contact_id", "channel")',
    ]);
    expect(dexterIndexes("No new indexes found\n")).toEqual([]);
  });

  it("ships a workload of 20 queries that the built-in catalog does not hold", () => {
    const workload = loadCatalogFile(path.join(import.meta.dirname, "..", "src", "bench", "dexter-workload.json"));
    expect(workload).toHaveLength(20);
    const norm = (s: string) => s.replace(/\s+/g, " ").trim().toLowerCase();
    const known = new Set(builtInCatalog().map((e) => norm(e.sql)));
    expect(workload.filter((e) => known.has(norm(e.sql))).map((e) => e.name)).toEqual([]);
    // Both kinds of values the app sends: bind parameters and constants pg_stat_statements normalizes.
    expect(workload.filter((e) => /\$1/.test(e.sql)).length).toBeGreaterThanOrEqual(8);
    expect(workload.filter((e) => !/\$1/.test(e.sql)).length).toBeGreaterThanOrEqual(4);
  });
});
