--! Previous: sha1:f1b3afe5c004b28cdfb01d543a0dc0888f832f52
--! Hash: sha1:aa33c143d5bceb57212e7d7a73bc8ab8e8eea150
--! Message: index idx_phone_contacts_tags

--! no-transaction
-- Category D; serves: contacts_by_tag
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_tags ON phone_contacts USING gin (tags);
