------------------------------------------------------------------------------
-- keycard install script, part 60: the HTTP API
--
-- HTTP API (schema api): what PostgREST exposes.  Views give the wire shapes
-- for reading; one function per documented endpoint does the work by calling
-- the registry functions of the earlier parts; api.check_request() is PostgREST's
-- db-pre-request.  SQL, except what runs on every request (the pre-request
-- check, response headers: src/api_request.c).  deploy/ maps the documented paths
-- (/zones/{zone_id}/policies/...) onto these functions; test/postgrest/
-- replays PostgREST 12 against them in the tests.
--
-- How nginx calls them (deploy/nginx/keycard.conf):
--   GET endpoints:   GET /rpc/<fn>?zone_id=..&policy_id=..  (path parameters
--                    as named arguments; the client's query string, still
--                    percent-encoded, in the header X-Keycard-Query)
--   other methods:   POST /rpc/<fn> with the client's JSON body as the one
--                    unnamed jsonb argument (none for archive endpoints); the
--                    path parameters in X-Keycard-Zone-Id, -Policy-Id,
--                    -Policy-Set-Id, -Version-Id and -Schema-Version headers.
--   If-Match, X-API-Version and X-Client-Request-ID arrive untouched in
--   request.headers.
--
-- Roles are cluster-wide, so this script creates them only when absent, as
-- plain NOLOGIN roles (and refuses ones that could log in or bypass RLS);
-- DROP EXTENSION leaves them.  keycard_anon reads JWKS only, keycard_api is
-- the customer role, keycard_platform the operator.  The LOGIN role that
-- PostgREST connects as holds a password and belongs to the DBA: README.md,
-- "Serving over HTTP", shows how to create it.
------------------------------------------------------------------------------

CREATE SCHEMA api;
COMMENT ON SCHEMA api IS
	'keycard''s HTTP API as PostgREST exposes it (db-schemas = "api"); see README.md, "Serving over HTTP"';

DO $$
DECLARE
	r text;
	existing pg_catalog.pg_roles;
BEGIN
	FOREACH r IN ARRAY ARRAY['keycard_anon', 'keycard_api', 'keycard_platform'] LOOP
		SELECT * INTO existing FROM pg_catalog.pg_roles x WHERE x.rolname OPERATOR(pg_catalog.=) r;
		IF NOT FOUND THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		ELSIF existing.rolcanlogin OR existing.rolsuper OR existing.rolbypassrls THEN
			RAISE EXCEPTION 'role "%" already exists with LOGIN, SUPERUSER or BYPASSRLS', r
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  DETAIL = 'PostgREST switches to this role per request; it must be a plain NOLOGIN role so that row-level security applies.',
					  HINT = pg_catalog.format('ALTER ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS, then create the extension again.', r);
		END IF;
	END LOOP;
END
$$;

CREATE FUNCTION keycard.api_versions() RETURNS SETOF text
	AS 'MODULE_PATHNAME', 'keycard_api_versions'
	LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1;
COMMENT ON FUNCTION keycard.api_versions() IS
	'Accepted X-API-Version values, newest last; an absent header means the newest';

-- Request context ----------------------------------------------------------------
-- The helpers that run on every request carry no SET search_path (it would cost
-- a configuration push per call); they are SECURITY INVOKER and name only
-- pg_catalog and keycard objects, which pg_catalog-first lookup resolves.

CREATE FUNCTION keycard.api_time(ts timestamptz) RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	RETURN pg_catalog.to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
COMMENT ON FUNCTION keycard.api_time(timestamptz) IS
	'RFC 3339 UTC text of a timestamp, as the wire shapes carry it (millisecond precision)';

CREATE FUNCTION keycard.api_header(name text) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_api_header'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.api_header(text) IS
	'A request header (lower-case name) from PostgREST''s request.headers, or NULL when absent or empty';

CREATE FUNCTION keycard.api_path_param(name text) RETURNS text
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v text := nullif(keycard.api_header('x-keycard-' || name), '');
BEGIN
	IF v IS NULL THEN
		PERFORM keycard.raise_error('invalid_request', format('path parameter "%s" is missing', name),
			format('The proxy passes it in the X-Keycard-%s header.', initcap(name)),
			'Call the documented path through the keycard nginx site (deploy/nginx/keycard.conf).');
	END IF;
	RETURN v;
END
$$;
COMMENT ON FUNCTION keycard.api_path_param(text) IS
	'A path parameter of a write endpoint, from the X-Keycard-<name> header the nginx site sets';

CREATE FUNCTION keycard.api_add_header(name text, value text) RETURNS void
	AS 'MODULE_PATHNAME', 'keycard_api_add_header'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION keycard.api_add_header(text, text) IS
	'Adds a response header for PostgREST (response.headers, an array of one-member objects)';

CREATE FUNCTION keycard.api_created() RETURNS void
	LANGUAGE plpgsql VOLATILE PARALLEL SAFE
	AS $$
BEGIN
	PERFORM set_config('response.status', '201', true);
END
$$;
COMMENT ON FUNCTION keycard.api_created() IS 'Makes PostgREST answer 201 Created';

-- The client's query string: in C (src/api_request.c), linear in its length
-- whatever its shape.
CREATE FUNCTION keycard.api_urldecode(s text) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_api_urldecode'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.api_urldecode(text) IS
	'Percent-decodes a query-string component (application/x-www-form-urlencoded: + is a space)';

CREATE FUNCTION keycard.api_query() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_api_query'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.api_query() IS
	'The client''s query string (X-Keycard-Query header) as {"name": ["value", ...]}';

CREATE FUNCTION keycard.api_check_query(q jsonb, allowed text[]) RETURNS void
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	AS $$
-- Unknown parameters are refused rather than ignored, so that a typo in a
-- filter never silently returns everything.
DECLARE
	k text;
BEGIN
	-- (the common case in simple expressions, which are not planned per call:
	-- no unknown parameter, no repeat of a single-valued one)
	IF q - allowed = '{}' AND NOT jsonb_path_exists(q - ARRAY['expand', 'expand[]', 'filter[id]', 'filter[owner_type]',
		'filter[scope_type]', 'query', 'query[]', 'query[name]', 'query[description]'], 'strict $.* ? (@.size() > 1)') THEN
		RETURN;
	END IF;
	FOR k IN SELECT jsonb_object_keys(q) LOOP
		IF NOT k = ANY (allowed) THEN
			PERFORM keycard.raise_error('invalid_request', format('unknown query parameter "%s"', k),
				CASE WHEN cardinality(allowed) = 0 THEN 'This endpoint takes no query parameters.'
					 ELSE format('This endpoint accepts: %s.', array_to_string(allowed, ', ')) END, NULL);
		END IF;
		IF jsonb_array_length(q -> k) > 1 AND NOT k IN ('expand', 'expand[]', 'filter[id]', 'filter[owner_type]',
														'filter[scope_type]', 'query', 'query[]', 'query[name]',
														'query[description]') THEN
			PERFORM keycard.raise_error('invalid_request', format('query parameter "%s" is given more than once', k),
				NULL, NULL);
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION keycard.api_check_query(jsonb, text[]) IS
	'Refuses query parameters an endpoint does not take, and repeats of single-valued ones';

CREATE FUNCTION keycard.api_format(q jsonb, dflt text) RETURNS text
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	AS $$
DECLARE
	f text := q -> 'format' ->> 0;
BEGIN
	IF f IS NULL THEN
		RETURN dflt;
	ELSIF f NOT IN ('cedar', 'json') THEN
		PERFORM keycard.raise_error('invalid_request', format('invalid format "%s"', f), NULL, 'Use format=cedar or format=json.');
	END IF;
	RETURN f;
END
$$;
COMMENT ON FUNCTION keycard.api_format(jsonb, text) IS 'The format query parameter (cedar or json), or the default';

CREATE FUNCTION keycard.api_bool_filter(q jsonb, name text, alias text) RETURNS boolean
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
-- A boolean filter and its deprecated alias (filter[default]/is_default,
-- filter[active]/active): values true or false; the two must agree.
DECLARE
	a text := q -> name ->> 0;
	b text := q -> alias ->> 0;
BEGIN
	IF a IS NOT NULL AND a NOT IN ('true', 'false') THEN
		PERFORM keycard.raise_error('invalid_filter', format('%s must be true or false', name), format('Got "%s".', a), NULL);
	END IF;
	IF b IS NOT NULL AND b NOT IN ('true', 'false') THEN
		PERFORM keycard.raise_error('invalid_filter', format('%s must be true or false', alias), format('Got "%s".', b), NULL);
	END IF;
	IF a IS NOT NULL AND b IS NOT NULL AND a <> b THEN
		PERFORM keycard.raise_error('invalid_filter', format('%s and %s disagree', name, alias),
			format('%s is deprecated; send only %s.', alias, name), NULL);
	END IF;
	RETURN coalesce(a, b)::boolean;
END
$$;
COMMENT ON FUNCTION keycard.api_bool_filter(jsonb, text, text) IS
	'A boolean list filter with its deprecated alias; NULL when neither is given';

CREATE FUNCTION keycard.api_enum_filter(q jsonb, name text, allowed text[]) RETURNS text[]
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	vals text[];
	v text;
BEGIN
	IF NOT q ? name THEN
		RETURN NULL;
	END IF;
	vals := ARRAY(SELECT jsonb_array_elements_text(q -> name));
	FOREACH v IN ARRAY vals LOOP
		IF strpos(v, ',') > 0 THEN
			PERFORM keycard.raise_error('invalid_filter', format('%s does not take comma-separated values', name),
				format('Got "%s".', v), format('Repeat the parameter instead: %s.',
					(SELECT string_agg(format('%s=%s', name, x), '&') FROM unnest(string_to_array(v, ',')) x)));
		END IF;
		IF NOT v = ANY (allowed) THEN
			PERFORM keycard.raise_error('invalid_filter', format('invalid %s value "%s"', name, v),
				format('Allowed values: %s.', array_to_string(allowed, ', ')), NULL);
		END IF;
	END LOOP;
	RETURN vals;
END
$$;
COMMENT ON FUNCTION keycard.api_enum_filter(jsonb, text, text[]) IS
	'A repeatable enumerated list filter (values OR-ed); comma-joined or unknown values are refused';

CREATE FUNCTION keycard.api_like_any(q jsonb, names text[]) RETURNS text[]
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
-- Each term is matched against every row: the terms are bounded (as
-- filter[id] is), so a list costs at most 100 matches per row.
DECLARE
	terms text[];
BEGIN
	-- (no term: no statement, which would be planned on every call)
	IF NOT q ?| names THEN
		RETURN NULL;
	END IF;
	-- distinct, in the order they were given
	terms := ARRAY(SELECT x.t FROM (
		SELECT e.t, min(n.i * 4294967296 + e.o) AS first
		FROM unnest(names) WITH ORDINALITY n(name, i), jsonb_array_elements_text(q -> n.name) WITH ORDINALITY e(t, o)
		GROUP BY e.t) x ORDER BY x.first);
	IF cardinality(terms) > 100 THEN
		PERFORM keycard.raise_error('invalid_filter',
			format('%s takes at most 100 distinct search terms', array_to_string(names, ', ')),
			format('The request has %s.', cardinality(terms)), 'Search with fewer terms.');
	END IF;
	RETURN (SELECT array_agg('%' || replace(replace(replace(lower(t COLLATE "und-x-icu"), '\', '\\'), '%', '\%'), '_', '\_') || '%')
			FROM unnest(terms) t);
END
$$;
COMMENT ON FUNCTION keycard.api_like_any(jsonb, text[]) IS
	'LIKE patterns, lower-cased for all of Unicode (ICU root locale), for case-insensitive substring search terms (query, query[name], ...); matched against lower(column COLLATE "und-x-icu"); NULL when none';

CREATE FUNCTION keycard.api_list_params(q jsonb, sorts text[]) RETURNS jsonb
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
-- The standard list parameters: after, before, limit (1..100, default 50),
-- order (default desc), sort, expand / expand[] (total_count).
DECLARE
	after text := q -> 'after' ->> 0;
	before text := q -> 'before' ->> 0;
	lim text := q -> 'limit' ->> 0;
	ord text := coalesce(q -> 'order' ->> 0, 'desc');
	srt text := coalesce(q -> 'sort' ->> 0, sorts[1]);
	e1 text[] := '{}';
	e2 text[] := '{}';
	v text;
BEGIN
	-- (statements only when there is something to read: each is planned per call)
	IF q ? 'expand' THEN
		e1 := ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text(q -> 'expand') x ORDER BY 1);
	END IF;
	IF q ? 'expand[]' THEN
		e2 := ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text(q -> 'expand[]') x ORDER BY 1);
	END IF;
	IF after IS NOT NULL AND before IS NOT NULL THEN
		PERFORM keycard.raise_error('invalid_cursor', 'after and before cannot be combined', NULL,
			'Page forward with after or backward with before.');
	END IF;
	IF length(coalesce(after, before, 'x')) NOT BETWEEN 1 AND 255 THEN
		PERFORM keycard.raise_error('invalid_cursor', 'a cursor has 1 to 255 characters', NULL,
			'Pass after_cursor or before_cursor from an earlier page unchanged.');
	END IF;
	IF lim IS NOT NULL AND (lim !~ '^[0-9]{1,4}$' OR lim::integer NOT BETWEEN 1 AND 100) THEN
		PERFORM keycard.raise_error('invalid_request', 'limit must be an integer from 1 to 100', format('Got "%s".', lim), NULL);
	END IF;
	IF ord NOT IN ('asc', 'desc') THEN
		PERFORM keycard.raise_error('invalid_request', format('invalid order "%s"', ord), NULL, 'Use order=asc or order=desc.');
	END IF;
	IF NOT srt = ANY (sorts) THEN
		PERFORM keycard.raise_error('invalid_request', format('invalid sort "%s"', srt), NULL,
			format('Sortable fields: %s.', array_to_string(sorts, ', ')));
	END IF;
	FOREACH v IN ARRAY e1 || e2 LOOP
		IF v <> 'total_count' THEN
			PERFORM keycard.raise_error('invalid_request', format('cannot expand "%s"', v), NULL, 'The only expansion is total_count.');
		END IF;
	END LOOP;
	IF q ? 'expand' AND q ? 'expand[]' AND e1 <> e2 THEN
		PERFORM keycard.raise_error('invalid_request', 'expand and expand[] disagree', 'expand is deprecated; send only expand[].', NULL);
	END IF;
	RETURN jsonb_build_object('after', after, 'before', before, 'limit', lim::integer, 'order', ord, 'sort', srt,
							  'total', cardinality(e1 || e2) > 0);
END
$$;
COMMENT ON FUNCTION keycard.api_list_params(jsonb, text[]) IS
	'Validated standard list parameters {after, before, limit, order, sort, total}; the first sort is the default';

CREATE FUNCTION keycard.api_cursor(sort text, k text[]) RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	RETURN keycard.base64url_encode(pg_catalog.convert_to(
		pg_catalog.jsonb_build_object('s', sort, 'k', k)::text, 'UTF8'));
COMMENT ON FUNCTION keycard.api_cursor(text, text[]) IS
	'An opaque keyset cursor: the sort and the sort key of one item, base64url JSON';

CREATE FUNCTION keycard.api_cursor_key(cursor text, sort text, nkeys integer) RETURNS text[]
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	c jsonb;
	k text[];
BEGIN
	BEGIN
		c := convert_from(keycard.base64url_decode(cursor), 'UTF8')::jsonb;
		IF jsonb_typeof(c -> 'k') = 'array' AND jsonb_array_length(c -> 'k') = nkeys
		   AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(c -> 'k') x WHERE jsonb_typeof(x) <> 'string') THEN
			k := ARRAY(SELECT jsonb_array_elements_text(c -> 'k'));
		END IF;
	EXCEPTION WHEN OTHERS THEN
		k := NULL;
	END;
	IF k IS NULL THEN
		PERFORM keycard.raise_error('invalid_cursor', 'malformed cursor', NULL,
			'Pass after_cursor or before_cursor from an earlier page unchanged.');
	END IF;
	IF c ->> 's' IS DISTINCT FROM sort THEN
		PERFORM keycard.raise_error('invalid_cursor', 'the cursor belongs to another sort',
			format('The cursor was made with sort=%s.', c ->> 's'), 'Keep the sort of the page the cursor came from.');
	END IF;
	RETURN k;
END
$$;
COMMENT ON FUNCTION keycard.api_cursor_key(text, text, integer) IS
	'The sort key inside a cursor; invalid_cursor when it is not one of ours or belongs to another sort';

CREATE FUNCTION keycard.api_read(query text, args text[]) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_api_read'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION keycard.api_read(text, text[]) IS
	'Runs a read-only statement with text parameters $1..$n (args) through a plan kept for the session: the one jsonb column of its first row (internal to the api functions)';

CREATE FUNCTION keycard.api_page(source text, cond text, args text[], keys text[], item text, p jsonb) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
-- One page of a list as {items, pagination}.  source, cond, keys and item are
-- SQL fragments written by the api functions; cond refers to the values in
-- args as $1..$n, so the statement's text depends on the request's shape only
-- and keycard.api_read keeps its plan.  The sort key (keys, compared as text
-- in "C" collation, all in one direction) must be unique.  Keyset paging:
-- after = strictly past that item, before = strictly ahead of it.  One
-- statement reads the page and one row beyond its far end, probes the near
-- end when a cursor was given, and writes the answer with its cursors.  (Only
-- simple expressions here: PL/pgSQL would plan a subquery anew on every call.)
DECLARE
	is_desc boolean := p ->> 'order' = 'desc';
	backward boolean := p ->> 'before' IS NOT NULL;
	cur text[];
	n integer := coalesce(cardinality(args), 0);
	-- (the limit is written into the statement: the planner needs its value to
	-- prefer the key's index to a sort, and there are only 100 of them)
	lim text := coalesce((p ->> 'limit')::integer, 50)::text;
	keyrow text := '(' || array_to_string(keys, ', ') || ')';
	-- fwd_op: how an item later in display order compares with an earlier one.
	fwd_op text := CASE WHEN is_desc THEN '<' ELSE '>' END;
	back_op text := CASE WHEN is_desc THEN '>' ELSE '<' END;
	ord text;
	past text;
	near text;
	-- The page's rows are numbered from the cursor on: row 1 is the near end.
	more text := 'ends.more';
	probe text := 'false';
	far_cursor text := format('keycard.api_cursor($%s, ends.far_k)', n + 1);
	near_cursor text := format('keycard.api_cursor($%s, ends.near_k)', n + 1);
BEGIN
	FOR i IN 1 .. cardinality(keys) LOOP
		ord := concat_ws(', ', ord, keys[i] || CASE WHEN is_desc <> backward THEN ' DESC' ELSE ' ASC' END);
		past := concat_ws(', ', past, format('($%s::text[])[%s]', n + 2, i));
		near := concat_ws(', ', near, format('ends.near_k[%s]', i));
	END LOOP;
	IF p ->> 'after' IS NOT NULL OR backward THEN
		cur := keycard.api_cursor_key(coalesce(p ->> 'after', p ->> 'before'), p ->> 'sort', cardinality(keys));
		past := format(' AND %s %s (%s)', keyrow, CASE WHEN backward THEN back_op ELSE fwd_op END, past);
		-- anything before the first item (after) or after the last one (before)?
		probe := format('ends.near_k IS NOT NULL AND EXISTS (SELECT 1 FROM %s WHERE %s AND %s %s (%s))', source, cond, keyrow,
						CASE WHEN backward THEN fwd_op ELSE back_op END, near);
	ELSE
		past := '';
	END IF;
	RETURN keycard.api_read(format(
		'WITH page AS MATERIALIZED (SELECT %1$s AS i, ARRAY[%2$s]::text[] AS k, row_number() OVER (ORDER BY %3$s) AS n '
		'FROM %4$s WHERE %5$s%6$s ORDER BY %3$s LIMIT %7$s + 1), '
		'ends AS (SELECT c.count > %7$s AS more, (SELECT page.k FROM page WHERE page.n = 1) AS near_k, '
		'(SELECT page.k FROM page WHERE page.n = least(c.count, %7$s)) AS far_k FROM (SELECT count(*) FROM page) c) '
		'SELECT jsonb_build_object(''items'', coalesce((SELECT jsonb_agg(page.i ORDER BY page.n %8$s) FROM page WHERE page.n <= %7$s), ''[]''), '
		'''pagination'', jsonb_build_object(''after_cursor'', CASE WHEN %9$s THEN %10$s END, '
		'''before_cursor'', CASE WHEN %11$s THEN %12$s END)%13$s) FROM ends',
		item, array_to_string(keys, ', '), ord, source, cond, past, lim,
		CASE WHEN backward THEN 'DESC' ELSE 'ASC' END,
		CASE WHEN backward THEN probe ELSE more END, CASE WHEN backward THEN near_cursor ELSE far_cursor END,
		CASE WHEN backward THEN more ELSE probe END, CASE WHEN backward THEN far_cursor ELSE near_cursor END,
		CASE WHEN (p ->> 'total')::boolean
			 THEN format(' || jsonb_build_object(''total_count'', (SELECT count(*) FROM %s WHERE %s))', source, cond) ELSE '' END),
		coalesce(args, '{}') || ARRAY[p ->> 'sort', cur::text]);
END
$$;
COMMENT ON FUNCTION keycard.api_page(text, text, text[], text[], text, jsonb) IS
	'One keyset-paginated page {items, pagination: {after_cursor, before_cursor, total_count?}} (internal to the api functions)';

CREATE FUNCTION keycard.api_body(body jsonb, required text[], optional text[]) RETURNS jsonb
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	k text;
BEGIN
	IF body IS NULL OR jsonb_typeof(body) <> 'object' THEN
		PERFORM keycard.raise_error('invalid_request', 'the request body must be a JSON object', NULL, NULL);
	END IF;
	FOR k IN SELECT jsonb_object_keys(body) LOOP
		IF NOT (k = ANY (required) OR k = ANY (optional)) THEN
			PERFORM keycard.raise_error('invalid_request', format('unknown field "%s"', k),
				format('Accepted fields: %s.', array_to_string(required || optional, ', ')), NULL);
		END IF;
	END LOOP;
	FOREACH k IN ARRAY required LOOP
		IF NOT body ? k OR jsonb_typeof(body -> k) = 'null' THEN
			PERFORM keycard.raise_error('invalid_request', format('%s is required', k), NULL, NULL);
		END IF;
	END LOOP;
	RETURN body;
END
$$;
COMMENT ON FUNCTION keycard.api_body(jsonb, text[], text[]) IS
	'Checks a request body: a JSON object with the required fields and no unknown ones';

CREATE FUNCTION keycard.api_string(body jsonb, name text) RETURNS text
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF jsonb_typeof(body -> name) NOT IN ('string', 'null') THEN
		PERFORM keycard.raise_error('invalid_request', format('%s must be a string', name), NULL, NULL);
	END IF;
	RETURN body ->> name;
END
$$;
COMMENT ON FUNCTION keycard.api_string(jsonb, text) IS 'A string (or null/absent) field of a request body';

-- Pre-request ----------------------------------------------------------------------

-- PostgREST's db-pre-request: runs before every request, as the request's role
-- (in C, src/api_request.c: it runs on every request).
CREATE FUNCTION api.check_request() RETURNS void
	AS 'MODULE_PATHNAME', 'keycard_api_check_request'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION api.check_request() IS
	'PostgREST db-pre-request: X-API-Version among keycard.api_versions(), X-Client-Request-ID a UUID, anonymous callers only at JWKS, rotation for the platform only';

-- Views: the wire shapes ---------------------------------------------------------------

CREATE VIEW api.policy_schemas WITH (security_invoker = true) AS
SELECT s.zone_id, s.version, s.status, keycard.api_time(s.created_at) AS created_at,
	   keycard.api_time(s.updated_at) AS updated_at, keycard.api_time(s.archived_at) AS archived_at,
	   keycard.api_time(s.deprecated_at) AS deprecated_at, s.cedar_schema, s.cedar_schema_json, s.is_default
FROM keycard.zone_schema_versions s;
COMMENT ON VIEW api.policy_schemas IS 'SchemaVersionWithZoneInfo per zone (zone_id is not part of the wire shape)';

CREATE VIEW api.policies WITH (security_invoker = true) AS
SELECT p.policy_id AS id, p.zone_id, p.name, p.description, p.owner_type,
	   keycard.api_time(p.created_at) AS created_at, p.created_by,
	   keycard.api_time(p.updated_at) AS updated_at, p.updated_by,
	   keycard.api_time(p.archived_at) AS archived_at,
	   p.latest_version, p.latest_version_id, p.latest_schema_version
FROM keycard.policies p;
COMMENT ON VIEW api.policies IS 'Policy, as the API returns it';

CREATE VIEW api.policy_versions WITH (security_invoker = true) AS
SELECT v.version_id AS id, v.zone_id, v.policy_id, v.version, v.schema_version, v.sha, v.owner_type,
	   keycard.api_time(v.created_at) AS created_at, v.created_by,
	   keycard.api_time(v.archived_at) AS archived_at, v.archived_by,
	   v.cedar_json, v.cedar_raw
FROM keycard.policy_versions v;
COMMENT ON VIEW api.policy_versions IS 'PolicyVersion, as the API returns it (both representations)';

CREATE VIEW api.policy_sets WITH (security_invoker = true) AS
SELECT s.policy_set_id AS id, s.zone_id, s.name, s.owner_type, s.scope_type,
	   keycard.api_time(s.created_at) AS created_at, s.created_by,
	   keycard.api_time(s.updated_at) AS updated_at, s.updated_by,
	   keycard.api_time(s.archived_at) AS archived_at,
	   s.latest_version, s.latest_version_id,
	   s.active, s.active_version, s.active_version_id, s.mode, s.scope_target_id,
	   s.shadow_version, s.shadow_version_id
FROM keycard.policy_sets_with_binding s;
COMMENT ON VIEW api.policy_sets IS 'PolicySetWithBinding, as the API returns it';

CREATE VIEW api.policy_set_versions WITH (security_invoker = true) AS
SELECT v.version_id AS id, v.zone_id, v.policy_set_id, v.version, v.schema_version, v.manifest, v.manifest_sha,
	   v.owner_type, keycard.api_time(v.created_at) AS created_at, v.created_by, v.active,
	   keycard.api_time(v.archived_at) AS archived_at, v.archived_by, a.statement AS attestation
FROM keycard.policy_set_versions_with_binding v
LEFT JOIN LATERAL (SELECT x.statement FROM keycard.attestations x
				   WHERE x.zone_id = v.zone_id AND x.version_id = v.version_id
				   ORDER BY x.attestation_id DESC LIMIT 1) a ON true;
COMMENT ON VIEW api.policy_set_versions IS
	'PolicySetVersion, as the API returns it, with its current attestation statement (zone_id is not part of the wire shape)';

-- Wire objects from registry rows ---------------------------------------------------
-- The single-object endpoints shape the row the registry function returned
-- (no second lookup, no per-call planning); these functions and the views
-- above describe the same shapes, which test/suites/60-http-api and the
-- api_http regress test compare row by row.

CREATE FUNCTION keycard.api_policy_json(p keycard.policies) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	AS $$
BEGIN
	RETURN pg_catalog.jsonb_build_object(
		'id', p.policy_id, 'zone_id', p.zone_id, 'name', p.name, 'description', p.description,
		'owner_type', p.owner_type, 'created_at', keycard.api_time(p.created_at), 'created_by', p.created_by,
		'updated_at', keycard.api_time(p.updated_at), 'updated_by', p.updated_by,
		'archived_at', keycard.api_time(p.archived_at), 'latest_version', p.latest_version,
		'latest_version_id', p.latest_version_id, 'latest_schema_version', p.latest_schema_version);
END
$$;
COMMENT ON FUNCTION keycard.api_policy_json(keycard.policies) IS 'Policy wire object of a policies row (as api.policies)';

CREATE FUNCTION keycard.api_policy_version_json(v keycard.policy_versions, format text) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	AS $$
BEGIN
	RETURN pg_catalog.jsonb_build_object(
		'id', v.version_id, 'zone_id', v.zone_id, 'policy_id', v.policy_id, 'version', v.version,
		'schema_version', v.schema_version, 'sha', v.sha, 'owner_type', v.owner_type,
		'created_at', keycard.api_time(v.created_at), 'created_by', v.created_by,
		'archived_at', keycard.api_time(v.archived_at), 'archived_by', v.archived_by,
		'cedar_json', CASE WHEN format IS DISTINCT FROM 'cedar' THEN v.cedar_json END,
		'cedar_raw', CASE WHEN format IS DISTINCT FROM 'json' THEN v.cedar_raw END);
END
$$;
COMMENT ON FUNCTION keycard.api_policy_version_json(keycard.policy_versions, text) IS
	'PolicyVersion wire object of a policy_versions row (as api.policy_versions); format json or cedar nulls the other form';

CREATE FUNCTION keycard.api_policy_set_json(s keycard.policy_sets_with_binding) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	AS $$
BEGIN
	RETURN pg_catalog.jsonb_build_object(
		'id', s.policy_set_id, 'zone_id', s.zone_id, 'name', s.name, 'owner_type', s.owner_type,
		'scope_type', s.scope_type, 'created_at', keycard.api_time(s.created_at), 'created_by', s.created_by,
		'updated_at', keycard.api_time(s.updated_at), 'updated_by', s.updated_by,
		'archived_at', keycard.api_time(s.archived_at), 'latest_version', s.latest_version,
		'latest_version_id', s.latest_version_id,
		'active', s.active, 'active_version', s.active_version, 'active_version_id', s.active_version_id,
		'mode', s.mode, 'scope_target_id', s.scope_target_id, 'shadow_version', s.shadow_version,
		'shadow_version_id', s.shadow_version_id);
END
$$;
COMMENT ON FUNCTION keycard.api_policy_set_json(keycard.policy_sets_with_binding) IS
	'PolicySetWithBinding wire object of a policy_sets_with_binding row (as api.policy_sets)';

CREATE FUNCTION keycard.api_policy_set_version_json(v keycard.policy_set_versions) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	AS $$
DECLARE
	statement jsonb;
	active boolean;
BEGIN
	SELECT x.statement INTO statement FROM keycard.attestations x
	WHERE x.zone_id = v.zone_id AND x.version_id = v.version_id
	ORDER BY x.attestation_id DESC LIMIT 1;
	SELECT b.active INTO active FROM keycard.policy_set_versions_with_binding b
	WHERE b.zone_id = v.zone_id AND b.version_id = v.version_id;
	RETURN jsonb_build_object(
		'id', v.version_id, 'policy_set_id', v.policy_set_id, 'version', v.version,
		'schema_version', v.schema_version, 'manifest', v.manifest, 'manifest_sha', v.manifest_sha,
		'owner_type', v.owner_type, 'created_at', keycard.api_time(v.created_at), 'created_by', v.created_by,
		'active', coalesce(active, false), 'archived_at', keycard.api_time(v.archived_at), 'archived_by', v.archived_by,
		'attestation', statement);
END
$$;
COMMENT ON FUNCTION keycard.api_policy_set_version_json(keycard.policy_set_versions) IS
	'PolicySetVersion wire object of a policy_set_versions row with its current attestation statement (as api.policy_set_versions)';

CREATE FUNCTION keycard.api_policy_schema(zone_id text, version text, format text) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	r jsonb;
BEGIN
	SELECT (to_jsonb(v) - 'zone_id')
		   || CASE WHEN format = 'cedar' THEN '{"cedar_schema_json": null}'::jsonb ELSE '{"cedar_schema": null}'::jsonb END
	INTO r
	FROM api.policy_schemas v
	WHERE v.zone_id = api_policy_schema.zone_id AND v.version = api_policy_schema.version;
	RETURN r;
END
$$;
COMMENT ON FUNCTION keycard.api_policy_schema(text, text, text) IS
	'SchemaVersionWithZoneInfo wire object, or NULL; format cedar or json (the default) nulls the other form';

-- Policy schemas (#1-#3) ---------------------------------------------------------------------

CREATE FUNCTION api.get_policy_schema(zone_id text, version text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
	r jsonb;
	fmt text;
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['format']);
	-- (read as in get_policy; the errors in their order: zone, format, version)
	r := keycard.api_read('SELECT to_jsonb(v) - ''zone_id'' FROM api.policy_schemas v '
						  'WHERE v.zone_id = $1 AND v.version = $2 AND keycard.zone_visible($1)', ARRAY[zone_id, version]);
	IF r IS NULL THEN
		PERFORM keycard.require_zone(zone_id);
	END IF;
	fmt := keycard.api_format(q, 'json');
	IF r IS NULL THEN
		PERFORM keycard.raise_error('not_found', format('schema version "%s" not found', version), NULL, NULL);
	END IF;
	-- as keycard.api_policy_schema: the other form null
	RETURN r || CASE WHEN fmt = 'cedar' THEN '{"cedar_schema_json": null}'::jsonb ELSE '{"cedar_schema": null}'::jsonb END;
END
$$;
COMMENT ON FUNCTION api.get_policy_schema(text, text) IS
	'GET /zones/{zone_id}/policy-schemas/{version} (?format=json|cedar, default json)';

CREATE FUNCTION api.list_policy_schemas(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
	p jsonb;
	dflt boolean;
	fmt text;
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['after', 'before', 'limit', 'order', 'sort', 'expand', 'expand[]',
											'format', 'filter[default]', 'is_default']);
	p := keycard.api_list_params(q, ARRAY['created_at']);
	dflt := keycard.api_bool_filter(q, 'filter[default]', 'is_default');
	fmt := keycard.api_format(q, 'json');
	PERFORM keycard.require_zone(zone_id);
	RETURN keycard.api_page('api.policy_schemas v',
		'v.zone_id = $1' || CASE WHEN dflt IS NOT NULL THEN ' AND v.is_default = $2::boolean' ELSE '' END,
		ARRAY[zone_id, dflt::text], ARRAY['v.created_at', 'v.version'],
		format('(to_jsonb(v) - ''zone_id'') || %L::jsonb',
			   CASE WHEN fmt = 'cedar' THEN '{"cedar_schema_json": null}' ELSE '{"cedar_schema": null}' END),
		p);
END
$$;
COMMENT ON FUNCTION api.list_policy_schemas(text) IS
	'GET /zones/{zone_id}/policy-schemas (list parameters, filter[default] / is_default, format)';

CREATE FUNCTION api.set_default_policy_schema(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
-- The body is untyped and optional in the documented API, so it is ignored.
DECLARE
	zone text := keycard.api_path_param('zone-id');
	version text := keycard.api_path_param('schema-version');
BEGIN
	PERFORM keycard.set_default_schema_version(zone, version);
	RETURN keycard.api_policy_schema(zone, version, 'json');
END
$$;
COMMENT ON FUNCTION api.set_default_policy_schema(jsonb) IS
	'PATCH /zones/{zone_id}/policy-schemas/{version}: makes it the zone''s default schema version';

-- Policies (#4-#8) ---------------------------------------------------------------------------

CREATE FUNCTION api.create_policy(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	body jsonb := keycard.api_body($1, ARRAY['name'], ARRAY['description']);
	p keycard.policies;
BEGIN
	IF jsonb_typeof(body -> 'name') <> 'string' THEN
		PERFORM keycard.raise_error('invalid_request', 'name must be a string', NULL, NULL);
	END IF;
	p := keycard.create_policy(zone, body ->> 'name', keycard.api_string(body, 'description'));
	PERFORM keycard.api_created();
	PERFORM keycard.api_add_header('ETag', p.etag);
	RETURN keycard.api_policy_json(p);
END
$$;
COMMENT ON FUNCTION api.create_policy(jsonb) IS 'POST /zones/{zone_id}/policies {name, description?}: 201 with ETag';

CREATE FUNCTION api.get_policy(zone_id text, policy_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	r jsonb;
	p keycard.policies;
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	-- The row as the caller reads it (row-level security, and the zone check of
	-- keycard.get_policy) through a plan kept per role (keycard.api_read:
	-- PostgREST serves several roles on one connection); keycard.get_policy, a
	-- security definer, only for the error.
	r := keycard.api_read('SELECT jsonb_build_array(x.etag, keycard.api_policy_json(x)) FROM keycard.policies x '
						  'WHERE x.zone_id = $1 AND x.policy_id = $2 AND keycard.zone_visible($1)', ARRAY[zone_id, policy_id]);
	IF r IS NULL THEN
		p := keycard.get_policy(zone_id, policy_id);
		r := jsonb_build_array(p.etag, keycard.api_policy_json(p));
	END IF;
	PERFORM keycard.api_add_header('ETag', r ->> 0);
	RETURN r -> 1;
END
$$;
COMMENT ON FUNCTION api.get_policy(text, text) IS 'GET /zones/{zone_id}/policies/{policy_id}, with ETag';

CREATE FUNCTION api.update_policy(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	id text := keycard.api_path_param('policy-id');
	p keycard.policies;
BEGIN
	PERFORM keycard.api_body($1, '{}', ARRAY['name', 'description']);
	p := keycard.update_policy(zone, id, $1, nullif(keycard.api_header('if-match'), ''));
	PERFORM keycard.api_add_header('ETag', p.etag);
	RETURN keycard.api_policy_json(p);
END
$$;
COMMENT ON FUNCTION api.update_policy(jsonb) IS
	'PATCH /zones/{zone_id}/policies/{policy_id} {name?, description?} with optional If-Match (412 when stale)';

CREATE FUNCTION api.list_policies(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
	p jsonb;
	ids text[];
	owners text[];
	cond text;
	args text[];
	pat text[];
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['after', 'before', 'limit', 'order', 'sort', 'expand', 'expand[]',
											'filter[id]', 'filter[owner_type]', 'query', 'query[]', 'query[name]',
											'query[description]']);
	p := keycard.api_list_params(q, ARRAY['created_at']);
	IF q ? 'filter[id]' THEN
		ids := ARRAY(SELECT jsonb_array_elements_text(q -> 'filter[id]'));
		IF cardinality(ids) > 100 THEN
			PERFORM keycard.raise_error('invalid_filter', 'filter[id] takes at most 100 ids',
				format('Got %s.', cardinality(ids)), 'Split the ids over several requests.');
		END IF;
		IF p ->> 'after' IS NOT NULL OR p ->> 'before' IS NOT NULL THEN
			PERFORM keycard.raise_error('invalid_filter', 'filter[id] cannot be combined with a cursor', NULL,
				'All matching ids fit on one page; drop after/before.');
		END IF;
		IF p ->> 'limit' IS NULL THEN
			p := p || jsonb_build_object('limit', greatest(cardinality(ids), 1));
		END IF;
	END IF;
	owners := keycard.api_enum_filter(q, 'filter[owner_type]', ARRAY['platform', 'customer']);
	PERFORM keycard.require_zone(zone_id);
	-- the values travel as parameters $n (args[n]): the statement's text stays the same
	cond := 'v.zone_id = $1';
	args := ARRAY[zone_id];
	IF ids IS NOT NULL THEN
		args := args || ids::text;
		cond := cond || format(' AND v.id = ANY ($%s::text[])', cardinality(args));
	END IF;
	IF owners IS NOT NULL THEN
		args := args || owners::text;
		cond := cond || format(' AND v.owner_type = ANY ($%s::text[])', cardinality(args));
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query', 'query[]']);
	IF pat IS NOT NULL THEN
		args := args || pat::text;
		cond := cond || format(' AND (lower(v.name COLLATE "und-x-icu") LIKE ANY ($%1$s::text[]) OR lower(v.description COLLATE "und-x-icu") LIKE ANY ($%1$s::text[]))', cardinality(args));
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query[name]']);
	IF pat IS NOT NULL THEN
		args := args || pat::text;
		cond := cond || format(' AND lower(v.name COLLATE "und-x-icu") LIKE ANY ($%s::text[])', cardinality(args));
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query[description]']);
	IF pat IS NOT NULL THEN
		args := args || pat::text;
		cond := cond || format(' AND lower(v.description COLLATE "und-x-icu") LIKE ANY ($%s::text[])', cardinality(args));
	END IF;
	RETURN keycard.api_page('api.policies v', cond, args, ARRAY['v.id'], 'to_jsonb(v)', p);
END
$$;
COMMENT ON FUNCTION api.list_policies(text) IS
	'GET /zones/{zone_id}/policies (list parameters, filter[id], filter[owner_type], query, query[name], query[description])';

CREATE FUNCTION api.archive_policy() RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	id text := keycard.api_path_param('policy-id');
	p keycard.policies;
BEGIN
	p := keycard.archive_policy(zone, id);
	PERFORM keycard.api_add_header('ETag', p.etag);
	RETURN keycard.api_policy_json(p);
END
$$;
COMMENT ON FUNCTION api.archive_policy() IS 'DELETE /zones/{zone_id}/policies/{policy_id}: archives the policy';

-- Policy versions (#9-#12) ---------------------------------------------------------------------

CREATE FUNCTION api.create_policy_version(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	pid text := keycard.api_path_param('policy-id');
	body jsonb := keycard.api_body($1, ARRAY['schema_version'], ARRAY['cedar_json', 'cedar_raw']);
	v keycard.policy_versions;
BEGIN
	IF jsonb_typeof(body -> 'schema_version') <> 'string' THEN
		PERFORM keycard.raise_error('invalid_request', 'schema_version must be a string', NULL, NULL);
	END IF;
	v := keycard.create_policy_version(zone, pid, body ->> 'schema_version',
		nullif(body -> 'cedar_json', 'null'::jsonb), keycard.api_string(body, 'cedar_raw'));
	PERFORM keycard.api_created();
	RETURN keycard.api_policy_version_json(v, NULL);
END
$$;
COMMENT ON FUNCTION api.create_policy_version(jsonb) IS
	'POST /zones/{zone_id}/policies/{policy_id}/versions {schema_version, cedar_json | cedar_raw}: 201';

CREATE FUNCTION api.get_policy_version(zone_id text, policy_id text, version_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
	r jsonb;
	fmt text;
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['format']);
	-- (read as in get_policy; the format checked after the lookup, as ever)
	r := keycard.api_read('SELECT keycard.api_policy_version_json(x, NULL) FROM keycard.policy_versions x '
						  'WHERE x.zone_id = $1 AND x.version_id = $3 AND x.policy_id = $2 AND keycard.zone_visible($1)',
						  ARRAY[zone_id, policy_id, version_id]);
	IF r IS NULL THEN
		r := keycard.api_policy_version_json(keycard.get_policy_version(zone_id, policy_id, version_id), NULL);
	END IF;
	fmt := keycard.api_format(q, NULL);
	-- as keycard.api_policy_version_json(v, fmt): the other form null
	RETURN CASE fmt WHEN 'json' THEN r || '{"cedar_raw": null}' WHEN 'cedar' THEN r || '{"cedar_json": null}' ELSE r END;
END
$$;
COMMENT ON FUNCTION api.get_policy_version(text, text, text) IS
	'GET /zones/{zone_id}/policies/{policy_id}/versions/{version_id} (?format=json|cedar; both by default)';

CREATE FUNCTION api.list_policy_versions(zone_id text, policy_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
	p jsonb;
	fmt text;
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['after', 'before', 'limit', 'order', 'sort', 'expand', 'expand[]', 'format']);
	p := keycard.api_list_params(q, ARRAY['created_at']);
	fmt := keycard.api_format(q, NULL);
	-- (the policy read as in get_policy)
	IF keycard.api_read('SELECT ''true''::jsonb FROM keycard.policies x '
						'WHERE x.zone_id = $1 AND x.policy_id = $2 AND keycard.zone_visible($1)', ARRAY[zone_id, policy_id]) IS NULL THEN
		PERFORM keycard.get_policy(zone_id, policy_id);
	END IF;
	RETURN keycard.api_page('api.policy_versions v', 'v.zone_id = $1 AND v.policy_id = $2', ARRAY[zone_id, policy_id],
		ARRAY['v.id'],
		format('to_jsonb(v) || %L::jsonb', CASE fmt WHEN 'json' THEN '{"cedar_raw": null}'
													 WHEN 'cedar' THEN '{"cedar_json": null}' ELSE '{}' END),
		p);
END
$$;
COMMENT ON FUNCTION api.list_policy_versions(text, text) IS
	'GET /zones/{zone_id}/policies/{policy_id}/versions (list parameters, format)';

CREATE FUNCTION api.archive_policy_version() RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	v keycard.policy_versions;
BEGIN
	v := keycard.archive_policy_version(zone, keycard.api_path_param('policy-id'), keycard.api_path_param('version-id'));
	RETURN keycard.api_policy_version_json(v, NULL);
END
$$;
COMMENT ON FUNCTION api.archive_policy_version() IS
	'DELETE /zones/{zone_id}/policies/{policy_id}/versions/{version_id}: archives the version';

-- Policy sets (#13-#17) -------------------------------------------------------------------------

CREATE FUNCTION api.create_policy_set(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	body jsonb := keycard.api_body($1, ARRAY['name'], ARRAY['scope_type']);
	s keycard.policy_sets;
BEGIN
	IF jsonb_typeof(body -> 'name') <> 'string' THEN
		PERFORM keycard.raise_error('invalid_request', 'name must be a string', NULL, NULL);
	END IF;
	s := keycard.create_policy_set(zone, body ->> 'name', coalesce(keycard.api_string(body, 'scope_type'), 'zone'));
	PERFORM keycard.api_created();
	PERFORM keycard.api_add_header('ETag', keycard.policy_set_etag(s.zone_id, s.policy_set_id, s.revision));
	RETURN keycard.api_policy_set_json(keycard.get_policy_set_with_binding(zone, s.policy_set_id));
END
$$;
COMMENT ON FUNCTION api.create_policy_set(jsonb) IS
	'POST /zones/{zone_id}/policy-sets {name, scope_type? (default zone)}: 201 with ETag; the set starts unbound';

CREATE FUNCTION api.get_policy_set(zone_id text, policy_set_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	r jsonb;
	s keycard.policy_sets_with_binding;
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	-- (read as in get_policy)
	r := keycard.api_read('SELECT jsonb_build_array(keycard.policy_set_etag(x.zone_id, x.policy_set_id, x.revision), '
						  'keycard.api_policy_set_json(x)) FROM keycard.policy_sets_with_binding x '
						  'WHERE x.zone_id = $1 AND x.policy_set_id = $2 AND keycard.zone_visible($1)', ARRAY[zone_id, policy_set_id]);
	IF r IS NULL THEN
		s := keycard.get_policy_set_with_binding(zone_id, policy_set_id);
		r := jsonb_build_array(keycard.policy_set_etag(s.zone_id, s.policy_set_id, s.revision), keycard.api_policy_set_json(s));
	END IF;
	PERFORM keycard.api_add_header('ETag', r ->> 0);
	RETURN r -> 1;
END
$$;
COMMENT ON FUNCTION api.get_policy_set(text, text) IS 'GET /zones/{zone_id}/policy-sets/{policy_set_id}, with ETag';

CREATE FUNCTION api.update_policy_set(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	id text := keycard.api_path_param('policy-set-id');
	s keycard.policy_sets;
BEGIN
	PERFORM keycard.api_body($1, '{}', ARRAY['name']);
	s := keycard.update_policy_set(zone, id, $1, nullif(keycard.api_header('if-match'), ''));
	PERFORM keycard.api_add_header('ETag', keycard.policy_set_etag(s.zone_id, s.policy_set_id, s.revision));
	RETURN keycard.api_policy_set_json(keycard.get_policy_set_with_binding(zone, id));
END
$$;
COMMENT ON FUNCTION api.update_policy_set(jsonb) IS
	'PATCH /zones/{zone_id}/policy-sets/{policy_set_id} {name?} with optional If-Match (412 when stale)';

CREATE FUNCTION api.list_policy_sets(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
	p jsonb;
	active boolean;
	owners text[];
	scopes text[];
	cond text;
	args text[];
	pat text[];
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['after', 'before', 'limit', 'order', 'sort', 'expand', 'expand[]',
											'filter[active]', 'active', 'filter[owner_type]', 'filter[scope_type]',
											'query', 'query[]', 'query[name]']);
	p := keycard.api_list_params(q, ARRAY['created_at', 'status']);
	IF p ->> 'sort' = 'status' AND (p ->> 'order' = 'asc' OR p ->> 'before' IS NOT NULL) THEN
		PERFORM keycard.raise_error('invalid_request', 'sort=status pages forward in descending order only',
			CASE WHEN p ->> 'order' = 'asc' THEN 'order=asc was given.' ELSE 'A before cursor was given.' END,
			'Drop order=asc and before, or sort by created_at.');
	END IF;
	active := keycard.api_bool_filter(q, 'filter[active]', 'active');
	owners := keycard.api_enum_filter(q, 'filter[owner_type]', ARRAY['platform', 'customer']);
	scopes := keycard.api_enum_filter(q, 'filter[scope_type]', ARRAY['zone', 'resource', 'user', 'session']);
	PERFORM keycard.require_zone(zone_id);
	-- the values travel as parameters $n (args[n]): the statement's text stays the same
	cond := 'v.zone_id = $1';
	args := ARRAY[zone_id];
	IF active IS NOT NULL THEN
		args := args || active::text;
		cond := cond || format(' AND v.active = $%s::boolean', cardinality(args));
	END IF;
	IF owners IS NOT NULL THEN
		args := args || owners::text;
		cond := cond || format(' AND v.owner_type = ANY ($%s::text[])', cardinality(args));
	END IF;
	IF scopes IS NOT NULL THEN
		args := args || scopes::text;
		cond := cond || format(' AND v.scope_type = ANY ($%s::text[])', cardinality(args));
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query', 'query[]', 'query[name]']);
	IF pat IS NOT NULL THEN
		args := args || pat::text;
		cond := cond || format(' AND lower(v.name COLLATE "und-x-icu") LIKE ANY ($%s::text[])', cardinality(args));
	END IF;
	RETURN keycard.api_page('api.policy_sets v', cond, args,
		CASE WHEN p ->> 'sort' = 'status' THEN ARRAY['v.active::text', 'v.id'] ELSE ARRAY['v.id'] END,
		'to_jsonb(v)', p);
END
$$;
COMMENT ON FUNCTION api.list_policy_sets(text) IS
	'GET /zones/{zone_id}/policy-sets (list parameters with sort=created_at|status, filter[active] / active, filter[owner_type], filter[scope_type], query, query[name])';

CREATE FUNCTION api.archive_policy_set() RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	id text := keycard.api_path_param('policy-set-id');
	s keycard.policy_sets;
BEGIN
	s := keycard.archive_policy_set(zone, id, nullif(keycard.api_header('if-match'), ''));
	PERFORM keycard.api_add_header('ETag', keycard.policy_set_etag(s.zone_id, s.policy_set_id, s.revision));
	RETURN keycard.api_policy_set_json(keycard.get_policy_set_with_binding(zone, id));
END
$$;
COMMENT ON FUNCTION api.archive_policy_set() IS
	'DELETE /zones/{zone_id}/policy-sets/{policy_set_id} with optional If-Match: archives the set';

-- Policy set versions (#18-#23) -----------------------------------------------------------------

CREATE FUNCTION api.create_policy_set_version(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	sid text := keycard.api_path_param('policy-set-id');
	body jsonb := keycard.api_body($1, ARRAY['manifest', 'schema_version'], '{}');
	v keycard.policy_set_versions;
BEGIN
	IF jsonb_typeof(body -> 'schema_version') <> 'string' THEN
		PERFORM keycard.raise_error('invalid_request', 'schema_version must be a string', NULL, NULL);
	END IF;
	v := keycard.create_policy_set_version(zone, sid, body -> 'manifest', body ->> 'schema_version');
	PERFORM keycard.api_created();
	RETURN keycard.api_policy_set_version_json(v);
END
$$;
COMMENT ON FUNCTION api.create_policy_set_version(jsonb) IS
	'POST /zones/{zone_id}/policy-sets/{policy_set_id}/versions {manifest: {entries}, schema_version}: 201, attested';

CREATE FUNCTION api.get_policy_set_version(zone_id text, policy_set_id text, version_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	r jsonb;
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	-- (read as in get_policy, through the view of the same shape as
	-- keycard.api_policy_set_version_json)
	r := keycard.api_read('SELECT to_jsonb(v) - ''zone_id'' FROM api.policy_set_versions v '
						  'WHERE v.zone_id = $1 AND v.id = $3 AND v.policy_set_id = $2 AND keycard.zone_visible($1)',
						  ARRAY[zone_id, policy_set_id, version_id]);
	IF r IS NULL THEN
		r := keycard.api_policy_set_version_json(keycard.get_policy_set_version(zone_id, policy_set_id, version_id));
	END IF;
	RETURN r;
END
$$;
COMMENT ON FUNCTION api.get_policy_set_version(text, text, text) IS
	'GET /zones/{zone_id}/policy-sets/{policy_set_id}/versions/{version_id}';

CREATE FUNCTION api.list_policy_set_versions(zone_id text, policy_set_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
	p jsonb;
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['after', 'before', 'limit', 'order', 'sort', 'expand', 'expand[]']);
	p := keycard.api_list_params(q, ARRAY['created_at']);
	-- (the set read as in get_policy)
	IF keycard.api_read('SELECT ''true''::jsonb FROM keycard.policy_sets x '
						'WHERE x.zone_id = $1 AND x.policy_set_id = $2 AND keycard.zone_visible($1)', ARRAY[zone_id, policy_set_id]) IS NULL THEN
		PERFORM keycard.get_policy_set(zone_id, policy_set_id);
	END IF;
	RETURN keycard.api_page('api.policy_set_versions v', 'v.zone_id = $1 AND v.policy_set_id = $2',
		ARRAY[zone_id, policy_set_id], ARRAY['v.id'],
		'to_jsonb(v) - ''zone_id''', p);
END
$$;
COMMENT ON FUNCTION api.list_policy_set_versions(text, text) IS
	'GET /zones/{zone_id}/policy-sets/{policy_set_id}/versions (list parameters)';

CREATE FUNCTION api.archive_policy_set_version() RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	v keycard.policy_set_versions;
BEGIN
	v := keycard.archive_policy_set_version(zone, keycard.api_path_param('policy-set-id'), keycard.api_path_param('version-id'));
	RETURN keycard.api_policy_set_version_json(v);
END
$$;
COMMENT ON FUNCTION api.archive_policy_set_version() IS
	'DELETE /zones/{zone_id}/policy-sets/{policy_set_id}/versions/{version_id}: archives the version';

CREATE FUNCTION api.list_policy_set_version_policies(zone_id text, policy_set_id text, version_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
	p jsonb;
	fmt text;
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['after', 'before', 'limit', 'order', 'sort', 'expand', 'expand[]', 'format']);
	p := keycard.api_list_params(q, ARRAY['created_at']);
	fmt := keycard.api_format(q, NULL);
	-- (the set version read as in get_policy)
	IF keycard.api_read('SELECT ''true''::jsonb FROM keycard.policy_set_versions x '
						'WHERE x.zone_id = $1 AND x.version_id = $3 AND x.policy_set_id = $2 AND keycard.zone_visible($1)',
						ARRAY[zone_id, policy_set_id, version_id]) IS NULL THEN
		PERFORM keycard.get_policy_set_version(zone_id, policy_set_id, version_id);
	END IF;
	RETURN keycard.api_page('api.policy_versions v',
		'v.zone_id = $1 AND v.id IN (SELECT e.policy_version_id FROM keycard.policy_set_version_entries e '
		'WHERE e.zone_id = $1 AND e.version_id = $2)', ARRAY[zone_id, version_id],
		ARRAY['v.id'],
		format('to_jsonb(v) || %L::jsonb', CASE fmt WHEN 'json' THEN '{"cedar_raw": null}'
													 WHEN 'cedar' THEN '{"cedar_json": null}' ELSE '{}' END),
		p);
END
$$;
COMMENT ON FUNCTION api.list_policy_set_version_policies(text, text, text) IS
	'GET /zones/{zone_id}/policy-sets/{policy_set_id}/versions/{version_id}/policies: the policy versions of the manifest (list parameters, format)';

CREATE FUNCTION api.get_policy_set_version_attestation(zone_id text, policy_set_id text, version_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	jws jsonb;
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	-- (read as in get_policy: the version's row as the caller reads it)
	jws := keycard.api_read('SELECT a.jws FROM keycard.attestations a WHERE a.zone_id = $1 AND a.version_id = $3 '
							'AND keycard.zone_visible($1) AND EXISTS (SELECT 1 FROM keycard.policy_set_versions v '
							'WHERE v.zone_id = a.zone_id AND v.version_id = a.version_id AND v.policy_set_id = $2) '
							'ORDER BY a.attestation_id DESC LIMIT 1', ARRAY[zone_id, policy_set_id, version_id]);
	IF jws IS NULL THEN
		PERFORM keycard.get_policy_set_version(zone_id, policy_set_id, version_id);
	END IF;
	RETURN jws;
END
$$;
COMMENT ON FUNCTION api.get_policy_set_version_attestation(text, text, text) IS
	'GET /zones/{zone_id}/policy-sets/{policy_set_id}/versions/{version_id}/attestation (ours): the current JWS {protected, payload, signature}';

-- Zone keys (ours) ------------------------------------------------------------------------------

CREATE FUNCTION api.zone_jwks(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	RETURN keycard.zone_jwks(zone_id);
END
$$;
COMMENT ON FUNCTION api.zone_jwks(text) IS
	'GET /zones/{zone_id}/.well-known/jwks.json (ours, anonymous): current and retired public keys';

CREATE FUNCTION api.rotate_signing_key(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	body jsonb := keycard.api_body($1, '{}', ARRAY['alg']);
BEGIN
	RETURN keycard.rotate_zone_key(zone, keycard.api_string(body, 'alg'));
END
$$;
COMMENT ON FUNCTION api.rotate_signing_key(jsonb) IS
	'POST /zones/{zone_id}/signing-keys/rotate {alg?} (ours, platform role only): new key, every live set version re-signed';

-- Zone transparency logs (ours) ---------------------------------------------------------------

-- A size or index parameter of the log endpoints: a non-negative integer.
CREATE FUNCTION keycard.api_log_number(q jsonb, name text) RETURNS bigint
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	AS $$
DECLARE
	v text := q -> name ->> 0;
BEGIN
	IF v IS NULL THEN
		PERFORM keycard.raise_error('invalid_request', format('query parameter "%s" is required', name), NULL, NULL);
	ELSIF v !~ '^[0-9]{1,18}$' THEN
		PERFORM keycard.raise_error('invalid_request', format('query parameter "%s" must be a non-negative integer', name),
			format('Got "%s".', left(v, 40)), NULL);
	END IF;
	RETURN v::bigint;
END
$$;
COMMENT ON FUNCTION keycard.api_log_number(jsonb, text) IS
	'A required non-negative integer query parameter of the zone log endpoints';

CREATE FUNCTION api.zone_log_head(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	RETURN keycard.zone_log_head(zone_id);
END
$$;
COMMENT ON FUNCTION api.zone_log_head(text) IS
	'GET /zones/{zone_id}/log/head (ours): the signed tree head, a JWS {protected, payload, signature} of {"type": "zone_log_head", "v": 1, "zone_id", "tree_size", "root_hash", "issued_at"}';

CREATE FUNCTION api.zone_log_entries(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
	first bigint;
	last bigint;
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['start', 'stop']);
	first := keycard.api_log_number(q, 'start');
	last := keycard.api_log_number(q, 'stop');
	RETURN jsonb_build_object('start', first, 'stop', last, 'entries', coalesce((
		SELECT jsonb_agg(jsonb_build_object('leaf_index', e.leaf_index, 'leaf', e.leaf, 'leaf_hash', e.leaf_hash,
											'object_type', e.object_type, 'object_id', e.object_id) ORDER BY e.leaf_index)
		FROM keycard.zone_log_entries(zone_id, first, last) e), '[]'));
END
$$;
COMMENT ON FUNCTION api.zone_log_entries(text) IS
	'GET /zones/{zone_id}/log/entries?start=&stop= (ours): leaves start <= leaf_index < stop (at most 1000), each with its exact canonical text and hex leaf hash';

CREATE FUNCTION api.zone_log_inclusion_proof(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['leaf_index', 'tree_size']);
	RETURN keycard.zone_log_inclusion_proof(zone_id, keycard.api_log_number(q, 'leaf_index'),
											keycard.api_log_number(q, 'tree_size'));
END
$$;
COMMENT ON FUNCTION api.zone_log_inclusion_proof(text) IS
	'GET /zones/{zone_id}/log/proof/inclusion?leaf_index=&tree_size= (ours): RFC 9162 inclusion proof (hex)';

CREATE FUNCTION api.zone_log_consistency_proof(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['first_size', 'second_size']);
	RETURN keycard.zone_log_consistency_proof(zone_id, keycard.api_log_number(q, 'first_size'),
											  keycard.api_log_number(q, 'second_size'));
END
$$;
COMMENT ON FUNCTION api.zone_log_consistency_proof(text) IS
	'GET /zones/{zone_id}/log/proof/consistency?first_size=&second_size= (ours): RFC 9162 consistency proof (hex)';

-- Grants -----------------------------------------------------------------------------------------

-- Functions are executable by PUBLIC by default; the API grants them by role.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC;
GRANT USAGE ON SCHEMA api TO keycard_anon, keycard_api, keycard_platform;
GRANT EXECUTE ON FUNCTION api.check_request(), api.zone_jwks(text) TO keycard_anon, keycard_api, keycard_platform;
GRANT EXECUTE ON FUNCTION
	api.get_policy_schema(text, text), api.list_policy_schemas(text), api.set_default_policy_schema(jsonb),
	api.create_policy(jsonb), api.get_policy(text, text), api.update_policy(jsonb), api.list_policies(text),
	api.archive_policy(),
	api.create_policy_version(jsonb), api.get_policy_version(text, text, text), api.list_policy_versions(text, text),
	api.archive_policy_version(),
	api.create_policy_set(jsonb), api.get_policy_set(text, text), api.update_policy_set(jsonb),
	api.list_policy_sets(text), api.archive_policy_set(),
	api.create_policy_set_version(jsonb), api.get_policy_set_version(text, text, text),
	api.list_policy_set_versions(text, text), api.archive_policy_set_version(),
	api.list_policy_set_version_policies(text, text, text), api.get_policy_set_version_attestation(text, text, text)
	TO keycard_api, keycard_platform;
GRANT EXECUTE ON FUNCTION api.rotate_signing_key(jsonb) TO keycard_platform;
GRANT EXECUTE ON FUNCTION api.zone_log_head(text), api.zone_log_entries(text), api.zone_log_inclusion_proof(text),
	api.zone_log_consistency_proof(text) TO keycard_api, keycard_platform;
GRANT SELECT ON api.policy_schemas, api.policies, api.policy_versions, api.policy_sets, api.policy_set_versions
	TO keycard_api, keycard_platform;
-- Bindings (#20) and drafts (ours) ------------------------------------------------------------

CREATE FUNCTION api.update_policy_set_version(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	zone text := keycard.api_path_param('zone-id');
	v keycard.policy_set_versions_with_binding;
BEGIN
	PERFORM keycard.api_body($1, '{}', ARRAY['active', 'mode', 'scope_target_id']);
	v := keycard.update_policy_set_version(zone, keycard.api_path_param('policy-set-id'),
		keycard.api_path_param('version-id'), $1);
	RETURN keycard.api_policy_set_version_json(keycard.get_policy_set_version(zone, v.policy_set_id, v.version_id));
END
$$;
COMMENT ON FUNCTION api.update_policy_set_version(jsonb) IS
	'PATCH /zones/{zone_id}/policy-sets/{policy_set_id}/versions/{version_id}: {"active": true} activates (or promotes the shadow), {"mode": "shadow"} binds as shadow (ours); {"active": false} is a 400';

CREATE FUNCTION keycard.api_policy_draft_json(d keycard.policy_drafts, format text) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	AS $$
BEGIN
	RETURN pg_catalog.jsonb_build_object(
		'policy_id', d.policy_id, 'schema_version', d.schema_version, 'base_version_id', d.base_version_id,
		'cedar_json', CASE WHEN format IS DISTINCT FROM 'cedar' THEN d.cedar_json END,
		'cedar_raw', CASE WHEN format IS DISTINCT FROM 'json' THEN d.cedar_raw END,
		'created_at', keycard.api_time(d.created_at), 'updated_at', keycard.api_time(d.updated_at),
		'updated_by', d.updated_by);
END
$$;
COMMENT ON FUNCTION keycard.api_policy_draft_json(keycard.policy_drafts, text) IS
	'PolicyDraft wire object (the content as saved: a draft is not normalized until published)';

CREATE FUNCTION keycard.api_policy_set_draft_json(d keycard.policy_set_drafts_with_warnings) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	AS $$
BEGIN
	RETURN pg_catalog.jsonb_build_object(
		'policy_set_id', d.policy_set_id, 'manifest', d.manifest, 'schema_version', d.schema_version,
		'base_version_id', d.base_version_id, 'name', d.name, 'description', d.description,
		'created_at', keycard.api_time(d.created_at), 'updated_at', keycard.api_time(d.updated_at),
		'updated_by', d.updated_by)
		OPERATOR(pg_catalog.||) CASE WHEN d.warnings IS NULL OR d.warnings OPERATOR(pg_catalog.=) '[]'::jsonb THEN '{}'::jsonb
									 ELSE pg_catalog.jsonb_build_object('warnings', d.warnings) END;
END
$$;
COMMENT ON FUNCTION keycard.api_policy_set_draft_json(keycard.policy_set_drafts_with_warnings) IS
	'PolicySetDraft wire object; warnings only when there are some';

CREATE FUNCTION api.get_policy_draft(zone_id text, policy_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['format']);
	RETURN keycard.api_policy_draft_json(keycard.get_policy_draft(zone_id, policy_id), keycard.api_format(q, NULL));
END
$$;
COMMENT ON FUNCTION api.get_policy_draft(text, text) IS 'GET /zones/{zone_id}/policies/{policy_id}/draft (ours; ?format)';

CREATE FUNCTION api.save_policy_draft(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	body jsonb := keycard.api_body($1, '{}', ARRAY['schema_version', 'cedar_json', 'cedar_raw', 'base_version_id']);
BEGIN
	RETURN keycard.api_policy_draft_json(keycard.save_policy_draft(
		keycard.api_path_param('zone-id'), keycard.api_path_param('policy-id'),
		keycard.api_string(body, 'schema_version'), nullif(body -> 'cedar_json', 'null'::jsonb),
		keycard.api_string(body, 'cedar_raw'), keycard.api_string(body, 'base_version_id')), NULL);
END
$$;
COMMENT ON FUNCTION api.save_policy_draft(jsonb) IS
	'PUT /zones/{zone_id}/policies/{policy_id}/draft {schema_version?, cedar_json | cedar_raw, base_version_id?} (ours)';

CREATE FUNCTION api.delete_policy_draft() RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	RETURN keycard.api_policy_draft_json(keycard.delete_policy_draft(
		keycard.api_path_param('zone-id'), keycard.api_path_param('policy-id')), NULL);
END
$$;
COMMENT ON FUNCTION api.delete_policy_draft() IS 'DELETE /zones/{zone_id}/policies/{policy_id}/draft (ours): the deleted draft';

CREATE FUNCTION api.publish_policy_draft() RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v keycard.policy_versions;
BEGIN
	v := keycard.publish_policy_draft(keycard.api_path_param('zone-id'), keycard.api_path_param('policy-id'));
	PERFORM keycard.api_created();
	RETURN keycard.api_policy_version_json(v, NULL);
END
$$;
COMMENT ON FUNCTION api.publish_policy_draft() IS
	'POST /zones/{zone_id}/policies/{policy_id}/draft/publish (ours): 201 with the new PolicyVersion';

CREATE FUNCTION api.get_policy_set_draft(zone_id text, policy_set_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	RETURN keycard.api_policy_set_draft_json(keycard.get_policy_set_draft(zone_id, policy_set_id));
END
$$;
COMMENT ON FUNCTION api.get_policy_set_draft(text, text) IS 'GET /zones/{zone_id}/policy-sets/{policy_set_id}/draft (ours)';

CREATE FUNCTION api.save_policy_set_draft(jsonb) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	body jsonb := keycard.api_body($1, ARRAY['manifest'], ARRAY['schema_version', 'name', 'description', 'base_version_id']);
BEGIN
	RETURN keycard.api_policy_set_draft_json(keycard.save_policy_set_draft(
		keycard.api_path_param('zone-id'), keycard.api_path_param('policy-set-id'), body -> 'manifest',
		keycard.api_string(body, 'schema_version'), keycard.api_string(body, 'name'),
		keycard.api_string(body, 'description'), keycard.api_string(body, 'base_version_id')));
END
$$;
COMMENT ON FUNCTION api.save_policy_set_draft(jsonb) IS
	'PUT /zones/{zone_id}/policy-sets/{policy_set_id}/draft {manifest, schema_version?, name?, description?, base_version_id?} (ours)';

CREATE FUNCTION api.delete_policy_set_draft() RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	d keycard.policy_set_drafts;
BEGIN
	d := keycard.delete_policy_set_draft(keycard.api_path_param('zone-id'), keycard.api_path_param('policy-set-id'));
	RETURN keycard.api_policy_set_draft_json(ROW(d.*, NULL)::keycard.policy_set_drafts_with_warnings);
END
$$;
COMMENT ON FUNCTION api.delete_policy_set_draft() IS 'DELETE /zones/{zone_id}/policy-sets/{policy_set_id}/draft (ours): the deleted draft';

CREATE FUNCTION api.publish_policy_set_draft() RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v keycard.policy_set_versions;
BEGIN
	v := keycard.publish_policy_set_draft(keycard.api_path_param('zone-id'), keycard.api_path_param('policy-set-id'));
	PERFORM keycard.api_created();
	RETURN keycard.api_policy_set_version_json(v);
END
$$;
COMMENT ON FUNCTION api.publish_policy_set_draft() IS
	'POST /zones/{zone_id}/policy-sets/{policy_set_id}/draft/publish (ours): 201 with the new PolicySetVersion';

REVOKE ALL ON FUNCTION api.update_policy_set_version(jsonb), api.get_policy_draft(text, text), api.save_policy_draft(jsonb),
	api.delete_policy_draft(), api.publish_policy_draft(), api.get_policy_set_draft(text, text),
	api.save_policy_set_draft(jsonb), api.delete_policy_set_draft(), api.publish_policy_set_draft() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.update_policy_set_version(jsonb), api.get_policy_draft(text, text), api.save_policy_draft(jsonb),
	api.delete_policy_draft(), api.publish_policy_draft(), api.get_policy_set_draft(text, text),
	api.save_policy_set_draft(jsonb), api.delete_policy_set_draft(), api.publish_policy_set_draft()
	TO keycard_api, keycard_platform;
-- Calls without a body -------------------------------------------------------------------------
-- PostgREST passes a function with one unnamed json(b) parameter the raw
-- body: an empty body would be ''::jsonb, a 400 (22P02) before the function
-- runs.  An empty body has no keys, and PostgREST prefers a function whose
-- named parameters match the keys (none) to the unnamed-parameter one
-- (src/PostgREST/Plan.hs, findProc, in PostgREST 12 and 13): so each such
-- endpoint has an overload without parameters, which is the call with {}.
-- (So do a body {} or [] and a JSON scalar, whose keys PostgREST reads as none.)

CREATE FUNCTION api.set_default_policy_schema() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.set_default_policy_schema('{}'::jsonb);
COMMENT ON FUNCTION api.set_default_policy_schema() IS 'PATCH /zones/{zone_id}/policy-schemas/{version} without a body';

CREATE FUNCTION api.create_policy() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.create_policy('{}'::jsonb);
COMMENT ON FUNCTION api.create_policy() IS 'POST /zones/{zone_id}/policies without a body (400: name is required)';

CREATE FUNCTION api.update_policy() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.update_policy('{}'::jsonb);
COMMENT ON FUNCTION api.update_policy() IS 'PATCH /zones/{zone_id}/policies/{policy_id} without a body (changes nothing)';

CREATE FUNCTION api.create_policy_version() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.create_policy_version('{}'::jsonb);
COMMENT ON FUNCTION api.create_policy_version() IS 'POST /zones/{zone_id}/policies/{policy_id}/versions without a body (400)';

CREATE FUNCTION api.create_policy_set() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.create_policy_set('{}'::jsonb);
COMMENT ON FUNCTION api.create_policy_set() IS 'POST /zones/{zone_id}/policy-sets without a body (400: name is required)';

CREATE FUNCTION api.update_policy_set() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.update_policy_set('{}'::jsonb);
COMMENT ON FUNCTION api.update_policy_set() IS 'PATCH /zones/{zone_id}/policy-sets/{policy_set_id} without a body (changes nothing)';

CREATE FUNCTION api.create_policy_set_version() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.create_policy_set_version('{}'::jsonb);
COMMENT ON FUNCTION api.create_policy_set_version() IS 'POST /zones/{zone_id}/policy-sets/{policy_set_id}/versions without a body (400)';

CREATE FUNCTION api.update_policy_set_version() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.update_policy_set_version('{}'::jsonb);
COMMENT ON FUNCTION api.update_policy_set_version() IS 'PATCH /zones/{zone_id}/policy-sets/{policy_set_id}/versions/{version_id} without a body (400)';

CREATE FUNCTION api.save_policy_draft() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.save_policy_draft('{}'::jsonb);
COMMENT ON FUNCTION api.save_policy_draft() IS 'PUT /zones/{zone_id}/policies/{policy_id}/draft without a body (400)';

CREATE FUNCTION api.save_policy_set_draft() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.save_policy_set_draft('{}'::jsonb);
COMMENT ON FUNCTION api.save_policy_set_draft() IS 'PUT /zones/{zone_id}/policy-sets/{policy_set_id}/draft without a body (400: manifest is required)';

CREATE FUNCTION api.rotate_signing_key() RETURNS jsonb
	LANGUAGE sql VOLATILE
	RETURN api.rotate_signing_key('{}'::jsonb);
COMMENT ON FUNCTION api.rotate_signing_key() IS 'POST /zones/{zone_id}/signing-keys/rotate without a body (the zone''s algorithm)';

REVOKE ALL ON FUNCTION api.set_default_policy_schema(), api.create_policy(), api.update_policy(),
	api.create_policy_version(), api.create_policy_set(), api.update_policy_set(), api.create_policy_set_version(),
	api.update_policy_set_version(), api.save_policy_draft(), api.save_policy_set_draft(),
	api.rotate_signing_key() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_default_policy_schema(), api.create_policy(), api.update_policy(),
	api.create_policy_version(), api.create_policy_set(), api.update_policy_set(), api.create_policy_set_version(),
	api.update_policy_set_version(), api.save_policy_draft(), api.save_policy_set_draft()
	TO keycard_api, keycard_platform;
GRANT EXECUTE ON FUNCTION api.rotate_signing_key() TO keycard_platform;
-- Policy bundles (ours) -------------------------------------------------------------------------

CREATE FUNCTION api.policy_bundle(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q jsonb := keycard.api_query();
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['resource', 'user', 'session']);
	RETURN keycard.policy_bundle(zone_id, jsonb_strip_nulls(jsonb_build_object(
		'resource', q -> 'resource' ->> 0, 'user', q -> 'user' ->> 0, 'session', q -> 'session' ->> 0)));
END
$$;
COMMENT ON FUNCTION api.policy_bundle(text) IS
	'GET /zones/{zone_id}/bundle?resource=&user=&session= (ours): keycard.policy_bundle for the zone scope and the named scope targets';
REVOKE ALL ON FUNCTION api.policy_bundle(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.policy_bundle(text) TO keycard_api, keycard_platform;
-- End of the HTTP API section (schema api).

CREATE FUNCTION api.authorize(jsonb) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	RETURN keycard.authorize(keycard.api_path_param('zone-id'), $1);
END
$$;
COMMENT ON FUNCTION api.authorize(jsonb) IS
	'POST /zones/{zone_id}/authorize {principal, action, resource, context?, entities?, targets?} (ours): keycard.authorize, the zone''s decision';
REVOKE ALL ON FUNCTION api.authorize(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.authorize(jsonb) TO keycard_api, keycard_platform;
-- End of the HTTP API section (schema api).
