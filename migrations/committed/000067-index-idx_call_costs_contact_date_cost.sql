--! Previous: sha1:b2ef928cbbd26d5663e4a1f910572b14c131cfc9
--! Hash: sha1:1e8bb17755249779ca8f9ceba54652a6d383ab6b
--! Message: index idx_call_costs_contact_date_cost

--! no-transaction
-- Category B; serves: contact_call_costs, contact_call_cost_month, fk:call_costs.contact_id
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_costs_contact_date_cost ON call_costs (contact_id, billing_date DESC) INCLUDE (cost);
