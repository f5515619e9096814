--! Previous: sha1:9c133ee7e83c8ad7ef5e6fc309ca6a7066189809
--! Hash: sha1:12ca72e1ca8b7e9936ce1195b43905d1f88143ee
--! Message: search: side tables message_search and contact_search, indexed asynchronously from a watermark

-- rollback: re-runnable
-- The searched text of conversation_messages and phone_contacts copied into
-- side tables that carry the trigram indexes, filled after the fact, so the
-- app's writes carry no trigram entry. A trigram GIN
-- index writes one entry per distinct trigram of the text (dozens per
-- message): on conversation_messages and phone_contacts those entries alone
-- held a bulk insert at 24-39 % of the rows/s of the table with only its
-- base keys (npm run bench -- index-cost, scale 10). The searched text is
-- copied instead into side tables that carry the trigram indexes, filled
-- in batches by `npm run serve`'s schedule or `npm run refresh`
-- (search_index_catch_up below); the app's insert writes nothing trigram.
--
-- Exact answers whatever the lag. A search reads
--   the side table's trigram matches, each re-checked against its base row
--   (a deleted message has no base row; the base row's own text decides),
--   UNION ALL
--   the base rows past search_watermarks.indexed_through that have no side
--   row (the unindexed tail, a primary-key range the schedule keeps to about
--   one interval of inserts; an edit gives a tail row its side row at once).
-- That is exact when every base row up to indexed_through has a side row
-- and every side row holds its base row's current text:
--   * the fill: search_index_catch_up notes the source sequence's last value
--     and the transactions then holding ROW EXCLUSIVE on the source (every
--     transaction that may still commit a row up to that id already holds it:
--     an INSERT takes the lock before it draws its id), waits until those
--     have ended, then copies the range in committed batches and moves the
--     watermark;
--   * edits of the searched columns (rare) rewrite the side row in the
--     editing transaction (AFTER UPDATE OF those columns: a status update
--     does not fire it); the fill's ON CONFLICT DO NOTHING keeps the edit's
--     row when the two meet;
--   * deletes remove the side rows in the deleting statement; TRUNCATE
--     empties the side table and resets its watermark;
--   * search_index_sweep walks the id space a slice per run and repairs what
--     no rule above covers (a row inserted with an explicit old id, a side
--     row the fill wrote for a message deleted while it ran).
-- Rows inserted with OVERRIDING SYSTEM VALUE below the watermark are found
-- only after the sweep passes them.

CREATE TABLE IF NOT EXISTS search_watermarks (
  side_table      text        PRIMARY KEY,
  source_table    text        NOT NULL,
  -- Every source row with id <= indexed_through has its side row.
  indexed_through bigint      NOT NULL DEFAULT 0,
  -- When indexed_through was the source sequence's last value: rows
  -- inserted before this are indexed (staleness = now() - this, when the
  -- tail holds rows).
  indexed_as_of   timestamptz NOT NULL DEFAULT now(),
  -- The next watermark, once the transactions that held ROW EXCLUSIVE on
  -- the source when it was read (virtual transaction ids) have ended.
  pending_through bigint,
  pending_vxids   text[],
  pending_as_of   timestamptz,
  -- The sweep's position (search_index_sweep).
  swept_through   bigint      NOT NULL DEFAULT 0
);

-- created_at rides along so a search can take a term's newest matches
-- from the side table and re-check only those (a rare term's 214 matches at
-- scale 10: 20 primary-key probes instead of 214).
CREATE TABLE IF NOT EXISTS message_search (
  message_id bigint      PRIMARY KEY,
  content    text        NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS contact_search (
  contact_id   bigint PRIMARY KEY,
  contact_name text   NOT NULL,
  email        text,
  phone_number text   NOT NULL
);

INSERT INTO search_watermarks (side_table, source_table) VALUES
  ('message_search', 'conversation_messages'),
  ('contact_search', 'phone_contacts')
ON CONFLICT (side_table) DO NOTHING;

-- Copies the source rows with from_id < id <= to_id into the side table
-- (rows already there stay: an edit wrote them with the newer text).
CREATE OR REPLACE FUNCTION search_index_copy(p_side text, from_id bigint, to_id bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  IF p_side = 'message_search' THEN
    INSERT INTO message_search (message_id, content, created_at)
    SELECT id, content, created_at FROM conversation_messages WHERE id > from_id AND id <= to_id ORDER BY id
    ON CONFLICT (message_id) DO NOTHING;
  ELSIF p_side = 'contact_search' THEN
    INSERT INTO contact_search (contact_id, contact_name, email, phone_number)
    SELECT id, contact_name, email, phone_number FROM phone_contacts WHERE id > from_id AND id <= to_id ORDER BY id
    ON CONFLICT (contact_id) DO NOTHING;
  ELSE
    RAISE EXCEPTION 'no search side table %', p_side;
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

-- One step of the fill, in the caller's transaction (commit after each):
--   'current'  nothing past the watermark (or it just caught up)
--   'waiting'  transactions that may still commit rows below the next
--              watermark are running: call again later
--   'more'     one batch copied, more to copy: call again
CREATE OR REPLACE FUNCTION search_index_catch_up(p_side text, p_batch bigint DEFAULT 50000) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  w search_watermarks%ROWTYPE;
  hi bigint;
  upto bigint;
BEGIN
  -- One filler at a time per side table.
  SELECT * INTO w FROM search_watermarks WHERE side_table = p_side FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no search side table %', p_side;
  END IF;
  IF w.pending_through IS NULL THEN
    hi := coalesce(pg_sequence_last_value(pg_get_serial_sequence(w.source_table, 'id')::regclass), 0);
    IF hi <= w.indexed_through THEN
      UPDATE search_watermarks SET indexed_as_of = clock_timestamp() WHERE side_table = p_side;
      RETURN 'current';
    END IF;
    -- Read after the sequence (a statement of its own, so a later
    -- snapshot): whoever may still commit an id <= hi holds the lock now.
    UPDATE search_watermarks SET
      pending_through = hi,
      pending_as_of = clock_timestamp(),
      pending_vxids = ARRAY(
        SELECT l.virtualtransaction FROM pg_locks l
        WHERE l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.relation = w.source_table::regclass AND l.mode = 'RowExclusiveLock' AND l.granted
          AND l.pid IS DISTINCT FROM pg_backend_pid())
    WHERE side_table = p_side
    RETURNING * INTO w;
  END IF;
  IF EXISTS (SELECT FROM pg_locks l WHERE l.locktype = 'virtualxid' AND l.virtualxid = ANY(w.pending_vxids) AND l.granted) THEN
    RETURN 'waiting';
  END IF;
  upto := least(w.pending_through, w.indexed_through + p_batch);
  PERFORM search_index_copy(p_side, w.indexed_through, upto);
  IF upto = w.pending_through THEN
    UPDATE search_watermarks SET indexed_through = upto, indexed_as_of = w.pending_as_of,
      pending_through = NULL, pending_vxids = NULL, pending_as_of = NULL
    WHERE side_table = p_side;
    RETURN 'current';
  END IF;
  UPDATE search_watermarks SET indexed_through = upto WHERE side_table = p_side;
  RETURN 'more';
END
$$;

-- Repairs the next slice of p_ids ids up to the watermark (then starts over
-- from 0): copies base rows that have no side row, deletes side rows whose
-- base row is gone. Never rewrites a side row's text (only the edit trigger
-- does: an UPDATE here could write a snapshot's older text over a
-- concurrent edit). Returns the rows repaired.
CREATE OR REPLACE FUNCTION search_index_sweep(p_side text, p_ids bigint DEFAULT 100000) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  w search_watermarks%ROWTYPE;
  upto bigint;
  added bigint;
  removed bigint;
BEGIN
  SELECT * INTO w FROM search_watermarks WHERE side_table = p_side FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no search side table %', p_side;
  END IF;
  IF w.swept_through >= w.indexed_through THEN
    w.swept_through := 0;
  END IF;
  upto := least(w.indexed_through, w.swept_through + p_ids);
  added := search_index_copy(p_side, w.swept_through, upto);
  IF p_side = 'message_search' THEN
    DELETE FROM message_search s WHERE s.message_id > w.swept_through AND s.message_id <= upto
      AND NOT EXISTS (SELECT FROM conversation_messages m WHERE m.id = s.message_id);
  ELSE
    DELETE FROM contact_search s WHERE s.contact_id > w.swept_through AND s.contact_id <= upto
      AND NOT EXISTS (SELECT FROM phone_contacts c WHERE c.id = s.contact_id);
  END IF;
  GET DIAGNOSTICS removed = ROW_COUNT;
  UPDATE search_watermarks SET swept_through = upto WHERE side_table = p_side;
  RETURN added + removed;
END
$$;

-- The triggers that keep a side table true to its source, one function for
-- both side tables: TG_ARGV = the side table, its key column (the source's
-- is id), then the searched columns (same names in source and side table).
-- Nothing on INSERT (the point). A row trigger on UPDATE OF the searched
-- columns and id (a status update does not fire it): an id change drops the
-- old id's side row, then the row's text is upserted. A statement trigger on
-- DELETE, REFERENCING OLD TABLE AS deleted_rows (EXECUTE sees transition
-- tables): one delete of the side rows per statement. A statement trigger on
-- TRUNCATE: the side table emptied and its watermark reset.
CREATE OR REPLACE FUNCTION search_side_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  side text := TG_ARGV[0];
  side_key text := TG_ARGV[1];
  columns text;
  copied text;
  rewritten text;
BEGIN
  IF TG_OP = 'UPDATE' AND TG_LEVEL = 'ROW' THEN
    IF NEW.id <> OLD.id THEN
      EXECUTE format('DELETE FROM %I WHERE %I = $1', side, side_key) USING OLD.id;
    END IF;
    FOR i IN 2 .. TG_NARGS - 1 LOOP
      columns := concat_ws(', ', columns, format('%I', TG_ARGV[i]));
      copied := concat_ws(', ', copied, format('($1).%I', TG_ARGV[i]));
      rewritten := concat_ws(', ', rewritten, format('%1$I = excluded.%1$I', TG_ARGV[i]));
    END LOOP;
    EXECUTE format('INSERT INTO %I (%I, %s) SELECT ($1).id, %s ON CONFLICT (%I) DO UPDATE SET %s',
      side, side_key, columns, copied, side_key, rewritten) USING NEW;
  ELSIF TG_OP = 'DELETE' AND TG_LEVEL = 'STATEMENT' THEN
    EXECUTE format('DELETE FROM %I s USING deleted_rows d WHERE s.%I = d.id', side, side_key);
  ELSIF TG_OP = 'TRUNCATE' THEN
    EXECUTE format('TRUNCATE %I', side);
    UPDATE search_watermarks SET indexed_through = 0, indexed_as_of = now(), swept_through = 0,
      pending_through = NULL, pending_vxids = NULL, pending_as_of = NULL
    WHERE side_table = side;
  ELSE
    RAISE EXCEPTION 'search_side_maintain on %: fired % % (it serves AFTER UPDATE OF ... FOR EACH ROW, AFTER DELETE FOR EACH STATEMENT REFERENCING OLD TABLE AS deleted_rows, AFTER TRUNCATE)', TG_TABLE_NAME, TG_LEVEL, TG_OP;
  END IF;
  RETURN NULL;
END
$$;

-- conversation_messages' triggers (phone_contacts' are the next migration's).
DROP TRIGGER IF EXISTS message_search_after_edit ON conversation_messages;
CREATE TRIGGER message_search_after_edit AFTER UPDATE OF content, created_at, id ON conversation_messages
  FOR EACH ROW WHEN ((OLD.content, OLD.created_at, OLD.id) IS DISTINCT FROM (NEW.content, NEW.created_at, NEW.id))
  EXECUTE FUNCTION search_side_maintain('message_search', 'message_id', 'content', 'created_at');

DROP TRIGGER IF EXISTS message_search_after_delete ON conversation_messages;
CREATE TRIGGER message_search_after_delete AFTER DELETE ON conversation_messages
  REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION search_side_maintain('message_search', 'message_id', 'content', 'created_at');

DROP TRIGGER IF EXISTS message_search_after_truncate ON conversation_messages;
CREATE TRIGGER message_search_after_truncate AFTER TRUNCATE ON conversation_messages
  FOR EACH STATEMENT EXECUTE FUNCTION search_side_maintain('message_search', 'message_id', 'content', 'created_at');
