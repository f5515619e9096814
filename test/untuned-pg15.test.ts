// The throwaway untuned PostgreSQL 15 (test/support/npm-postgres.ts): npm's
// 15 binaries with PostgreSQL's default settings plus only pg_stat_statements
// preloaded, listens on loopback, and leaves nothing behind.
import { existsSync } from "node:fs";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUntunedPg15, type NpmPostgres } from "./support/npm-postgres.ts";

describe("untuned PostgreSQL 15 from npm", () => {
  let pg15: NpmPostgres;
  beforeAll(async () => {
    pg15 = await startUntunedPg15();
  });
  afterAll(() => pg15?.stop());

  it("is PostgreSQL 15 with default planner and memory settings and pg_stat_statements preloaded", async () => {
    const sql = postgres(pg15.rootUrl, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ num: number; rpc: string; sb: string; pcm: string; spl: string; addr: string }[]>`
        SELECT current_setting('server_version_num')::int AS num, current_setting('random_page_cost') AS rpc,
               current_setting('shared_buffers') AS sb, current_setting('plan_cache_mode') AS pcm,
               current_setting('shared_preload_libraries') AS spl, inet_server_addr()::text AS addr`;
      expect(Math.floor(row!.num / 10000)).toBe(15);
      expect(row!.rpc).toBe("4");
      expect(row!.sb).toBe("128MB");
      expect(row!.pcm).toBe("auto");
      expect(row!.spl).toBe("pg_stat_statements");
      expect(row!.addr).toMatch(/^127\.0\.0\.1/);
      const ext = await sql<{ name: string }[]>`SELECT name FROM pg_available_extensions WHERE name IN ('pg_trgm', 'pg_stat_statements') ORDER BY name`;
      expect(ext.map((e) => e.name)).toEqual(["pg_stat_statements", "pg_trgm"]);
    } finally {
      await sql.end();
    }
  });

  it("stop() removes the cluster", async () => {
    const other = await startUntunedPg15();
    expect(existsSync(other.dataDir)).toBe(true);
    other.stop();
    expect(existsSync(other.dataDir)).toBe(false);
  });
});
