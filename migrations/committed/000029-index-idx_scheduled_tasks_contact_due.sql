--! Previous: sha1:1e34fafa0d4d1ea1a0113955e44184de003d700b
--! Hash: sha1:3ef4c186e9ba03346d1db29323760fcb0bdf989d
--! Message: index idx_scheduled_tasks_contact_due

--! no-transaction
-- Category B; serves: contact_task_history, fk:scheduled_tasks.contact_id
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_contact_due ON scheduled_tasks (contact_id, due_at DESC);
