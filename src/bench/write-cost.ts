// The write cost of an index set: insert and update throughput on the two
// busiest tables. Each operation is one set-based statement of N rows in a
// transaction that is rolled back (the data set stays identical between the
// baseline and the indexed phase); after one untimed repeat, the median of
// the timed repeats is reported. Index
// maintenance is per row, so a batch isolates it from per-statement and
// commit overhead.
import { inRolledBackTransaction, type Sql } from "../db/index.ts";
import { latencyStats } from "../base/statistics.ts";

export interface WriteCost {
  readonly table: "conversation_messages" | "phone_contacts";
  readonly operation: "insert" | "update";
  readonly rows: number;
  readonly repeats: number;
  /** Median statement time (ms). */
  readonly medianMs: number;
  readonly rowsPerSecond: number;
}

interface WriteOp {
  readonly table: WriteCost["table"];
  readonly operation: WriteCost["operation"];
  run(tx: Sql, rows: number, ids: { maxMessageId: number; contacts: number }): Promise<unknown>;
}

const OPS: readonly WriteOp[] = [
  {
    table: "conversation_messages",
    operation: "insert",
    run: (tx, rows, ids) => tx`
      INSERT INTO conversation_messages (contact_id, direction, channel, content, status, metadata, created_at)
      SELECT 1 + (g * 7919) % ${ids.contacts},
             CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
             (ARRAY['sms', 'whatsapp', 'email', 'voice'])[1 + g % 4],
             'bench message ' || g || ': can we move the delivery to Thursday afternoon?',
             (ARRAY['queued', 'sent', 'delivered', 'read', 'failed'])[1 + g % 5],
             jsonb_build_object('bench', true, 'campaign_id', 'c' || (g % 20)),
             now() - (g % 1440) * interval '1 minute'
      FROM generate_series(1, ${rows}::int) g`,
  },
  {
    table: "phone_contacts",
    operation: "insert",
    run: (tx, rows) => tx`
      INSERT INTO phone_contacts (contact_name, email, phone_number, company, is_active, tags, metadata, last_contacted_at)
      SELECT 'Bench Contact ' || g, 'bench.contact' || g || '@example.com',
             '+19' || lpad(g::text, 12, '0'), 'Bench Co ' || (g % 50), g % 10 <> 0,
             ARRAY['bench', 'tag' || (g % 7)], jsonb_build_object('bench', true, 'vip', g % 25 = 0),
             now() - (g % 90) * interval '1 day'
      FROM generate_series(1, ${rows}::int) g`,
  },
  {
    table: "conversation_messages",
    operation: "update",
    // Delivery receipts: the newest messages change status (an indexed column).
    run: (tx, rows, ids) => tx`
      UPDATE conversation_messages SET status = CASE WHEN status = 'read' THEN 'delivered' ELSE 'read' END,
             metadata = metadata || '{"bench": true}'::jsonb
      WHERE id > ${ids.maxMessageId - rows}`,
  },
  {
    table: "phone_contacts",
    operation: "update",
    // A contact was messaged: timestamps move (both are index keys).
    run: (tx, rows) => tx`
      UPDATE phone_contacts SET updated_at = now(), last_contacted_at = now() WHERE id <= ${rows}`,
  },
];

export async function measureWriteCost(sql: Sql, options: { readonly rows: number; readonly repeats?: number }): Promise<WriteCost[]> {
  const repeats = options.repeats ?? 3;
  const [stats] = await sql<{ maxMessageId: number; contacts: number }[]>`
    SELECT (SELECT coalesce(max(id), 0) FROM conversation_messages) AS "maxMessageId", (SELECT count(*) FROM phone_contacts) AS contacts`;
  const ids = { maxMessageId: stats!.maxMessageId, contacts: Math.max(1, stats!.contacts) };
  const results: WriteCost[] = [];
  for (const op of OPS) {
    const samples: number[] = [];
    // One untimed repeat first: the first statement pays for cold caches.
    for (let i = -1; i < repeats; i++) {
      const ms = await inRolledBackTransaction(sql, async (tx) => {
        const t0 = performance.now();
        await op.run(tx, options.rows, ids);
        return performance.now() - t0;
      });
      if (i >= 0) samples.push(ms);
    }
    const medianMs = latencyStats(samples).median;
    results.push({ table: op.table, operation: op.operation, rows: options.rows, repeats, medianMs, rowsPerSecond: options.rows / (medianMs / 1000) });
  }
  return results;
}
