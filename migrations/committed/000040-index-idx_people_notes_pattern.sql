--! Previous: sha1:c8029484df8c66430dc300c0b43e534661e4efab
--! Hash: sha1:461f6cc20ecab64fdafa9bc11a5075d2b00a24bb
--! Message: index idx_people_notes_pattern

--! no-transaction
-- Category A; serves: people_notes_search
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_people_notes_pattern ON people USING gin (notes gin_trgm_ops);
