--! Previous: sha1:128930a9a85b21e58b3f3a09a01491b69ee57e3e
--! Hash: sha1:ddf9dc5ce48832ffa3f15747b993f671fc0171b2
--! Message: drop index idx_conversation_messages_content_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_conversation_messages_content_pattern;
