--! Previous: sha1:4f528d9561b2abc583defd019bb4d5b0ca490b4a
--! Hash: sha1:b2ef928cbbd26d5663e4a1f910572b14c131cfc9
--! Message: index idx_conversation_messages_created_status

--! no-transaction
-- Category F; serves: daily_message_breakdown, top_contacts_by_volume, message_content_search, messages_by_status_24h
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_created_status ON conversation_messages (created_at) INCLUDE (direction, contact_id, status);
