--! Previous: sha1:9f5206e3b9adf1940e23f71b7ff3ce30de2d6ed7
--! Hash: sha1:9393c888da9c0c0d3da0a606d308c9bf324443a8
--! Message: index idx_call_costs_billing_date_desc

--! no-transaction
-- Category E; serves: call_cost_daily
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_costs_billing_date_desc ON call_costs (billing_date DESC) INCLUDE (cost, duration_seconds);
