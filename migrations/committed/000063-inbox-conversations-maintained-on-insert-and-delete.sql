--! Previous: sha1:4a71b2be46c83c0e278627fe42d1d00ffe572e24
--! Hash: sha1:ba21d207c1b2c3346ea13dc5ab10112f84c12bfa
--! Message: inbox: conversations maintained on insert and delete

-- rollback: re-runnable
-- The inbox: "the 50 most recently active contacts with their latest message".
-- No index can make that fast on conversation_messages alone: DISTINCT ON
-- (contact_id) sorts every message (3.0 s at scale 10), and LATERAL (... LIMIT
-- 1) per contact still visits every contact (0.43 s); npm run advise names it
-- a structural problem. The fix is a row per conversation holding its latest
-- message, maintained on write, indexed by recency (next migrations: the
-- backfill, then the index), so the inbox reads 50 index entries.
--
-- A table of its own rather than a column on phone_contacts: a message insert
-- then updates a 3-column row with 2 indexes, not a wide contact row with 15
-- (an indexed column changes, so the update is never HOT).
--
-- Re-runnable (rollback re-applies it): IF NOT EXISTS / CREATE OR REPLACE.
CREATE TABLE IF NOT EXISTS conversations (
  contact_id       bigint      PRIMARY KEY REFERENCES phone_contacts (id) ON DELETE CASCADE,
  last_message_id  bigint      NOT NULL,
  last_message_at  timestamptz NOT NULL
);

-- One upsert per INSERT statement (transition table), not per row: a bulk
-- load of N messages costs one grouped upsert. Rows are upserted in
-- contact_id order so concurrent multi-contact inserts cannot deadlock, and
-- only a newer message moves a conversation forward.
CREATE OR REPLACE FUNCTION conversations_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO conversations AS c (contact_id, last_message_id, last_message_at)
  SELECT DISTINCT ON (n.contact_id) n.contact_id, n.id, n.created_at
  FROM new_messages n
  ORDER BY n.contact_id, n.created_at DESC, n.id DESC
  ON CONFLICT (contact_id) DO UPDATE
    SET last_message_id = excluded.last_message_id, last_message_at = excluded.last_message_at
    WHERE (excluded.last_message_at, excluded.last_message_id) > (c.last_message_at, c.last_message_id);
  RETURN NULL;
END
$$;

-- A deleted latest message hands the conversation to the contact's previous
-- one (or removes it when none is left).
CREATE OR REPLACE FUNCTION conversations_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH gone AS (
    DELETE FROM conversations c USING old_messages o WHERE c.last_message_id = o.id RETURNING c.contact_id
  )
  INSERT INTO conversations (contact_id, last_message_id, last_message_at)
  SELECT DISTINCT ON (m.contact_id) m.contact_id, m.id, m.created_at
  FROM conversation_messages m
  WHERE m.contact_id IN (SELECT contact_id FROM gone)
  ORDER BY m.contact_id, m.created_at DESC, m.id DESC
  ON CONFLICT (contact_id) DO NOTHING;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER conversations_after_insert
  AFTER INSERT ON conversation_messages REFERENCING NEW TABLE AS new_messages
  FOR EACH STATEMENT EXECUTE FUNCTION conversations_after_insert();

CREATE OR REPLACE TRIGGER conversations_after_delete
  AFTER DELETE ON conversation_messages REFERENCING OLD TABLE AS old_messages
  FOR EACH STATEMENT EXECUTE FUNCTION conversations_after_delete();
