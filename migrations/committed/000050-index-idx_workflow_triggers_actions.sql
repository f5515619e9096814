--! Previous: sha1:8645234b823648eec2daf24a3731d1c98760a5b0
--! Hash: sha1:7234d463fde85ea90dd40dd573f61e113aa7692f
--! Message: index idx_workflow_triggers_actions

--! no-transaction
-- Category D; serves: workflows_with_action
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_workflow_triggers_actions ON workflow_triggers USING gin (actions jsonb_path_ops);
