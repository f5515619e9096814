-- The role verify runs catalog SQL as (src/db/verify-reader-role.ts): NOLOGIN,
-- not a superuser, no replication, no pg_signal_backend, no
-- pg_read_server_files; SELECT on the app's tables and pg_read_all_stats
-- only. Entered with SET ROLE inside verify's read-only transaction.
-- Run by `npm run migrate` after every run (also when nothing was pending),
-- by the afterAllMigrations hook and by the embedded server's setup. Each step
-- is done when the migrating role may, and said in a NOTICE when it may not
-- (verify then explains the grant to run). Idempotent; concurrent runs in
-- other databases of the same server are fine.
DO $reader$
DECLARE
  me text := current_user;
  may_create boolean := (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user);
  -- PostgreSQL 16+ grants membership options: SET is what SET ROLE needs.
  pg16 boolean := current_setting('server_version_num')::int >= 160000;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bollalabz_verify') THEN
    IF NOT may_create THEN
      RAISE NOTICE 'role bollalabz_verify not created: % has no CREATEROLE (verify needs it: see README, Verify reader role)', me;
      RETURN;
    END IF;
    BEGIN
      CREATE ROLE bollalabz_verify NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created meanwhile by the migration of another database on this server
    END;
  END IF;
  IF NOT pg_has_role('bollalabz_verify', 'pg_read_all_stats', 'MEMBER') THEN
    BEGIN
      GRANT pg_read_all_stats TO bollalabz_verify;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pg_read_all_stats not granted to bollalabz_verify: % may not grant it', me;
    WHEN unique_violation THEN
      NULL;
    END;
  END IF;
  BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO bollalabz_verify', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO bollalabz_verify', current_schema());
    -- Tables the migrating role creates later.
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO bollalabz_verify', current_schema());
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'SELECT not granted to bollalabz_verify: % does not own the tables of schema %', me, current_schema();
  END;
  -- The migrating role may enter it (a superuser needs no membership).
  IF NOT (CASE WHEN pg16 THEN pg_has_role(me, 'bollalabz_verify', 'SET') ELSE pg_has_role(me, 'bollalabz_verify', 'MEMBER') END) THEN
    BEGIN
      EXECUTE format('GRANT bollalabz_verify TO %I%s', me, CASE WHEN pg16 THEN ' WITH SET TRUE' ELSE '' END);
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE '% may not grant itself bollalabz_verify', me;
    WHEN unique_violation THEN
      NULL;
    END;
  END IF;
END
$reader$;
