--! Previous: sha1:12ca72e1ca8b7e9936ce1195b43905d1f88143ee
--! Hash: sha1:b9a88602d0a3d4c265ce57b5df107fff1768ff91
--! Message: search: contact_search triggers on phone_contacts

-- rollback: re-runnable
-- contact_search's triggers on phone_contacts (the table, the fill and the
-- trigger function search_side_maintain are the previous migration's), in a
-- migration of their own so each migration locks one table. Nothing on
-- INSERT; a row trigger on UPDATE OF the searched columns (an update of
-- updated_at, tags or last_contacted_at does not fire it); statement
-- triggers on DELETE and TRUNCATE.
DROP TRIGGER IF EXISTS contact_search_after_edit ON phone_contacts;
CREATE TRIGGER contact_search_after_edit AFTER UPDATE OF contact_name, email, phone_number, id ON phone_contacts
  FOR EACH ROW WHEN ((OLD.contact_name, OLD.email, OLD.phone_number, OLD.id) IS DISTINCT FROM (NEW.contact_name, NEW.email, NEW.phone_number, NEW.id))
  EXECUTE FUNCTION search_side_maintain('contact_search', 'contact_id', 'contact_name', 'email', 'phone_number');

DROP TRIGGER IF EXISTS contact_search_after_delete ON phone_contacts;
CREATE TRIGGER contact_search_after_delete AFTER DELETE ON phone_contacts
  REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION search_side_maintain('contact_search', 'contact_id', 'contact_name', 'email', 'phone_number');

DROP TRIGGER IF EXISTS contact_search_after_truncate ON phone_contacts;
CREATE TRIGGER contact_search_after_truncate AFTER TRUNCATE ON phone_contacts
  FOR EACH STATEMENT EXECUTE FUNCTION search_side_maintain('contact_search', 'contact_id', 'contact_name', 'email', 'phone_number');
