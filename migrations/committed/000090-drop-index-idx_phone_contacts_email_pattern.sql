--! Previous: sha1:99250573010d31b499eb31db428f58e410ea2058
--! Hash: sha1:ba5370ceef70246ae51e2853593de55abd67747c
--! Message: drop index idx_phone_contacts_email_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_email_pattern;
