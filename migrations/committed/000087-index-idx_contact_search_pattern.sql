--! Previous: sha1:21c5103dfcbd188d55c09c1040ddfaa81fe7cb7f
--! Hash: sha1:314d5aab3db9b24e18ef9173b226a4e7971c8044
--! Message: index idx_contact_search_pattern

--! no-transaction
-- Category A; serves: contact_search, contact_search_rare, contact_phone_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contact_search_pattern ON contact_search USING gin (contact_name gin_trgm_ops, email gin_trgm_ops, phone_number gin_trgm_ops);
