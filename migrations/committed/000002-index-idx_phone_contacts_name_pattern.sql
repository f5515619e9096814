--! Previous: sha1:e66fb2b5e46ea1a2160ce5312c25b42c666c2b53
--! Hash: sha1:089868363bcccd9d0d63d2f8786e0f9d0c60fa4c
--! Message: index idx_phone_contacts_name_pattern

--! no-transaction
-- Category A; serves: contact_search, contact_search_rare
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_name_pattern ON phone_contacts USING gin (contact_name gin_trgm_ops);
