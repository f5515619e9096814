--! Previous: sha1:aa33c143d5bceb57212e7d7a73bc8ab8e8eea150
--! Hash: sha1:688cde4feb12ec97a6fa5f32b6b859e83925e10e
--! Message: index idx_phone_contacts_metadata

--! no-transaction
-- Category D; serves: contacts_vip
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_metadata ON phone_contacts USING gin (metadata jsonb_path_ops);
