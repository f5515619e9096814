--! Previous: sha1:65a1ecc174d135002103b19c717504205b6dd933
--! Hash: sha1:01d7b32ec5d6271a03782a45c49e825891ea1b4f
--! Message: index idx_relationship_interactions_notes_pattern

--! no-transaction
-- Category A; serves: interaction_notes_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_relationship_interactions_notes_pattern ON relationship_interactions USING gin (notes gin_trgm_ops);
