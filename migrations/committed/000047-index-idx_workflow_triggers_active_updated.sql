--! Previous: sha1:a86958e168e558a8967347758439e80638e60992
--! Hash: sha1:619bc1eddeb6bc07a43f6460d52ea9e7b7a32685
--! Message: index idx_workflow_triggers_active_updated

--! no-transaction
-- Category C; serves: workflows_active_list
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_workflow_triggers_active_updated ON workflow_triggers (updated_at DESC) WHERE is_active;
