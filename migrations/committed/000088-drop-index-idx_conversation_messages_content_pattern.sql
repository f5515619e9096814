--! Previous: sha1:37a2c35773e1f706256dacda150572496571e9ea
--! Hash: sha1:829a7cc9b5501e15ca42821c1b043fd3bbf917a6
--! Message: drop index idx_conversation_messages_content_pattern

--! no-transaction
-- The search moved to a side table indexed asynchronously (migrations 000083-000087): this trigram index on the base table wrote dozens of GIN entries per inserted row (npm run bench -- index-cost, scale 10).
DROP INDEX CONCURRENTLY IF EXISTS idx_conversation_messages_content_pattern;
