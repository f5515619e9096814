--! Previous: sha1:6ca25db30c6c010871e3aa85f0e01c48d2edb1e7
--! Hash: sha1:0831605763b2756ffb1ea600122b066bdbb9b262
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
