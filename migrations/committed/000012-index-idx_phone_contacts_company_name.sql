--! Previous: sha1:cd57968800703aa69a0985bd86eec2cc779bea61
--! Hash: sha1:78b37dc637a7bc1dd72d541ad20f43970c06b34e
--! Message: index idx_phone_contacts_company_name

--! no-transaction
-- Category B; serves: contacts_of_company
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_company_name ON phone_contacts (company, contact_name);
