--! Previous: sha1:8ed02c03592f6f9d22b9931758af793066b5c56d
--! Hash: sha1:6ca25db30c6c010871e3aa85f0e01c48d2edb1e7
--! Message: counters: contact_counters (unread inbound, messages, open tasks) maintained by statement-level triggers

-- rollback: re-runnable
-- Per-contact counters the app shows on every page (unread inbound messages,
-- messages, open tasks), maintained on write so a badge reads one row instead
-- of counting a contact's messages (the heaviest contact's unread count read
-- 7,628 rows per call at scale 10, and grows with the data).
--
-- Same machinery as the analytics rollups (000071): statement-level AFTER
-- triggers with transition tables, one grouped upsert of deltas per statement
-- in contact_id order (concurrent writers lock counter rows in one order),
-- TRUNCATE zeroes the counters of that table, and rows that existed before
-- the triggers are counted by the next migration's batched backfill under the
-- rollup_backfills protocol. No foreign key to phone_contacts: a deleted
-- contact's cascaded messages still subtract from its row (then all zero)
-- instead of failing the delete.
--
-- Re-runnable (rollback re-applies it): IF NOT EXISTS / CREATE OR REPLACE /
-- ON CONFLICT DO NOTHING.

CREATE TABLE IF NOT EXISTS contact_counters (
  contact_id      bigint PRIMARY KEY,
  messages        bigint NOT NULL DEFAULT 0,
  unread_inbound  bigint NOT NULL DEFAULT 0,
  open_tasks      bigint NOT NULL DEFAULT 0
);

CREATE OR REPLACE FUNCTION contact_counters_messages_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  w bigint;
  d bigint;
BEGIN
  -- Both contact_counters backfills guard one table: while either is pending,
  -- share-lock both rows in one order before touching a counter, so a batch
  -- (which holds its row FOR UPDATE while it upserts counters) and an app
  -- transaction that writes messages and tasks never wait on each other in a
  -- circle (seen: deadlock between 000078 and such a transaction).
  PERFORM 1 FROM rollup_backfills b
  WHERE b.rollup IN ('contact_counters:messages', 'contact_counters:tasks') AND b.done_below <= b.watermark
  ORDER BY b.rollup FOR SHARE;
  SELECT watermark, done_below INTO w, d FROM rollup_counted_ids('contact_counters:messages');
  IF TG_OP = 'INSERT' THEN
    INSERT INTO contact_counters AS c (contact_id, messages, unread_inbound)
    SELECT n.contact_id, count(*), count(*) FILTER (WHERE n.direction = 'inbound' AND n.status = 'delivered')
    FROM new_rows n WHERE n.id > w OR n.id < d
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (contact_id) DO UPDATE SET messages = c.messages + excluded.messages, unread_inbound = c.unread_inbound + excluded.unread_inbound;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO contact_counters AS c (contact_id, messages, unread_inbound)
    SELECT o.contact_id, -count(*), -count(*) FILTER (WHERE o.direction = 'inbound' AND o.status = 'delivered')
    FROM old_rows o WHERE o.id > w OR o.id < d
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (contact_id) DO UPDATE SET messages = c.messages + excluded.messages, unread_inbound = c.unread_inbound + excluded.unread_inbound;
  ELSE
    INSERT INTO contact_counters AS c (contact_id, messages, unread_inbound)
    SELECT contact_id, sum(messages), sum(unread)
    FROM (
      SELECT o.contact_id, -1 AS messages, -(o.direction = 'inbound' AND o.status = 'delivered')::int AS unread FROM old_rows o WHERE o.id > w OR o.id < d
      UNION ALL
      SELECT n.contact_id, 1, (n.direction = 'inbound' AND n.status = 'delivered')::int FROM new_rows n WHERE n.id > w OR n.id < d
    ) changes
    GROUP BY 1 HAVING sum(messages) <> 0 OR sum(unread) <> 0 ORDER BY 1
    ON CONFLICT (contact_id) DO UPDATE SET messages = c.messages + excluded.messages, unread_inbound = c.unread_inbound + excluded.unread_inbound;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION contact_counters_tasks_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  w bigint;
  d bigint;
BEGIN
  -- Both contact_counters backfills guard one table: while either is pending,
  -- share-lock both rows in one order before touching a counter, so a batch
  -- (which holds its row FOR UPDATE while it upserts counters) and an app
  -- transaction that writes messages and tasks never wait on each other in a
  -- circle (seen: deadlock between 000078 and such a transaction).
  PERFORM 1 FROM rollup_backfills b
  WHERE b.rollup IN ('contact_counters:messages', 'contact_counters:tasks') AND b.done_below <= b.watermark
  ORDER BY b.rollup FOR SHARE;
  SELECT watermark, done_below INTO w, d FROM rollup_counted_ids('contact_counters:tasks');
  IF TG_OP = 'INSERT' THEN
    INSERT INTO contact_counters AS c (contact_id, open_tasks)
    SELECT n.contact_id, count(*) FROM new_rows n
    WHERE (n.id > w OR n.id < d) AND n.contact_id IS NOT NULL AND n.status IN ('pending', 'in_progress')
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (contact_id) DO UPDATE SET open_tasks = c.open_tasks + excluded.open_tasks;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO contact_counters AS c (contact_id, open_tasks)
    SELECT o.contact_id, -count(*) FROM old_rows o
    WHERE (o.id > w OR o.id < d) AND o.contact_id IS NOT NULL AND o.status IN ('pending', 'in_progress')
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (contact_id) DO UPDATE SET open_tasks = c.open_tasks + excluded.open_tasks;
  ELSE
    INSERT INTO contact_counters AS c (contact_id, open_tasks)
    SELECT contact_id, sum(delta)
    FROM (
      SELECT o.contact_id, -1 AS delta FROM old_rows o
      WHERE (o.id > w OR o.id < d) AND o.contact_id IS NOT NULL AND o.status IN ('pending', 'in_progress')
      UNION ALL
      SELECT n.contact_id, 1 FROM new_rows n
      WHERE (n.id > w OR n.id < d) AND n.contact_id IS NOT NULL AND n.status IN ('pending', 'in_progress')
    ) changes
    GROUP BY 1 HAVING sum(delta) <> 0 ORDER BY 1
    ON CONFLICT (contact_id) DO UPDATE SET open_tasks = c.open_tasks + excluded.open_tasks;
  END IF;
  RETURN NULL;
END
$$;

-- TRUNCATE of one source zeroes its counters (the other source's stay).
CREATE OR REPLACE FUNCTION contact_counters_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'conversation_messages' THEN
    UPDATE contact_counters SET messages = 0, unread_inbound = 0 WHERE messages <> 0 OR unread_inbound <> 0;
    UPDATE rollup_backfills SET watermark = 0, done_below = 1 WHERE rollup = 'contact_counters:messages';
  ELSE
    UPDATE contact_counters SET open_tasks = 0 WHERE open_tasks <> 0;
    UPDATE rollup_backfills SET watermark = 0, done_below = 1 WHERE rollup = 'contact_counters:tasks';
  END IF;
  RETURN NULL;
END
$$;

-- Watermark under the lock CREATE TRIGGER holds until commit (see 000071);
-- one table per migration (the tasks' triggers are the next one).
LOCK TABLE conversation_messages IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO rollup_backfills (rollup, watermark, done_below)
SELECT 'contact_counters:messages', coalesce(max(id), 0), 1 FROM conversation_messages
ON CONFLICT (rollup) DO NOTHING;

CREATE OR REPLACE TRIGGER contact_counters_insert
  AFTER INSERT ON conversation_messages REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION contact_counters_messages_apply();
CREATE OR REPLACE TRIGGER contact_counters_update
  AFTER UPDATE ON conversation_messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION contact_counters_messages_apply();
CREATE OR REPLACE TRIGGER contact_counters_delete
  AFTER DELETE ON conversation_messages REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION contact_counters_messages_apply();
CREATE OR REPLACE TRIGGER contact_counters_truncate
  AFTER TRUNCATE ON conversation_messages
  FOR EACH STATEMENT EXECUTE FUNCTION contact_counters_truncate();
