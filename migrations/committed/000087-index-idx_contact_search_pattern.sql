--! Previous: sha1:df5dbf9cbe4b59a8b052ea77b33f0bf7769871d8
--! Hash: sha1:37a2c35773e1f706256dacda150572496571e9ea
--! Message: index idx_contact_search_pattern

--! no-transaction
-- Category A; serves: contact_search, contact_search_rare, contact_phone_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contact_search_pattern ON contact_search USING gin (contact_name gin_trgm_ops, email gin_trgm_ops, phone_number gin_trgm_ops);
