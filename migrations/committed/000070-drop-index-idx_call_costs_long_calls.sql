--! Previous: sha1:70d283716cf9390c49de284878eb180c23601611
--! Hash: sha1:a757dab4883e0f90eeacaa19f59c4ab996fd7056
--! Message: drop index idx_call_costs_long_calls

--! no-transaction
-- Consolidation (npm run advise, measured): idx_call_costs_billing_date_desc serves the long-calls list nearly as well (0.11 -> 0.24 ms with this index hidden, scale 10; 1.0 MB and one more index maintained on every call_costs write).
DROP INDEX CONCURRENTLY IF EXISTS idx_call_costs_long_calls;
