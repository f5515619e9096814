-- graphile-migrate afterAllMigrations hook (.gmrc.cjs): runs after any run
-- that applied migrations, also for a bare `npx graphile-migrate migrate`.
-- Fresh statistics for every table the performance indexes are on: the
-- planner needs them to cost new (expression, partial) indexes. A test checks
-- this list covers every table a performance migration indexes.
ANALYZE phone_contacts, conversation_messages, scheduled_tasks, relationship_interactions,
        workflow_triggers, people, call_costs, calendar_events;
