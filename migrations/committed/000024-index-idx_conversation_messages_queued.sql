--! Previous: sha1:404b975c5fa390f555934ab504bec959c8951e85
--! Hash: sha1:c077d71e05c89e4430ef304e75932efaa62ba793
--! Message: index idx_conversation_messages_queued

--! no-transaction
-- Category C; serves: messages_send_queue
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_queued ON conversation_messages (created_at) WHERE status = 'queued';
