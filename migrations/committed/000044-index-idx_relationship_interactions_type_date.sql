--! Previous: sha1:f6ce0280d2fd9eb8669e4385d42bc66263f42e21
--! Hash: sha1:65a1ecc174d135002103b19c717504205b6dd933
--! Message: index idx_relationship_interactions_type_date

--! no-transaction
-- Category B; serves: interactions_by_type
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_relationship_interactions_type_date ON relationship_interactions (interaction_type, interaction_date DESC);
