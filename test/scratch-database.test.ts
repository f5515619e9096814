// The benchmarks drop and recreate their scratch databases: they must never
// drop a database they did not create.
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { EXIT } from "../src/base/errors.ts";
import { SCRATCH_MARK, dropScratchDatabase, recreateScratchDatabase, scratchDatabaseName } from "../src/db/scratch-database.ts";
import type { Sql } from "../src/db/index.ts";
import { createDatabase, rootTarget } from "./support/databases.ts";
import { runScript } from "./support/run-script.ts";

const root = postgres(inject("testRootUrl"), { max: 1, onnotice: () => {} }) as unknown as Sql;
afterAll(() => root.end());

const exists = async (name: string) => (await root`SELECT 1 FROM pg_database WHERE datname = ${name}`).length === 1;

describe("scratch databases", () => {
  it("names stay within 63 bytes, also with multibyte characters", () => {
    expect(scratchDatabaseName("bollalabz", "bench")).toBe("bollalabz_bench");
    const long = scratchDatabaseName("é".repeat(40), "migrate_bench");
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long.endsWith("_migrate_bench")).toBe(true);
  });

  it("recreates and drops only databases that carry the mark", async () => {
    const name = "scratch_mark_test";
    await recreateScratchDatabase(root, name);
    const [row] = await root`SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = ${name}`;
    expect(row!.c).toBe(SCRATCH_MARK);
    await recreateScratchDatabase(root, name); // ours: recreated without complaint
    await dropScratchDatabase(root, name);
    expect(await exists(name)).toBe(false);
  });

  it("refuses to drop a database it did not create: npm run bench -- --database <existing> exits 4 and keeps it", async () => {
    const precious = await createDatabase("precious");
    try {
      await precious.sql`CREATE TABLE keep_me (id int)`;
      await precious.sql`INSERT INTO keep_me VALUES (1)`;
      await expect(recreateScratchDatabase(root, precious.name)).rejects.toThrow(/not created by bollalabz-db's benchmarks; refusing to drop it/);
      await dropScratchDatabase(root, precious.name);
      const result = await runScript("bench.ts", ["--database", precious.name, "--scale", "0.01", "--runs", "5"], { DATABASE_URL: rootTarget().url });
      expect(result.code, result.stderr).toBe(EXIT.notReady);
      expect(result.stderr).toMatch(/refusing to drop it/);
      const [row] = await precious.sql`SELECT count(*)::int AS n FROM keep_me`;
      expect(row!.n).toBe(1);
    } finally {
      await precious.drop();
    }
  });
});
