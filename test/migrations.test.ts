import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../src/migrate/graphile.ts";
import { SEED_TABLES } from "../src/seed/tables.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";

const TABLES = [
  "phone_contacts", "conversation_messages", "scheduled_tasks", "relationship_interactions",
  "workflow_triggers", "people", "call_costs", "calendar_events",
];

describe("base schema migration", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createDatabase("migrations");
    await applyMigrations(db);
  });
  afterAll(() => db.drop());

  it("creates the eight tables of the spec", async () => {
    const rows = await db.sql<{ name: string }[]>`
      SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
    // ...plus the inbox's conversations (migration 000063), derived from conversation_messages,
    // the analytics rollups and counters with their bookkeeping (000071, 000075, 000076), and the
    // search side tables with their watermarks (000083).
    const derived = ["conversations", "message_hourly_rollup", "call_cost_daily_rollup", "rollup_backfills", "materialized_view_refreshes", "contact_counters", "message_search", "contact_search", "search_watermarks"];
    expect(rows.map((r) => r.name).sort()).toEqual([...TABLES, ...derived].sort());
    expect(SEED_TABLES.map((t) => t.table).sort()).toEqual([...TABLES].sort());
  });

  it("has the foreign keys the app joins and deletes through", async () => {
    const rows = await db.sql<{ fk: string }[]>`
      SELECT conrelid::regclass || '.' || a.attname || ' -> ' || confrelid::regclass AS fk
      FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace ORDER BY 1`;
    expect(rows.map((r) => r.fk)).toEqual([
      "calendar_events.contact_id -> phone_contacts",
      "calendar_events.person_id -> people",
      "call_costs.contact_id -> phone_contacts",
      "conversation_messages.contact_id -> phone_contacts",
      "conversations.contact_id -> phone_contacts",
      "people.phone_contact_id -> phone_contacts",
      "relationship_interactions.person_id -> people",
      "scheduled_tasks.contact_id -> phone_contacts",
    ]);
  });

  it("enforces its checks", async () => {
    await db.sql`INSERT INTO phone_contacts (contact_name, phone_number) VALUES ('Ada', '+15550001111')`;
    await expect(db.sql`INSERT INTO phone_contacts (contact_name, phone_number) VALUES ('Bad', '555')`).rejects.toMatchObject({ code: "23514" });
    await expect(db.sql`INSERT INTO conversation_messages (contact_id, direction, content) VALUES (999999, 'inbound', 'x')`).rejects.toMatchObject({ code: "23503" });
    await expect(db.sql`INSERT INTO scheduled_tasks (title, status) VALUES ('t', 'completed')`).rejects.toMatchObject({ code: "23514" });
  });

  it("creates both extensions", async () => {
    const rows = await db.sql<{ extname: string }[]>`SELECT extname FROM pg_extension WHERE extname IN ('pg_stat_statements', 'pg_trgm') ORDER BY 1`;
    expect(rows.map((r) => r.extname)).toEqual(["pg_stat_statements", "pg_trgm"]);
  });

  it("a re-run is a no-op", async () => {
    const before = await db.sql`SELECT hash, filename FROM graphile_migrate.migrations ORDER BY date, filename`;
    expect(before.length).toBeGreaterThan(0);
    await applyMigrations(db);
    const after = await db.sql`SELECT hash, filename FROM graphile_migrate.migrations ORDER BY date, filename`;
    expect(after).toEqual(before);
  });
});
