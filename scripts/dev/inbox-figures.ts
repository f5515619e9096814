#!/usr/bin/env node
// Maintainer measurement (docs/design-decisions.md "The inbox"): the inbox written
// three ways on the same data — DISTINCT ON over the messages, LATERAL per
// contact, and the maintained conversations table — and the write cost of
// keeping conversations current (message inserts with the triggers on vs
// off, bulk and one row per statement, each in a rolled-back transaction).
// Run against a seeded, migrated database: DATABASE_URL or the embedded server.
import { runCommand } from "../../src/commands/run-command.ts";
import { withSql, type Sql } from "../../src/db/index.ts";
import { resolveDatabase } from "../../src/embedded/resolve.ts";
import { CATALOG } from "../../src/catalog/entries.ts";
import { median } from "../../src/base/statistics.ts";

const INBOX_DISTINCT_ON = `
  SELECT c.id, c.contact_name, t.message_id, t.direction, t.content, t.created_at
  FROM (SELECT DISTINCT ON (m.contact_id) m.contact_id, m.id AS message_id, m.direction, m.content, m.created_at
        FROM conversation_messages m ORDER BY m.contact_id, m.created_at DESC, m.id DESC) t
  JOIN phone_contacts c ON c.id = t.contact_id
  ORDER BY t.created_at DESC LIMIT 50`;
const INBOX_LATERAL = `
  SELECT c.id, c.contact_name, m.id AS message_id, m.direction, m.content, m.created_at
  FROM phone_contacts c
  CROSS JOIN LATERAL (SELECT id, direction, content, created_at FROM conversation_messages WHERE contact_id = c.id ORDER BY created_at DESC LIMIT 1) m
  ORDER BY m.created_at DESC LIMIT 50`;
const INBOX_MAINTAINED = CATALOG.find((e) => e.name === "inbox")!.sql;

class Rollback extends Error {}

async function explainMs(sql: Sql, query: string, runs: number): Promise<{ ms: number; plan: string }> {
  const samples: number[] = [];
  let top = "";
  for (let i = 0; i <= runs; i++) {
    const [row] = await sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${query}`);
    const plan = (row as unknown as { "QUERY PLAN": { Plan: { "Node Type": string }; "Execution Time": number }[] })["QUERY PLAN"][0]!;
    if (i > 0) samples.push(plan["Execution Time"]);
    top = plan.Plan["Node Type"];
  }
  return { ms: median(samples), plan: top };
}

async function timedInsert(sql: Sql, triggers: boolean, statements: number, rowsPerStatement: number): Promise<number> {
  let ms = 0;
  await sql
    .begin(async (tx) => {
      if (!triggers) await tx.unsafe("ALTER TABLE conversation_messages DISABLE TRIGGER conversations_after_insert");
      const [{ contacts }] = (await tx`SELECT count(*)::int AS contacts FROM phone_contacts`) as unknown as [{ contacts: number }];
      const t0 = performance.now();
      for (let s = 0; s < statements; s++) {
        await tx`
          INSERT INTO conversation_messages (contact_id, direction, content, created_at)
          SELECT 1 + ((${s}::int * ${rowsPerStatement}::int + g) * 7919) % ${contacts}::int, 'inbound', 'inbox bench ' || g, now()
          FROM generate_series(1, ${rowsPerStatement}::int) g`;
      }
      ms = performance.now() - t0;
      throw new Rollback();
    })
    .catch((e) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return ms;
}

await runCommand(async () => {
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  await withSql(target, async (sql) => {
    const [{ messages, contacts, conversations }] = (await sql`
      SELECT (SELECT count(*) FROM conversation_messages)::int AS messages, (SELECT count(*) FROM phone_contacts)::int AS contacts,
             (SELECT count(*) FROM conversations)::int AS conversations`) as unknown as [{ messages: number; contacts: number; conversations: number }];
    console.log(`data: ${messages} messages, ${contacts} contacts, ${conversations} conversations`);
    for (const [name, query] of [["DISTINCT ON", INBOX_DISTINCT_ON], ["LATERAL per contact", INBOX_LATERAL], ["maintained conversations (catalog 'inbox')", INBOX_MAINTAINED]] as const) {
      const r = await explainMs(sql, query, 3);
      console.log(`inbox ${name}: ${r.ms.toFixed(2)} ms server median of 3 (top node ${r.plan})`);
    }
    for (const [label, statements, rows] of [["bulk 1 x 20,000 rows", 1, 20_000], ["500 x 1 row", 500, 1]] as const) {
      const on: number[] = [];
      const off: number[] = [];
      for (let i = 0; i < 4; i++) {
        off.push(await timedInsert(sql, false, statements, rows));
        on.push(await timedInsert(sql, true, statements, rows));
      }
      const mOn = median(on.slice(1));
      const mOff = median(off.slice(1));
      const n = statements * rows;
      console.log(`insert ${label}: triggers off ${mOff.toFixed(0)} ms (${Math.round(n / (mOff / 1000))} rows/s), on ${mOn.toFixed(0)} ms (${Math.round(n / (mOn / 1000))} rows/s): +${(((mOn - mOff) / mOff) * 100).toFixed(0)}%`);
    }
  }, { max: 1, applicationName: "bollalabz inbox figures" });
});
