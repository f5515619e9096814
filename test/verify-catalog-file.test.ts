import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT, UserError } from "../src/base/errors.ts";
import { BUDGET_MS } from "../src/catalog/types.ts";
import { loadCatalogFile, parameterCount, validateCatalog } from "../src/catalog/load.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const dir = suiteServerDir("verify-catalog");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = {
  name: "message_history",
  title: "Message history",
  kind: "list",
  sql: "SELECT id FROM conversation_messages WHERE contact_id = $1 ORDER BY created_at DESC LIMIT 50",
  params: { typical: "SELECT 1" },
  expectIndexes: ["idx_x"],
  reason: "why",
};

function problemsOf(raw: unknown): string {
  try {
    validateCatalog(raw, "my-catalog.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(EXIT.usage);
    return (error as Error).message;
  }
  throw new Error("expected the catalog to be rejected");
}

describe("catalog files", () => {
  it("accepts a valid entry and defaults the budget from its kind", () => {
    const [entry] = validateCatalog([{ ...good, reason: undefined }], "x");
    expect(entry).toMatchObject({ name: "message_history", budgetMs: BUDGET_MS.list, reason: "" });
    expect(validateCatalog({ queries: [good] }, "x")).toHaveLength(1);
  });

  it("lists every problem at once, each naming the entry and the field", () => {
    const message = problemsOf([
      { ...good, name: "Bad Name", kind: "slow", budgetMs: -1 },
      { ...good, sql: "", params: {}, expectIndexes: "idx_x", expectMode: "some" },
      { ...good, name: "message_history", seqScanOk: "yes", prepared: 0, expectIndex: ["typo"] },
      { ...good, name: "dup" },
      { ...good, name: "dup", expectIndexes: [] },
      "not an object",
    ]);
    expect(message).toMatch(/^my-catalog\.yaml has 14 problems:/);
    for (const expected of [
      "entry 1 'Bad Name': field 'name' must be a snake_case identifier",
      "entry 1 'Bad Name': field 'kind' must be one of point, list, search, analytics, got \"slow\"",
      "entry 1 'Bad Name': field 'budgetMs' must be a number of milliseconds greater than 0, got number -1",
      "entry 2 'message_history': field 'sql' must be a non-empty SQL string",
      "entry 2 'message_history': field 'params' needs at least one variant",
      "entry 2 'message_history': field 'expectIndexes' must be a list of index names",
      "entry 2 'message_history': field 'expectMode' must be \"all\" or \"any\"",
      "entry 3 'message_history': field 'name' duplicates entry 2",
      "entry 3 'message_history': field 'seqScanOk' must be true or false",
      "entry 3 'message_history': field 'prepared' must be true or false",
      "entry 3 'message_history': field 'expectIndex' is not a catalog field",
      "entry 5 'dup': field 'name' duplicates entry 4",
      "entry 6: expected an object",
    ]) {
      expect(message).toContain(expected);
    }
    // entry 5 also has an empty expectIndexes without seqScanOk
    expect(message).toContain("entry 5 'dup': field 'expectIndexes' is empty: name the index(es) the plan must use, or set seqScanOk: true");
  });

  it("paramsFromStatistics: one { column, value } per parameter of a variant params has", () => {
    const ok = { ...good, paramsFromStatistics: { typical: [{ column: "conversation_messages.contact_id", value: "typical" }] } };
    expect(validateCatalog([ok], "x")[0]!.paramsFromStatistics).toEqual(ok.paramsFromStatistics);
    const message = problemsOf([
      { ...good, paramsFromStatistics: { heavy: [{ column: "conversation_messages.contact_id", value: "most_common" }] } },
      { ...good, name: "b", paramsFromStatistics: { typical: [] } },
      { ...good, name: "c", paramsFromStatistics: { typical: [{ column: "contact_id", value: "median" }] } },
      { ...good, name: "d", paramsFromStatistics: { typical: [{ column: "a.b", value: "median" }] } },
    ]);
    expect(message).toContain("entry 1 'message_history': field 'paramsFromStatistics' names variant 'heavy', which params does not have (typical)");
    expect(message).toContain("entry 2 'b': field 'paramsFromStatistics' .typical must list one { column, value } per parameter of the query (1)");
    expect(message).toContain(`entry 3 'c': field 'paramsFromStatistics' .typical: column must be "table.column", got`);
    expect(message).toContain("entry 4 'd': field 'paramsFromStatistics' .typical: value must be one of most_common, typical, got \"median\"");
  });

  it("rejects a file that is not a list, an empty catalog and unparsable YAML/JSON", () => {
    expect(problemsOf({ entries: [] })).toMatch(/expected a list of catalog entries/);
    expect(problemsOf([])).toMatch(/the catalog has no entries/);
    const yamlFile = path.join(dir, "broken.yaml");
    writeFileSync(yamlFile, "- name: a\n  title: [unclosed\n");
    expect(() => loadCatalogFile(yamlFile)).toThrow(/broken\.yaml is not valid YAML/);
    const jsonFile = path.join(dir, "broken.json");
    writeFileSync(jsonFile, "[{");
    expect(() => loadCatalogFile(jsonFile)).toThrow(/broken\.json is not valid JSON/);
    expect(() => loadCatalogFile(path.join(dir, "missing.yaml"))).toThrow(/Cannot read the catalog file/);
  });

  it("loads YAML and JSON files", () => {
    const yamlFile = path.join(dir, "ok.yaml");
    writeFileSync(
      yamlFile,
      `- name: message_history
  title: Message history
  kind: list
  sql: SELECT id FROM conversation_messages WHERE contact_id = $1 LIMIT 50
  params: { typical: "SELECT 1" }
  expectIndexes: [idx_x]
  budgetMs: 25
`,
    );
    expect(loadCatalogFile(yamlFile)[0]).toMatchObject({ name: "message_history", budgetMs: 25, params: { typical: "SELECT 1" } });
    const jsonFile = path.join(dir, "ok.json");
    writeFileSync(jsonFile, JSON.stringify([good]));
    expect(loadCatalogFile(jsonFile)).toHaveLength(1);
  });

  it("counts parameters outside string literals", () => {
    expect(parameterCount("SELECT $1, $3 WHERE x = '$9'")).toBe(3);
    expect(parameterCount("SELECT 1")).toBe(0);
  });
});
