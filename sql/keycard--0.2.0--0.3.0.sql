-- keycard 0.2.0 -> 0.3.0
--
-- Applied by ALTER EXTENSION keycard UPDATE TO '0.3.0'; test/suites/46-upgrade
-- proves a database upgraded this way (from 0.2.0, and from 0.1.0 through
-- 0.2.0) has the schema of a fresh 0.3.0 install and keeps its rows.
\echo Use "ALTER EXTENSION keycard UPDATE TO '0.3.0'" to load this file. \quit

-- Read endpoints at the speed of their own SQL (bench/62-read-endpoints): a
-- list page is one statement whose plan is kept for the session
-- (keycard.api_read), values as parameters; the helpers on every request run
-- no statement when there is nothing to read; the gets read their row as the
-- caller (row-level security and the zone check), the registry's security
-- definer functions only for the errors; a policy's and a set's versions are
-- indexed in id order, so a page of them is read at any depth without a sort.

CREATE INDEX policy_versions_by_policy ON keycard.policy_versions (policy_id, zone_id, version_id);
CREATE INDEX policy_set_versions_by_set ON keycard.policy_set_versions (policy_set_id, zone_id, version_id);

CREATE OR REPLACE FUNCTION keycard.api_check_query(q jsonb, allowed text[]) RETURNS void
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

CREATE OR REPLACE FUNCTION keycard.api_enum_filter(q jsonb, name text, allowed text[]) RETURNS text[]
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

CREATE OR REPLACE FUNCTION keycard.api_like_any(q jsonb, names text[]) RETURNS text[]
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
	RETURN (SELECT array_agg('%' || replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_') || '%')
			FROM unnest(terms) t);
END
$$;

CREATE OR REPLACE FUNCTION keycard.api_list_params(q jsonb, sorts text[]) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION keycard.api_cursor(sort text, k text[]) RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	RETURN keycard.base64url_encode(pg_catalog.convert_to(
		pg_catalog.jsonb_build_object('s', sort, 'k', k)::text, 'UTF8'));

CREATE FUNCTION keycard.api_read(query text, args text[]) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_api_read'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION keycard.api_read(text, text[]) IS
	'Runs a read-only statement with text parameters $1..$n (args) through a plan kept for the session: the one jsonb column of its first row (internal to the api functions)';

DROP FUNCTION keycard.api_page(text, text, text[], text, jsonb);

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

CREATE OR REPLACE FUNCTION api.get_policy_schema(zone_id text, version text) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION api.list_policy_schemas(zone_id text) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION api.get_policy(zone_id text, policy_id text) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION api.list_policies(zone_id text) RETURNS jsonb
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
		cond := cond || format(' AND (v.name ILIKE ANY ($%1$s::text[]) OR v.description ILIKE ANY ($%1$s::text[]))', cardinality(args));
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query[name]']);
	IF pat IS NOT NULL THEN
		args := args || pat::text;
		cond := cond || format(' AND v.name ILIKE ANY ($%s::text[])', cardinality(args));
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query[description]']);
	IF pat IS NOT NULL THEN
		args := args || pat::text;
		cond := cond || format(' AND v.description ILIKE ANY ($%s::text[])', cardinality(args));
	END IF;
	RETURN keycard.api_page('api.policies v', cond, args, ARRAY['v.id'], 'to_jsonb(v)', p);
END
$$;

CREATE OR REPLACE FUNCTION api.get_policy_version(zone_id text, policy_id text, version_id text) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION api.list_policy_versions(zone_id text, policy_id text) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION api.get_policy_set(zone_id text, policy_set_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	r jsonb;
	s keycard.policy_sets_with_binding;
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	-- (read as in get_policy)
	r := keycard.api_read('SELECT jsonb_build_array(x.etag, keycard.api_policy_set_json(x)) FROM keycard.policy_sets_with_binding x '
						  'WHERE x.zone_id = $1 AND x.policy_set_id = $2 AND keycard.zone_visible($1)', ARRAY[zone_id, policy_set_id]);
	IF r IS NULL THEN
		s := keycard.get_policy_set_with_binding(zone_id, policy_set_id);
		r := jsonb_build_array(s.etag, keycard.api_policy_set_json(s));
	END IF;
	PERFORM keycard.api_add_header('ETag', r ->> 0);
	RETURN r -> 1;
END
$$;

CREATE OR REPLACE FUNCTION api.list_policy_sets(zone_id text) RETURNS jsonb
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
		cond := cond || format(' AND v.name ILIKE ANY ($%s::text[])', cardinality(args));
	END IF;
	RETURN keycard.api_page('api.policy_sets v', cond, args,
		CASE WHEN p ->> 'sort' = 'status' THEN ARRAY['v.active::text', 'v.id'] ELSE ARRAY['v.id'] END,
		'to_jsonb(v)', p);
END
$$;

CREATE OR REPLACE FUNCTION api.get_policy_set_version(zone_id text, policy_set_id text, version_id text) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION api.list_policy_set_versions(zone_id text, policy_set_id text) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION api.list_policy_set_version_policies(zone_id text, policy_set_id text, version_id text) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION api.get_policy_set_version_attestation(zone_id text, policy_set_id text, version_id text) RETURNS jsonb
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
-- End of read endpoints.
