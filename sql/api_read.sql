-- keycard.api_read: the statements of the read endpoints, run with plans kept
-- for the session (per role).  A kept plan never carries one caller's rows to
-- another: row-level security applies to each role and to each caller's
-- zones as if the statement were planned anew, and the endpoints that read
-- through it answer by the caller's zones claim.  Only reads run.
-- (One transaction, rolled back: the zones' keys stay out of later tests.)
\set VERBOSITY terse
BEGIN;
SELECT zone_id AS z1 FROM keycard.create_zone('read one') \gset
SELECT zone_id AS z2 FROM keycard.create_zone('read two') \gset
SELECT policy_id AS p1 FROM keycard.create_policy(:'z1', 'one') \gset
SELECT policy_id AS p2 FROM keycard.create_policy(:'z2', 'two') \gset
SELECT ARRAY[:'z1', :'z2']::text AS zones \gset
CREATE FUNCTION pg_temp.names(zones text) RETURNS jsonb
	LANGUAGE sql AS $$
	SELECT keycard.api_read('SELECT coalesce(jsonb_agg(x.name ORDER BY x.name), ''[]'') FROM keycard.policies x '
							'WHERE x.zone_id = ANY ($1::text[])', ARRAY[zones]);
$$;
CREATE FUNCTION pg_temp.as_api(zone text) RETURNS boolean
	LANGUAGE sql AS $$
	SELECT set_config('request.jwt.claims', jsonb_build_object('role', 'keycard_api', 'sub', 'alice',
		'zones', jsonb_build_array(zone))::text, true) IS NOT NULL AND set_config('role', 'keycard_api', true) IS NOT NULL;
$$;
-- The registry error code of a statement (its message names a random id).
CREATE FUNCTION pg_temp.error_code(stmt text) RETURNS text
	LANGUAGE plpgsql AS $$
DECLARE
	code text;
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS code = CONSTRAINT_NAME;
	RETURN SQLSTATE || ' ' || code || ': ' || split_part(SQLERRM, ' ', 1);
END
$$;

-- The owner reads both zones; the API role, with the same statement, only
-- the zones of its claim, whichever claim came first; the owner again both.
SELECT pg_temp.names(:'zones') AS owner;
SAVEPOINT request;
SELECT pg_temp.as_api(:'z1');
SELECT pg_temp.names(:'zones') AS api_zone_one;
SELECT pg_temp.as_api(:'z2');
SELECT pg_temp.names(:'zones') AS api_zone_two;
-- the endpoints: the own zone's policy; a foreign zone's is not found, and
-- neither is a foreign policy under the own zone
SELECT api.get_policy(:'z2', :'p2') ->> 'name' AS own_policy;
SELECT pg_temp.error_code(format('SELECT api.get_policy(%L, %L)', :'z1', :'p1')) AS foreign_zone;
SELECT pg_temp.error_code(format('SELECT api.get_policy(%L, %L)', :'z2', :'p1')) AS foreign_policy;
ROLLBACK TO SAVEPOINT request;
SAVEPOINT request;
SELECT pg_temp.as_api(:'z1');
SELECT set_config('request.headers', '{"x-keycard-query": "limit=5"}', true) IS NOT NULL AS ok;
SELECT jsonb_path_query_array(api.list_policies(:'z1'), '$.items[*].name') AS own_list;
SELECT pg_temp.error_code(format('SELECT api.list_policies(%L)', :'z2')) AS foreign_list;
ROLLBACK TO SAVEPOINT request;
SELECT pg_temp.names(:'zones') AS owner_again;

-- Parameters: NULL elements are NULL; no row is NULL.
SELECT keycard.api_read('SELECT jsonb_build_array($1 IS NULL, $2)', ARRAY[NULL, 'x']);
SELECT keycard.api_read('SELECT ''1''::jsonb WHERE false', '{}') IS NULL AS no_row;
-- Past the kept plans, texts are planned per call; a call inside a statement
-- another runs leaves that one's plan alone.
SELECT count(keycard.api_read(format('SELECT to_jsonb(%s)', i), '{}')) AS distinct_texts FROM generate_series(1, 300) i;
SELECT keycard.api_read(format('SELECT keycard.api_read(''SELECT to_jsonb(%s + $1::integer)'', ARRAY[$1])', i), ARRAY[i::text])
FROM generate_series(299, 301) i;
-- Only reads, of one jsonb column, with at most 32 parameters.
SAVEPOINT refused;
SELECT keycard.api_read('DELETE FROM keycard.policies RETURNING ''{}''::jsonb', '{}');
ROLLBACK TO SAVEPOINT refused;
SAVEPOINT refused;
SELECT keycard.api_read('SELECT 1', '{}');
ROLLBACK TO SAVEPOINT refused;
SAVEPOINT refused;
SELECT keycard.api_read('SELECT ''1''::jsonb', array_fill('x'::text, ARRAY[33]));
ROLLBACK TO SAVEPOINT refused;
SAVEPOINT refused;
SELECT keycard.api_read('SELECT ''1''::jsonb', '{{a}}');
ROLLBACK TO SAVEPOINT refused;
SELECT count(*) AS policies FROM keycard.policies;
ROLLBACK;
