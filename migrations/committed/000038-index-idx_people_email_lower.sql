--! Previous: sha1:3ed624279586b1c204d957b1ae2df6bc7828e8ae
--! Hash: sha1:2d1a3db0a3334ca2f5e27b6f5d60ef551d97a912
--! Message: index idx_people_email_lower

--! no-transaction
-- Category B; serves: person_by_email
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_people_email_lower ON people (lower(email));
