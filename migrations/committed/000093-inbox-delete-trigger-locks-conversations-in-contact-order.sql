--! Previous: sha1:0dffc0e1e49798e3fb1598b471ae74503871ad01
--! Hash: sha1:bbf86fbd229ed5aa65a6edec648fec404270afd0
--! Message: inbox: the delete trigger locks conversations in contact order

-- rollback: re-runnable
-- Two single statements on conversation_messages could deadlock on
-- conversations (seen once: the rollup property test's round of single
-- statements, 8 writers, on a machine with two CPU hogs).
--
-- conversations_after_delete (000063) deleted the conversations whose last
-- message went in the order of its join (the heap's, or the deleted
-- messages'), while every other trigger takes its rows in key order. Most
-- statements that meet it on a contact are serialized earlier, on the
-- contact's counter row (contact_counters_*, which fire first and lock in
-- contact order); an update that changes no count (created_at moved, content
-- edited) takes no counter row, goes straight to conversations in contact
-- order, and so could hold contact 4 and wait for contact 9 while a delete
-- held 9 and waited for 4. The delete now locks those conversations in
-- contact order first. FOR UPDATE re-checks a row that a concurrent insert
-- moved on to a newer message: that one is neither locked nor deleted, as
-- before.
--
-- Re-runnable (rollback re-applies it): CREATE OR REPLACE.

CREATE OR REPLACE FUNCTION conversations_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM conversations c WHERE c.last_message_id IN (SELECT o.id FROM old_messages o) ORDER BY c.contact_id FOR UPDATE;
  WITH gone AS (
    DELETE FROM conversations c USING old_messages o WHERE c.last_message_id = o.id RETURNING c.contact_id
  )
  INSERT INTO conversations (contact_id, last_message_id, last_message_at)
  SELECT DISTINCT ON (m.contact_id) m.contact_id, m.id, m.created_at
  FROM conversation_messages m
  WHERE m.contact_id IN (SELECT contact_id FROM gone)
  ORDER BY m.contact_id, m.created_at DESC, m.id DESC
  ON CONFLICT (contact_id) DO NOTHING;
  RETURN NULL;
END
$$;
