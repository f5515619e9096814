--! Previous: sha1:44d5ae88589d7b09266b55fa82907eefa5180edd
--! Hash: sha1:9c133ee7e83c8ad7ef5e6fc309ca6a7066189809
--! Message: drop index idx_phone_contacts_active_updated

--! no-transaction
-- Consolidation (npm run bench -- index-cost and verify, scale 10): idx_phone_contacts_updated_at_desc serves the archived list (0.099 ms, 379 buffers: 50 inactive rows among the newest 500) and contact_list; with this index PostgreSQL 18 chose a skip scan of it plus a sort for contacts_changed_since (scale-10 verify: expected index not used), and every contact write paid for it.
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_active_updated;
