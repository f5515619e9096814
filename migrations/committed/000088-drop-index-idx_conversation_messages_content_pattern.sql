--! Previous: sha1:314d5aab3db9b24e18ef9173b226a4e7971c8044
--! Hash: sha1:3de02ed2a9cb42b947ea7a2fae96ccf193594ee9
--! Message: drop index idx_conversation_messages_content_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_conversation_messages_content_pattern;
