-- Included by the registry pg_regress files (sql/registry_*.sql).
-- try(sql): runs a statement and shows its registry error as
-- "SQLSTATE code: message | detail | hint", ids masked, or "ok"
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; cn text; m text; d text; h text;
BEGIN
	EXECUTE sql;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RETURN regexp_replace(concat_ws(' | ', st || ' ' || cn || ': ' || m, nullif(d, ''), nullif(h, '')),
						  '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g');
END $$;
