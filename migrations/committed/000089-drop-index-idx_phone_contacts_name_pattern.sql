--! Previous: sha1:829a7cc9b5501e15ca42821c1b043fd3bbf917a6
--! Hash: sha1:86c27db9c58bc95c057bb3ca642ac1651eea56a1
--! Message: drop index idx_phone_contacts_name_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_name_pattern;
