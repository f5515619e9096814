--! Previous: sha1:c077d71e05c89e4430ef304e75932efaa62ba793
--! Hash: sha1:d5efe13935fa08c07d30fa287bec24a6a0607964
--! Message: index idx_scheduled_tasks_status_priority

--! no-transaction
-- Category B; serves: task_list
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_status_priority ON scheduled_tasks (status, priority, due_at);
