-- Included by sql/jws.sql: the error text of a statement, with a temporary
-- path masked (for messages that name random values).
CREATE FUNCTION pg_temp.error_of(statement text, tmp text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || replace(SQLERRM, tmp, '$KC_TMP');
END $$;
