--! Previous: sha1:e555a12bda7b1309fc4fb49b023296cf7395fbd6
--! Hash: sha1:f1b3afe5c004b28cdfb01d543a0dc0888f832f52
--! Message: index idx_phone_contacts_email_lower

--! no-transaction
-- Category B; serves: contact_by_email
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_phone_contacts_email_lower ON phone_contacts (lower(email));
