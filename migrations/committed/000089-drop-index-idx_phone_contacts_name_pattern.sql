--! Previous: sha1:8c73d0bf12cd797f9b3f34db6f63af23cb799d05
--! Hash: sha1:c10612824cda5ebef21f1092e664fa9cc7df4ce5
--! Message: drop index idx_phone_contacts_name_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_name_pattern;
