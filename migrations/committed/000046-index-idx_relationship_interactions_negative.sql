--! Previous: sha1:01d7b32ec5d6271a03782a45c49e825891ea1b4f
--! Hash: sha1:a86958e168e558a8967347758439e80638e60992
--! Message: index idx_relationship_interactions_negative

--! no-transaction
-- Category C; serves: interactions_negative_recent
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_relationship_interactions_negative ON relationship_interactions (interaction_date DESC) WHERE sentiment < 0;
