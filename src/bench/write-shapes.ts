// How the app-vs-base write ratio of index-cost depends on the shape of the
// write, not only on the index set (issue #21). The triggers keep one row per
// contact (inbox, counters) and per hour (rollup) current, so their cost
// grows with the distinct contacts and hours one statement touches:
//   * the benchmark's insert writes to 10,000 different contacts (a campaign
//     send); a conversation-heavy app writes the same rows to far fewer;
//   * the benchmark's status update takes the newest 10,000 ids, which the
//     seed scatters over two years (its ids are not in time order: 16,661
//     rollup rows move); delivery receipts arrive for the newest messages by
//     time, a few hours' worth.
// Each shape is measured as the app writes it and with the triggers off (the
// indexes alone), both against the same write on the base copy.
import type { Sql } from "../db/index.ts";
import { baseCopyName, measurePair, WRITE_OPS, type OpFigures, type WriteIds, type WriteOp } from "./write-pairs.ts";

export interface WriteShape {
  readonly name: string;
  readonly table: WriteOp["table"];
  sql(table: string, rows: number, ids: ShapeIds): string;
}

export interface ShapeIds extends WriteIds {
  /** The `rows` newest messages by created_at, as a PostgreSQL array literal. */
  readonly newestByTime: string;
}

const messagesInsert = WRITE_OPS.find((o) => o.name === "messages insert")!;
const spreadOver = (contacts: number): WriteShape => ({
  name: `messages insert, ${contacts.toLocaleString("en-US")} contacts`,
  table: "conversation_messages",
  sql: (t, rows, ids) => messagesInsert.sql(t, rows, { ...ids, contacts: Math.min(contacts, ids.contacts) }),
});

export const WRITE_SHAPES: readonly WriteShape[] = [
  spreadOver(1_000),
  spreadOver(100),
  {
    name: "messages status update, newest by time",
    table: "conversation_messages",
    sql: (t, _rows, ids) =>
      `UPDATE ${t} SET status = CASE WHEN status = 'read' THEN 'delivered' ELSE 'read' END WHERE id = ANY ('${ids.newestByTime}'::bigint[])`,
  },
];

export interface ShapeRatio {
  readonly shape: string;
  readonly app: OpFigures;
  readonly base: OpFigures;
  /** app rows/s / base rows/s, triggers included. */
  readonly ratio: number;
  /** The same with the table's triggers off (its indexes alone), against its own base samples. */
  readonly ratioWithoutTriggers: number;
}

/** The ids the status-update shape takes: the newest `rows` messages by created_at. */
export async function newestByTime(sql: Sql, rows: number): Promise<string> {
  const [row] = await sql<{ ids: string | null }[]>`
    SELECT array_agg(id)::text AS ids FROM (SELECT id FROM conversation_messages ORDER BY created_at DESC LIMIT ${rows}) newest`;
  return row?.ids ?? "{}";
}

export async function measureShapes(sql: Sql, rows: number, repeats: number, ids: ShapeIds, log: (line: string) => void): Promise<ShapeRatio[]> {
  const out: ShapeRatio[] = [];
  for (const shape of WRITE_SHAPES) {
    log(`${shape.name}: as the app writes it, with the triggers off, and the base copy`);
    const app = { statement: shape.sql(shape.table, rows, ids), table: shape.table };
    const base = { statement: shape.sql(baseCopyName(shape.table), rows, ids), table: baseCopyName(shape.table) };
    const [withTriggers, baseA] = await measurePair(sql, app, base, rows, repeats);
    const [withoutTriggers, baseB] = await measurePair(sql, { ...app, before: `ALTER TABLE ${shape.table} DISABLE TRIGGER USER` }, base, rows, repeats);
    out.push({
      shape: shape.name,
      app: withTriggers,
      base: baseA,
      ratio: withTriggers.rowsPerSecond / baseA.rowsPerSecond,
      ratioWithoutTriggers: withoutTriggers.rowsPerSecond / baseB.rowsPerSecond,
    });
  }
  return out;
}
