--! Previous: sha1:752224faa914151a2fb67b1f47eb8f9141ddec6c
--! Hash: sha1:f472ba4f3ac43db9c2e73a0afd345e2663bb0fe1
--! Message: index idx_phone_contacts_list_covering

--! no-transaction
-- Category F; serves: contact_list
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_list_covering ON phone_contacts (updated_at DESC) INCLUDE (id, contact_name, email, phone_number, company) WHERE is_active;
