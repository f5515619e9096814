-- graphile-migrate afterAllMigrations hook (.gmrc.cjs): runs after any run
-- that applied migrations, also for a bare `npx graphile-migrate migrate`.
-- (`npm run migrate` does the same itself, timed: src/migrate/run.ts.)
--
-- 1. A finer histogram for the columns the trigram indexes search, so the
--    planner estimates ILIKE '%rare term%' right and picks the trigram index
--    (SEARCH_STATISTICS_TARGET in src/indexes/performance-indexes.ts; a test
--    checks these lines match it). SHARE UPDATE EXCLUSIVE: writes go on.
ALTER TABLE phone_contacts ALTER COLUMN contact_name SET STATISTICS 1000;
ALTER TABLE phone_contacts ALTER COLUMN email SET STATISTICS 1000;
ALTER TABLE phone_contacts ALTER COLUMN phone_number SET STATISTICS 1000;
ALTER TABLE conversation_messages ALTER COLUMN content SET STATISTICS 1000;
ALTER TABLE scheduled_tasks ALTER COLUMN title SET STATISTICS 1000;
ALTER TABLE people ALTER COLUMN name SET STATISTICS 1000;
ALTER TABLE people ALTER COLUMN notes SET STATISTICS 1000;
ALTER TABLE relationship_interactions ALTER COLUMN notes SET STATISTICS 1000;
ALTER TABLE calendar_events ALTER COLUMN title SET STATISTICS 1000;
-- The search side tables exist from migration 000083 on.
DO $$ BEGIN IF to_regclass('message_search') IS NOT NULL THEN ALTER TABLE message_search ALTER COLUMN content SET STATISTICS 1000; END IF; END $$;
DO $$ BEGIN IF to_regclass('contact_search') IS NOT NULL THEN ALTER TABLE contact_search ALTER COLUMN contact_name SET STATISTICS 1000; END IF; END $$;
DO $$ BEGIN IF to_regclass('contact_search') IS NOT NULL THEN ALTER TABLE contact_search ALTER COLUMN email SET STATISTICS 1000; END IF; END $$;
DO $$ BEGIN IF to_regclass('contact_search') IS NOT NULL THEN ALTER TABLE contact_search ALTER COLUMN phone_number SET STATISTICS 1000; END IF; END $$;
-- 1b. Extended statistics the planner needs (PLANNER_STATISTICS in
--    src/indexes/performance-indexes.ts; a test checks these lines match it):
--    campaign_messages' `metadata ->> 'campaign'` estimate.
CREATE STATISTICS IF NOT EXISTS stat_conversation_messages_campaign ON (metadata ->> 'campaign') FROM conversation_messages;
-- 2. Fresh statistics for every table the performance indexes are on: the
--    planner needs them to cost new (expression, partial) indexes. A test
--    checks this list covers every table a performance migration indexes.
ANALYZE phone_contacts, conversation_messages, scheduled_tasks, relationship_interactions,
        workflow_triggers, people, call_costs, calendar_events;
-- The inbox's table exists only from migration 000063 on (a run that stops
-- before it, e.g. a base-only copy of the folder, must not fail here).
DO $$ BEGIN IF to_regclass('conversations') IS NOT NULL THEN ANALYZE conversations; END IF; END $$;
-- The analytics rollups and counters (000071-000078) are filled by batched
-- backfills, which leave them without statistics: the planner then scans
-- them sequentially instead of by key (PostgreSQL 15 untuned, 15x slower).
DO $$ BEGIN IF to_regclass('message_hourly_rollup') IS NOT NULL THEN ANALYZE message_hourly_rollup; END IF; END $$;
DO $$ BEGIN IF to_regclass('call_cost_daily_rollup') IS NOT NULL THEN ANALYZE call_cost_daily_rollup; END IF; END $$;
DO $$ BEGIN IF to_regclass('contact_counters') IS NOT NULL THEN ANALYZE contact_counters; END IF; END $$;
-- The search side tables (000083-000087), filled by a batched migration too.
DO $$ BEGIN IF to_regclass('message_search') IS NOT NULL THEN ANALYZE message_search; END IF; END $$;
DO $$ BEGIN IF to_regclass('contact_search') IS NOT NULL THEN ANALYZE contact_search; END IF; END $$;
