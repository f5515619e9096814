--! Previous: sha1:38190b8c531774c9bc1ec7ab141a0a06433d42ca
--! Hash: sha1:e2a6280cb3fabd061bf7759a1cba524e92335739
--! Message: index idx_scheduled_tasks_overdue

--! no-transaction
-- Category C; serves: overdue_tasks
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_overdue ON scheduled_tasks (due_at) WHERE status IN ('pending', 'in_progress');
