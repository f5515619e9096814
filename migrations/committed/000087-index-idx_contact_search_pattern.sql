--! Previous: sha1:349ead9eafd7e0d2d680043c36e0c60d50e0109f
--! Hash: sha1:553aeaf46de9152121e3100b84d748ca0ad687d3
--! Message: index idx_contact_search_pattern

--! no-transaction
-- Category A; serves: contact_search, contact_search_rare, contact_phone_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contact_search_pattern ON contact_search USING gin (contact_name gin_trgm_ops, email gin_trgm_ops, phone_number gin_trgm_ops);
