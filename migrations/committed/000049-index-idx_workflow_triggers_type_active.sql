--! Previous: sha1:a9dccdc86e97d6ffb23a679a8d0495fb7a7cd378
--! Hash: sha1:8645234b823648eec2daf24a3731d1c98760a5b0
--! Message: index idx_workflow_triggers_type_active

--! no-transaction
-- Category C; serves: workflows_for_event
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_workflow_triggers_type_active ON workflow_triggers (trigger_type) WHERE is_active;
