--! Previous: sha1:9fc4398d05802c72d6b3f40398fc1692426474d8
--! Hash: sha1:349ead9eafd7e0d2d680043c36e0c60d50e0109f
--! Message: index idx_message_search_content_pattern

--! no-transaction
-- Category A; serves: message_content_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_message_search_content_pattern ON message_search USING gin (content gin_trgm_ops);
