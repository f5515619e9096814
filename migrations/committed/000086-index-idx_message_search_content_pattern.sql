--! Previous: sha1:3054591dcc622d1dcc6b87685814754542098a18
--! Hash: sha1:21c5103dfcbd188d55c09c1040ddfaa81fe7cb7f
--! Message: index idx_message_search_content_pattern

--! no-transaction
-- Category A; serves: message_content_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_message_search_content_pattern ON message_search USING gin (content gin_trgm_ops);
