--! Previous: sha1:1e8bb17755249779ca8f9ceba54652a6d383ab6b
--! Hash: sha1:b2ec5fb0cec4b0262ef341201c31c2f887053328
--! Message: drop index idx_conversation_messages_created_covering

--! no-transaction
-- Consolidation (npm run advise, measured): replaced by idx_conversation_messages_created_status (same key, INCLUDE status too): the 24-hour status dashboard 89 -> 11 ms, measured by npm run advise --validate at scale 10.
DROP INDEX CONCURRENTLY IF EXISTS idx_conversation_messages_created_covering;
