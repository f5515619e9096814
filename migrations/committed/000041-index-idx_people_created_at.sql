--! Previous: sha1:461f6cc20ecab64fdafa9bc11a5075d2b00a24bb
--! Hash: sha1:744f30f38ea7cfe1c9be2b7a0756390d731000b7
--! Message: index idx_people_created_at

--! no-transaction
-- Category E; serves: people_new
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_people_created_at ON people (created_at DESC);
