--! Previous: sha1:b2ec5fb0cec4b0262ef341201c31c2f887053328
--! Hash: sha1:70d283716cf9390c49de284878eb180c23601611
--! Message: drop index idx_call_costs_contact_date

--! no-transaction
-- Consolidation (npm run advise, measured): replaced by idx_call_costs_contact_date_cost (same key, INCLUDE cost): a contact's cost this month 1.54 -> 0.17 ms at scale 10; the foreign key path moves with it.
DROP INDEX CONCURRENTLY IF EXISTS idx_call_costs_contact_date;
