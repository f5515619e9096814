--! Previous: sha1:7330b566f5848f1fe82188055b6ee4fab615ec91
--! Hash: sha1:22cff4d2f65af9644e8b4367dbc4da5a848ab8c6
--! Message: index idx_conversation_messages_metadata

--! no-transaction
-- Category D; serves: messages_by_metadata
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_metadata ON conversation_messages USING gin (metadata jsonb_path_ops);
