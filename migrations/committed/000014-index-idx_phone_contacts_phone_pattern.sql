--! Previous: sha1:4fe38a66cfd63b91cd433f1931cf67af5a194f96
--! Hash: sha1:ec224f465c16fa9ff469eee9b147651a53e1362a
--! Message: index idx_phone_contacts_phone_pattern

--! no-transaction
-- Category A; serves: contact_phone_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_phone_pattern ON phone_contacts USING gin (phone_number gin_trgm_ops);
