--! Previous: sha1:d5efe13935fa08c07d30fa287bec24a6a0607964
--! Hash: sha1:38190b8c531774c9bc1ec7ab141a0a06433d42ca
--! Message: index idx_scheduled_tasks_pending

--! no-transaction
-- Category C; serves: contact_pending_tasks
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_pending ON scheduled_tasks (contact_id, due_at) WHERE status = 'pending';
