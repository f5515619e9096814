--! Previous: sha1:f472ba4f3ac43db9c2e73a0afd345e2663bb0fe1
--! Hash: sha1:e555a12bda7b1309fc4fb49b023296cf7395fbd6
--! Message: index idx_phone_contacts_updated_at_desc

--! no-transaction
-- Category E; serves: contacts_changed_since, contact_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_updated_at_desc ON phone_contacts (updated_at DESC);
