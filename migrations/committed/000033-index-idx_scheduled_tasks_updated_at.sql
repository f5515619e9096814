--! Previous: sha1:11b73f1c31e1c8bd98b67a45198865914714a25d
--! Hash: sha1:1f6ea45a4be0aa5842444786682f2285d47ce64b
--! Message: index idx_scheduled_tasks_updated_at

--! no-transaction
-- Category E; serves: tasks_changed_since
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_updated_at ON scheduled_tasks (updated_at DESC);
