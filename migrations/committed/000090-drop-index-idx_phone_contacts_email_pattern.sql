--! Previous: sha1:c0850f766694d0ad0c5a6e957014a427e7fef74c
--! Hash: sha1:4aeef3ad2efbcf147e1f89570669ded06a081d4f
--! Message: drop index idx_phone_contacts_email_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_email_pattern;
