--! Previous: sha1:6a8b6c12eee23b588cd7d546c4591bd41d085c06
--! Hash: sha1:11b73f1c31e1c8bd98b67a45198865914714a25d
--! Message: index idx_scheduled_tasks_due_at

--! no-transaction
-- Category E; serves: tasks_due_in_range
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_due_at ON scheduled_tasks (due_at);
