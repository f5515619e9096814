--! Previous: sha1:a46541c38ceebd5366549d356f245060f16faca6
--! Hash: sha1:752224faa914151a2fb67b1f47eb8f9141ddec6c
--! Message: index idx_phone_contacts_active_updated

--! no-transaction
-- Category B; serves: contact_list_archived
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_active_updated ON phone_contacts (is_active, updated_at DESC);
