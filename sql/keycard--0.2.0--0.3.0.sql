-- keycard 0.2.0 -> 0.3.0
--
-- Applied by ALTER EXTENSION keycard UPDATE TO '0.3.0'; test/suites/46-upgrade
-- proves a database upgraded this way (from 0.2.0, and from 0.1.0 through
-- 0.2.0) has the schema of a fresh 0.3.0 install and keeps its rows.
\echo Use "ALTER EXTENSION keycard UPDATE TO '0.3.0'" to load this file. \quit

-- The zone log's head moves into the leaves ------------------------------------
-- Each leaf row keeps the subtree roots of the tree it ends (frontier), so an
-- append writes its leaf rows and nothing else; zone_log_heads becomes a view
-- of each zone's last leaf.  The frontiers of the leaves 0.2.0 wrote follow
-- from their own stored hashes: leaf i pops the roots it completes (its
-- nodes) and pushes the highest one (or its leaf hash).
ALTER TABLE keycard.zone_log ADD COLUMN frontier bytea;
ALTER TABLE keycard.zone_log DISABLE TRIGGER zone_log_immutable;
WITH RECURSIVE f (zone_id, leaf_index, frontier) AS (
	SELECT l.zone_id, l.leaf_index, l.leaf_hash FROM keycard.zone_log l WHERE l.leaf_index = 0
	UNION ALL
	SELECT l.zone_id, l.leaf_index,
		   substr(f.frontier, 1, length(f.frontier) - length(l.nodes))
		   || CASE WHEN length(l.nodes) = 0 THEN l.leaf_hash ELSE substr(l.nodes, length(l.nodes) - 31, 32) END
	FROM f JOIN keycard.zone_log l ON l.zone_id = f.zone_id AND l.leaf_index = f.leaf_index + 1
)
UPDATE keycard.zone_log l SET frontier = f.frontier FROM f WHERE l.zone_id = f.zone_id AND l.leaf_index = f.leaf_index;
ALTER TABLE keycard.zone_log ENABLE ALWAYS TRIGGER zone_log_immutable;
ALTER TABLE keycard.zone_log ALTER COLUMN frontier SET NOT NULL;

ALTER EXTENSION keycard DROP TABLE keycard.zone_log_heads;
DROP TABLE keycard.zone_log_heads;
-- Each zone's head: its last leaf (a zone with no event has none).
CREATE VIEW keycard.zone_log_heads WITH (security_invoker = true) AS
	SELECT z.zone_id, t.leaf_index + 1 AS tree_size, t.frontier
	FROM keycard.zones z
	CROSS JOIN LATERAL (SELECT l.leaf_index, l.frontier FROM keycard.zone_log l WHERE l.zone_id = z.zone_id
						ORDER BY l.leaf_index DESC LIMIT 1) t;
COMMENT ON VIEW keycard.zone_log_heads IS
	'The size of each zone''s log and the roots of the complete subtrees it is made of (largest first), read from its last leaf';
GRANT SELECT ON keycard.zone_log_heads TO PUBLIC;

CREATE OR REPLACE FUNCTION keycard.verify_zone_log(zone_id text)
	RETURNS TABLE (object_type text, object_id text, problem text, detail text)
	LANGUAGE plpgsql STABLE
	AS $$
-- Part of verify_zone: the tree (gapless indexes, leaf hashes, stored
-- subtree roots, the head) and the rows against the leaves: every audit
-- record, binding change and attestation has its leaf and every leaf its
-- row; each policy, policy set and version has its creation leaf, committing
-- to its sha or manifest_sha; each binding is where the log's last change of
-- its slot put it.
DECLARE
	r record;
	expect bigint := 0;
	f bytea := '';
	h bytea;
	nodes bytea;
	lvl integer;
	prev bytea := '';
	last bytea := '';
BEGIN
	FOR r IN SELECT l.* FROM keycard.zone_log l WHERE l.zone_id = verify_zone_log.zone_id ORDER BY l.leaf_index LOOP
		IF r.leaf_index <> expect THEN
			RETURN QUERY SELECT 'zone_log', r.leaf_index::text, 'log_gap',
				format('leaves %s to %s are missing', expect, r.leaf_index - 1);
			-- the rest of the tree cannot be recomputed
			EXIT;
		END IF;
		h := sha256('\x00'::bytea || convert_to(r.leaf, 'UTF8'));
		IF h <> r.leaf_hash THEN
			RETURN QUERY SELECT 'zone_log', r.leaf_index::text, 'log_leaf_hash_mismatch',
				format('leaf %s hashes to %s, the row says %s', r.leaf_index, encode(h, 'hex'), encode(r.leaf_hash, 'hex'));
		END IF;
		nodes := '';
		lvl := 0;
		WHILE (expect >> lvl) & 1 = 1 LOOP
			h := sha256('\x01'::bytea || substr(f, length(f) - 31, 32) || h);
			f := substr(f, 1, length(f) - 32);
			nodes := nodes || h;
			lvl := lvl + 1;
		END LOOP;
		f := f || h;
		IF nodes <> r.nodes THEN
			RETURN QUERY SELECT 'zone_log', r.leaf_index::text, 'log_node_mismatch',
				format('the subtree roots stored with leaf %s differ from those its leaves hash to', r.leaf_index);
		END IF;
		-- Its tree's roots follow from the stored hashes of the leaves up to it.
		prev := substr(prev, 1, length(prev) - length(r.nodes))
				|| (CASE WHEN length(r.nodes) = 0 THEN r.leaf_hash ELSE substr(r.nodes, length(r.nodes) - 31, 32) END);
		IF r.frontier <> prev THEN
			RETURN QUERY SELECT 'zone_log', r.leaf_index::text, 'log_frontier_mismatch',
				format('the roots of the tree leaf %s ends differ from those the stored hashes up to it give', r.leaf_index);
		END IF;
		last := r.frontier;
		expect := expect + 1;
	END LOOP;
	-- The head (the last leaf) against the tree its leaves hash to.
	IF last <> f THEN
		RETURN QUERY SELECT 'zone_log', zone_id, 'log_head_mismatch',
			format('the roots the head (leaf %s) holds differ from those the log''s leaves hash to', expect - 1);
	END IF;

	-- Rows and leaves, matched by event id.
	RETURN QUERY
		SELECT coalesce(e.object_type, l.object_type), coalesce(e.object_id, l.object_id),
			   CASE WHEN l.event_id IS NULL THEN 'missing_log_leaf'
					WHEN e.event_id IS NULL THEN 'log_leaf_without_row'
					ELSE 'log_leaf_mismatch' END,
			   CASE WHEN l.event_id IS NULL THEN format('event %s (%s %s) has no leaf in the zone log',
														 e.event_id, e.leaf ->> 'type', coalesce(e.leaf ->> 'action', e.leaf ->> 'status'))
					WHEN e.event_id IS NULL THEN format('leaf %s (%s %s, event %s) has no row', l.leaf_index,
														 l.leaf::jsonb ->> 'type', coalesce(l.leaf::jsonb ->> 'action', l.leaf::jsonb ->> 'status'), l.event_id)
					ELSE format('leaf %s differs from its row (event %s): logged %s', l.leaf_index, l.event_id, l.leaf) END
		FROM keycard.zone_log_expected(verify_zone_log.zone_id) e
		FULL JOIN (SELECT * FROM keycard.zone_log x WHERE x.zone_id = verify_zone_log.zone_id) l ON l.event_id = e.event_id
		WHERE l.event_id IS NULL OR e.event_id IS NULL OR keycard.jcs(e.leaf) <> l.leaf
		ORDER BY coalesce(l.leaf_index, -1), e.event_id;

	-- Objects and the creation leaves that commit to them.
	RETURN QUERY
		SELECT o.t, o.id,
			   CASE WHEN c.leaf IS NULL THEN 'missing_log_leaf' ELSE 'log_sha_mismatch' END,
			   CASE WHEN c.leaf IS NULL THEN format('no leaf records the creation of %s %s', o.t, o.id)
					ELSE format('the row''s %s is %s, the log committed to %s at leaf %s', o.k, o.sha,
								c.leaf::jsonb -> 'detail' ->> o.k, c.leaf_index) END
		FROM (SELECT 'policy' AS t, p.policy_id AS id, NULL::text AS k, NULL::text AS sha
			  FROM keycard.policies p WHERE p.zone_id = verify_zone_log.zone_id
			  UNION ALL
			  SELECT 'policy_set', s.policy_set_id, NULL, NULL
			  FROM keycard.policy_sets s WHERE s.zone_id = verify_zone_log.zone_id
			  UNION ALL
			  SELECT 'policy_version', v.version_id, 'sha', v.sha
			  FROM keycard.policy_versions v WHERE v.zone_id = verify_zone_log.zone_id
			  UNION ALL
			  SELECT 'policy_set_version', v.version_id, 'manifest_sha', v.manifest_sha
			  FROM keycard.policy_set_versions v WHERE v.zone_id = verify_zone_log.zone_id) o
		LEFT JOIN LATERAL (SELECT x.leaf, x.leaf_index FROM keycard.zone_log x
						   WHERE x.zone_id = verify_zone_log.zone_id AND x.object_id = o.id AND x.object_type = o.t
							 AND x.leaf::jsonb ->> 'type' = 'audit' AND x.leaf::jsonb ->> 'action' = 'create'
						   ORDER BY x.leaf_index LIMIT 1) c ON true
		WHERE c.leaf IS NULL OR (o.k IS NOT NULL AND c.leaf::jsonb -> 'detail' ->> o.k IS DISTINCT FROM o.sha)
		ORDER BY o.t, o.id;

	-- Bindings against the last logged change of each slot and mode.
	RETURN QUERY
		SELECT 'binding', coalesce(b.version_id, g.leaf ->> 'to_version_id'), 'log_binding_mismatch',
			   format('the %s binding for %s holds %s, the log''s last change (leaf %s) put %s there',
					  coalesce(b.mode, g.leaf ->> 'mode'),
					  keycard.slot_text(coalesce(b.scope_type, g.leaf ->> 'scope_type'), coalesce(b.scope_target_id, g.leaf ->> 'scope_target_id')),
					  coalesce(b.version_id, 'nothing'), coalesce(g.leaf_index::text, 'none'),
					  coalesce(g.leaf ->> 'to_version_id', 'nothing'))
		FROM (SELECT * FROM keycard.bindings x WHERE x.zone_id = verify_zone_log.zone_id) b
		FULL JOIN (SELECT DISTINCT ON (y.leaf::jsonb ->> 'scope_type', y.leaf::jsonb ->> 'scope_target_id', y.leaf::jsonb ->> 'mode')
						  y.leaf::jsonb AS leaf, y.leaf_index
				   FROM keycard.zone_log y
				   WHERE y.zone_id = verify_zone_log.zone_id AND y.object_type = 'binding_change'
				   ORDER BY y.leaf::jsonb ->> 'scope_type', y.leaf::jsonb ->> 'scope_target_id', y.leaf::jsonb ->> 'mode',
							y.leaf_index DESC) g
			ON g.leaf ->> 'scope_type' = b.scope_type AND g.leaf ->> 'scope_target_id' = b.scope_target_id
		   AND g.leaf ->> 'mode' = b.mode
		WHERE b.version_id IS DISTINCT FROM g.leaf ->> 'to_version_id'
		ORDER BY 2;
END
$$;

-- HTTP as PostgREST 12 and 13 serve it (issue 16) -------------------------------------------
-- If-Match (RFC 9110 section 13.1.1): "*", or a list of entity tags of
-- which any one may match; the comparison is strong, so weak tags (W/"...")
-- never match.  NULL (no If-Match) always passes.
CREATE FUNCTION keycard.if_match_passes(if_match text, etag text) RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN if_match IS NULL OR pg_catalog.btrim(if_match) OPERATOR(pg_catalog.=) '*'
		OR coalesce((SELECT pg_catalog.bool_or(m[1] IS NULL AND m[2] OPERATOR(pg_catalog.=) etag)
					 FROM pg_catalog.regexp_matches(if_match, '(W/)?("[^"]*")', 'g') m), false);
COMMENT ON FUNCTION keycard.if_match_passes(text, text) IS
	'Whether an If-Match header value (NULL, "*" or a list of entity tags) lets a change of the resource with this ETag go ahead';

CREATE OR REPLACE FUNCTION keycard.lock_policy(zone_id text, policy_id text, if_match text, for_archive boolean)
	RETURNS keycard.policies
	LANGUAGE plpgsql VOLATILE
	AS $$
DECLARE
	p keycard.policies;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT * INTO p FROM keycard.policies x
	WHERE x.zone_id = lock_policy.zone_id AND x.policy_id = lock_policy.policy_id FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy "%s" not found', policy_id), NULL, NULL);
	END IF;
	IF p.owner_type = 'platform' AND NOT keycard.caller_is_platform() THEN
		PERFORM keycard.raise_error('platform_owned', format('policy "%s" is owned by the platform', p.name),
			'Platform-owned policies can be read but not changed or archived by customers.', NULL);
	END IF;
	IF NOT keycard.if_match_passes(if_match, p.etag) THEN
		PERFORM keycard.raise_error('etag_mismatch', format('policy "%s" has changed', p.name),
			format('If-Match is %s but the current ETag is %s.', if_match, p.etag), 'Fetch the policy again and retry.');
	END IF;
	IF p.archived_at IS NOT NULL THEN
		PERFORM keycard.raise_error('archived', format('policy "%s" is archived', p.name),
			'An archived policy cannot change.', NULL);
	END IF;
	RETURN p;
END
$$;

-- A policy set's ETag.  Its representation (PolicySetWithBinding) shows the
-- set's bindings, which live in keycard.bindings and do not touch the set's
-- row (nor its revision): when bound, the tag adds a digest of each binding's
-- mode, version and bound_at (a rebinding, even to an earlier version, is
-- bound at a new time).  Unbound, it is the row's "<revision>".
CREATE FUNCTION keycard.policy_set_etag(zone_id text, policy_set_id text, revision bigint) RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	BEGIN ATOMIC
	SELECT '"' OPERATOR(pg_catalog.||) revision OPERATOR(pg_catalog.||) coalesce('-' OPERATOR(pg_catalog.||)
			pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.string_agg(
				b.mode OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) b.version_id OPERATOR(pg_catalog.||) ' '
				OPERATOR(pg_catalog.||) (pg_catalog.date_part('epoch', b.bound_at) OPERATOR(pg_catalog.*) 1000000)::bigint,
				' ' ORDER BY b.mode), 'UTF8')), 'hex'), 16), '') OPERATOR(pg_catalog.||) '"'
	FROM keycard.bindings b
	WHERE b.zone_id OPERATOR(pg_catalog.=) policy_set_etag.zone_id
	  AND b.policy_set_id OPERATOR(pg_catalog.=) policy_set_etag.policy_set_id;
	END;
COMMENT ON FUNCTION keycard.policy_set_etag(text, text, bigint) IS
	'ETag of a policy set: its revision, and its bindings when bound (changes on every change of PolicySetWithBinding)';

CREATE OR REPLACE FUNCTION keycard.lock_policy_set(zone_id text, policy_set_id text, if_match text)
	RETURNS keycard.policy_sets
	LANGUAGE plpgsql VOLATILE
	AS $$
DECLARE
	s keycard.policy_sets;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT * INTO s FROM keycard.policy_sets x
	WHERE x.zone_id = lock_policy_set.zone_id AND x.policy_set_id = lock_policy_set.policy_set_id FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy set "%s" not found', policy_set_id), NULL, NULL);
	END IF;
	IF s.owner_type = 'platform' AND NOT keycard.caller_is_platform() THEN
		PERFORM keycard.raise_error('platform_owned', format('policy set "%s" is owned by the platform', s.name),
			'Platform-owned policy sets can be read but not changed or archived by customers.', NULL);
	END IF;
	IF if_match IS NOT NULL THEN
		-- The bindings are part of the ETag: none may change between this check and the commit.
		PERFORM keycard.lock_policy_set_bindings(zone_id, ARRAY[policy_set_id]);
	END IF;
	IF NOT keycard.if_match_passes(if_match, keycard.policy_set_etag(s.zone_id, s.policy_set_id, s.revision)) THEN
		PERFORM keycard.raise_error('etag_mismatch', format('policy set "%s" has changed', s.name),
			format('If-Match is %s but the current ETag is %s.', if_match, keycard.policy_set_etag(s.zone_id, s.policy_set_id, s.revision)),
			'Fetch the policy set again and retry.');
	END IF;
	IF s.archived_at IS NOT NULL THEN
		PERFORM keycard.raise_error('archived', format('policy set "%s" is archived', s.name),
			'An archived policy set cannot change.', NULL);
	END IF;
	RETURN s;
END
$$;

CREATE OR REPLACE FUNCTION keycard.api_like_any(q jsonb, names text[]) RETURNS text[]
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
-- Each term is matched against every row: the terms are bounded (as
-- filter[id] is), so a list costs at most 100 matches per row.
DECLARE
	-- distinct, in the order they were given
	terms text[] := ARRAY(SELECT x.t FROM (
		SELECT e.t, min(n.i * 4294967296 + e.o) AS first
		FROM unnest(names) WITH ORDINALITY n(name, i), jsonb_array_elements_text(q -> n.name) WITH ORDINALITY e(t, o)
		GROUP BY e.t) x ORDER BY x.first);
BEGIN
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

CREATE OR REPLACE FUNCTION api.create_policy_set(jsonb) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION api.get_policy_set(zone_id text, policy_set_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	s keycard.policy_sets_with_binding;
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	s := keycard.get_policy_set_with_binding(zone_id, policy_set_id);
	PERFORM keycard.api_add_header('ETag', keycard.policy_set_etag(s.zone_id, s.policy_set_id, s.revision));
	RETURN keycard.api_policy_set_json(s);
END
$$;
COMMENT ON FUNCTION api.get_policy_set(text, text) IS 'GET /zones/{zone_id}/policy-sets/{policy_set_id}, with ETag';

CREATE OR REPLACE FUNCTION api.update_policy_set(jsonb) RETURNS jsonb
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
	cond := format('v.zone_id = %L', zone_id);
	IF ids IS NOT NULL THEN
		cond := cond || format(' AND v.id = ANY (%L::text[])', ids);
	END IF;
	IF owners IS NOT NULL THEN
		cond := cond || format(' AND v.owner_type = ANY (%L::text[])', owners);
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query', 'query[]']);
	IF pat IS NOT NULL THEN
		cond := cond || format(' AND (lower(v.name COLLATE "und-x-icu") LIKE ANY (%1$L::text[]) OR lower(v.description COLLATE "und-x-icu") LIKE ANY (%1$L::text[]))', pat);
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query[name]']);
	IF pat IS NOT NULL THEN
		cond := cond || format(' AND lower(v.name COLLATE "und-x-icu") LIKE ANY (%L::text[])', pat);
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query[description]']);
	IF pat IS NOT NULL THEN
		cond := cond || format(' AND lower(v.description COLLATE "und-x-icu") LIKE ANY (%L::text[])', pat);
	END IF;
	RETURN keycard.api_page('api.policies v', cond, ARRAY['v.id'], 'to_jsonb(v)', p);
END
$$;
COMMENT ON FUNCTION api.list_policies(text) IS
	'GET /zones/{zone_id}/policies (list parameters, filter[id], filter[owner_type], query, query[name], query[description])';

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
	cond := format('v.zone_id = %L', zone_id);
	IF active IS NOT NULL THEN
		cond := cond || format(' AND v.active = %L', active);
	END IF;
	IF owners IS NOT NULL THEN
		cond := cond || format(' AND v.owner_type = ANY (%L::text[])', owners);
	END IF;
	IF scopes IS NOT NULL THEN
		cond := cond || format(' AND v.scope_type = ANY (%L::text[])', scopes);
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query', 'query[]', 'query[name]']);
	IF pat IS NOT NULL THEN
		cond := cond || format(' AND lower(v.name COLLATE "und-x-icu") LIKE ANY (%L::text[])', pat);
	END IF;
	RETURN keycard.api_page('api.policy_sets v', cond,
		CASE WHEN p ->> 'sort' = 'status' THEN ARRAY['v.active::text', 'v.id'] ELSE ARRAY['v.id'] END,
		'to_jsonb(v)', p);
END
$$;
COMMENT ON FUNCTION api.list_policy_sets(text) IS
	'GET /zones/{zone_id}/policy-sets (list parameters with sort=created_at|status, filter[active] / active, filter[owner_type], filter[scope_type], query, query[name])';

CREATE OR REPLACE FUNCTION api.archive_policy_set() RETURNS jsonb
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

-- Policy bundles (sql/install/57-bundle.sql and the api function of 60-api.sql)

CREATE FUNCTION keycard.bundle_log_leaf(zone_id text, leaf_index bigint, tree_size bigint) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
		SELECT jsonb_build_object('leaf', l.leaf,
								  'proof', keycard.zone_log_inclusion_path(l.zone_id, l.leaf_index, bundle_log_leaf.tree_size))
		FROM keycard.zone_log l
		WHERE l.zone_id OPERATOR(pg_catalog.=) bundle_log_leaf.zone_id
		  AND l.leaf_index OPERATOR(pg_catalog.=) bundle_log_leaf.leaf_index
		  AND l.leaf_index OPERATOR(pg_catalog.<) bundle_log_leaf.tree_size;
	END;
REVOKE ALL ON FUNCTION keycard.bundle_log_leaf(text, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION keycard.bundle_log_leaf(text, bigint, bigint) IS
	'Internal (policy_bundle): {"leaf" (its exact text), "proof" (inclusion in the tree of tree_size leaves)}, or NULL if the leaf is not in that tree';

CREATE FUNCTION keycard.policy_bundle(zone_id text, targets jsonb DEFAULT '{}') RETURNS jsonb
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
-- STABLE: every read, the head's included, sees the snapshot of the calling
-- statement, so the proofs are against the tree the head signs.
DECLARE
	k text;
	head jsonb;
	size bigint;
	kid text;
	bundle jsonb;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	targets := coalesce(targets, '{}');
	IF jsonb_typeof(targets) <> 'object' THEN
		PERFORM keycard.raise_error('invalid_request', 'targets must be a JSON object',
			'Got ' || jsonb_typeof(targets) || '.', 'Name each target by its scope type: {"user": "<id>"}.');
	END IF;
	FOR k IN SELECT jsonb_object_keys(targets) LOOP
		IF k NOT IN ('resource', 'user', 'session') THEN
			PERFORM keycard.raise_error('invalid_request', format('unknown scope type "%s" in targets', left(k, 40)),
				NULL, 'The targets are named by scope type: resource, user, session (the zone scope is always included).');
		END IF;
		IF jsonb_typeof(targets -> k) <> 'string' OR targets ->> k = '' THEN
			PERFORM keycard.raise_error('invalid_request', format('the %s target must be a non-empty string id', k), NULL, NULL);
		END IF;
	END LOOP;

	head := keycard.zone_log_head(zone_id);
	size := (convert_from(keycard.base64url_decode(head ->> 'payload'), 'UTF8')::jsonb ->> 'tree_size')::bigint;

	WITH slot AS (
		SELECT 'zone' AS scope_type, policy_bundle.zone_id AS scope_target_id, 0 AS ord
		UNION ALL
		SELECT t.key, t.value, array_position(ARRAY['resource', 'user', 'session'], t.key)
		FROM jsonb_each_text(targets) t
	), bound AS (
		SELECT b.*, s.ord, v.schema_version, v.manifest, v.manifest_sha
		FROM slot s
		JOIN keycard.bindings b ON b.zone_id = policy_bundle.zone_id AND b.scope_type = s.scope_type
								AND b.scope_target_id = s.scope_target_id
		JOIN keycard.policy_set_versions v ON v.zone_id = b.zone_id AND v.version_id = b.version_id
	)
	SELECT jsonb_build_object(
		'type', 'policy_bundle', 'v', 1, 'zone_id', policy_bundle.zone_id,
		'targets', jsonb_build_object('zone', policy_bundle.zone_id) || targets,
		'jwks', keycard.zone_jwks(policy_bundle.zone_id),
		'log_head', head,
		'schemas', coalesce((SELECT jsonb_object_agg(s.version, jsonb_build_object(
									'cedar_schema', s.cedar_schema, 'cedar_schema_json', s.cedar_schema_json))
							 FROM keycard.schema_versions s WHERE s.version IN (SELECT schema_version FROM bound)), '{}'),
		'set_versions', coalesce(jsonb_agg(jsonb_build_object(
			'scope_type', b.scope_type, 'scope_target_id', b.scope_target_id, 'mode', b.mode,
			'policy_set_id', b.policy_set_id, 'version_id', b.version_id, 'version', b.version,
			'schema_version', b.schema_version, 'manifest', b.manifest, 'manifest_sha', b.manifest_sha,
			'attestation', a.jws,
			'policies', (SELECT jsonb_agg(jsonb_build_object(
								'policy_id', e.policy_id, 'policy_version_id', e.policy_version_id,
								'version', pv.version, 'sha', pv.sha, 'cedar_raw', pv.cedar_raw,
								'cedar_json', pv.cedar_json) ORDER BY e.position)
						 FROM keycard.policy_set_version_entries e
						 JOIN keycard.policy_versions pv ON pv.zone_id = e.zone_id AND pv.version_id = e.policy_version_id
						 WHERE e.zone_id = b.zone_id AND e.version_id = b.version_id),
			'log', jsonb_build_object(
				'created', (SELECT keycard.bundle_log_leaf(l.zone_id, l.leaf_index, size)
							FROM keycard.zone_log l
							WHERE l.zone_id = b.zone_id AND l.object_id = b.version_id
							  AND l.object_type = 'policy_set_version' AND l.leaf::jsonb ->> 'action' = 'create'
							ORDER BY l.leaf_index LIMIT 1),
				'attested', (SELECT keycard.bundle_log_leaf(l.zone_id, l.leaf_index, size)
							 FROM keycard.zone_log l
							 WHERE l.zone_id = b.zone_id AND l.object_id = b.version_id
							   AND l.object_type = 'attestation' AND l.event_id = a.attestation_id),
				'bound', (SELECT keycard.bundle_log_leaf(l.zone_id, l.leaf_index, size)
						  FROM (SELECT h.event_id FROM keycard.binding_history h
								WHERE h.zone_id = b.zone_id AND h.scope_type = b.scope_type
								  AND h.scope_target_id = b.scope_target_id AND h.mode = b.mode
								ORDER BY h.event_id DESC LIMIT 1) h
						  JOIN keycard.zone_log l ON l.zone_id = b.zone_id AND l.object_id = h.event_id
												 AND l.object_type = 'binding_change')))
			ORDER BY b.ord, b.mode), '[]'))
	INTO bundle
	FROM bound b
	LEFT JOIN LATERAL (SELECT x.attestation_id, x.jws FROM keycard.attestations x
					   WHERE x.zone_id = b.zone_id AND x.version_id = b.version_id
					   ORDER BY x.attestation_id DESC LIMIT 1) a ON true;

	SELECT zk.kid INTO kid FROM keycard.zone_keys zk WHERE zk.zone_id = policy_bundle.zone_id AND zk.status = 'current';
	RETURN bundle || jsonb_build_object('signature', keycard.jws_sign(json_build_object(
		'type', 'policy_bundle_signature', 'v', 1, 'zone_id', policy_bundle.zone_id, 'bundle_sha', keycard.jcs_sha256(bundle),
		'issued_at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')), kid));
END
$$;
COMMENT ON FUNCTION keycard.policy_bundle(text, jsonb) IS
	'Everything an offline decision point needs for the zone and the named scope targets ({"resource", "user", "session": id}): bound set versions with manifests, attestations, policies and pinned schemas, the JWKS, a signed log head with inclusion proofs, and a signature (zone key) over the JCS form of the rest';

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

-- keycard_user grants (as 70-access.sql gives every SECURITY DEFINER function)
REVOKE ALL ON FUNCTION keycard.policy_bundle(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION keycard.policy_bundle(text, jsonb) TO keycard_user, keycard_api, keycard_platform;

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

-- The functions both the HTTP fixes and the read-path rewrite changed, as
-- the install script has them (Unicode search with parameters, policy set
-- ETags read through the kept plans).
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
	RETURN (SELECT array_agg('%' || replace(replace(replace(lower(t COLLATE "und-x-icu"), '\', '\\'), '%', '\%'), '_', '\_') || '%')
			FROM unnest(terms) t);
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
		cond := cond || format(' AND lower(v.name COLLATE "und-x-icu") LIKE ANY ($%s::text[])', cardinality(args));
	END IF;
	RETURN keycard.api_page('api.policy_sets v', cond, args,
		CASE WHEN p ->> 'sort' = 'status' THEN ARRAY['v.active::text', 'v.id'] ELSE ARRAY['v.id'] END,
		'to_jsonb(v)', p);
END
$$;
-- Cedar authorization (src/cedar_authorize.c, src/cedar/{authorize,entities,
-- eval,json_value,value}.c)

CREATE FUNCTION keycard.cedar_is_authorized(call jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_is_authorized'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_is_authorized(jsonb) IS
	'Cedar authorization of one request, as Cedar''s isAuthorized: the call {principal, action, resource, context, policies: {staticPolicies}, entities[, schema, validateRequest]} gives {decision, reasons, errored_policies}';

-- The registry decides (sql/install/58-authorize.sql) -------------------------------
CREATE TABLE keycard.shadow_decisions (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	event_id text NOT NULL,
	occurred_at timestamptz NOT NULL,
	actor text NOT NULL,
	request_id text,
	scope_type text NOT NULL CHECK (scope_type IN ('zone', 'resource', 'user', 'session')),
	scope_target_id text NOT NULL,
	policy_set_id text NOT NULL,
	active_version_id text,
	shadow_version_id text NOT NULL,
	decision text NOT NULL CHECK (decision IN ('allow', 'deny')),
	shadow_decision text NOT NULL CHECK (shadow_decision IN ('allow', 'deny')),
	request jsonb NOT NULL,
	answer jsonb NOT NULL,
	PRIMARY KEY (zone_id, event_id),
	CONSTRAINT shadow_decisions_active_version_fkey FOREIGN KEY (zone_id, active_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT shadow_decisions_shadow_version_fkey FOREIGN KEY (zone_id, shadow_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id)
);
CREATE INDEX shadow_decisions_by_shadow_version ON keycard.shadow_decisions (zone_id, shadow_version_id, event_id);
COMMENT ON TABLE keycard.shadow_decisions IS
	'Append-only record of shadow decisions that differed from the active one (keycard.authorize_and_record): the slot, both versions, both decisions, the request and the whole answer';

CREATE TRIGGER shadow_decisions_immutable BEFORE UPDATE OR DELETE ON keycard.shadow_decisions
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER shadow_decisions_no_truncate BEFORE TRUNCATE ON keycard.shadow_decisions
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
ALTER TABLE keycard.shadow_decisions ENABLE ALWAYS TRIGGER shadow_decisions_immutable;
ALTER TABLE keycard.shadow_decisions ENABLE ALWAYS TRIGGER shadow_decisions_no_truncate;

ALTER TABLE keycard.shadow_decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY zone_isolation ON keycard.shadow_decisions
	USING ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]))
	WITH CHECK ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]));
GRANT SELECT ON keycard.shadow_decisions TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('keycard.shadow_decisions', '');

-- STABLE: bindings are read with the calling statement's snapshot (a row-level
-- security policy sees one set of bindings per statement).
CREATE FUNCTION keycard.authorize(zone_id text, request jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_authorize'
	LANGUAGE C STABLE STRICT SECURITY DEFINER PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.authorize(text, jsonb) IS
	'Cedar decision of the zone''s active policy set versions (zone slot and the request''s targets: resource, user, session) on {principal, action, resource, context?, entities?, targets?}: decision, reasons, errored_policies, the set versions evaluated, and each shadow version''s decision in its slot';

CREATE FUNCTION keycard.authorize_and_record(zone_id text, request jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_authorize_and_record'
	LANGUAGE C VOLATILE STRICT SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.authorize_and_record(text, jsonb) IS
	'keycard.authorize, and each shadow decision that differs from the active one recorded in keycard.shadow_decisions';

CREATE FUNCTION keycard.authorize_cache() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_authorize_cache'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION keycard.authorize_cache() IS
	'This backend''s cache of compiled policy set versions: entries, bytes, hits, loads, evictions and its bounds';

-- POST /zones/{zone_id}/authorize (sql/install/60-api.sql)
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

-- Who may call them (sql/install/70-access.sql does this for a fresh install)
REVOKE ALL ON FUNCTION keycard.authorize(text, jsonb), keycard.authorize_and_record(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION keycard.authorize(text, jsonb), keycard.authorize_and_record(text, jsonb)
	TO keycard_user, keycard_api, keycard_platform;

-- A policy set's ETag with its query's plan kept for the session.
CREATE OR REPLACE FUNCTION keycard.policy_set_etag(zone_id text, policy_set_id text, revision bigint) RETURNS text
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
-- (PL/pgSQL keeps the plan of its query for the session: every get of a
-- policy set asks for its ETag)
BEGIN
	RETURN (SELECT '"' || revision || coalesce('-' || left(encode(sha256(convert_to(string_agg(
				b.mode || ' ' || b.version_id || ' ' || (date_part('epoch', b.bound_at) * 1000000)::bigint,
				' ' ORDER BY b.mode), 'UTF8')), 'hex'), 16), '') || '"'
			FROM keycard.bindings b
			WHERE b.zone_id = policy_set_etag.zone_id AND b.policy_set_id = policy_set_etag.policy_set_id);
END
$$;
