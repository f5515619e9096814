--! Previous: sha1:3d020002b72f4ef627f133f14f31e4552cdaf022
--! Hash: sha1:7330b566f5848f1fe82188055b6ee4fab615ec91
--! Message: index idx_conversation_messages_inbound

--! no-transaction
-- Category C; serves: inbox_recent_inbound
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_inbound ON conversation_messages (created_at DESC) WHERE direction = 'inbound';
