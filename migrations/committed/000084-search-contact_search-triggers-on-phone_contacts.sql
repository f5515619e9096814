--! Previous: sha1:276e306830c04a604bee9cc4ef022dc2580ce7c0
--! Hash: sha1:ac92c79ece562389c400cc78e0c1cfecc766f548
--! Message: search: contact_search triggers on phone_contacts

-- rollback: re-runnable
-- contact_search's triggers on phone_contacts (the table and the fill are
-- the previous migration's), in a migration of their own so each migration
-- locks one table. Nothing on INSERT; a row trigger on UPDATE OF the
-- searched columns (an update of updated_at, tags or last_contacted_at does
-- not fire it); statement triggers on DELETE and TRUNCATE.
CREATE OR REPLACE FUNCTION contact_search_after_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <> OLD.id THEN
    DELETE FROM contact_search WHERE contact_id = OLD.id;
  END IF;
  INSERT INTO contact_search (contact_id, contact_name, email, phone_number) VALUES (NEW.id, NEW.contact_name, NEW.email, NEW.phone_number)
  ON CONFLICT (contact_id) DO UPDATE SET contact_name = excluded.contact_name, email = excluded.email, phone_number = excluded.phone_number;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION contact_search_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contact_search s USING deleted_contacts d WHERE s.contact_id = d.id;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS contact_search_after_edit ON phone_contacts;
CREATE TRIGGER contact_search_after_edit AFTER UPDATE OF contact_name, email, phone_number, id ON phone_contacts
  FOR EACH ROW WHEN ((OLD.contact_name, OLD.email, OLD.phone_number, OLD.id) IS DISTINCT FROM (NEW.contact_name, NEW.email, NEW.phone_number, NEW.id))
  EXECUTE FUNCTION contact_search_after_edit();

DROP TRIGGER IF EXISTS contact_search_after_delete ON phone_contacts;
CREATE TRIGGER contact_search_after_delete AFTER DELETE ON phone_contacts
  REFERENCING OLD TABLE AS deleted_contacts
  FOR EACH STATEMENT EXECUTE FUNCTION contact_search_after_delete();

DROP TRIGGER IF EXISTS contact_search_after_truncate ON phone_contacts;
CREATE TRIGGER contact_search_after_truncate AFTER TRUNCATE ON phone_contacts
  FOR EACH STATEMENT EXECUTE FUNCTION search_side_after_truncate('contact_search');
