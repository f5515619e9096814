--! Previous: sha1:349084858a8e24be212edef89c446d1217e43307
--! Hash: sha1:81aa948b5f54f992b3d272e5bfcb66b79de59015
--! Message: drop index idx_phone_contacts_phone_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_phone_pattern;
