--! Previous: sha1:bfa235591c71b40005ec863caf5feca8f1e62ef9
--! Hash: sha1:db885f1088a1a65746374cc3eea1a6c5ea71f180
--! Message: index idx_conversation_messages_failed

--! no-transaction
-- Category C; serves: messages_failed_recent
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_failed ON conversation_messages (created_at DESC) WHERE status = 'failed';
