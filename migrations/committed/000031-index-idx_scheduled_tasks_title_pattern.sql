--! Previous: sha1:565937ceb2af69cb562de324ae7263adf58006ca
--! Hash: sha1:6a8b6c12eee23b588cd7d546c4591bd41d085c06
--! Message: index idx_scheduled_tasks_title_pattern

--! no-transaction
-- Category A; serves: task_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_title_pattern ON scheduled_tasks USING gin (title gin_trgm_ops);
