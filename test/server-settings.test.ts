import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { MAX_CONNECTIONS, POOL_MAX, APP_INSTANCES, ADMIN_HEADROOM, HEALTH_PROBE_CONNECTIONS } from "../src/settings/pool-sizing.ts";
import { SERVER_SETTINGS, parseMemory, serverSettingsAsFlags, sharedMemoryBytes } from "../src/settings/server-settings.ts";
import { checkPgStatStatements } from "../src/checks/pg-stat-statements.ts";
import { migratedDatabase } from "./support/databases.ts";

const sql = postgres(inject("testRootUrl"), { max: 1, onnotice: () => {} });
afterAll(() => sql.end());

describe("server settings module", () => {
  it("every setting is in effect on the embedded server exactly as SHOW prints it", async () => {
    const mismatches: string[] = [];
    for (const s of SERVER_SETTINGS) {
      const [{ value }] = (await sql`SELECT current_setting(${s.name}) AS value`) as unknown as [{ value: string }];
      if (value !== s.value) mismatches.push(`${s.name}: module '${s.value}', server '${value}'`);
    }
    expect(mismatches).toEqual([]);
  });

  it("preloads pg_stat_statements and sizes max_connections from the pool", async () => {
    const [{ shared_preload_libraries }] = (await sql`SHOW shared_preload_libraries`) as unknown as [{ shared_preload_libraries: string }];
    expect(shared_preload_libraries).toBe("pg_stat_statements");
    expect(MAX_CONNECTIONS).toBe((POOL_MAX + HEALTH_PROBE_CONNECTIONS) * APP_INSTANCES + ADMIN_HEADROOM);
    const [{ max_connections }] = (await sql`SHOW max_connections`) as unknown as [{ max_connections: string }];
    expect(Number(max_connections)).toBe(MAX_CONNECTIONS);
  });

  it("gives every setting a reason and no duplicate names", () => {
    const names = SERVER_SETTINGS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const s of SERVER_SETTINGS) expect(s.reason.length, s.name).toBeGreaterThan(20);
  });

  it("renders -c flags and sizes shared memory above shared_buffers", () => {
    const flags = serverSettingsAsFlags();
    expect(flags.filter((f) => f === "-c")).toHaveLength(SERVER_SETTINGS.length);
    expect(flags).toContain("shared_preload_libraries=pg_stat_statements");
    expect(parseMemory("16MB")).toBe(16 * 1024 * 1024);
    expect(() => parseMemory("16 MB")).toThrow(/Not a PostgreSQL memory value/);
    expect(sharedMemoryBytes()).toBeGreaterThan(parseMemory("1GB"));
  });

  it("pg_stat_statements is available, preloaded, created by the migration and readable", async () => {
    const db = await migratedDatabase("settings");
    try {
      const status = await checkPgStatStatements(db.sql);
      expect(status.steps.map((s) => [s.step, s.ok])).toEqual([
        ["available", true], ["preloaded", true], ["created", true], ["readable", true],
      ]);
      const rows = await db.sql`SELECT calls FROM pg_stat_statements LIMIT 1`;
      expect(Array.isArray(rows)).toBe(true);
    } finally {
      await db.drop();
    }
  });
});
