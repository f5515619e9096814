--! Previous: sha1:553aeaf46de9152121e3100b84d748ca0ad687d3
--! Hash: sha1:8c73d0bf12cd797f9b3f34db6f63af23cb799d05
--! Message: drop index idx_conversation_messages_content_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_conversation_messages_content_pattern;
