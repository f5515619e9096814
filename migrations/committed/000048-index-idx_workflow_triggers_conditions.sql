--! Previous: sha1:619bc1eddeb6bc07a43f6460d52ea9e7b7a32685
--! Hash: sha1:a9dccdc86e97d6ffb23a679a8d0495fb7a7cd378
--! Message: index idx_workflow_triggers_conditions

--! no-transaction
-- Category D; serves: workflows_matching_keyword
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_workflow_triggers_conditions ON workflow_triggers USING gin (conditions jsonb_path_ops);
