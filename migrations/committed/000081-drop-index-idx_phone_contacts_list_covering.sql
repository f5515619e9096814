--! Previous: sha1:d65eb5226876f505a26768b10fdec5fa1fe38ab3
--! Hash: sha1:44d5ae88589d7b09266b55fa82907eefa5180edd
--! Message: drop index idx_phone_contacts_list_covering

--! no-transaction
-- Consolidation (npm run bench -- index-cost and verify, scale 10): contact_list reads 50 rows of 250; idx_phone_contacts_updated_at_desc serves it as fast (0.145 ms, 296 buffers for page 5; with this index 0.19 ms, 256), and with three recency indexes on updated_at the planner flipped between them as they bloated (the scale-10 verify failed on the wrong one), while every contact insert and updated_at change wrote the widest btree of the table (9 MB: five INCLUDE columns).
DROP INDEX CONCURRENTLY IF EXISTS idx_phone_contacts_list_covering;
