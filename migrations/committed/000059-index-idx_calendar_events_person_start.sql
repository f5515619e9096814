--! Previous: sha1:eae421742ecbb4b0f29caa06d002bb3e0da9878a
--! Hash: sha1:305de9ba3e57aa370d9f04cb621f15023c6156ba
--! Message: index idx_calendar_events_person_start

--! no-transaction
-- Category B; serves: person_events, fk:calendar_events.person_id
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_calendar_events_person_start ON calendar_events (person_id, start_time DESC);
