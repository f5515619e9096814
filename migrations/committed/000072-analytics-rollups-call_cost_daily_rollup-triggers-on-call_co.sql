--! Previous: sha1:c90da5c7c0f5a89300d12f3d648b2feea130eb5f
--! Hash: sha1:6471808ca04e2dea161f9e73a9c07db90c411ade
--! Message: analytics rollups: call_cost_daily_rollup triggers on call_costs

-- rollback: re-runnable
-- call_cost_daily_rollup's triggers on call_costs (the table and functions
-- are the previous migration's): a migration of their own, so each migration
-- locks one table (two would deadlock with an app transaction writing both in
-- the other order). The watermark is taken under the SHARE ROW EXCLUSIVE lock
-- CREATE TRIGGER holds until commit (see the previous migration).
LOCK TABLE call_costs IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO rollup_backfills (rollup, watermark, done_below)
SELECT 'call_cost_daily_rollup', coalesce(max(id), 0), 1 FROM call_costs
ON CONFLICT (rollup) DO NOTHING;

CREATE OR REPLACE TRIGGER call_cost_daily_rollup_insert
  AFTER INSERT ON call_costs REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION call_cost_daily_rollup_apply();
CREATE OR REPLACE TRIGGER call_cost_daily_rollup_update
  AFTER UPDATE ON call_costs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION call_cost_daily_rollup_apply();
CREATE OR REPLACE TRIGGER call_cost_daily_rollup_delete
  AFTER DELETE ON call_costs REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION call_cost_daily_rollup_apply();
CREATE OR REPLACE TRIGGER call_cost_daily_rollup_truncate
  AFTER TRUNCATE ON call_costs
  FOR EACH STATEMENT EXECUTE FUNCTION rollup_truncate('call_cost_daily_rollup');
