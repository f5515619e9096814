--! Previous: sha1:689c87b94bce20ec2eaabb636ebb403ada0b5fd2
--! Hash: sha1:1a2c4f00d0892748959843249a155b911845b274
--! Message: index idx_calendar_events_start_end

--! no-transaction
-- Category E; serves: calendar_range
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_calendar_events_start_end ON calendar_events USING gist (tstzrange(start_time, end_time));
