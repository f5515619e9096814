--! Previous: sha1:b6f3f8aa963dfc0228fb470489d594abb8156385
--! Hash: sha1:a97c4f8db600b4bfd3e404000dd318479f87f6af
--! Message: drop index idx_phone_contacts_phone_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_phone_pattern;
