--! Previous: sha1:91da66d5de11cfe945f53419f9a1cd7ff8210c9b
--! Hash: sha1:6ecb199165d2862168e8190523963053106f6889
--! Message: index idx_call_costs_direction_date

--! no-transaction
-- Category F; serves: call_cost_by_direction
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_costs_direction_date ON call_costs (direction, billing_date DESC) INCLUDE (cost);
