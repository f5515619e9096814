--! Previous: sha1:688cde4feb12ec97a6fa5f32b6b859e83925e10e
--! Hash: sha1:cd57968800703aa69a0985bd86eec2cc779bea61
--! Message: index idx_phone_contacts_last_contacted

--! no-transaction
-- Category C; serves: contacts_recently_contacted
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_last_contacted ON phone_contacts (last_contacted_at DESC) WHERE is_active;
