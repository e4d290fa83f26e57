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
