--! Previous: sha1:0831605763b2756ffb1ea600122b066bdbb9b262
--! Hash: sha1:7409bdd2cea3363f9b1dcfc88d744658608f1f55
--! Message: counters: backfill contact_counters in committed batches

--! no-transaction
-- rollback: re-runnable
-- Backfill contact_counters from the messages and tasks that existed before
-- its triggers (previous migration), in batches of 50,000 ids, each committed
-- on its own while writes go on, under the rollup_backfills protocol of
-- 000071 and 000073 (a batch holds its source's row FOR UPDATE; the triggers read
-- it FOR SHARE while the backfill is pending). A re-run resumes where the
-- last committed batch ended. One statement (a `--! no-transaction` file
-- with several would run as one implicit transaction).
DO $$
DECLARE
  batch constant bigint := 50000;
  lo bigint;
  top bigint;
BEGIN
  LOOP
    SELECT done_below, watermark INTO lo, top FROM rollup_backfills WHERE rollup = 'contact_counters:messages' FOR UPDATE;
    EXIT WHEN NOT FOUND OR lo > top;
    INSERT INTO contact_counters AS c (contact_id, messages, unread_inbound)
    SELECT m.contact_id, count(*), count(*) FILTER (WHERE m.direction = 'inbound' AND m.status = 'delivered')
    FROM conversation_messages m
    WHERE m.id >= lo AND m.id < least(lo + batch, top + 1)
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (contact_id) DO UPDATE SET messages = c.messages + excluded.messages, unread_inbound = c.unread_inbound + excluded.unread_inbound;
    UPDATE rollup_backfills SET done_below = least(lo + batch, top + 1) WHERE rollup = 'contact_counters:messages';
    COMMIT;
  END LOOP;
  COMMIT;
  LOOP
    SELECT done_below, watermark INTO lo, top FROM rollup_backfills WHERE rollup = 'contact_counters:tasks' FOR UPDATE;
    EXIT WHEN NOT FOUND OR lo > top;
    INSERT INTO contact_counters AS c (contact_id, open_tasks)
    SELECT t.contact_id, count(*)
    FROM scheduled_tasks t
    WHERE t.id >= lo AND t.id < least(lo + batch, top + 1) AND t.contact_id IS NOT NULL AND t.status IN ('pending', 'in_progress')
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (contact_id) DO UPDATE SET open_tasks = c.open_tasks + excluded.open_tasks;
    UPDATE rollup_backfills SET done_below = least(lo + batch, top + 1) WHERE rollup = 'contact_counters:tasks';
    COMMIT;
  END LOOP;
  COMMIT;
END
$$;
