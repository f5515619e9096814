--! Previous: sha1:7fc02ce52126506533cb21566f3b0f7a958a4a9d
--! Hash: sha1:02e72256dacfd5f0e1e0a9c61b2f2f5331953f3a
--! Message: counters: contact_counters triggers on scheduled_tasks

-- rollback: re-runnable
-- contact_counters' triggers on scheduled_tasks (open tasks per contact; the
-- table and functions are the previous migration's), in a migration of their
-- own so each migration locks one table. Watermark under the lock CREATE
-- TRIGGER holds until commit (see 000071).
LOCK TABLE scheduled_tasks IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO rollup_backfills (rollup, watermark, done_below)
SELECT 'contact_counters:tasks', coalesce(max(id), 0), 1 FROM scheduled_tasks
ON CONFLICT (rollup) DO NOTHING;

CREATE OR REPLACE TRIGGER contact_counters_insert
  AFTER INSERT ON scheduled_tasks REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION contact_counters_tasks_apply();
CREATE OR REPLACE TRIGGER contact_counters_update
  AFTER UPDATE ON scheduled_tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION contact_counters_tasks_apply();
CREATE OR REPLACE TRIGGER contact_counters_delete
  AFTER DELETE ON scheduled_tasks REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION contact_counters_tasks_apply();
CREATE OR REPLACE TRIGGER contact_counters_truncate
  AFTER TRUNCATE ON scheduled_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION contact_counters_truncate();
