--! Previous: sha1:4aeef3ad2efbcf147e1f89570669ded06a081d4f
--! Hash: sha1:2d43c91703723a54758bd027847eefdacc56efb5
--! Message: drop index idx_phone_contacts_phone_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_phone_pattern;
