--! Previous: sha1:ba5370ceef70246ae51e2853593de55abd67747c
--! Hash: sha1:c4f1798a9e115e096bde701fba736e2768e93e84
--! Message: drop index idx_phone_contacts_phone_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_phone_pattern;
