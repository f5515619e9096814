--! Previous: sha1:95ca1cab54c89ef51724dcd96cef07c34ab639cb
--! Hash: sha1:76275a9de704c94344117fa0a3887c1d3f93bd1c
--! Message: index idx_message_search_content_pattern

--! no-transaction
-- Category A; serves: message_content_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_message_search_content_pattern ON message_search USING gin (content gin_trgm_ops);
