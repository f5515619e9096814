--! Previous: sha1:86c27db9c58bc95c057bb3ca642ac1651eea56a1
--! Hash: sha1:349084858a8e24be212edef89c446d1217e43307
--! Message: drop index idx_phone_contacts_email_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_email_pattern;
