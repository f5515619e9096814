--! Previous: sha1:ec224f465c16fa9ff469eee9b147651a53e1362a
--! Hash: sha1:899acf8bc39f37d24b589e9bae33076c3a47fa1d
--! Message: index idx_conversation_messages_content_pattern

--! no-transaction
-- Category A; serves: message_content_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_content_pattern ON conversation_messages USING gin (content gin_trgm_ops);
