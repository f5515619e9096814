--! Previous: sha1:899acf8bc39f37d24b589e9bae33076c3a47fa1d
--! Hash: sha1:3d020002b72f4ef627f133f14f31e4552cdaf022
--! Message: index idx_conversation_messages_contact_created

--! no-transaction
-- Category B; serves: message_history, fk:conversation_messages.contact_id
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_contact_created ON conversation_messages (contact_id, created_at DESC);
