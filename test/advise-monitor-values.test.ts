// Value source (b) of issue #26: the bind parameters the project's pool
// monitor saw. An app workload runs through the project pool (createDatabase,
// monitor on) on a database whose statements the server does not log; the
// pool's bounded sample is stored in the monitor schema, and advise measures
// with it and says so. Also: the sample's bounds, PostgreSQL 18's collapsed
// IN lists getting every value of the list, never a value in a log line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adviseDatabase, type AdviseReport } from "../src/advise/advise.ts";
import { COLLAPSED_LIST } from "../src/advise/parameter-contexts.ts";
import { collapseLists } from "../src/advise/server-log.ts";
import { readParameterSamples, saveParameterSamples } from "../src/observe/parameter-samples.ts";
import { ParameterSampler, parameterText, SAMPLED_VALUE_MAX_LENGTH } from "../src/pool/parameter-sample.ts";
import { createDatabase as createPool, POOL_DEFAULTS } from "../src/pool/index.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";

describe("the pool monitor's parameter sample", () => {
  it("keeps the slowest distinct value sets per statement, at most the configured number", () => {
    const s = new ParameterSampler(2);
    s.record("SELECT $1", ["a"], 1);
    s.record("SELECT $1", ["b"], 5);
    s.record("SELECT $1", ["a"], 3);
    s.record("SELECT $1", ["c"], 2);
    const [only] = s.snapshot();
    expect(only!.calls).toBe(4);
    expect(only!.sets.map((x) => x.values)).toEqual([["b"], ["a"]]);
  });
  it("samples nothing when off, nor a statement without parameters, nor a value too long to use", () => {
    const off = new ParameterSampler(0);
    off.record("SELECT $1", ["a"], 1);
    expect(off.snapshot()).toEqual([]);
    const s = new ParameterSampler(5);
    s.record("SELECT 1", [], 1);
    s.record("SELECT $1", ["x".repeat(SAMPLED_VALUE_MAX_LENGTH + 1)], 1);
    expect(s.snapshot().flatMap((x) => x.sets)).toEqual([]);
  });
  it("writes values in PostgreSQL's text form", () => {
    expect(parameterText(new Date("2026-01-02T03:04:05Z"))).toBe("2026-01-02T03:04:05.000Z");
    expect(parameterText([1, "a\"b", null])).toBe('{"1","a\\"b",NULL}');
    expect(parameterText(Buffer.from([1, 255]))).toBe("\\x01ff");
    expect(parameterText(null)).toBeNull();
  });
  it("a list of values becomes one array value in PostgreSQL 18's numbering", () => {
    expect(collapseLists("SELECT id FROM t WHERE s IN ($1, $2, $3) AND k = $4", ["a", "b", "c", "5"])).toEqual(['{"a","b","c"}', "5"]);
    expect(collapseLists("SELECT id FROM t WHERE id = ANY(ARRAY[$1, $2]) LIMIT $3", ["1", "2", "20"])).toEqual(['{"1","2"}', "20"]);
  });
});

describe("advise takes the values the pool monitor saw when the server's log has none", () => {
  let db: TestDatabase;
  let report: AdviseReport;
  const logged: string[] = [];
  const secretOwner = 3_987_123;
  beforeAll(async () => {
    db = await createDatabase("advise_monitor");
    await db.sql.unsafe(`
      CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
      CREATE TABLE tickets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner_id int NOT NULL, status text NOT NULL, subject text NOT NULL);
      INSERT INTO tickets (owner_id, status, subject)
      SELECT g % 5000, (ARRAY['open','pending','closed','spam'])[1 + g % 4], 'subject ' || g FROM generate_series(1, 20000) g;
      ANALYZE tickets;`).simple();
    // The server logs none of this database's statements: the log has no values to give.
    await db.sql.unsafe(`ALTER DATABASE "${db.name}" SET log_min_duration_statement = -1; ALTER DATABASE "${db.name}" SET log_min_duration_sample = -1`).simple();
    await db.sql`SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`;
    // Every query is "slow" for this pool, so each one is logged by the monitor: none of those lines may hold a value.
    const logger = { warn: (o: object, m: string) => void logged.push(JSON.stringify(o) + m), error: (o: object, m: string) => void logged.push(JSON.stringify(o) + m) };
    const app = createPool({ ...POOL_DEFAULTS, min: 0, slowQueryMs: 1, verySlowQueryMs: 2, applicationName: "monitor-values-app", target: { url: db.url, display: db.display, source: "DATABASE_URL" } }, { logger, skipWarmUp: true });
    try {
      for (let i = 0; i < 4; i++) {
        await app.sql`SELECT id, subject FROM tickets WHERE owner_id = ${secretOwner + i} AND status = ${"pending"} ORDER BY id LIMIT 20`;
        await app.sql`SELECT count(*) FROM tickets WHERE status IN (${"open"}, ${"pending"}, ${"spam"}) AND owner_id = ${secretOwner - i}`;
        // Constants only: nothing for the monitor to sample, nothing in the log: values inferred.
        await app.sql.unsafe("SELECT id FROM tickets WHERE status IN ('open', 'closed') AND owner_id = 17 ORDER BY id LIMIT 5");
      }
      expect(await saveParameterSamples(db.sql, app.config.applicationName, app.parameterSamples())).toBeGreaterThanOrEqual(2);
    } finally {
      await app.close();
    }
    report = await adviseDatabase(db.sql, db, { runs: 1, overlaps: false, showValues: true });
  }, 120_000);
  afterAll(() => db?.drop());

  it("the sample is in the monitor schema, and no log line of the pool holds a value", async () => {
    const stored = await readParameterSamples(db.sql);
    const page = stored.find((s) => /owner_id = \$1 AND status = \$2/.test(s.query));
    expect(page?.applicationName).toBe("monitor-values-app");
    expect(page?.sets.length).toBe(4);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join("\n")).not.toContain(String(secretOwner));
  });

  it("the report says where the values came from, and they are the app's", () => {
    expect(report.valueLog).toMatch(/the pool monitor \(\d+ statement\(s\) sampled/);
    const page = report.statements.find((s) => /owner_id = \$1 AND status = \$2/.test(s.query));
    expect(page?.values.source, JSON.stringify(report.statements.map((s) => [s.query, s.values.source, s.values.notes]))).toBe("monitor");
    expect(page!.values.sets!.map((set) => set.slice(0, 2))).toContainEqual([String(secretOwner), "pending"]);
  });

  it("an IN list gets every value the app sent (on PostgreSQL 18, a collapsed list becomes one array)", () => {
    const list = report.statements.find((s) => /SELECT count\(\*\) FROM tickets WHERE status IN/.test(s.query))!;
    expect(list.values.source).toBe("monitor");
    if (list.query.includes(COLLAPSED_LIST)) {
      expect(list.values.plannableSql).toMatch(/status = ANY\(\$1::text\[\]\)/);
      expect(list.values.sets![0]![0]).toBe('{"open","pending","spam"}');
    } else expect(list.values.sets![0]!.slice(0, 3)).toEqual(["open", "pending", "spam"]);
  });

  it("a collapsed list of constants gets an inferred array of the column's values", () => {
    const list = report.statements.find((s) => /status IN .* AND owner_id = \$\d+ ORDER BY id/.test(s.query))!;
    expect(list.values.source).toBe("inferred");
    if (!list.query.includes(COLLAPSED_LIST)) return; // PostgreSQL 17 and older list each constant
    expect(list.values.plannableSql).toMatch(/status = ANY\(\$1::text\[\]\)/);
    expect(list.values.sets![0]![0]).toMatch(/^\{"[a-z]+"(,"[a-z]+")*\}$/);
  });

  it("without --show-values the values stay out of the report", async () => {
    const quiet = await adviseDatabase(db.sql, db, { runs: 1, overlaps: false });
    expect(quiet.statements.find((s) => /owner_id = \$1 AND status = \$2/.test(s.query))?.values.source).toBe("monitor");
    expect(JSON.stringify(quiet)).not.toContain(String(secretOwner));
  });
});
