-- Included by the binding pg_regress files (sql/registry_bindings*.sql).
-- copy_binding(...): loads one keycard.bindings row with COPY, as pg_restore
-- does, and shows the outcome as pg_temp.try does (regress_try.sql).
CREATE FUNCTION pg_temp.copy_binding(z text, st text, target text, m text, set_id text, ver_id text, ver integer) RETURNS text
LANGUAGE plpgsql AS $$
-- (in the throwaway cluster's data directory, removed with it)
DECLARE f text := format('%s/keycard_regress_binding_%s.tsv', current_setting('data_directory'), pg_backend_pid());
BEGIN
	EXECUTE format('COPY (SELECT %L, %L, %L, %L, %L, %L, %s, %L::timestamptz, ''me'', NULL) TO %L',
				   z, st, target, m, set_id, ver_id, ver, '2026-01-01 00:00:00+00', f);
	RETURN pg_temp.try(format('COPY keycard.bindings FROM PROGRAM %L', format('cat %s && rm -f %s', f, f)));
END $$;
