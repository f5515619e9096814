--! Previous: sha1:2c93b6d54819af929b4457e006c8073de78c5e11
--! Hash: sha1:689c87b94bce20ec2eaabb636ebb403ada0b5fd2
--! Message: index idx_call_costs_long_calls

--! no-transaction
-- Category C; serves: calls_long_recent
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_costs_long_calls ON call_costs (billing_date DESC) WHERE duration_seconds >= 600;
