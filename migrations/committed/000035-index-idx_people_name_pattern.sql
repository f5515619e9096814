--! Previous: sha1:5a987e123fe9f672b9b8e3db8f37dcc367abac47
--! Hash: sha1:a87beea2ec3408f895bd3b7d6692d4587d315e96
--! Message: index idx_people_name_pattern

--! no-transaction
-- Category A; serves: people_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_people_name_pattern ON people USING gin (name gin_trgm_ops);
