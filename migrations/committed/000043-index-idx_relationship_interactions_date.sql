--! Previous: sha1:65160fd80a15ecdaced5c12d887d853514203a2b
--! Hash: sha1:f6ce0280d2fd9eb8669e4385d42bc66263f42e21
--! Message: index idx_relationship_interactions_date

--! no-transaction
-- Category E; serves: interactions_recent
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_relationship_interactions_date ON relationship_interactions (interaction_date DESC);
