--! Previous: sha1:76275a9de704c94344117fa0a3887c1d3f93bd1c
--! Hash: sha1:d009bc24d5310a0a2244c6e3229544a66a2de166
--! Message: index idx_contact_search_pattern

--! no-transaction
-- Category A; serves: contact_search, contact_search_rare, contact_phone_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contact_search_pattern ON contact_search USING gin (contact_name gin_trgm_ops, email gin_trgm_ops, phone_number gin_trgm_ops);
