--! Previous: sha1:d009bc24d5310a0a2244c6e3229544a66a2de166
--! Hash: sha1:002f034f4303b7a29cb999714e9b21273922dca9
--! Message: drop index idx_conversation_messages_content_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_conversation_messages_content_pattern;
