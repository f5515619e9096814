--! Previous: sha1:78b37dc637a7bc1dd72d541ad20f43970c06b34e
--! Hash: sha1:4fe38a66cfd63b91cd433f1931cf67af5a194f96
--! Message: index idx_phone_contacts_created_at

--! no-transaction
-- Category E; serves: contacts_new
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_created_at ON phone_contacts (created_at DESC);
