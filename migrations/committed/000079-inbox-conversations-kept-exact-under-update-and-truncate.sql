--! Previous: sha1:7409bdd2cea3363f9b1dcfc88d744658608f1f55
--! Hash: sha1:8a5c95e98d2906c2b4cbfcc89e0e2e5a8384a50d
--! Message: inbox: conversations kept exact under update and truncate

-- rollback: re-runnable
-- conversations (000063) was maintained on INSERT and DELETE only: an UPDATE
-- that moves a message to another contact or changes its created_at (or id)
-- left a conversation pointing at the wrong message, and TRUNCATE left every
-- conversation behind. This adds both, in the same shape as the other
-- statement-level triggers (transition tables, one pass per statement).
--
-- UPDATE: only rows whose id, contact_id or created_at changed can change a
-- conversation. A status or content update (delivery receipts: the frequent
-- update) changes none of them, and the trigger stops after one hash join of
-- the transition tables, which the rollup and counter triggers capture
-- anyway. Otherwise every contact such a row left or joined is recomputed
-- from conversation_messages (its latest message, or no conversation):
--   1. the existing conversations of those contacts are locked in contact
--      order (writers lock in one order: no deadlock between single
--      statements; a concurrent writer's pending change is waited for);
--   2. a new statement (READ COMMITTED: a new snapshot, which sees what the
--      writers waited for in step 1 committed) recomputes them, deletes the
--      ones left without messages and upserts the others in contact order.
--      An insert that commits meanwhile only moves a conversation forward
--      (000063), so it cannot undo this, nor this it.
--
-- TRUNCATE empties conversations (a DELETE: concurrent readers keep reading).
--
-- Re-runnable (rollback re-applies it): CREATE OR REPLACE.

CREATE OR REPLACE FUNCTION conversations_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  affected bigint[];
BEGIN
  SELECT array_agg(DISTINCT contact_id ORDER BY contact_id) INTO affected
  FROM (
    SELECT o.contact_id AS old_contact, n.contact_id AS new_contact
    FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
    WHERE o.id IS NULL OR n.id IS NULL OR o.contact_id <> n.contact_id OR o.created_at <> n.created_at
  ) moved
  CROSS JOIN LATERAL (VALUES (old_contact), (new_contact)) AS c (contact_id)
  WHERE contact_id IS NOT NULL;
  IF affected IS NULL THEN
    RETURN NULL;
  END IF;

  PERFORM 1 FROM conversations WHERE contact_id = ANY (affected) ORDER BY contact_id FOR UPDATE;

  WITH latest AS (
    SELECT a.contact_id, l.id, l.created_at
    FROM unnest(affected) AS a (contact_id)
    LEFT JOIN LATERAL (
      SELECT m.id, m.created_at FROM conversation_messages m
      WHERE m.contact_id = a.contact_id ORDER BY m.created_at DESC, m.id DESC LIMIT 1
    ) l ON true
  ),
  emptied AS (
    DELETE FROM conversations c USING latest
    WHERE c.contact_id = latest.contact_id AND latest.id IS NULL
  )
  INSERT INTO conversations AS c (contact_id, last_message_id, last_message_at)
  SELECT contact_id, id, created_at FROM latest WHERE id IS NOT NULL ORDER BY contact_id
  ON CONFLICT (contact_id) DO UPDATE
    SET last_message_id = excluded.last_message_id, last_message_at = excluded.last_message_at
    WHERE (c.last_message_id, c.last_message_at) IS DISTINCT FROM (excluded.last_message_id, excluded.last_message_at);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION conversations_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM conversations;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER conversations_after_update
  AFTER UPDATE ON conversation_messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION conversations_after_update();

CREATE OR REPLACE TRIGGER conversations_after_truncate
  AFTER TRUNCATE ON conversation_messages
  FOR EACH STATEMENT EXECUTE FUNCTION conversations_after_truncate();
