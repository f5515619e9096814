--! Previous: sha1:e2a6280cb3fabd061bf7759a1cba524e92335739
--! Hash: sha1:1e34fafa0d4d1ea1a0113955e44184de003d700b
--! Message: index idx_scheduled_tasks_metadata

--! no-transaction
-- Category D; serves: tasks_by_workflow
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_metadata ON scheduled_tasks USING gin (metadata jsonb_path_ops);
