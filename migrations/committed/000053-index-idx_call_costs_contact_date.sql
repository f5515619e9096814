--! Previous: sha1:9393c888da9c0c0d3da0a606d308c9bf324443a8
--! Hash: sha1:91da66d5de11cfe945f53419f9a1cd7ff8210c9b
--! Message: index idx_call_costs_contact_date

--! no-transaction
-- Category B; serves: contact_call_costs, fk:call_costs.contact_id
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_costs_contact_date ON call_costs (contact_id, billing_date DESC);
