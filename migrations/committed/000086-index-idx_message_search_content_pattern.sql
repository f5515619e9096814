--! Previous: sha1:fb165719eb91e11f4bf8492fe3b8311e672cdeb7
--! Hash: sha1:df5dbf9cbe4b59a8b052ea77b33f0bf7769871d8
--! Message: index idx_message_search_content_pattern

--! no-transaction
-- Category A; serves: message_content_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_message_search_content_pattern ON message_search USING gin (content gin_trgm_ops);
