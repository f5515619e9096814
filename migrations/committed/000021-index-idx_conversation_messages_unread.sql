--! Previous: sha1:db885f1088a1a65746374cc3eea1a6c5ea71f180
--! Hash: sha1:2d23ef5c639412ee1dacb3a0cb46f5276defd202
--! Message: index idx_conversation_messages_unread

--! no-transaction
-- Category C; serves: messages_unread_count
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_unread ON conversation_messages (contact_id) WHERE direction = 'inbound' AND status = 'delivered';
