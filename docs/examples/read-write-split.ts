// The read/write split from docs/SCALING.md as code that type-checks
// (`npm run typecheck`) and runs against a real primary and streaming standby
// (test/read-write.test.ts). An app imports the same names from "bollalabz-db/pool".
import { createReadWriteDatabase, readWriteConfigFromEnv, type ReadWriteDatabase } from "bollalabz-db/pool";

/** At start-up: DATABASE_URL is the primary, DATABASE_REPLICA_URLS the replicas (comma-separated; none = all on the primary). */
export function openDatabases(): ReadWriteDatabase {
  return createReadWriteDatabase(readWriteConfigFromEnv());
}

export interface MessageRow {
  readonly id: number;
  readonly direction: string;
  readonly content: string;
}

/**
 * Writes go to the primary. The returned WAL position is what "read your own
 * write" needs later: keep it with the user's session (cookie, session store).
 */
export async function sendMessage(db: ReadWriteDatabase, contactId: number, content: string): Promise<string> {
  await db.primary.sql`INSERT INTO conversation_messages (contact_id, direction, content) VALUES (${contactId}, 'outbound', ${content})`;
  return db.positionAfterWrite();
}

/** A contact's latest messages for anyone who did not just write: any replica (it may be a moment behind). */
export async function latestMessages(db: ReadWriteDatabase, contactId: number, limit = 50): Promise<MessageRow[]> {
  const { sql } = db.reader();
  return sql<MessageRow[]>`
    SELECT id, direction, content FROM conversation_messages
    WHERE contact_id = ${contactId} ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
}

/**
 * The sender's own view right after sending (read your writes, pattern 1):
 * a replica that has replayed the write's position, else the primary.
 */
export async function latestMessagesAfterWrite(db: ReadWriteDatabase, contactId: number, position: string, limit = 50): Promise<MessageRow[]> {
  const { sql } = await db.readerAfter(position);
  return sql<MessageRow[]>`
    SELECT id, direction, content FROM conversation_messages
    WHERE contact_id = ${contactId} ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
}

/**
 * Read your writes, pattern 2 (no positions to carry): a user's reads stay on
 * the primary for a fixed window after each of their writes. The window must
 * be well above the replica lag you alert on.
 */
export const PRIMARY_WINDOW_AFTER_WRITE_MS = 5_000;

export function readerForUser(db: ReadWriteDatabase, lastWriteAtMs: number | undefined, nowMs = Date.now()) {
  const wroteRecently = lastWriteAtMs !== undefined && nowMs - lastWriteAtMs < PRIMARY_WINDOW_AFTER_WRITE_MS;
  return wroteRecently ? db.primary : db.reader();
}
