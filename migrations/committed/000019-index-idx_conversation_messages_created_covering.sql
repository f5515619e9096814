--! Previous: sha1:22cff4d2f65af9644e8b4367dbc4da5a848ab8c6
--! Hash: sha1:bfa235591c71b40005ec863caf5feca8f1e62ef9
--! Message: index idx_conversation_messages_created_covering

--! no-transaction
-- Category F; serves: daily_message_breakdown, top_contacts_by_volume, message_content_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_messages_created_covering ON conversation_messages (created_at) INCLUDE (direction, contact_id);
