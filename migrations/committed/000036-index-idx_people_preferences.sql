--! Previous: sha1:a87beea2ec3408f895bd3b7d6692d4587d315e96
--! Hash: sha1:e3fbb855e364e3421b6a6e9688981059f1980b64
--! Message: index idx_people_preferences

--! no-transaction
-- Category D; serves: people_by_preferences
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_people_preferences ON people USING gin (preferences jsonb_path_ops);
