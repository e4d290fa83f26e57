------------------------------------------------------------------------------
-- keycard install script, part 57: policy bundles
--
-- One JSON document with everything an offline decision point needs to
-- decide, and to check, for a zone and the scope targets it serves: the set
-- versions bound (active and shadow) to the zone slot and to each named
-- target's slot, each with its manifest, manifest_sha, current attestation
-- JWS and policy contents; the schemas they are pinned to; the zone JWKS; a
-- signed head of the zone's log with RFC 9162 inclusion proofs of the leaves
-- that created, attested and bound each set version; and a signature over
-- the whole document.  Reads only (a standby serves bundles), under the
-- caller's zone rules.  test/bundle-verifier.mjs checks one with node:crypto
-- and jose alone (test/suites/48-bundle-verifier).
------------------------------------------------------------------------------

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
