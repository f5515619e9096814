--! Previous: sha1:a757dab4883e0f90eeacaa19f59c4ab996fd7056
--! Hash: sha1:c90da5c7c0f5a89300d12f3d648b2feea130eb5f
--! Message: analytics rollups: messages per hour and call cost per day, maintained by statement-level triggers

-- rollback: re-runnable
-- Dashboard analytics served by rollups the database keeps current, instead
-- of aggregating 169,000 messages per chart at scale 10:
--   message_hourly_rollup   messages per UTC hour, direction and status
--                           (daily_message_breakdown, messages_by_status_24h)
--   call_cost_daily_rollup  calls, seconds and cost per billing day and direction
--                           (call_cost_daily, call_cost_by_direction)
-- Hours, not days: a day in any whole-hour time zone is a sum of UTC hours,
-- and a rolling window ("last 24 hours") is whole hours plus one partial hour
-- the reader takes from the raw table, so the answer stays exact.
--
-- Maintained by statement-level AFTER triggers with transition tables: one
-- grouped upsert of deltas per statement (-1 for every old row, +1 for every
-- new row, so an UPDATE of created_at/direction/status, or of nothing that
-- matters, nets out in one pass). Groups are upserted in key order so two
-- writers touching the same rows lock them in the same order (no deadlock);
-- INSERT ... ON CONFLICT DO UPDATE adds deltas, so concurrent writers to the
-- same hour serialize on that row instead of losing an update. Rows that net
-- to zero stay (readers sum with HAVING); TRUNCATE empties the rollup.
--
-- Rows that existed before the triggers are counted by the backfill
-- migrations that follow, in committed batches by id while writes go on.
-- rollup_backfills records, per rollup, the highest id that existed when its
-- triggers were created (watermark) and how far the backfill got
-- (done_below): a trigger counts a row when id > watermark (the trigger saw
-- it born) or id < done_below (the backfill counted it already); rows in
-- between are the backfill's. While a backfill is pending, triggers read that
-- row FOR SHARE and a batch takes it FOR UPDATE, so a batch counts exactly the
-- writes committed before it and the triggers the ones after.
--
-- Re-runnable (rollback re-applies it): IF NOT EXISTS / CREATE OR REPLACE /
-- ON CONFLICT DO NOTHING; a re-run keeps the counts and the backfill's state.

CREATE TABLE IF NOT EXISTS rollup_backfills (
  rollup      text   PRIMARY KEY,
  watermark   bigint NOT NULL,
  done_below  bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS message_hourly_rollup (
  hour       timestamptz NOT NULL,
  direction  text        NOT NULL,
  status     text        NOT NULL,
  messages   bigint      NOT NULL,
  PRIMARY KEY (hour, direction, status)
);

CREATE TABLE IF NOT EXISTS call_cost_daily_rollup (
  billing_date  date          NOT NULL,
  direction     text          NOT NULL,
  calls         bigint        NOT NULL,
  seconds       bigint        NOT NULL,
  cost          numeric(14,4) NOT NULL,
  PRIMARY KEY (billing_date, direction)
);

-- Which ids a trigger counts for a rollup: (watermark, done_below). While the
-- backfill is pending the row is read FOR SHARE (see above); once done, a
-- plain read is enough (done never goes back).
CREATE OR REPLACE FUNCTION rollup_counted_ids(rollup_name text, OUT watermark bigint, OUT done_below bigint)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT b.watermark, b.done_below INTO watermark, done_below FROM rollup_backfills b WHERE b.rollup = rollup_name;
  IF NOT FOUND THEN
    watermark := 0; done_below := 1;
  ELSIF done_below <= watermark THEN
    SELECT b.watermark, b.done_below INTO watermark, done_below FROM rollup_backfills b WHERE b.rollup = rollup_name FOR SHARE;
  END IF;
END
$$;

-- One function for INSERT, UPDATE and DELETE: the transition tables an event
-- lacks are replaced by an empty set.
CREATE OR REPLACE FUNCTION message_hourly_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  w bigint;
  d bigint;
BEGIN
  SELECT watermark, done_below INTO w, d FROM rollup_counted_ids('message_hourly_rollup');
  IF TG_OP = 'INSERT' THEN
    INSERT INTO message_hourly_rollup AS r (hour, direction, status, messages)
    SELECT date_trunc('hour', n.created_at, 'UTC'), n.direction, n.status, count(*)
    FROM new_rows n WHERE n.id > w OR n.id < d
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (hour, direction, status) DO UPDATE SET messages = r.messages + excluded.messages;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO message_hourly_rollup AS r (hour, direction, status, messages)
    SELECT date_trunc('hour', o.created_at, 'UTC'), o.direction, o.status, -count(*)
    FROM old_rows o WHERE o.id > w OR o.id < d
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (hour, direction, status) DO UPDATE SET messages = r.messages + excluded.messages;
  ELSE
    INSERT INTO message_hourly_rollup AS r (hour, direction, status, messages)
    SELECT hour, direction, status, sum(delta)
    FROM (
      SELECT date_trunc('hour', o.created_at, 'UTC') AS hour, o.direction, o.status, -1 AS delta FROM old_rows o WHERE o.id > w OR o.id < d
      UNION ALL
      SELECT date_trunc('hour', n.created_at, 'UTC'), n.direction, n.status, 1 FROM new_rows n WHERE n.id > w OR n.id < d
    ) changes
    GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (hour, direction, status) DO UPDATE SET messages = r.messages + excluded.messages;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION call_cost_daily_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  w bigint;
  d bigint;
BEGIN
  SELECT watermark, done_below INTO w, d FROM rollup_counted_ids('call_cost_daily_rollup');
  IF TG_OP = 'INSERT' THEN
    INSERT INTO call_cost_daily_rollup AS r (billing_date, direction, calls, seconds, cost)
    SELECT n.billing_date, n.direction, count(*), sum(n.duration_seconds), sum(n.cost)
    FROM new_rows n WHERE n.id > w OR n.id < d
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (billing_date, direction) DO UPDATE
      SET calls = r.calls + excluded.calls, seconds = r.seconds + excluded.seconds, cost = r.cost + excluded.cost;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO call_cost_daily_rollup AS r (billing_date, direction, calls, seconds, cost)
    SELECT o.billing_date, o.direction, -count(*), -sum(o.duration_seconds), -sum(o.cost)
    FROM old_rows o WHERE o.id > w OR o.id < d
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (billing_date, direction) DO UPDATE
      SET calls = r.calls + excluded.calls, seconds = r.seconds + excluded.seconds, cost = r.cost + excluded.cost;
  ELSE
    INSERT INTO call_cost_daily_rollup AS r (billing_date, direction, calls, seconds, cost)
    SELECT billing_date, direction, sum(calls), sum(seconds), sum(cost)
    FROM (
      SELECT o.billing_date, o.direction, -1 AS calls, -o.duration_seconds AS seconds, -o.cost AS cost FROM old_rows o WHERE o.id > w OR o.id < d
      UNION ALL
      SELECT n.billing_date, n.direction, 1, n.duration_seconds, n.cost FROM new_rows n WHERE n.id > w OR n.id < d
    ) changes
    GROUP BY 1, 2 HAVING sum(calls) <> 0 OR sum(seconds) <> 0 OR sum(cost) <> 0 ORDER BY 1, 2
    ON CONFLICT (billing_date, direction) DO UPDATE
      SET calls = r.calls + excluded.calls, seconds = r.seconds + excluded.seconds, cost = r.cost + excluded.cost;
  END IF;
  RETURN NULL;
END
$$;

-- TRUNCATE leaves nothing to count and nothing to backfill.
CREATE OR REPLACE FUNCTION rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %I', TG_ARGV[0]);
  UPDATE rollup_backfills SET watermark = 0, done_below = 1 WHERE rollup = TG_ARGV[0];
  RETURN NULL;
END
$$;

-- The watermark, taken under the SHARE ROW EXCLUSIVE lock CREATE TRIGGER
-- holds until this migration commits: no write is in flight, every later one
-- fires the triggers. One table per migration: locking two tables here would
-- deadlock with an app transaction that writes both in the other order.
LOCK TABLE conversation_messages IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO rollup_backfills (rollup, watermark, done_below)
SELECT 'message_hourly_rollup', coalesce(max(id), 0), 1 FROM conversation_messages
ON CONFLICT (rollup) DO NOTHING;

CREATE OR REPLACE TRIGGER message_hourly_rollup_insert
  AFTER INSERT ON conversation_messages REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION message_hourly_rollup_apply();
CREATE OR REPLACE TRIGGER message_hourly_rollup_update
  AFTER UPDATE ON conversation_messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION message_hourly_rollup_apply();
CREATE OR REPLACE TRIGGER message_hourly_rollup_delete
  AFTER DELETE ON conversation_messages REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION message_hourly_rollup_apply();
CREATE OR REPLACE TRIGGER message_hourly_rollup_truncate
  AFTER TRUNCATE ON conversation_messages
  FOR EACH STATEMENT EXECUTE FUNCTION rollup_truncate('message_hourly_rollup');
