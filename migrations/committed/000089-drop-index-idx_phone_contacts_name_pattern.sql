--! Previous: sha1:002f034f4303b7a29cb999714e9b21273922dca9
--! Hash: sha1:c0850f766694d0ad0c5a6e957014a427e7fef74c
--! Message: drop index idx_phone_contacts_name_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_name_pattern;
