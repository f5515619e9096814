// The standby settings (src/settings/server-settings.ts STANDBY_SETTINGS) on a
// real server: a separate embedded PostgreSQL started with SERVER_SETTINGS plus
// STANDBY_SETTINGS (standby-only settings are accepted, and shown, on a
// primary too), so a misspelt name or a value in the wrong form fails here
// instead of in a replica container that never becomes healthy. The
// replication settings inside SERVER_SETTINGS are covered by
// test/server-settings.test.ts on the shared test server.
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyEmbedded, findFreePort, startEmbedded } from "../src/embedded/server.ts";
import { SERVER_SETTINGS, STANDBY_SETTINGS, serverSetting } from "../src/settings/server-settings.ts";
import { containerPgHba } from "../src/container/pg-hba.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

let baseDir: string | undefined;
let sql: postgres.Sql | undefined;

beforeAll(async () => {
  baseDir = suiteServerDir("standby-settings");
  const server = await startEmbedded({ baseDir, port: await findFreePort(), portExplicit: true, noSync: true, extraSettings: STANDBY_SETTINGS });
  // The pg_hba.conf the containers of a replicated deployment read: put in
  // place of this throwaway server's own file, NOT reloaded (the running
  // server keeps its rules); pg_hba_file_rules parses the file on disk.
  writeFileSync(path.join(server.dataDir, "pg_hba.conf"), containerPgHba("bollalabz_replicator"));
  sql = postgres(server.rootUrl, { max: 1, onnotice: () => {} });
}, 120_000);

afterAll(async () => {
  await sql?.end();
  if (baseDir) {
    destroyEmbedded(baseDir);
    rmSync(baseDir, { recursive: true, force: true });
  }
});

describe("the containers' generated pg_hba.conf (src/container/pg-hba.ts)", () => {
  it("is accepted by PostgreSQL rule for rule, including the replication line for the role from samenet", async () => {
    const rules = (await sql!`SELECT type, database, user_name, address, auth_method, error FROM pg_hba_file_rules ORDER BY rule_number`) as unknown as Array<{
      type: string; database: string[]; user_name: string[]; address: string | null; auth_method: string; error: string | null;
    }>;
    expect(rules.filter((r) => r.error !== null)).toEqual([]);
    expect(rules).toHaveLength(8);
    expect(rules.find((r) => r.database.includes("replication") && r.user_name.includes("bollalabz_replicator"))).toMatchObject({ type: "host", address: "samenet", auth_method: "scram-sha-256" });
  });
});

describe("standby settings", () => {
  it("are in effect exactly as SHOW prints them", async () => {
    const mismatches: string[] = [];
    for (const s of STANDBY_SETTINGS) {
      const [{ value }] = (await sql!`SELECT current_setting(${s.name}) AS value`) as unknown as [{ value: string }];
      if (value !== s.value) mismatches.push(`${s.name}: module '${s.value}', server '${value}'`);
    }
    expect(mismatches).toEqual([]);
  });

  it("add to the base settings without repeating one, and the base list carries the replication settings", () => {
    for (const s of STANDBY_SETTINGS) expect(SERVER_SETTINGS.some((b) => b.name === s.name), s.name).toBe(false);
    expect(STANDBY_SETTINGS.map((s) => s.name).sort()).toEqual(["hot_standby", "hot_standby_feedback"]);
    expect(serverSetting("wal_level")).toBe("replica");
    expect(Number(serverSetting("max_wal_senders"))).toBeGreaterThan(1);
    expect(Number(serverSetting("max_replication_slots"))).toBeGreaterThan(0);
  });
});
