--! Previous: sha1:6ecb199165d2862168e8190523963053106f6889
--! Hash: sha1:2c93b6d54819af929b4457e006c8073de78c5e11
--! Message: index idx_call_costs_created_at

--! no-transaction
-- Category E; serves: calls_recent
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_costs_created_at ON call_costs (created_at DESC);
