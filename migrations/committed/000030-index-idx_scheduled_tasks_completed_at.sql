--! Previous: sha1:3ef4c186e9ba03346d1db29323760fcb0bdf989d
--! Hash: sha1:565937ceb2af69cb562de324ae7263adf58006ca
--! Message: index idx_scheduled_tasks_completed_at

--! no-transaction
-- Category C; serves: tasks_recently_completed
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_tasks_completed_at ON scheduled_tasks (completed_at DESC) WHERE status = 'completed';
