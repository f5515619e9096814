--! Previous: sha1:e3fbb855e364e3421b6a6e9688981059f1980b64
--! Hash: sha1:3ed624279586b1c204d957b1ae2df6bc7828e8ae
--! Message: index idx_people_phone_contact_id

--! no-transaction
-- Category B; serves: people_of_contact, fk:people.phone_contact_id
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_people_phone_contact_id ON people (phone_contact_id);
