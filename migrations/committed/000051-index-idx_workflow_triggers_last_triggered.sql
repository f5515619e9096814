--! Previous: sha1:7234d463fde85ea90dd40dd573f61e113aa7692f
--! Hash: sha1:9f5206e3b9adf1940e23f71b7ff3ce30de2d6ed7
--! Message: index idx_workflow_triggers_last_triggered

--! no-transaction
-- Category C; serves: workflows_recently_fired
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_workflow_triggers_last_triggered ON workflow_triggers (last_triggered_at DESC) WHERE is_active AND last_triggered_at IS NOT NULL;
