-- The HTTP API schema (api) as PostgREST calls it: roles and grants, the
-- pre-request check, query-string parsing, list parameters and cursors,
-- wire shapes.  Each request is replayed the way PostgREST runs it: one
-- transaction, request.* settings, SET LOCAL ROLE, the pre-request, the call.
-- (test/suites/60-http-api drives the same functions through nginx.)
\set VERBOSITY terse

-- Roles: plain NOLOGIN roles; the API schema belongs to the extension.
SELECT rolname, rolcanlogin, rolsuper, rolbypassrls FROM pg_roles
WHERE rolname IN ('keycard_anon', 'keycard_api', 'keycard_platform') ORDER BY 1;
SELECT p.proname, has_function_privilege('keycard_anon', p.oid, 'EXECUTE') AS anon,
	   has_function_privilege('keycard_api', p.oid, 'EXECUTE') AS api,
	   has_function_privilege('keycard_platform', p.oid, 'EXECUTE') AS platform,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'api' ORDER BY 1;
SELECT c.relname, has_table_privilege('keycard_api', c.oid, 'SELECT') AS api_select,
	   has_table_privilege('keycard_api', c.oid, 'INSERT') OR has_table_privilege('keycard_api', c.oid, 'UPDATE')
	   OR has_table_privilege('keycard_api', c.oid, 'DELETE') AS api_write,
	   has_table_privilege('keycard_anon', c.oid, 'SELECT') AS anon_select
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'api' ORDER BY 1;
SELECT has_table_privilege('keycard_api', 'keycard.signing_keys', 'SELECT') AS api_reads_keys,
	   has_table_privilege('keycard_platform', 'keycard.signing_keys', 'SELECT') AS platform_reads_keys;
SELECT * FROM keycard.api_versions();

-- Query strings: percent-decoding and repeated names.
SELECT keycard.api_urldecode('a+b%20c%2Bd'), keycard.api_urldecode('%E2%9C%93'), keycard.api_urldecode('100%'),
	   keycard.api_urldecode('filter%5Bid%5D');
SELECT keycard.api_urldecode('%FF');
BEGIN;
SELECT set_config('request.headers', '{"x-keycard-query": "filter%5Bid%5D=a&filter[id]=b&query=x+y&flag&&limit=5"}', true);
SELECT keycard.api_query();
ROLLBACK;

-- List parameters.
SELECT keycard.api_list_params('{}', ARRAY['created_at']);
SELECT keycard.api_list_params('{"limit": ["100"], "order": ["asc"], "expand[]": ["total_count"], "after": ["c"]}', ARRAY['created_at', 'status']);
SELECT keycard.api_list_params('{"limit": ["0"]}', ARRAY['created_at']);
SELECT keycard.api_list_params('{"limit": ["101"]}', ARRAY['created_at']);
SELECT keycard.api_list_params('{"limit": ["1e2"]}', ARRAY['created_at']);
SELECT keycard.api_list_params('{"order": ["sideways"]}', ARRAY['created_at']);
SELECT keycard.api_list_params('{"sort": ["status"]}', ARRAY['created_at']);
SELECT keycard.api_list_params('{"after": ["a"], "before": ["b"]}', ARRAY['created_at']);
SELECT keycard.api_list_params('{"after": [""]}', ARRAY['created_at']);
SELECT keycard.api_list_params('{"expand": ["total_count"], "expand[]": ["other"]}', ARRAY['created_at']);
SELECT keycard.api_list_params('{"expand": ["total_count"], "expand[]": []}', ARRAY['created_at']);
SELECT keycard.api_check_query('{"limit": ["1", "2"]}', ARRAY['limit']);
SELECT keycard.api_check_query('{"colour": ["red"]}', ARRAY['limit', 'order']);
SELECT keycard.api_check_query('{"colour": ["red"]}', '{}');
SELECT keycard.api_bool_filter('{"filter[active]": ["true"]}', 'filter[active]', 'active'),
	   keycard.api_bool_filter('{"active": ["false"]}', 'filter[active]', 'active'),
	   keycard.api_bool_filter('{}', 'filter[active]', 'active') IS NULL AS absent;
SELECT keycard.api_bool_filter('{"filter[active]": ["yes"]}', 'filter[active]', 'active');
SELECT keycard.api_bool_filter('{"filter[active]": ["true"], "active": ["false"]}', 'filter[active]', 'active');
SELECT keycard.api_enum_filter('{"filter[owner_type]": ["platform", "customer"]}', 'filter[owner_type]', ARRAY['platform', 'customer']);
SELECT keycard.api_enum_filter('{"filter[owner_type]": ["platform,customer"]}', 'filter[owner_type]', ARRAY['platform', 'customer']);
SELECT keycard.api_enum_filter('{"filter[owner_type]": ["robot"]}', 'filter[owner_type]', ARRAY['platform', 'customer']);
SELECT keycard.api_like_any('{"query": ["50%_off", "a\\b"], "query[name]": ["X"]}', ARRAY['query', 'query[name]']);

-- Cursors are opaque, bound to their sort, and checked.
SELECT keycard.api_cursor_key(keycard.api_cursor('created_at', ARRAY['k1']), 'created_at', 1);
SELECT keycard.api_cursor_key(keycard.api_cursor('status', ARRAY['true', 'k1']), 'created_at', 2);
SELECT keycard.api_cursor_key(keycard.api_cursor('created_at', ARRAY['k1']), 'created_at', 2);
SELECT keycard.api_cursor_key('not a cursor', 'created_at', 1);
SELECT keycard.api_cursor_key(keycard.base64url_encode('{"s":"created_at","k":[1]}'), 'created_at', 1);

-- A zone and a PostgREST-like request helper (settings as PostgREST sets them).
-- Zones cannot be deleted, so everything from here on happens in one
-- transaction that is rolled back (each request is a savepoint).
BEGIN;
SELECT zone_id AS z1 FROM keycard.create_zone('api regress one') \gset
SELECT zone_id AS z2 FROM keycard.create_zone('api regress two') \gset
CREATE FUNCTION pg_temp.req(method text, path text, role text, headers jsonb) RETURNS void
	LANGUAGE sql AS $$
	SELECT set_config('search_path', '"api", "public"', true),
		   set_config('request.jwt.claims',
			  (CASE role WHEN 'keycard_anon' THEN '{}'::jsonb
						 WHEN 'keycard_platform' THEN '{"sub": "operator"}'::jsonb
						 ELSE jsonb_build_object('sub', 'alice', 'zones', jsonb_build_array(current_setting('regress.z1'))) END
			   || jsonb_build_object('role', role))::text, true),
		   set_config('request.method', method, true),
		   set_config('request.path', path, true),
		   set_config('request.headers', headers::text, true),
		   set_config('request.cookies', '{}', true);
$$;
SELECT set_config('regress.z1', :'z1', false) IS NOT NULL AS ok;
-- The stable error code of a statement (for errors whose message names a random id).
CREATE FUNCTION pg_temp.error_code(stmt text) RETURNS text
	LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ' ' || (SQLERRM::jsonb ->> 'code');
END
$$;

-- Pre-request: API version, request id, anonymous callers, rotation.
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policies', 'keycard_api', '{"x-api-version": "2026-02-01"}');
SET LOCAL ROLE keycard_api;
SELECT api.check_request();
SELECT current_setting('response.headers');
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policies', 'keycard_api', '{"x-api-version": "2025-01-01"}');
SET LOCAL ROLE keycard_api;
SELECT api.check_request();
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policies', 'keycard_api', '{"x-client-request-id": "12345"}');
SET LOCAL ROLE keycard_api;
SELECT api.check_request();
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policies', 'keycard_anon', '{}');
SET LOCAL ROLE keycard_anon;
SELECT api.check_request();
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/zone_jwks', 'keycard_anon', '{}');
SET LOCAL ROLE keycard_anon;
SELECT api.check_request();
SELECT jsonb_array_length(api.zone_jwks(:'z1') -> 'keys') AS keys;
SELECT api.list_policies(:'z1');
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('POST', '/rpc/rotate_signing_key', 'keycard_api', '{}');
SET LOCAL ROLE keycard_api;
SELECT api.check_request();
ROLLBACK TO SAVEPOINT req;
-- An absent or empty X-API-Version is answered with the newest; a request id
-- is a UUID in either case; a bad one is quoted back, cut at 100 characters.
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policies', 'keycard_api',
	'{"x-api-version": "", "x-client-request-id": "0190A5E4-0000-7000-8000-00000000000F"}');
SET LOCAL ROLE keycard_api;
SELECT api.check_request();
SELECT current_setting('response.headers');
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policies', 'keycard_api',
	jsonb_build_object('x-client-request-id', repeat('é', 150)));
SET LOCAL ROLE keycard_api;
SELECT api.check_request();
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policies', 'keycard_api',
	'{"x-client-request-id": "0190a5e4-0000-7000-8000-00000000000f "}');
SET LOCAL ROLE keycard_api;
SELECT api.check_request();
ROLLBACK TO SAVEPOINT req;

-- Response headers accumulate in order; a value set by someone else is
-- extended the way jsonb || would.
SAVEPOINT req;
SELECT keycard.api_add_header('ETag', '"1"'), keycard.api_add_header('X-Note', 'a "quoted" \ value'),
	   keycard.api_add_header('X-Empty', NULL);
SELECT current_setting('response.headers');
SELECT current_setting('response.headers')::jsonb -> 1 ->> 'X-Note' AS note;
SELECT set_config('response.headers', '[ {"Location" : "/x"} ]', true);
SELECT keycard.api_add_header('ETag', '"2"');
SELECT current_setting('response.headers');
SELECT set_config('response.headers', '{"Location": "/y"}', true);
SELECT keycard.api_add_header('ETag', '"3"');
SELECT current_setting('response.headers');
SELECT set_config('response.headers', 'not json', true);
SELECT keycard.api_add_header('ETag', '"4"');
ROLLBACK TO SAVEPOINT req;

-- Request headers: absent and empty are NULL; other JSON values as ->> gives them.
SAVEPOINT req;
SELECT set_config('request.headers', '{"if-match": "\"7\"", "x-empty": "", "x-number": 12, "x-list": [1, 2]}', true);
SELECT keycard.api_header('if-match') AS if_match, keycard.api_header('x-empty') IS NULL AS empty_is_null,
	   keycard.api_header('x-number') AS num, keycard.api_header('x-list') AS list,
	   keycard.api_header('x-absent') IS NULL AS absent_is_null;
SELECT set_config('request.headers', '["not", "an", "object"]', true);
SELECT keycard.api_header('if-match') IS NULL AS not_object_is_null;
SELECT set_config('request.headers', '{"if-match": "\"8\""}', true);
SELECT keycard.api_header('if-match') AS if_match_after_change;
ROLLBACK TO SAVEPOINT req;

-- Writes read their path parameters from the headers nginx sets.
SAVEPOINT req;
SELECT pg_temp.req('POST', '/rpc/create_policy', 'keycard_api', jsonb_build_object('x-keycard-zone-id', :'z1'));
SET LOCAL ROLE keycard_api;
SELECT api.check_request();
SELECT jsonb_object_keys(api.create_policy('{"name": "readers", "description": "Read access"}')) AS policy_field ORDER BY 1;
SELECT current_setting('response.status') AS status, current_setting('response.headers') AS headers;
SELECT name, description, owner_type, created_by FROM api.policies;
RELEASE SAVEPOINT req;
RESET ROLE;
SAVEPOINT req;
SELECT pg_temp.req('POST', '/rpc/create_policy', 'keycard_api', jsonb_build_object('x-keycard-zone-id', :'z1'));
SET LOCAL ROLE keycard_api;
SELECT api.create_policy('{"name": "readers"}');
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('POST', '/rpc/create_policy', 'keycard_api', jsonb_build_object('x-keycard-zone-id', :'z1'));
SET LOCAL ROLE keycard_api;
SELECT api.create_policy('{"name": "x", "colour": "red"}');
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('POST', '/rpc/create_policy', 'keycard_api', jsonb_build_object('x-keycard-zone-id', :'z1'));
SET LOCAL ROLE keycard_api;
SELECT api.create_policy('[1, 2]');
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('POST', '/rpc/create_policy', 'keycard_api', '{}');
SET LOCAL ROLE keycard_api;
SELECT api.create_policy('{"name": "x"}');
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('POST', '/rpc/create_policy', 'keycard_api', jsonb_build_object('x-keycard-zone-id', :'z2'));
SET LOCAL ROLE keycard_api;
SELECT pg_temp.error_code($$SELECT api.create_policy('{"name": "elsewhere"}')$$);
ROLLBACK TO SAVEPOINT req;

-- Lists: wire shape, format, filters; another zone is not found.
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policy_schemas', 'keycard_api', '{"x-keycard-query": "format=cedar&expand%5B%5D=total_count"}');
SET LOCAL ROLE keycard_api;
SELECT jsonb_path_query(api.list_policy_schemas(:'z1'), '$.items[*] ? (@.cedar_schema_json == null) .version') AS cedar_only,
	   api.list_policy_schemas(:'z1') -> 'pagination' AS pagination;
SELECT pg_temp.error_code(format('SELECT api.list_policy_schemas(%L)', :'z2'));
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policies', 'keycard_api', '{"x-keycard-query": "query=READ&filter[owner_type]=customer"}');
SET LOCAL ROLE keycard_api;
SELECT jsonb_path_query(api.list_policies(:'z1'), '$.items[*].name') AS name,
	   api.list_policies(:'z1') -> 'pagination' AS pagination;
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policies', 'keycard_api', '{"x-keycard-query": "filter[id]=a&after=b"}');
SET LOCAL ROLE keycard_api;
SELECT api.list_policies(:'z1');
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/rpc/list_policy_sets', 'keycard_api', '{"x-keycard-query": "sort=status&order=asc"}');
SET LOCAL ROLE keycard_api;
SELECT api.list_policy_sets(:'z1');
ROLLBACK TO SAVEPOINT req;

-- Direct reads of the views keep to the caller's zones (row-level security).
SAVEPOINT req;
SELECT pg_temp.req('GET', '/policies', 'keycard_api', '{}');
SET LOCAL ROLE keycard_api;
SELECT count(*) AS visible_policies, count(DISTINCT zone_id) AS zones FROM api.policies;
SELECT count(*) AS schema_rows FROM api.policy_schemas;
ROLLBACK TO SAVEPOINT req;
SAVEPOINT req;
SELECT pg_temp.req('GET', '/policies', 'keycard_anon', '{}');
SET LOCAL ROLE keycard_anon;
SELECT count(*) FROM api.policies;
ROLLBACK TO SAVEPOINT req;
ROLLBACK;
