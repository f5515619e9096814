--! Previous: sha1:16c4a222c395d67efbb980f952cad028ecce6f52
--! Hash: sha1:753141ed7cd0ef9d5a01ee359c0b990407327750
--! Message: analytics rollups: backfill call_cost_daily_rollup in committed batches

--! no-transaction
-- rollback: re-runnable
-- Backfill call_cost_daily_rollup from the calls that existed before its
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
    SELECT done_below, watermark INTO lo, top FROM rollup_backfills WHERE rollup = 'call_cost_daily_rollup' FOR UPDATE;
    EXIT WHEN NOT FOUND OR lo > top;
    INSERT INTO call_cost_daily_rollup AS r (billing_date, direction, calls, seconds, cost)
    SELECT c.billing_date, c.direction, count(*), sum(c.duration_seconds), sum(c.cost)
    FROM call_costs c
    WHERE c.id >= lo AND c.id < least(lo + batch, top + 1)
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (billing_date, direction) DO UPDATE
      SET calls = r.calls + excluded.calls, seconds = r.seconds + excluded.seconds, cost = r.cost + excluded.cost;
    UPDATE rollup_backfills SET done_below = least(lo + batch, top + 1) WHERE rollup = 'call_cost_daily_rollup';
    COMMIT;
  END LOOP;
  COMMIT;
END
$$;
