--! Previous: sha1:305de9ba3e57aa370d9f04cb621f15023c6156ba
--! Hash: sha1:e70518cdb54469212394ba1241005461c68e5286
--! Message: index idx_calendar_events_start_time

--! no-transaction
-- Category E; serves: calendar_upcoming
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_calendar_events_start_time ON calendar_events (start_time);
