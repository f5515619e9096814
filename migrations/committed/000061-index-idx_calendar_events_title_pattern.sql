--! Previous: sha1:e70518cdb54469212394ba1241005461c68e5286
--! Hash: sha1:125950e69f0f1d06d2f3045b88c9526550cd5f35
--! Message: index idx_calendar_events_title_pattern

--! no-transaction
-- Category A; serves: calendar_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_calendar_events_title_pattern ON calendar_events USING gin (title gin_trgm_ops);
