// stats:export and verify --stats against real servers: the export's content
// in both modes, a round trip export -> twin -> the same plans, and every bad
// input (truncated file, another format version, another schema, a role
// without MAINTAIN, flags that contradict --stats), each one line, nothing
// restored. The restore needs PostgreSQL 18: the test server is.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSql } from "../src/db/index.ts";
import { markDatabase } from "../src/db/scratch-database.ts";
import { PRODUCTION_SHARES, runStatsFidelity } from "../src/bench/stats-fidelity.ts";
import { seedDatabase, currentHourUtc } from "../src/seed/generate.ts";
import { exportStatistics } from "../src/stats/export.ts";
import { STATS_FORMAT_VERSION, type StatsFile } from "../src/stats/format.ts";
import { CATALOG } from "../src/catalog/entries.ts";
import { dropCreatedStatistics } from "../src/stats/extended.ts";
import { restoreAutovacuum } from "../src/stats/restore.ts";
import { buildStatisticsTwin, formatTwinReport } from "../src/stats/twin.ts";
import { builtInCatalog } from "../src/catalog/load.ts";
import { createDatabase, migratedDatabase, rootTarget, type TestDatabase } from "./support/databases.ts";
import { startNpmPostgres } from "./support/npm-postgres.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { suiteServerDir } from "./support/server-dirs.ts";
import { waitFor } from "./support/wait-for.ts";

// The files this test writes (statistics with sampled values, reports): removed after the file, swept if the run is killed.
const dir = suiteServerDir("stats-files");
let source: TestDatabase;
let file: StatsFile;
const fileWithValues = path.join(dir, "stats.json");

beforeAll(async () => {
  source = await migratedDatabase("stats_src");
  await seedDatabase(source.sql, { scale: 0.1, seed: 7, anchor: currentHourUtc(), shares: PRODUCTION_SHARES });
  // A statistics object production has and the project's migrations do not: the twin creates it for the run.
  await source.sql`CREATE STATISTICS stat_messages_direction_status (dependencies, ndistinct) ON direction, status FROM conversation_messages`;
  await source.sql`ANALYZE conversation_messages`;
  const r = await runScript("stats:export", ["--out", fileWithValues], { DATABASE_URL: source.url });
  expect(r.code, r.stderr).toBe(0);
  file = JSON.parse(readFileSync(fileWithValues, "utf8")) as StatsFile;
}, 300_000);

afterAll(async () => {
  await source?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const column = (f: StatsFile, table: string, name: string) => f.relations.find((r) => r.name === table)!.columns.find((c) => c.column === name)!;

describe("stats:export", () => {
  it("writes sizes, every column's pg_stats, expression index columns and the planner settings", () => {
    expect(file.formatVersion).toBe(STATS_FORMAT_VERSION);
    const messages = file.relations.find((r) => r.name === "conversation_messages")!;
    expect(messages.kind).toBe("table");
    expect(messages.relpages).toBeGreaterThan(0);
    expect(messages.reltuples).toBeGreaterThan(15_000);
    expect(messages.bytes).toBe(messages.relpages * 8192);
    // The hot contact (30 % of the messages) is the first most-common value.
    const contact = column(file, "conversation_messages", "contact_id");
    expect(contact.type).toBe("bigint");
    expect(contact.mostCommonVals).toMatch(/^\{1,/);
    expect(contact.mostCommonFreqs![0]).toBeGreaterThan(0.25);
    // The mostly-NULL column.
    expect(column(file, "phone_contacts", "company").nullFrac).toBeGreaterThan(0.85);
    expect(column(file, "phone_contacts", "tags").mostCommonElems).toBeTruthy();
    // ANALYZE keeps statistics for an expression index's column, addressed by number.
    const lower = file.relations.find((r) => r.name === "idx_phone_contacts_email_lower")!;
    expect(lower.kind).toBe("index");
    expect(lower.columns[0]).toMatchObject({ attnum: 1, type: "text" });
    expect(file.settings.random_page_cost).toBeDefined();
    expect(file.settings.enable_seqscan).toBe("on");
  });

  it("--no-values keeps counts and fractions and no value of the data", async () => {
    const out = path.join(dir, "no-values.json");
    const r = await runScript("stats:export", ["--out", out, "--no-values"], { DATABASE_URL: source.url });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, "utf8");
    const noValues = JSON.parse(text) as StatsFile;
    expect(noValues.values).toBe(false);
    expect(column(noValues, "phone_contacts", "company").nullFrac).toBeGreaterThan(0.85);
    expect(column(noValues, "conversation_messages", "contact_id").nDistinct).not.toBeNull();
    for (const rel of noValues.relations) {
      for (const c of rel.columns) {
        expect(c).not.toHaveProperty("mostCommonVals");
        expect(c).not.toHaveProperty("histogramBounds");
        expect(c).not.toHaveProperty("mostCommonElems");
      }
    }
    // A most-common company name and an email of the data are in the full file, not in this one.
    const company = /^\{"?([^",}]+)/.exec(column(file, "phone_contacts", "company").mostCommonVals!)![1]!;
    const email = /[a-z]+\.[a-z]+\d+@[a-z.]+/.exec(column(file, "phone_contacts", "email").histogramBounds!)![0];
    expect(readFileSync(fileWithValues, "utf8")).toContain(email);
    expect(text).not.toContain(company);
    expect(text).not.toContain(email);
  });

  it("needs no access to the rows: a role without SELECT exports the sizes and lists the columns it cannot see", async () => {
    const role = `stats_noselect_${process.pid}`;
    await source.sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    try {
      const url = new URL(source.url);
      url.username = role;
      url.password = "pw";
      const exported = await withSql({ url: url.toString(), display: "reader", source: "DATABASE_URL" }, (sql) => exportStatistics(sql, { values: true }));
      expect(exported.relations.find((r) => r.name === "conversation_messages")!.relpages).toBeGreaterThan(0);
      expect(exported.relations.every((r) => r.columns.length === 0)).toBe(true);
      expect(exported.columnsWithoutStatistics).toContain("conversation_messages.contact_id");
    } finally {
      await source.sql.unsafe(`DROP ROLE ${role}`);
    }
  });
});

describe("verify --stats", () => {
  let twin: TestDatabase;
  beforeAll(async () => {
    twin = await migratedDatabase("stats_twin");
    await withSql(rootTarget(), (sql) => markDatabase(sql, twin.name, "scratch"), { max: 1 });
  }, 120_000);
  afterAll(async () => {
    await twin?.drop();
  });

  const relationState = (db: TestDatabase) =>
    db.sql<{ name: string; reltuples: number; options: string[] | null }[]>`
      SELECT relname AS name, reltuples::float8 AS reltuples, reloptions AS options FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY relname`;
  // The state a refused restore must leave as it was. Autovacuum also writes
  // reltuples (after the twin build, in a shuffled order, it did so between the
  // two reads): vacuum and analyze now, so it has nothing left to do, and wait
  // until no worker of its is still running in the twin.
  const settledRelationState = async (db: TestDatabase) => {
    await db.sql`VACUUM (ANALYZE)`;
    await waitFor(
      () => db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND datname = current_database()`,
      ([row]) => row!.n === 0,
      "autovacuum to be idle in the twin",
    );
    return relationState(db);
  };

  const writeVariant = (name: string, change: (f: StatsFile) => unknown): string => {
    const out = path.join(dir, name);
    writeFileSync(out, JSON.stringify(change(structuredClone(file) as StatsFile)));
    return out;
  };

  it("a truncated file: exit 2, one line", async () => {
    const out = path.join(dir, "truncated.json");
    writeFileSync(out, readFileSync(fileWithValues, "utf8").slice(0, 5000));
    const r = await runScript("verify.ts", ["--stats", out], { DATABASE_URL: twin.url });
    expect(r.code).toBe(2);
    expect(looksLikeCleanError(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/not valid JSON .*truncated\?/);
    expect(r.stderr.trim().split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
  });

  it("another format version: exit 2, naming both versions", async () => {
    const out = writeVariant("version.json", (f) => ({ ...f, formatVersion: 99 }));
    const r = await runScript("verify.ts", ["--stats", out], { DATABASE_URL: twin.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`format version 99, this bollalabz-db reads version ${STATS_FORMAT_VERSION}`);
  });

  it("--stats with --stats-samples, and on a database not marked scratch: exit 2 before anything changes", async () => {
    const samples = await runScript("verify.ts", ["--stats", fileWithValues, "--stats-samples", "3"], { DATABASE_URL: twin.url });
    expect(samples.code).toBe(2);
    expect(samples.stderr).toContain("--stats implies 0");
    const unmarked = await createDatabase("stats_unmarked");
    try {
      const r = await runScript("verify.ts", ["--stats", fileWithValues], { DATABASE_URL: unmarked.url });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("not marked as a scratch or development database");
      expect(r.stderr).toContain("--yes");
    } finally {
      await unmarked.drop();
    }
  });

  it("a file of another schema: one line per mismatch, nothing restored", async () => {
    const out = writeVariant("other-schema.json", (f) => {
      const relations = f.relations.map((r) => (r.name === "people" ? { ...r, columns: [...r.columns, { ...r.columns[0]!, column: "nickname" }] } : r));
      const contacts = relations.find((r) => r.name === "phone_contacts")!;
      return { ...f, relations: [...relations.map((r) => (r.name === "call_costs" ? { ...r, columns: r.columns.map((c) => (c.column === "cost" ? { ...c, type: "text" } : c)) } : r)), { ...contacts, name: "invoices" }] };
    });
    const before = await settledRelationState(twin);
    const r = await runScript("verify.ts", ["--stats", out], { DATABASE_URL: twin.url });
    expect(r.code).toBe(2);
    expect(looksLikeCleanError(r.stderr)).toBe(true);
    expect(r.stderr).toContain("column people.nickname (bigint) is in the file but not in");
    expect(r.stderr).toMatch(/column call_costs\.cost is text in the file but numeric\(\d+,\d+\) in/);
    expect(r.stderr).toContain("table public.invoices is in the file but not in");
    expect(r.stderr).toContain("nothing was restored");
    expect(await relationState(twin)).toEqual(before);
  });

  it("a role without MAINTAIN on the tables: exit 4, one line, nothing restored", async () => {
    const role = `stats_nomaintain_${process.pid}`;
    await twin.sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    await twin.sql.unsafe(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    try {
      const url = new URL(twin.url);
      url.username = role;
      url.password = "pw";
      const before = await settledRelationState(twin);
      const r = await runScript("verify.ts", ["--stats", fileWithValues], { DATABASE_URL: url.toString() });
      expect(r.code).toBe(4);
      expect(looksLikeCleanError(r.stderr)).toBe(true);
      expect(r.stderr).toMatch(/no MAINTAIN privilege on .*conversation_messages.*nothing was restored/);
      expect(r.stderr.trim().split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
      expect(await relationState(twin)).toEqual(before);

      // MAINTAIN on some tables only: still refused before anything is written, naming the others.
      await twin.sql.unsafe(`GRANT MAINTAIN ON conversation_messages, phone_contacts TO ${role}`);
      const partial = await runScript("verify.ts", ["--stats", fileWithValues], { DATABASE_URL: url.toString() });
      expect(partial.code).toBe(4);
      expect(partial.stderr).toMatch(/no MAINTAIN privilege on .*scheduled_tasks/);
      expect(partial.stderr).not.toMatch(/no MAINTAIN privilege on [^;]*conversation_messages/);
      expect(await relationState(twin)).toEqual(before);

      // MAINTAIN everywhere (enough to restore) but not the owner, and the data must be generated (the file's tables
      // are twice as large): one line, exit 4, nothing changed, instead of a seed failing half-way.
      await twin.sql.unsafe(`GRANT MAINTAIN ON ALL TABLES IN SCHEMA public TO ${role}`);
      const bigger = writeVariant("bigger.json", (f) => ({ ...f, relations: f.relations.map((x) => (x.name === "conversation_messages" ? { ...x, relpages: x.relpages * 2 } : x)) }));
      const notOwner = await runScript("verify.ts", ["--stats", bigger], { DATABASE_URL: url.toString() });
      expect(notOwner.code).toBe(4);
      expect(looksLikeCleanError(notOwner.stderr)).toBe(true);
      expect(notOwner.stderr).toMatch(/the role does not own .*conversation_messages.*Nothing was changed/);
      expect(notOwner.stderr.trim().split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
      expect(await relationState(twin)).toEqual(before);
    } finally {
      await twin.sql.unsafe(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`);
      await twin.sql.unsafe(`DROP ROLE ${role}`);
    }
  });

  it("builds the twin (pages within 10 %, statistics restored, autovacuum back after), takes the heavy and typical keys from the file, and grades it", async () => {
    const report = path.join(dir, "verify.json");
    // Production's most common contact made another one than the generator's heaviest (1): the twin must use the file's.
    const contactMcv = column(file, "conversation_messages", "contact_id").mostCommonVals!.slice(1, -1).split(",");
    const heavy = contactMcv[1]!;
    const swapped = writeVariant("swapped-mcv.json", (f) => {
      const c = f.relations.find((r) => r.name === "conversation_messages")!.columns.find((x) => x.column === "contact_id")! as { mostCommonVals: string };
      c.mostCommonVals = `{${[heavy, contactMcv[0], ...contactMcv.slice(2)].join(",")}}`;
      return f;
    });
    const bounds = column(file, "conversation_messages", "contact_id").histogramBounds!.slice(1, -1).split(",");
    const r = await runScript("verify.ts", ["--stats", swapped, "--runs", "5", "--warmup", "1", "--json", report], { DATABASE_URL: twin.url }, 600_000);
    expect([0, 5], r.stderr).toContain(r.code);
    expect(r.stderr).toContain("refused by the server: none");
    const json = JSON.parse(readFileSync(report, "utf8")) as {
      statsTwin: { sizes: { table: string; within: boolean; generated: boolean }[]; restore: { columns: string[] }; extended: { name: string; state: string; analyzed: string[] }[] };
      stability: { done: number };
      queries: { name: string; variants: { name: string; params: unknown[]; paramSource?: string }[] }[];
    };
    const variant = (q: string, v: string) => json.queries.find((x) => x.name === q)!.variants.find((x) => x.name === v)!;
    expect(variant("message_history", "heavy_contact")).toMatchObject({ params: [Number(heavy)], paramSource: expect.stringMatching(/^file statistics: conversation_messages\.contact_id's most common value \(\d/) });
    expect(variant("message_history", "typical_contact")).toMatchObject({ params: [Number(bounds[Math.ceil(bounds.length / 2) - 1])], paramSource: expect.stringMatching(/middle histogram bound/) });
    expect(variant("contact_search", "rare_term").paramSource).toBe("constant");
    expect(variant("messages_by_metadata", "existing_ticket").paramSource).toBe("twin data");
    expect(r.stderr).toMatch(/parameters: \d+ variants from the file's statistics, \d+ from the twin's generated data/);
    // Extended statistics: the project's own object is computed from the twin's data; production's extra one is created for the run, then dropped.
    expect(json.statsTwin.extended).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: "stat_conversation_messages_campaign", state: "present", analyzed: ["metadata"] }),
      expect.objectContaining({ name: "stat_messages_direction_status", state: "created", analyzed: ["direction", "status"] }),
    ]));
    expect(r.stderr).toMatch(/stat_messages_direction_status on conversation_messages \(dependencies, n-distinct\): created for the run \(dropped after\) and computed by ANALYZE from the twin's generated data/);
    expect(await twin.sql`SELECT 1 FROM pg_statistic_ext WHERE stxname = 'stat_messages_direction_status'`).toHaveLength(0);
    expect(json.stability.done).toBe(0);
    expect(json.statsTwin.sizes.filter((s) => s.generated && !s.within)).toEqual([]);
    expect(json.statsTwin.restore.columns).toContain("conversation_messages.contact_id");
    // The twin now holds the source's statistics, not its own data's.
    const [twinStats] = await twin.sql<{ freq: number; nulls: number }[]>`
      SELECT (SELECT most_common_freqs[1] FROM pg_stats WHERE tablename = 'conversation_messages' AND attname = 'contact_id')::float8 AS freq,
             (SELECT null_frac FROM pg_stats WHERE tablename = 'phone_contacts' AND attname = 'company')::float8 AS nulls`;
    expect(twinStats!.freq).toBeCloseTo(column(file, "conversation_messages", "contact_id").mostCommonFreqs![0]!, 5);
    expect(twinStats!.nulls).toBeCloseTo(column(file, "phone_contacts", "company").nullFrac!, 5);
    // Autovacuum is as before the run (not set).
    expect((await relationState(twin)).filter((t) => t.options !== null)).toEqual([]);
  }, 600_000);

  it("a --no-values file: every variant's values come from the twin's data, and none of the twin's own value statistics stay beside production's fractions", async () => {
    const noValues = await exportStatistics(source.sql, { values: false });
    const built = await buildStatisticsTwin(twin, noValues, { seed: 42, replaceForeignData: true, catalog: builtInCatalog() });
    try {
      expect(built.parameters.filter((p) => p.source === "statistics")).toEqual([]);
      expect(built.parameters.find((p) => p.query === "message_history" && p.variant === "heavy_contact")).toMatchObject({ source: "twin data", fallback: expect.stringMatching(/--no-values/) });
      const [stats] = await twin.sql<{ mcv: string | null; hist: string | null; distinct: number }[]>`
        SELECT most_common_vals::text AS mcv, histogram_bounds::text AS hist, n_distinct::float8 AS distinct FROM pg_stats
        WHERE tablename = 'conversation_messages' AND attname = 'contact_id'`;
      expect(stats).toMatchObject({ mcv: null, hist: null });
      expect(stats!.distinct).toBeCloseTo(column(noValues, "conversation_messages", "contact_id").nDistinct!, 3);
      const text = formatTwinReport(built);
      expect(text).toContain("--no-values file: no most-common value, frequency list or histogram of production");
      expect(text).toMatch(/from the twin's data instead of the file \(the file was exported with --no-values .*\): message_history\/heavy_contact/);
    } finally {
      await withSql(twin, async (sql) => {
        await restoreAutovacuum(sql, "public", built.autovacuum);
        await dropCreatedStatistics(sql, "public", built.extended);
      }, { max: 1 });
    }
  }, 600_000);

  it("advise --stats plans the catalog on the twin; it needs --catalog and refuses --validate", async () => {
    const noCatalog = await runScript("advise.ts", ["--stats", fileWithValues], { DATABASE_URL: twin.url });
    expect(noCatalog.code).toBe(2);
    expect(noCatalog.stderr).toContain("pass --catalog builtin");
    const validate = await runScript("advise.ts", ["--stats", fileWithValues, "--catalog", "builtin", "--validate"], { DATABASE_URL: twin.url });
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain("rewrites the table's row count");
    const report = path.join(dir, "advise.json");
    const r = await runScript("advise.ts", ["--stats", fileWithValues, "--catalog", "builtin", "--skip-overlaps", "--runs", "1", "--json", report], { DATABASE_URL: twin.url }, 600_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/statistics twin .*\n.*\n  restored: \d+ relations/);
    expect(JSON.parse(readFileSync(report, "utf8"))).toHaveProperty("candidates");
  }, 600_000);
});

describe("on PostgreSQL 17 (npm)", () => {
  it("stats:export works (no relallfrozen before 18); verify --stats exits 2 with one line naming the version and what is needed", async () => {
    const pg17 = await startNpmPostgres(17, "project");
    try {
      const url = pg17.urlFor("postgres");
      await withSql({ url, display: "pg17", source: "DATABASE_URL" }, async (sql) => {
        await sql`CREATE TABLE booking (id int PRIMARY KEY, during int4range, note text)`;
        await sql`INSERT INTO booking SELECT i, int4range(i, i + 1 + i % 7), CASE WHEN i % 10 = 0 THEN 'n' || i END FROM generate_series(1, 2000) i`;
        await sql`ANALYZE booking`;
      }, { max: 1 });
      const out = path.join(dir, "pg17.json");
      const exported = await runScript("stats:export", ["--out", out], { DATABASE_URL: url });
      expect(exported.code, exported.stderr).toBe(0);
      const pg17File = JSON.parse(readFileSync(out, "utf8")) as StatsFile;
      const booking = pg17File.relations.find((r) => r.name === "booking")!;
      expect(booking).toMatchObject({ kind: "table", relallfrozen: null, reltuples: 2000 });
      expect(booking.columns.find((c) => c.column === "during")!.rangeBoundsHistogram).toBeTruthy();
      expect(booking.columns.find((c) => c.column === "note")!.nullFrac).toBeCloseTo(0.9, 2);

      const r = await runScript("verify.ts", ["--stats", fileWithValues, "--yes"], { DATABASE_URL: url });
      expect(r.code).toBe(2);
      expect(looksLikeCleanError(r.stderr)).toBe(true);
      expect(r.stderr).toMatch(/runs PostgreSQL 17\.\d+; restoring a statistics file needs PostgreSQL 18 or newer/);
      expect(r.stderr.split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
    } finally {
      pg17.stop();
    }
  }, 300_000);
});

describe("fidelity round trip", () => {
  it("a twin of a small skewed database plans every catalog variant as the source does", async () => {
    const result = await runStatsFidelity(rootTarget(), {
      catalog: builtInCatalog(),
      productionScale: 0.2,
      productionSeed: 7,
      twinSeed: 42,
      smallScale: 0.05,
      productionName: `fidelity_prod_${process.pid}`,
      twinName: `fidelity_twin_${process.pid}`,
    });
    const { compared, scansSame } = result.agreement;
    expect(compared).toBe(result.variants.length);
    expect(scansSame / compared).toBeGreaterThanOrEqual(0.95);
    // What may differ at this tiny scale: a trigram search near the seq-scan/bitmap cost tie (a GIN index's cost
    // comes from its own metapage, i.e. the twin's data; docs/PERFORMANCE.md, "Statistics twin").
    const kinds = new Map(CATALOG.map((e) => [e.name, e.kind]));
    expect(result.variants.filter((v) => v.twin?.scans !== v.production.scans && kinds.get(v.query) !== "search")).toEqual([]);
    // verify --stats's own heavy contact comes from the file: production's (contact 1, 30 % of the messages), whatever the twin's data holds.
    const heavy = result.variants.find((v) => v.query === "message_history" && v.variant === "heavy_contact")!;
    expect(heavy.verifyParams).toMatchObject({ source: "statistics", params: heavy.params });
    expect(String(heavy.params[0])).toBe("1");
    // Restored onto a quarter of the pages, the row estimate is a quarter of the file's: why the twin is sized.
    const small = result.small.estimates.find((e) => e.table === "conversation_messages")!;
    const sized = result.sizedEstimates.find((e) => e.table === "conversation_messages")!;
    expect(small.estimate / small.fileRows).toBeLessThan(0.5);
    expect(Math.abs(sized.estimate / sized.fileRows - 1)).toBeLessThan(0.1);
    const left = await withSql(rootTarget(), (sql) => sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE ${`fidelity_%_${process.pid}`}`, { max: 1 });
    expect(left[0]!.n).toBe(0);
  }, 600_000);
});

