--! Previous: sha1:2d1a3db0a3334ca2f5e27b6f5d60ef551d97a912
--! Hash: sha1:c8029484df8c66430dc300c0b43e534661e4efab
--! Message: index idx_people_relationship_updated

--! no-transaction
-- Category B; serves: people_by_relationship
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_people_relationship_updated ON people (relationship_type, updated_at DESC);
