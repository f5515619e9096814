--! Previous: sha1:125950e69f0f1d06d2f3045b88c9526550cd5f35
--! Hash: sha1:4a71b2be46c83c0e278627fe42d1d00ffe572e24
--! Message: index idx_calendar_events_metadata

--! no-transaction
-- Category D; serves: calendar_by_external_id
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_calendar_events_metadata ON calendar_events USING gin (metadata jsonb_path_ops);
