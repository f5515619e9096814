--! Previous: sha1:ba21d207c1b2c3346ea13dc5ab10112f84c12bfa
--! Hash: sha1:a1eea8fb12bc15e59bb51846f1db26c047079eaa
--! Message: inbox: backfill conversations in committed batches

--! no-transaction
-- rollback: re-runnable
-- Backfill the inbox's conversations from the messages already stored, on a
-- live table: batches of 2,000 contacts, each committed on its own (no
-- transaction spans the backfill; conversation_messages is only read, under
-- ACCESS SHARE). New messages keep arriving meanwhile and the insert trigger
-- (previous migration) records them; a batch only moves a conversation
-- forward, so it never overwrites a newer message the trigger wrote.
-- Re-runnable: a second run changes nothing. One statement: a
-- `--! no-transaction` file with several would run as one implicit
-- transaction, where COMMIT inside DO is not allowed.
DO $$
DECLARE
  batch constant bigint := 2000;
  lo bigint := 0;
  top bigint;
BEGIN
  SELECT coalesce(max(id), 0) INTO top FROM phone_contacts;
  WHILE lo <= top LOOP
    INSERT INTO conversations AS c (contact_id, last_message_id, last_message_at)
    SELECT DISTINCT ON (m.contact_id) m.contact_id, m.id, m.created_at
    FROM conversation_messages m
    WHERE m.contact_id >= lo AND m.contact_id < lo + batch
    ORDER BY m.contact_id, m.created_at DESC, m.id DESC
    ON CONFLICT (contact_id) DO UPDATE
      SET last_message_id = excluded.last_message_id, last_message_at = excluded.last_message_at
      WHERE (excluded.last_message_at, excluded.last_message_id) > (c.last_message_at, c.last_message_id);
    COMMIT;
    lo := lo + batch;
  END LOOP;
END
$$;
