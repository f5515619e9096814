--! Previous: sha1:b9f8397bb622cba4bdd6754da444e13051e81f79
--! Hash: sha1:047f1aaac1b045a76e5f5e227098a64e11c49c56
--! Message: drop index idx_phone_contacts_phone_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_phone_pattern;
