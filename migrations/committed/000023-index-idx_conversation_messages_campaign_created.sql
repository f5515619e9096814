--! Previous: sha1:a823485d7536942f5d0304c1360d7eaf62315f4e
--! Hash: sha1:404b975c5fa390f555934ab504bec959c8951e85
--! Message: index idx_conversation_messages_campaign_created

--! no-transaction
-- Category C; serves: campaign_messages
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_campaign_created ON conversation_messages ((metadata ->> 'campaign'), created_at DESC) WHERE metadata ? 'campaign';
