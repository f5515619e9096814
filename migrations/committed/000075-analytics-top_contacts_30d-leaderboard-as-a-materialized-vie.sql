--! Previous: sha1:753141ed7cd0ef9d5a01ee359c0b990407327750
--! Hash: sha1:8ed02c03592f6f9d22b9931758af793066b5c56d
--! Message: analytics: top_contacts_30d leaderboard as a materialized view refreshed concurrently

-- rollback: re-runnable
-- The dashboard leaderboard (top contacts by message volume, last 30 days)
-- as a materialized view refreshed on a schedule, not a rollup maintained on
-- write: a per-contact daily rollup holds ~145,000 rows for 30 days at scale
-- 10 and is slower to sum than the index (docs/PERFORMANCE.md, "The
-- analytics options"), while the view holds the 100 leaders and is read in
-- microseconds. It is as stale as its last refresh: `npm run serve` refreshes
-- it every minute, `npm run refresh` once (cron), or any client with
-- SELECT refresh_top_contacts_30d(); the catalog entry states 5 minutes.
--
-- REFRESH ... CONCURRENTLY (readers keep reading the old rows meanwhile)
-- needs a unique index. materialized_view_refreshes records when each view
-- was last refreshed (PostgreSQL keeps no such time), which verify checks
-- against the stated staleness.
--
-- Re-runnable (rollback re-applies it): IF NOT EXISTS / CREATE OR REPLACE.

CREATE TABLE IF NOT EXISTS materialized_view_refreshes (
  view_name     text             PRIMARY KEY,
  refreshed_at  timestamptz      NOT NULL,
  duration_ms   double precision NOT NULL
);

CREATE MATERIALIZED VIEW IF NOT EXISTS top_contacts_30d AS
  SELECT contact_id, count(*) AS messages
  FROM conversation_messages WHERE created_at >= now() - interval '30 days'
  GROUP BY contact_id ORDER BY messages DESC, contact_id LIMIT 100;

-- The view was created by this migration's transaction: no writer can wait on it.
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX IF NOT EXISTS top_contacts_30d_contact_key ON top_contacts_30d (contact_id);

-- Refreshes the view without blocking its readers and records when; returns
-- the time it took (ms). Two refreshes at once queue on the view's lock.
CREATE OR REPLACE FUNCTION refresh_top_contacts_30d() RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
  started timestamptz := clock_timestamp();
  took double precision;
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY top_contacts_30d;
  took := extract(epoch FROM clock_timestamp() - started) * 1000;
  INSERT INTO materialized_view_refreshes (view_name, refreshed_at, duration_ms)
  VALUES ('top_contacts_30d', started, took)
  ON CONFLICT (view_name) DO UPDATE SET refreshed_at = excluded.refreshed_at, duration_ms = excluded.duration_ms;
  RETURN took;
END
$$;

INSERT INTO materialized_view_refreshes (view_name, refreshed_at, duration_ms)
VALUES ('top_contacts_30d', now(), 0)
ON CONFLICT (view_name) DO NOTHING;
