--! Previous: sha1:8a5c95e98d2906c2b4cbfcc89e0e2e5a8384a50d
--! Hash: sha1:d65eb5226876f505a26768b10fdec5fa1fe38ab3
--! Message: drop index idx_conversation_messages_unread

--! no-transaction
-- Consolidation (npm run bench -- index-cost, scale 10): since contact_counters (000076) answers the unread badge, this partial index serves only the ungraded raw reference messages_unread_count_raw (idx_conversation_messages_contact_created serves that too), while every message insert into it and, through its status predicate, every status update (never HOT while an index mentions status) pays for it.
DROP INDEX CONCURRENTLY IF EXISTS idx_conversation_messages_unread;
