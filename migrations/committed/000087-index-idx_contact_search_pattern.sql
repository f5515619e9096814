--! Previous: sha1:d75447401208e8e5e80c3dbd75b94a6640f3ba89
--! Hash: sha1:128930a9a85b21e58b3f3a09a01491b69ee57e3e
--! Message: index idx_contact_search_pattern

--! no-transaction
-- Category A; serves: contact_search, contact_search_rare, contact_phone_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contact_search_pattern ON contact_search USING gin (contact_name gin_trgm_ops, email gin_trgm_ops, phone_number gin_trgm_ops);
