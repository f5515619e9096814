// The measuring primitives of the write benchmarks (index-cost, write
// shapes): the app's three bulk writes, a copy of a table with only the base
// schema's keys and constraints, and two variants of a write timed in
// rolled-back transactions, alternately, so a busy machine's drift hits both.
import { inRolledBackTransaction, type Sql } from "../db/index.ts";
import { latencyStats } from "../base/statistics.ts";

export type WriteOpName = "messages insert" | "contacts insert" | "messages status update";

export type WriteIds = { readonly maxMessageId: number; readonly contacts: number };

export interface WriteOp {
  readonly name: WriteOpName;
  readonly table: "conversation_messages" | "phone_contacts";
  /** The statement against `table` (the real one or its base copy). */
  sql(table: string, rows: number, ids: WriteIds): string;
}

export const WRITE_OPS: readonly WriteOp[] = [
  {
    name: "messages insert",
    table: "conversation_messages",
    sql: (t, rows, ids) => `
      INSERT INTO ${t} (contact_id, direction, channel, content, status, metadata, created_at)
      SELECT 1 + (g * 7919) % ${ids.contacts}, CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
             (ARRAY['sms', 'whatsapp', 'email', 'voice'])[1 + g % 4],
             'bench message ' || g || ': can we move the delivery to Thursday afternoon?',
             (ARRAY['queued', 'sent', 'delivered', 'read', 'failed'])[1 + g % 5],
             jsonb_build_object('bench', true, 'campaign_id', 'c' || (g % 20)), now() - (g % 1440) * interval '1 minute'
      FROM generate_series(1, ${rows}) g`,
  },
  {
    name: "contacts insert",
    table: "phone_contacts",
    sql: (t, rows) => `
      INSERT INTO ${t} (contact_name, email, phone_number, company, is_active, tags, metadata, last_contacted_at)
      SELECT 'Bench Contact ' || g, 'bench.contact' || g || '@example.com', '+19' || lpad(g::text, 12, '0'), 'Bench Co ' || (g % 50),
             g % 10 <> 0, ARRAY['bench', 'tag' || (g % 7)], jsonb_build_object('bench', true, 'vip', g % 25 = 0), now() - (g % 90) * interval '1 day'
      FROM generate_series(1, ${rows}) g`,
  },
  {
    name: "messages status update",
    table: "conversation_messages",
    // Delivery receipts: the newest messages change status, nothing else.
    sql: (t, rows, ids) => `UPDATE ${t} SET status = CASE WHEN status = 'read' THEN 'delivered' ELSE 'read' END WHERE id > ${ids.maxMessageId - rows}`,
  },
];

export const baseCopyName = (table: string) => `bench_base_${table}`;

/**
 * The same rows with only the base schema's keys and constraints: primary
 * key, foreign key, checks, defaults, identity, the base unique index; no
 * performance index, no trigger.
 */
export async function createBaseCopy(sql: Sql, table: WriteOp["table"]): Promise<void> {
  const copy = baseCopyName(table);
  await sql.unsafe(`DROP TABLE IF EXISTS ${copy}`);
  await sql.unsafe(`CREATE TABLE ${copy} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY)`);
  await sql.unsafe(`INSERT INTO ${copy} OVERRIDING SYSTEM VALUE SELECT * FROM ${table}`);
  await sql.unsafe(`ALTER TABLE ${copy} ADD PRIMARY KEY (id)`);
  if (table === "conversation_messages") await sql.unsafe(`ALTER TABLE ${copy} ADD FOREIGN KEY (contact_id) REFERENCES phone_contacts (id) ON DELETE CASCADE`);
  else await sql.unsafe(`CREATE UNIQUE INDEX ON ${copy} (phone_number)`);
  await sql.unsafe(`SELECT setval(pg_get_serial_sequence('${copy}', 'id'), (SELECT max(id) FROM ${copy}))`);
  await sql.unsafe(`VACUUM (ANALYZE) ${copy}`);
}

export interface WriteSample {
  readonly ms: number;
  /** Status update only: HOT updates / updates of the statement. */
  readonly hotRatio: number | null;
}

/** One rolled-back statement, timed; `before` runs untimed in the same transaction (e.g. DROP INDEX). */
async function timedWrite(sql: Sql, statement: string, table: string, before?: string): Promise<WriteSample> {
  return inRolledBackTransaction(sql, async (tx) => {
    if (before) await tx.unsafe(before);
    const t0 = performance.now();
    await tx.unsafe(statement);
    const ms = performance.now() - t0;
    const [row] = await tx.unsafe(`SELECT n_tup_upd::float8 AS upd, n_tup_hot_upd::float8 AS hot FROM pg_stat_xact_user_tables WHERE relid = '${table}'::regclass`);
    const { upd, hot } = row as unknown as { upd: number; hot: number };
    return { ms, hotRatio: upd > 0 ? hot / upd : null };
  });
}

export interface OpFigures {
  readonly medianMs: number;
  readonly rowsPerSecond: number;
  readonly hotRatio: number | null;
}

function figures(samples: readonly WriteSample[], rows: number): OpFigures {
  const medianMs = latencyStats(samples.map((s) => s.ms)).median;
  const hot = samples.map((s) => s.hotRatio).filter((x): x is number => x !== null);
  return { medianMs, rowsPerSecond: rows / (medianMs / 1000), hotRatio: hot.length > 0 ? latencyStats(hot).median : null };
}

/**
 * Two variants of a write (A and B: the table and its base copy, or the set
 * with and without one index), sampled alternately so a busy machine's
 * drift hits both alike; one untimed round first.
 */
export async function measurePair(
  sql: Sql,
  a: { statement: string; table: string; before?: string },
  b: { statement: string; table: string; before?: string },
  rows: number,
  repeats: number,
): Promise<[OpFigures, OpFigures]> {
  const samplesA: WriteSample[] = [];
  const samplesB: WriteSample[] = [];
  for (let i = -1; i < repeats; i++) {
    const sa = await timedWrite(sql, a.statement, a.table, a.before);
    const sb = await timedWrite(sql, b.statement, b.table, b.before);
    if (i >= 0) {
      samplesA.push(sa);
      samplesB.push(sb);
    }
  }
  return [figures(samplesA, rows), figures(samplesB, rows)];
}
