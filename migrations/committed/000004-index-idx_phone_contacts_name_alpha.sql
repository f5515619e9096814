--! Previous: sha1:5c6ba732b71ea961c70e51b16223d3fabb59fb05
--! Hash: sha1:a46541c38ceebd5366549d356f245060f16faca6
--! Message: index idx_phone_contacts_name_alpha

--! no-transaction
-- Category C; serves: contact_list_alphabetical
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_name_alpha ON phone_contacts (lower(contact_name), id) WHERE is_active;
