--! Previous: sha1:b9a88602d0a3d4c265ce57b5df107fff1768ff91
--! Hash: sha1:95ca1cab54c89ef51724dcd96cef07c34ab639cb
--! Message: search: fill message_search and contact_search in committed batches

--! no-transaction
-- rollback: re-runnable
-- Fill the side tables from the rows already stored, on live tables, by the
-- protocol the schedule uses (search_index_catch_up, previous migrations):
-- note the source's last id and the transactions that may still commit
-- below it, wait for those, copy batches of 50,000 ids, each committed on
-- its own (no transaction spans the fill; the sources are only read). The
-- trigram indexes are built after (next migrations: one bulk build is much
-- faster than inserting into them). A re-run resumes at the watermark. One
-- statement (a `--! no-transaction` file with several would run as one
-- implicit transaction, where COMMIT inside DO is not allowed).
DO $$
DECLARE
  side text;
  state text;
  waited int;
BEGIN
  FOREACH side IN ARRAY ARRAY['message_search', 'contact_search'] LOOP
    waited := 0;
    LOOP
      state := search_index_catch_up(side, 50000);
      COMMIT;
      EXIT WHEN state = 'current';
      IF state = 'waiting' THEN
        -- A writer's transaction is still open: give it up to 5 minutes.
        waited := waited + 1;
        IF waited > 3000 THEN
          RAISE EXCEPTION 'filling %: a transaction writing % has been open for 5 minutes; end it and run the migration again', side, (SELECT source_table FROM search_watermarks WHERE side_table = side);
        END IF;
        PERFORM pg_sleep(0.1);
      END IF;
    END LOOP;
  END LOOP;
END
$$;
