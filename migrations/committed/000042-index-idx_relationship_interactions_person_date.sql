--! Previous: sha1:744f30f38ea7cfe1c9be2b7a0756390d731000b7
--! Hash: sha1:65160fd80a15ecdaced5c12d887d853514203a2b
--! Message: index idx_relationship_interactions_person_date

--! no-transaction
-- Category B; serves: person_interactions, fk:relationship_interactions.person_id
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_relationship_interactions_person_date ON relationship_interactions (person_id, interaction_date DESC);
