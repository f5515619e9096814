--! Previous: sha1:a1eea8fb12bc15e59bb51846f1db26c047079eaa
--! Hash: sha1:4f528d9561b2abc583defd019bb4d5b0ca490b4a
--! Message: index idx_conversations_last_message

--! no-transaction
-- Category F; serves: inbox
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversations_last_message ON conversations (last_message_at DESC) INCLUDE (contact_id, last_message_id);
