--! Previous: sha1:089868363bcccd9d0d63d2f8786e0f9d0c60fa4c
--! Hash: sha1:5c6ba732b71ea961c70e51b16223d3fabb59fb05
--! Message: index idx_phone_contacts_email_pattern

--! no-transaction
-- Category A; serves: contact_search, contact_search_rare
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_email_pattern ON phone_contacts USING gin (email gin_trgm_ops);
