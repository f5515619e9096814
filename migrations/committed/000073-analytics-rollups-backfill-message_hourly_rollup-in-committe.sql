--! Previous: sha1:6471808ca04e2dea161f9e73a9c07db90c411ade
--! Hash: sha1:16c4a222c395d67efbb980f952cad028ecce6f52
--! Message: analytics rollups: backfill message_hourly_rollup in committed batches

--! no-transaction
-- rollback: re-runnable
-- Backfill message_hourly_rollup from the messages that existed before its
-- triggers (ids up to the watermark the previous migration recorded), on a
-- live table: batches of 50,000 ids, each committed on its own, so no
-- transaction spans the backfill and writers wait at most one batch (the
-- FOR UPDATE on the rollup's rollup_backfills row, which the triggers read
-- FOR SHARE while a backfill is pending: see the previous migration). Each
-- batch adds its counts and moves done_below past itself in the same
-- transaction, so a batch is counted exactly once; a re-run resumes where the
-- last committed batch ended. One statement: a `--! no-transaction` file with
-- several would run as one implicit transaction, where COMMIT inside DO is
-- not allowed.
DO $$
DECLARE
  batch constant bigint := 50000;
  lo bigint;
  top bigint;
BEGIN
  LOOP
    SELECT done_below, watermark INTO lo, top FROM rollup_backfills WHERE rollup = 'message_hourly_rollup' FOR UPDATE;
    EXIT WHEN NOT FOUND OR lo > top;
    INSERT INTO message_hourly_rollup AS r (hour, direction, status, messages)
    SELECT date_trunc('hour', m.created_at, 'UTC'), m.direction, m.status, count(*)
    FROM conversation_messages m
    WHERE m.id >= lo AND m.id < least(lo + batch, top + 1)
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (hour, direction, status) DO UPDATE SET messages = r.messages + excluded.messages;
    UPDATE rollup_backfills SET done_below = least(lo + batch, top + 1) WHERE rollup = 'message_hourly_rollup';
    COMMIT;
  END LOOP;
  COMMIT;
END
$$;
