--! Previous: sha1:1f6ea45a4be0aa5842444786682f2285d47ce64b
--! Hash: sha1:5a987e123fe9f672b9b8e3db8f37dcc367abac47
--! Message: index idx_scheduled_tasks_in_progress

--! no-transaction
-- Category C; serves: tasks_in_progress
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_in_progress ON scheduled_tasks (updated_at DESC) WHERE status = 'in_progress';
