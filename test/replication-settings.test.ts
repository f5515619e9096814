// The replication settings (src/settings/server-settings.ts) on a real server:
// a separate embedded PostgreSQL started with SERVER_SETTINGS plus every
// replication setting (the standby-only ones are accepted, and shown, on a
// primary too), so a misspelt name or a value in the wrong unit fails here
// instead of in a container that never becomes healthy.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyEmbedded, findFreePort, startEmbedded } from "../src/embedded/server.ts";
import { MAX_REPLICAS, REPLICATION_SETTINGS, SERVER_SETTINGS, WAL_SENDERS_PER_CLONE, replicationSettingsFor } from "../src/settings/server-settings.ts";

let baseDir: string | undefined;
let sql: postgres.Sql | undefined;

beforeAll(async () => {
  baseDir = mkdtempSync(path.join(tmpdir(), "bollalabz-db-replication-settings-"));
  const server = await startEmbedded({ baseDir, port: await findFreePort(), portExplicit: true, noSync: true, extraSettings: REPLICATION_SETTINGS });
  sql = postgres(server.rootUrl, { max: 1, onnotice: () => {} });
}, 120_000);

afterAll(async () => {
  await sql?.end();
  if (baseDir) {
    destroyEmbedded(baseDir);
    rmSync(baseDir, { recursive: true, force: true });
  }
});

describe("replication settings", () => {
  it("are in effect exactly as SHOW prints them", async () => {
    const mismatches: string[] = [];
    for (const s of REPLICATION_SETTINGS) {
      const [{ value }] = (await sql!`SELECT current_setting(${s.name}) AS value`) as unknown as [{ value: string }];
      if (value !== s.value) mismatches.push(`${s.name}: module '${s.value}', server '${value}'`);
    }
    expect(mismatches).toEqual([]);
  });

  it("are split by node: feedback and hot_standby on the standby, the WAL cap on the primary, sender/slot limits on both", () => {
    const names = (node: "primary" | "standby") => replicationSettingsFor(node).map((s) => s.name).sort();
    expect(names("primary")).toEqual(["max_replication_slots", "max_slot_wal_keep_size", "max_wal_senders", "wal_level"]);
    expect(names("standby")).toEqual(["hot_standby", "hot_standby_feedback", "max_replication_slots", "max_wal_senders", "wal_level"]);
    // Plain ServerSettings, ready to append to SERVER_SETTINGS.
    for (const s of replicationSettingsFor("standby")) expect(Object.keys(s).sort()).toEqual(["name", "reason", "value"]);
  });

  it("do not repeat or contradict the base settings, and leave room for every replica plus one clone", () => {
    for (const s of REPLICATION_SETTINGS) {
      expect(SERVER_SETTINGS.some((b) => b.name === s.name), s.name).toBe(false);
      expect(s.reason.length, s.name).toBeGreaterThan(20);
    }
    const senders = Number(REPLICATION_SETTINGS.find((s) => s.name === "max_wal_senders")!.value);
    const slots = Number(REPLICATION_SETTINGS.find((s) => s.name === "max_replication_slots")!.value);
    expect(senders).toBeGreaterThanOrEqual(MAX_REPLICAS + WAL_SENDERS_PER_CLONE);
    expect(slots).toBeGreaterThanOrEqual(MAX_REPLICAS);
  });
});
