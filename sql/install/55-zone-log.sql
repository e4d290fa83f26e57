------------------------------------------------------------------------------
-- keycard install script, part 55: the zones' transparency logs
--
-- Every registry event of a zone (each audit record, binding change and
-- attestation) is a leaf of the zone's log, an RFC 9162 Merkle tree: the JCS
-- form of the event with the content hashes it commits to (a policy
-- version's sha, a set version's manifest_sha, an attestation's JWS).  The
-- leaves are appended by one C writer (src/registry/zone_log.c), called by
-- the audit writer, the binding history writer and the attestation writer.
-- verify_zone (50-registry.sql) recomputes the leaves from the rows with
-- zone_log_expected(); signed tree heads and proofs let a client that keeps
-- an earlier head detect any rewrite of history, even one re-signed by a
-- superuser.  (0.2.0 kept each zone's head in a table of its own; the
-- update to 0.3.0 stores it with the leaves.)
------------------------------------------------------------------------------

CREATE TABLE keycard.zone_log (
	zone_id text NOT NULL,
	leaf_index bigint NOT NULL CHECK (leaf_index >= 0),
	event_id text NOT NULL,
	object_type text NOT NULL,
	object_id text NOT NULL,
	leaf text NOT NULL,
	leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
	-- roots of the complete subtrees this leaf completes, level 1 first
	nodes bytea NOT NULL,
	PRIMARY KEY (zone_id, leaf_index),
	CONSTRAINT zone_log_zone_fkey FOREIGN KEY (zone_id) REFERENCES keycard.zones (zone_id),
	-- roots of the complete subtrees of the tree this leaf ends, largest
	-- first (one per set bit of leaf_index + 1): the next leaf's start
	frontier bytea NOT NULL
);
CREATE INDEX zone_log_by_object ON keycard.zone_log (zone_id, object_id);
COMMENT ON TABLE keycard.zone_log IS
	'Append-only transparency log of each zone (RFC 9162): leaf = JCS JSON of a registry event, leaf_hash = SHA-256(0x00 || leaf)';

-- Immutable for every role: the head only grows (guard_update freezes zone_id),
-- leaves never change.
CREATE TRIGGER zone_log_immutable BEFORE UPDATE OR DELETE ON keycard.zone_log
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER zone_log_no_truncate BEFORE TRUNCATE ON keycard.zone_log
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
ALTER TABLE keycard.zone_log ENABLE ALWAYS TRIGGER zone_log_immutable;
ALTER TABLE keycard.zone_log ENABLE ALWAYS TRIGGER zone_log_no_truncate;

-- Row-level security, grants and pg_dump as the other registry tables.
ALTER TABLE keycard.zone_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY zone_isolation ON keycard.zone_log USING (
	(SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]))
	WITH CHECK ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]));
GRANT SELECT ON keycard.zone_log TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('keycard.zone_log', '');

-- Each zone's head: its last leaf (a zone with no event has none).
CREATE VIEW keycard.zone_log_heads WITH (security_invoker = true) AS
	SELECT z.zone_id, t.leaf_index + 1 AS tree_size, t.frontier
	FROM keycard.zones z
	CROSS JOIN LATERAL (SELECT l.leaf_index, l.frontier FROM keycard.zone_log l WHERE l.zone_id = z.zone_id
						ORDER BY l.leaf_index DESC LIMIT 1) t;
COMMENT ON VIEW keycard.zone_log_heads IS
	'The size of each zone''s log and the roots of the complete subtrees it is made of (largest first), read from its last leaf';
GRANT SELECT ON keycard.zone_log_heads TO PUBLIC;

-- The writer and the tree (src/registry/zone_log.c) ----------------------------------

CREATE FUNCTION keycard.zone_log_append(zone_id text, event_id text, object_type text, object_id text, leaf jsonb)
	RETURNS void
	AS 'MODULE_PATHNAME', 'keycard_zone_log_append'
	LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION keycard.zone_log_append(text, text, text, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION keycard.zone_log_append(text, text, text, text, jsonb) IS
	'Internal: appends the JCS form of leaf to the zone''s log when the transaction commits';

CREATE FUNCTION keycard.zone_log_root(zone_id text, tree_size bigint) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_zone_log_root'
	LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION keycard.zone_log_root(text, bigint) FROM PUBLIC;
COMMENT ON FUNCTION keycard.zone_log_root(text, bigint) IS
	'Internal: hex Merkle tree hash of the first tree_size leaves of the zone''s log (O(log n) reads)';

CREATE FUNCTION keycard.zone_log_inclusion_path(zone_id text, leaf_index bigint, tree_size bigint) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_zone_log_inclusion_proof'
	LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION keycard.zone_log_inclusion_path(text, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION keycard.zone_log_inclusion_path(text, bigint, bigint) IS
	'Internal: RFC 9162 inclusion proof without the zone check';

CREATE FUNCTION keycard.zone_log_consistency_path(zone_id text, first_size bigint, second_size bigint) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_zone_log_consistency_proof'
	LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION keycard.zone_log_consistency_path(text, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION keycard.zone_log_consistency_path(text, bigint, bigint) IS
	'Internal: RFC 9162 consistency proof without the zone check';

-- The leaves the rows call for ---------------------------------------------------------

-- The same members, in canonical form, as the C writers give each leaf
-- (registry.c: audit records; bindings.c: binding changes;
-- policy_set_version.c: attestations).
CREATE FUNCTION keycard.zone_log_expected(zone_id text)
	RETURNS TABLE (event_id text, object_type text, object_id text, leaf jsonb)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
		SELECT a.event_id, a.object_type, a.object_id,
			   pg_catalog.jsonb_build_object('type', 'audit', 'zone_id', a.zone_id, 'event_id', a.event_id,
											 'actor', a.actor, 'action', a.action, 'object_type', a.object_type,
											 'object_id', a.object_id, 'detail', a.detail)
		FROM keycard.audit_log a WHERE a.zone_id OPERATOR(pg_catalog.=) zone_log_expected.zone_id
		UNION ALL
		SELECT h.event_id, 'binding_change', h.event_id,
			   pg_catalog.jsonb_build_object('type', 'binding_change', 'zone_id', h.zone_id, 'event_id', h.event_id,
											 'actor', h.actor, 'action', h.action, 'scope_type', h.scope_type,
											 'scope_target_id', h.scope_target_id, 'mode', h.mode,
											 'from_version_id', h.from_version_id, 'to_version_id', h.to_version_id)
		FROM keycard.binding_history h WHERE h.zone_id OPERATOR(pg_catalog.=) zone_log_expected.zone_id
		UNION ALL
		SELECT t.attestation_id, 'attestation', t.version_id,
			   pg_catalog.jsonb_build_object('type', 'attestation', 'zone_id', t.zone_id,
											 'attestation_id', t.attestation_id, 'version_id', t.version_id,
											 'kid', t.kid, 'status', t.status, 'jws_sha', keycard.jcs_sha256(t.jws))
		FROM keycard.attestations t WHERE t.zone_id OPERATOR(pg_catalog.=) zone_log_expected.zone_id;
	END;
REVOKE ALL ON FUNCTION keycard.zone_log_expected(text) FROM PUBLIC;
COMMENT ON FUNCTION keycard.zone_log_expected(text) IS
	'Internal: the leaf each audit record, binding change and attestation of the zone has in its log (verify_zone compares them)';

-- Signed tree heads, entries, proofs -----------------------------------------------------

CREATE FUNCTION keycard.zone_log_head(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
-- Signs when asked: writes nothing, so a standby serves heads too.
DECLARE
	size bigint;
	kid text;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT h.tree_size INTO size FROM keycard.zone_log_heads h WHERE h.zone_id = zone_log_head.zone_id;
	SELECT k.kid INTO kid FROM keycard.zone_keys k WHERE k.zone_id = zone_log_head.zone_id AND k.status = 'current';
	RETURN keycard.jws_sign(json_build_object(
		'type', 'zone_log_head', 'v', 1, 'zone_id', zone_id, 'tree_size', coalesce(size, 0),
		'root_hash', keycard.zone_log_root(zone_id, coalesce(size, 0)),
		'issued_at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')), kid);
END
$$;
COMMENT ON FUNCTION keycard.zone_log_head(text) IS
	'Signed tree head of the zone''s log: JWS (Flattened JSON, zone''s current key) of {"type": "zone_log_head", "v": 1, "zone_id", "tree_size", "root_hash" (hex), "issued_at"}';

CREATE FUNCTION keycard.zone_log_entries(zone_id text, start bigint, stop bigint)
	RETURNS TABLE (leaf_index bigint, event_id text, object_type text, object_id text, leaf text, leaf_hash text)
	LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 100
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM keycard.require_zone(zone_id);
	IF start IS NULL OR stop IS NULL OR start < 0 OR stop < start OR stop - start > 1000 THEN
		PERFORM keycard.raise_error('invalid_request', 'entries are asked for as start <= stop, at most 1000 at once',
			format('start %s, stop %s.', start, stop), 'Page through the log 1000 leaves at a time.');
	END IF;
	RETURN QUERY SELECT l.leaf_index, l.event_id, l.object_type, l.object_id, l.leaf, encode(l.leaf_hash, 'hex')
		FROM keycard.zone_log l
		WHERE l.zone_id = zone_log_entries.zone_id AND l.leaf_index >= start AND l.leaf_index < stop
		ORDER BY l.leaf_index;
END
$$;
COMMENT ON FUNCTION keycard.zone_log_entries(text, bigint, bigint) IS
	'Leaves start <= leaf_index < stop of the zone''s log (at most 1000), with their hex leaf hashes';

CREATE FUNCTION keycard.zone_log_find(zone_id text, id text)
	RETURNS TABLE (leaf_index bigint, event_id text, object_type text, object_id text, leaf text, leaf_hash text)
	LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 3
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM keycard.require_zone(zone_id);
	RETURN QUERY SELECT l.leaf_index, l.event_id, l.object_type, l.object_id, l.leaf, encode(l.leaf_hash, 'hex')
		FROM keycard.zone_log l
		WHERE l.zone_id = zone_log_find.zone_id AND (l.object_id = zone_log_find.id OR l.event_id = zone_log_find.id)
		ORDER BY l.leaf_index;
END
$$;
COMMENT ON FUNCTION keycard.zone_log_find(text, text) IS
	'The leaves of an object or event: a policy, policy version, policy set or set version id (its events and attestations), a binding change''s or audit record''s event id, an attestation id';

CREATE FUNCTION keycard.zone_log_inclusion_proof(zone_id text, leaf_index bigint, tree_size bigint) RETURNS jsonb
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM keycard.require_zone(zone_id);
	IF leaf_index IS NULL OR tree_size IS NULL THEN
		PERFORM keycard.raise_error('invalid_request', 'leaf_index and tree_size are required', NULL, NULL);
	END IF;
	RETURN keycard.zone_log_inclusion_path(zone_id, leaf_index, tree_size);
END
$$;
COMMENT ON FUNCTION keycard.zone_log_inclusion_proof(text, bigint, bigint) IS
	'RFC 9162 inclusion proof of a leaf in the tree of the first tree_size leaves: {"leaf_index", "tree_size", "leaf_hash", "root_hash", "audit_path"} (hex)';

CREATE FUNCTION keycard.zone_log_consistency_proof(zone_id text, first_size bigint, second_size bigint) RETURNS jsonb
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM keycard.require_zone(zone_id);
	IF first_size IS NULL OR second_size IS NULL THEN
		PERFORM keycard.raise_error('invalid_request', 'first_size and second_size are required', NULL, NULL);
	END IF;
	RETURN keycard.zone_log_consistency_path(zone_id, first_size, second_size);
END
$$;
COMMENT ON FUNCTION keycard.zone_log_consistency_proof(text, bigint, bigint) IS
	'RFC 9162 consistency proof between the trees of the first first_size and second_size leaves: {"first_size", "second_size", "first_root_hash", "second_root_hash", "consistency_path"} (hex)';

-- Checking a zone's log against its rows ----------------------------------------------------

CREATE FUNCTION keycard.verify_zone_log(zone_id text)
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
REVOKE ALL ON FUNCTION keycard.verify_zone_log(text) FROM PUBLIC;
COMMENT ON FUNCTION keycard.verify_zone_log(text) IS
	'Internal (verify_zone): the zone''s log recomputed from its leaves and compared with the registry rows; each disagreement';
