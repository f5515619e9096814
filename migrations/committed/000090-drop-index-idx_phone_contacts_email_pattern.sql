--! Previous: sha1:7003285be75a05b02b65598d7195269a623aa9e6
--! Hash: sha1:b6f3f8aa963dfc0228fb470489d594abb8156385
--! Message: drop index idx_phone_contacts_email_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_email_pattern;
