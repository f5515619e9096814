--! Previous: sha1:1a2c4f00d0892748959843249a155b911845b274
--! Hash: sha1:eae421742ecbb4b0f29caa06d002bb3e0da9878a
--! Message: index idx_calendar_events_contact_start

--! no-transaction
-- Category B; serves: contact_events, fk:calendar_events.contact_id
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_calendar_events_contact_start ON calendar_events (contact_id, start_time DESC);
