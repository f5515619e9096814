--! Previous: sha1:c10612824cda5ebef21f1092e664fa9cc7df4ce5
--! Hash: sha1:b9f8397bb622cba4bdd6754da444e13051e81f79
--! Message: drop index idx_phone_contacts_email_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_email_pattern;
