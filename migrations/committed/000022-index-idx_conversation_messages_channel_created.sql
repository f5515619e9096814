--! Previous: sha1:2d23ef5c639412ee1dacb3a0cb46f5276defd202
--! Hash: sha1:a823485d7536942f5d0304c1360d7eaf62315f4e
--! Message: index idx_conversation_messages_channel_created

--! no-transaction
-- Category B; serves: messages_by_channel
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_channel_created ON conversation_messages (channel, created_at DESC);
