--! Previous: sha1:826990cc3deda05134a79fe76f9f7bf3ecdb703f
--! Hash: sha1:d75447401208e8e5e80c3dbd75b94a6640f3ba89
--! Message: index idx_message_search_content_pattern

--! no-transaction
-- Category A; serves: message_content_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_message_search_content_pattern ON message_search USING gin (content gin_trgm_ops);
