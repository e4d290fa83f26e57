------------------------------------------------------------------------------
-- keycard install script, part 50: the registry's SQL and PL/pgSQL functions
--
-- Zones and their keys, schema versions, policies, policy versions, policy
-- sets, policy set versions, tamper evidence (verify_zone), bindings and
-- drafts.  The SECURITY DEFINER functions check the caller's zones
-- themselves.  The statements of a PL/pgSQL body are resolved when it first
-- runs, so these functions may call one another and those of 40-registry-c.sql
-- in any order.
------------------------------------------------------------------------------

-- Zones, keys, JWKS, rotation ------------------------------------------------------------

CREATE FUNCTION keycard.require_zone(zone_id text) RETURNS void
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	AS $$
BEGIN
	IF zone_id IS NULL OR NOT keycard.zone_visible(zone_id)
	   OR NOT EXISTS (SELECT 1 FROM keycard.zones z WHERE z.zone_id = require_zone.zone_id) THEN
		PERFORM keycard.raise_error('not_found', format('zone "%s" not found', zone_id),
			'No zone with that id is visible to the caller.', NULL);
	END IF;
END
$$;
COMMENT ON FUNCTION keycard.require_zone(text) IS
	'Raises not_found unless the zone exists and the caller may use it (unknown and foreign zones look alike)';

CREATE FUNCTION keycard.require_platform(operation text) RETURNS void
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	AS $$
BEGIN
	IF NOT keycard.caller_is_platform() THEN
		PERFORM keycard.raise_error('platform_only', format('%s is reserved for the platform operator', operation),
			NULL, 'Ask the platform operator to perform it.');
	END IF;
END
$$;

CREATE FUNCTION keycard.create_zone(name text DEFAULT NULL, alg text DEFAULT 'RS256')
	RETURNS keycard.zones
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	id text := keycard.new_id();
	ts timestamptz := keycard.id_time(id);
	actor text := keycard.current_actor();
	rid text := keycard.client_request_id();
	z keycard.zones;
	key_id text;
BEGIN
	PERFORM keycard.require_platform('creating a zone');
	IF alg IS NULL OR alg NOT IN ('RS256', 'EdDSA') THEN
		PERFORM keycard.raise_error('invalid_request', format('unsupported signing algorithm "%s"', alg),
			NULL, 'Use RS256 or EdDSA.');
	END IF;
	IF create_zone.name IS NOT NULL AND length(create_zone.name) NOT BETWEEN 1 AND 255 THEN
		PERFORM keycard.raise_error('invalid_request', 'zone name must have 1 to 255 characters', NULL, NULL);
	END IF;
	INSERT INTO keycard.zones (zone_id, name, default_schema_version, created_at, created_by, updated_at, request_id)
	VALUES (id, create_zone.name,
			(SELECT s.version FROM keycard.schema_version_states s WHERE s.status = 'active' ORDER BY s.version DESC LIMIT 1),
			ts, actor, ts, rid)
	RETURNING * INTO z;
	IF z.default_schema_version IS NULL THEN
		RAISE EXCEPTION 'no active schema version is installed';
	END IF;
	key_id := keycard.create_signing_key(alg);
	INSERT INTO keycard.zone_keys (zone_id, kid, alg, status, created_at, created_by, request_id)
	VALUES (id, key_id, alg, 'current', ts, actor, rid);
	PERFORM keycard.audit(id, 'create', 'zone', id, jsonb_build_object('kid', key_id, 'alg', alg));
	RETURN z;
END
$$;
COMMENT ON FUNCTION keycard.create_zone(text, text) IS
	'Platform only: a new zone with its first signing key (RS256 or EdDSA) and the newest active schema version as default';

CREATE FUNCTION keycard.add_zone_member(zone_id text, role_name text) RETURNS void
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM keycard.require_platform('managing zone membership');
	PERFORM keycard.require_zone(zone_id);
	INSERT INTO keycard.zone_members (zone_id, role_name) VALUES (zone_id, role_name) ON CONFLICT DO NOTHING;
	PERFORM keycard.audit(zone_id, 'add_member', 'zone', zone_id, jsonb_build_object('role', role_name));
END
$$;
COMMENT ON FUNCTION keycard.add_zone_member(text, text) IS
	'Platform only: lets a database role (and its members) use a zone from SQL';

CREATE FUNCTION keycard.zone_jwks(zone_id text) RETURNS jsonb
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	jwks jsonb;
BEGIN
	-- Public by design (anyone verifies attestations), so no zone check beyond existence.
	IF zone_id IS NULL OR NOT EXISTS (SELECT 1 FROM keycard.zones z WHERE z.zone_id = zone_jwks.zone_id) THEN
		PERFORM keycard.raise_error('not_found', format('zone "%s" not found', zone_id), NULL, NULL);
	END IF;
	SELECT jsonb_build_object('keys', coalesce(jsonb_agg(keycard.jwk(k.kid) ORDER BY k.created_at, k.kid), '[]'))
	INTO jwks
	FROM keycard.zone_keys k WHERE k.zone_id = zone_jwks.zone_id;
	RETURN jwks;
END
$$;
COMMENT ON FUNCTION keycard.zone_jwks(text) IS
	'The zone''s JWKS (RFC 7517): current and retired public keys; readable without authentication';

CREATE FUNCTION keycard.rotate_zone_key(zone_id text, alg text DEFAULT NULL) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	old keycard.zone_keys;
	new_kid text;
	new_alg text;
	actor text := keycard.current_actor();
	ts timestamptz := clock_timestamp();
	n integer := 0;
	v record;
BEGIN
	PERFORM keycard.require_platform('rotating a zone key');
	PERFORM keycard.require_zone(zone_id);
	-- Waits for policy set versions being created (they hold FOR SHARE on the
	-- zone row) and makes new ones wait, so none is signed by the old key
	-- after the re-signing below.  (NO KEY UPDATE: the foreign key checks of
	-- other writes in the zone, FOR KEY SHARE, need not wait.)
	PERFORM 1 FROM keycard.zones z WHERE z.zone_id = rotate_zone_key.zone_id FOR NO KEY UPDATE;
	SELECT * INTO STRICT old FROM keycard.zone_keys k WHERE k.zone_id = rotate_zone_key.zone_id AND k.status = 'current';
	new_alg := coalesce(alg, old.alg);
	IF new_alg NOT IN ('RS256', 'EdDSA') THEN
		PERFORM keycard.raise_error('invalid_request', format('unsupported signing algorithm "%s"', new_alg),
			NULL, 'Use RS256 or EdDSA.');
	END IF;
	new_kid := keycard.create_signing_key(new_alg);
	UPDATE keycard.zone_keys k SET status = 'retired', retired_at = ts, retired_by = actor
	WHERE k.zone_id = rotate_zone_key.zone_id AND k.kid = old.kid;
	INSERT INTO keycard.zone_keys (zone_id, kid, alg, status, created_at, created_by, request_id)
	VALUES (rotate_zone_key.zone_id, new_kid, new_alg, 'current', ts, actor, keycard.client_request_id());
	FOR v IN SELECT x.version_id FROM keycard.policy_set_versions x
			 WHERE x.zone_id = rotate_zone_key.zone_id AND x.archived_at IS NULL
			 ORDER BY x.version_id LOOP
		PERFORM keycard.attest(rotate_zone_key.zone_id, v.version_id, 're_signed');
		n := n + 1;
	END LOOP;
	PERFORM keycard.audit(zone_id, 'rotate_key', 'zone', zone_id,
		jsonb_build_object('retired_kid', old.kid, 'kid', new_kid, 'alg', new_alg, 're_signed', n));
	RETURN jsonb_build_object('zone_id', zone_id, 'kid', new_kid, 'alg', new_alg, 'retired_kid', old.kid, 're_signed', n);
END
$$;
COMMENT ON FUNCTION keycard.rotate_zone_key(text, text) IS
	'Platform only: retires the zone''s current key, makes a new one (same algorithm unless given) and re-signs every non-archived policy set version (status re_signed)';

-- Schema versions ----------------------------------------------------------------------

CREATE FUNCTION keycard.set_default_schema_version(zone_id text, version text)
	RETURNS SETOF keycard.zone_schema_versions
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER ROWS 1
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	st text;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT s.status INTO st FROM keycard.schema_version_states s WHERE s.version = set_default_schema_version.version;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('schema version "%s" not found', version), NULL, NULL);
	ELSIF st = 'archived' THEN
		PERFORM keycard.raise_error('schema_version_archived', format('schema version "%s" is archived', version),
			NULL, 'Choose an active or deprecated schema version.');
	END IF;
	UPDATE keycard.zones z SET default_schema_version = set_default_schema_version.version,
		updated_at = clock_timestamp(), updated_by = keycard.current_actor()
	WHERE z.zone_id = set_default_schema_version.zone_id;
	PERFORM keycard.audit(zone_id, 'set_default', 'schema_version', version, NULL);
	RETURN QUERY SELECT * FROM keycard.zone_schema_versions x
		WHERE x.zone_id = set_default_schema_version.zone_id AND x.version = set_default_schema_version.version;
END
$$;
COMMENT ON FUNCTION keycard.set_default_schema_version(text, text) IS
	'Makes a schema version the zone''s default (a hint for clients; no effect on evaluation)';

CREATE FUNCTION keycard.set_schema_version_status(version text, status text) RETURNS keycard.schema_version_states
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	cur keycard.schema_version_states;
BEGIN
	PERFORM keycard.require_platform('changing a schema version''s status');
	SELECT * INTO cur FROM keycard.schema_version_states s WHERE s.version = set_schema_version_status.version;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('schema version "%s" not found', version), NULL, NULL);
	END IF;
	IF status IS NULL OR status NOT IN ('active', 'deprecated', 'archived') THEN
		PERFORM keycard.raise_error('invalid_request', format('invalid schema status "%s"', status),
			NULL, 'Use active, deprecated or archived.');
	END IF;
	IF cur.status = 'archived' AND status <> 'archived' THEN
		PERFORM keycard.raise_error('archived', format('schema version "%s" is archived', version),
			'Archiving a schema version is final.', NULL);
	END IF;
	IF cur.status <> status THEN
		INSERT INTO keycard.schema_version_events (version, event_id, status, occurred_at, actor, request_id)
		VALUES (version, keycard.new_id(), status, clock_timestamp(), keycard.current_actor(), keycard.client_request_id());
	END IF;
	SELECT * INTO cur FROM keycard.schema_version_states s WHERE s.version = set_schema_version_status.version;
	RETURN cur;
END
$$;
COMMENT ON FUNCTION keycard.set_schema_version_status(text, text) IS
	'Platform only: deprecates or archives a schema version (archived is final: no new policy versions pin it)';

-- Policies --------------------------------------------------------------------------------

CREATE FUNCTION keycard.owner_type() RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	RETURN CASE WHEN keycard.caller_is_platform() THEN 'platform' ELSE 'customer' END;
COMMENT ON FUNCTION keycard.owner_type() IS 'owner_type of objects the caller creates: platform or customer';

CREATE FUNCTION keycard.check_name(name text, what text) RETURNS void
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	AS $$
BEGIN
	-- Whitespace of every kind, Unicode's included ([:space:] alone is ASCII in a C-locale database).
	IF name IS NULL OR length(name) NOT BETWEEN 1 AND 255
	   OR name ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'
	   OR name ~ '[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]$' THEN
		PERFORM keycard.raise_error('invalid_request', format('invalid %s name', what),
			'A name has 1 to 255 characters and no leading or trailing whitespace.', NULL);
	END IF;
END
$$;

CREATE FUNCTION keycard.check_changes(changes jsonb, allowed text[]) RETURNS void
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	AS $$
DECLARE
	k text;
BEGIN
	IF changes IS NULL OR jsonb_typeof(changes) <> 'object' THEN
		PERFORM keycard.raise_error('invalid_request', 'changes must be a JSON object', NULL, NULL);
	END IF;
	FOR k IN SELECT jsonb_object_keys(changes) LOOP
		IF NOT k = ANY (allowed) THEN
			PERFORM keycard.raise_error('invalid_request', format('unknown field "%s"', k),
				format('Updatable fields: %s.', array_to_string(allowed, ', ')), NULL);
		END IF;
	END LOOP;
END
$$;

CREATE FUNCTION keycard.create_policy(zone_id text, name text, description text DEFAULT NULL)
	RETURNS keycard.policies
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	id text := keycard.new_id();
	ts timestamptz := keycard.id_time(id);
	p keycard.policies;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	PERFORM keycard.check_name(name, 'policy');
	IF length(description) > 4096 THEN
		PERFORM keycard.raise_error('invalid_request', 'description is too long', 'At most 4096 characters are accepted.', NULL);
	END IF;
	BEGIN
		INSERT INTO keycard.policies (zone_id, policy_id, name, description, owner_type, created_at, created_by,
									  updated_at, request_id)
		VALUES (zone_id, id, name, description, keycard.owner_type(), ts, keycard.current_actor(), ts,
				keycard.client_request_id())
		RETURNING * INTO p;
	EXCEPTION WHEN unique_violation THEN
		PERFORM keycard.raise_error('name_taken', format('policy name "%s" is already taken', name),
			'Another policy in this zone that is not archived has that name.', 'Choose another name or archive the other policy.');
	END;
	PERFORM keycard.audit(zone_id, 'create', 'policy', id, NULL);
	RETURN p;
END
$$;
COMMENT ON FUNCTION keycard.create_policy(text, text, text) IS
	'Creates a policy (no versions yet); the name is unique among the zone''s non-archived policies';

CREATE FUNCTION keycard.get_policy(zone_id text, policy_id text) RETURNS keycard.policies
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	p keycard.policies;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT * INTO p FROM keycard.policies x WHERE x.zone_id = get_policy.zone_id AND x.policy_id = get_policy.policy_id;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy "%s" not found', policy_id), NULL, NULL);
	END IF;
	RETURN p;
END
$$;
COMMENT ON FUNCTION keycard.get_policy(text, text) IS 'One policy, or not_found';

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

-- Locks a policy for a change by the caller: not_found, platform_owned,
-- etag_mismatch (when if_match is given) and archived, in that order.
CREATE FUNCTION keycard.lock_policy(zone_id text, policy_id text, if_match text, for_archive boolean)
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
REVOKE ALL ON FUNCTION keycard.lock_policy(text, text, text, boolean) FROM PUBLIC;

CREATE FUNCTION keycard.update_policy(zone_id text, policy_id text, changes jsonb, if_match text DEFAULT NULL)
	RETURNS keycard.policies
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	p keycard.policies;
	new_name text;
	new_description text;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	PERFORM keycard.check_changes(changes, ARRAY['name', 'description']);
	IF changes ? 'name' THEN
		IF jsonb_typeof(changes -> 'name') <> 'string' THEN
			PERFORM keycard.raise_error('invalid_request', 'name must be a string', NULL, NULL);
		END IF;
		PERFORM keycard.check_name(changes ->> 'name', 'policy');
	END IF;
	IF changes ? 'description' AND jsonb_typeof(changes -> 'description') NOT IN ('string', 'null') THEN
		PERFORM keycard.raise_error('invalid_request', 'description must be a string or null', NULL, NULL);
	END IF;
	IF length(changes ->> 'description') > 4096 THEN
		PERFORM keycard.raise_error('invalid_request', 'description is too long', 'At most 4096 characters are accepted.', NULL);
	END IF;
	p := keycard.lock_policy(zone_id, policy_id, if_match, false);
	new_name := CASE WHEN changes ? 'name' THEN changes ->> 'name' ELSE p.name END;
	new_description := CASE WHEN changes ? 'description' THEN changes ->> 'description' ELSE p.description END;
	BEGIN
		UPDATE keycard.policies x SET name = new_name, description = new_description,
			updated_at = clock_timestamp(), updated_by = keycard.current_actor()
		WHERE x.zone_id = update_policy.zone_id AND x.policy_id = update_policy.policy_id
		RETURNING * INTO p;
	EXCEPTION WHEN unique_violation THEN
		PERFORM keycard.raise_error('name_taken', format('policy name "%s" is already taken', new_name),
			'Another policy in this zone that is not archived has that name.', 'Choose another name or archive the other policy.');
	END;
	PERFORM keycard.audit(zone_id, 'update', 'policy', policy_id, changes);
	RETURN p;
END
$$;
COMMENT ON FUNCTION keycard.update_policy(text, text, jsonb, text) IS
	'Updates name and/or description ({"name":..., "description":...}); if_match, when given, must equal the current ETag';

CREATE FUNCTION keycard.archive_policy(zone_id text, policy_id text) RETURNS keycard.policies
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	p keycard.policies;
	actor text := keycard.current_actor();
	ts timestamptz := clock_timestamp();
BEGIN
	PERFORM keycard.lock_policy(zone_id, policy_id, NULL, true);
	UPDATE keycard.policies x SET archived_at = ts, archived_by = actor, updated_at = ts, updated_by = actor
	WHERE x.zone_id = archive_policy.zone_id AND x.policy_id = archive_policy.policy_id
	RETURNING * INTO p;
	PERFORM keycard.audit(zone_id, 'archive', 'policy', policy_id, NULL);
	RETURN p;
END
$$;
COMMENT ON FUNCTION keycard.archive_policy(text, text) IS
	'Archives a policy (final): it keeps its versions, accepts no new ones, and frees its name';

-- Policy versions ------------------------------------------------------------------------

CREATE FUNCTION keycard.get_policy_version(zone_id text, policy_id text, version_id text)
	RETURNS keycard.policy_versions
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v keycard.policy_versions;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT * INTO v FROM keycard.policy_versions x
	WHERE x.zone_id = get_policy_version.zone_id AND x.version_id = get_policy_version.version_id
	  AND x.policy_id = get_policy_version.policy_id;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy version "%s" not found', version_id), NULL, NULL);
	END IF;
	RETURN v;
END
$$;
COMMENT ON FUNCTION keycard.get_policy_version(text, text, text) IS 'One policy version, or not_found';

CREATE FUNCTION keycard.archive_policy_version(zone_id text, policy_id text, version_id text)
	RETURNS keycard.policy_versions
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v keycard.policy_versions;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT * INTO v FROM keycard.policy_versions x
	WHERE x.zone_id = archive_policy_version.zone_id AND x.version_id = archive_policy_version.version_id
	  AND x.policy_id = archive_policy_version.policy_id
	FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy version "%s" not found', version_id), NULL, NULL);
	END IF;
	IF v.owner_type = 'platform' AND NOT keycard.caller_is_platform() THEN
		PERFORM keycard.raise_error('platform_owned', format('policy version %s is owned by the platform', v.version),
			'Platform-owned versions can be read but not archived by customers.', NULL);
	END IF;
	IF v.archived_at IS NOT NULL THEN
		PERFORM keycard.raise_error('archived', format('policy version %s is already archived', v.version), NULL, NULL);
	END IF;
	UPDATE keycard.policy_versions x SET archived_at = clock_timestamp(), archived_by = keycard.current_actor()
	WHERE x.zone_id = archive_policy_version.zone_id AND x.version_id = archive_policy_version.version_id
	RETURNING * INTO v;
	PERFORM keycard.audit(zone_id, 'archive', 'policy_version', version_id, NULL);
	RETURN v;
END
$$;
COMMENT ON FUNCTION keycard.archive_policy_version(text, text, text) IS
	'Archives a policy version: sets archived_at/archived_by, once, and nothing else';

-- Policy sets -----------------------------------------------------------------------------

CREATE FUNCTION keycard.create_policy_set(zone_id text, name text, scope_type text DEFAULT 'zone')
	RETURNS keycard.policy_sets
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	id text := keycard.new_id();
	ts timestamptz := keycard.id_time(id);
	s keycard.policy_sets;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	PERFORM keycard.check_name(name, 'policy set');
	IF scope_type IS NULL OR scope_type NOT IN ('zone', 'resource', 'user', 'session') THEN
		PERFORM keycard.raise_error('invalid_request', format('invalid scope_type "%s"', scope_type),
			NULL, 'Use zone, resource, user or session.');
	END IF;
	BEGIN
		INSERT INTO keycard.policy_sets (zone_id, policy_set_id, name, owner_type, scope_type, created_at, created_by,
										 updated_at, request_id)
		VALUES (zone_id, id, name, keycard.owner_type(), scope_type, ts, keycard.current_actor(), ts,
				keycard.client_request_id())
		RETURNING * INTO s;
	EXCEPTION WHEN unique_violation THEN
		PERFORM keycard.raise_error('name_taken', format('policy set name "%s" is already taken', name),
			'Another policy set in this zone that is not archived has that name.', 'Choose another name or archive the other policy set.');
	END;
	PERFORM keycard.audit(zone_id, 'create', 'policy_set', id, jsonb_build_object('scope_type', scope_type));
	RETURN s;
END
$$;
COMMENT ON FUNCTION keycard.create_policy_set(text, text, text) IS
	'Creates an unbound policy set (scope zone, resource, user or session)';

CREATE FUNCTION keycard.get_policy_set(zone_id text, policy_set_id text) RETURNS keycard.policy_sets
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	s keycard.policy_sets;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT * INTO s FROM keycard.policy_sets x
	WHERE x.zone_id = get_policy_set.zone_id AND x.policy_set_id = get_policy_set.policy_set_id;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy set "%s" not found', policy_set_id), NULL, NULL);
	END IF;
	RETURN s;
END
$$;
COMMENT ON FUNCTION keycard.get_policy_set(text, text) IS 'One policy set, or not_found';

-- A policy set's ETag.  Its representation (PolicySetWithBinding) shows the
-- set's bindings, which live in keycard.bindings and do not touch the set's
-- row (nor its revision): when bound, the tag adds a digest of each binding's
-- mode, version and bound_at (a rebinding, even to an earlier version, is
-- bound at a new time).  Unbound, it is the row's "<revision>".
CREATE FUNCTION keycard.policy_set_etag(zone_id text, policy_set_id text, revision bigint) RETURNS text
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
COMMENT ON FUNCTION keycard.policy_set_etag(text, text, bigint) IS
	'ETag of a policy set: its revision, and its bindings when bound (changes on every change of PolicySetWithBinding)';

CREATE FUNCTION keycard.lock_policy_set(zone_id text, policy_set_id text, if_match text)
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
REVOKE ALL ON FUNCTION keycard.lock_policy_set(text, text, text) FROM PUBLIC;

CREATE FUNCTION keycard.update_policy_set(zone_id text, policy_set_id text, changes jsonb, if_match text DEFAULT NULL)
	RETURNS keycard.policy_sets
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	s keycard.policy_sets;
	new_name text;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	PERFORM keycard.check_changes(changes, ARRAY['name']);
	IF changes ? 'name' THEN
		IF jsonb_typeof(changes -> 'name') <> 'string' THEN
			PERFORM keycard.raise_error('invalid_request', 'name must be a string', NULL, NULL);
		END IF;
		PERFORM keycard.check_name(changes ->> 'name', 'policy set');
	END IF;
	s := keycard.lock_policy_set(zone_id, policy_set_id, if_match);
	new_name := coalesce(changes ->> 'name', s.name);
	BEGIN
		UPDATE keycard.policy_sets x SET name = new_name, updated_at = clock_timestamp(), updated_by = keycard.current_actor()
		WHERE x.zone_id = update_policy_set.zone_id AND x.policy_set_id = update_policy_set.policy_set_id
		RETURNING * INTO s;
	EXCEPTION WHEN unique_violation THEN
		PERFORM keycard.raise_error('name_taken', format('policy set name "%s" is already taken', new_name),
			'Another policy set in this zone that is not archived has that name.', 'Choose another name or archive the other policy set.');
	END;
	PERFORM keycard.audit(zone_id, 'update', 'policy_set', policy_set_id, changes);
	RETURN s;
END
$$;
COMMENT ON FUNCTION keycard.update_policy_set(text, text, jsonb, text) IS
	'Renames a policy set ({"name": ...}); if_match, when given, must equal the current ETag';

CREATE FUNCTION keycard.archive_policy_set(zone_id text, policy_set_id text, if_match text DEFAULT NULL)
	RETURNS keycard.policy_sets
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	s keycard.policy_sets;
	actor text := keycard.current_actor();
	ts timestamptz := clock_timestamp();
BEGIN
	PERFORM keycard.lock_policy_set(zone_id, policy_set_id, if_match);
	UPDATE keycard.policy_sets x SET archived_at = ts, archived_by = actor, updated_at = ts, updated_by = actor
	WHERE x.zone_id = archive_policy_set.zone_id AND x.policy_set_id = archive_policy_set.policy_set_id
	RETURNING * INTO s;
	PERFORM keycard.audit(zone_id, 'archive', 'policy_set', policy_set_id, NULL);
	RETURN s;
END
$$;
COMMENT ON FUNCTION keycard.archive_policy_set(text, text, text) IS
	'Archives a policy set (final); if_match, when given, must equal the current ETag';

-- Policy set versions ------------------------------------------------------------------------

CREATE FUNCTION keycard.get_policy_set_version(zone_id text, policy_set_id text, version_id text)
	RETURNS keycard.policy_set_versions
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v keycard.policy_set_versions;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT * INTO v FROM keycard.policy_set_versions x
	WHERE x.zone_id = get_policy_set_version.zone_id AND x.version_id = get_policy_set_version.version_id
	  AND x.policy_set_id = get_policy_set_version.policy_set_id;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy set version "%s" not found', version_id), NULL, NULL);
	END IF;
	RETURN v;
END
$$;
COMMENT ON FUNCTION keycard.get_policy_set_version(text, text, text) IS 'One policy set version, or not_found';

CREATE FUNCTION keycard.archive_policy_set_version(zone_id text, policy_set_id text, version_id text)
	RETURNS keycard.policy_set_versions
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v keycard.policy_set_versions;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT * INTO v FROM keycard.policy_set_versions x
	WHERE x.zone_id = archive_policy_set_version.zone_id AND x.version_id = archive_policy_set_version.version_id
	  AND x.policy_set_id = archive_policy_set_version.policy_set_id
	FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy set version "%s" not found', version_id), NULL, NULL);
	END IF;
	IF v.owner_type = 'platform' AND NOT keycard.caller_is_platform() THEN
		PERFORM keycard.raise_error('platform_owned', format('policy set version %s is owned by the platform', v.version),
			'Platform-owned versions can be read but not archived by customers.', NULL);
	END IF;
	IF v.archived_at IS NOT NULL THEN
		PERFORM keycard.raise_error('archived', format('policy set version %s is already archived', v.version), NULL, NULL);
	END IF;
	UPDATE keycard.policy_set_versions x SET archived_at = clock_timestamp(), archived_by = keycard.current_actor()
	WHERE x.zone_id = archive_policy_set_version.zone_id AND x.version_id = archive_policy_set_version.version_id
	RETURNING * INTO v;
	PERFORM keycard.audit(zone_id, 'archive', 'policy_set_version', version_id, NULL);
	RETURN v;
END
$$;
COMMENT ON FUNCTION keycard.archive_policy_set_version(text, text, text) IS
	'Archives a policy set version: sets archived_at/archived_by, once, and nothing else; it is no longer re-signed';

-- Tamper evidence ----------------------------------------------------------------------------

CREATE FUNCTION keycard.verify_zone(zone_id text)
	RETURNS TABLE (object_type text, object_id text, problem text, detail text)
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
-- Recomputes what the registry promises and returns every disagreement:
-- policy version shas (from cedar_json and from cedar_raw), manifest entries
-- against their policy versions, manifest shas, and every attestation in the
-- history against the zone JWKS and its policy set version.
DECLARE
	jwks jsonb;
	r record;
	h text;
	payload jsonb;
	protected jsonb;
	cur_kid text;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	jwks := keycard.zone_jwks(zone_id);
	SELECT k.kid INTO cur_kid FROM keycard.zone_keys k WHERE k.zone_id = verify_zone.zone_id AND k.status = 'current';

	FOR r IN SELECT * FROM keycard.policy_versions x WHERE x.zone_id = verify_zone.zone_id ORDER BY x.version_id LOOP
		h := keycard.jcs_sha256(r.cedar_json);
		IF h <> r.sha THEN
			RETURN QUERY SELECT 'policy_version', r.version_id, 'sha_mismatch',
				format('stored sha %s, cedar_json hashes to %s', r.sha, h);
		END IF;
		BEGIN
			h := keycard.jcs_sha256(keycard.cedar_policy_normalize(r.cedar_raw));
		EXCEPTION WHEN data_exception OR syntax_error THEN
			h := NULL;
		END;
		IF h IS DISTINCT FROM r.sha THEN
			RETURN QUERY SELECT 'policy_version', r.version_id, 'cedar_raw_mismatch',
				coalesce(format('stored sha %s, cedar_raw hashes to %s', r.sha, h), 'cedar_raw does not parse');
		END IF;
	END LOOP;

	FOR r IN SELECT * FROM keycard.policy_set_versions x WHERE x.zone_id = verify_zone.zone_id ORDER BY x.version_id LOOP
		h := keycard.jcs_sha256(jsonb_build_object('entries', r.manifest -> 'entries'));
		IF h <> r.manifest_sha THEN
			RETURN QUERY SELECT 'policy_set_version', r.version_id, 'manifest_sha_mismatch',
				format('stored manifest_sha %s, manifest hashes to %s', r.manifest_sha, h);
		END IF;
		IF (r.manifest -> 'entries') IS DISTINCT FROM
		   (SELECT coalesce(jsonb_agg(jsonb_build_object('policy_id', e.policy_id, 'policy_version_id', e.policy_version_id,
														 'sha', e.sha) ORDER BY e.position), '[]')
			FROM keycard.policy_set_version_entries e
			WHERE e.zone_id = verify_zone.zone_id AND e.version_id = r.version_id) THEN
			RETURN QUERY SELECT 'policy_set_version', r.version_id, 'manifest_entries_mismatch',
				'the manifest differs from its entry rows';
		END IF;
		RETURN QUERY
			SELECT 'policy_set_version', r.version_id, 'entry_sha_mismatch',
				   format('entry %s: manifest says %s, policy version %s has %s', e.n, e.x ->> 'sha', pv.version_id, pv.sha)
			FROM jsonb_array_elements(r.manifest -> 'entries') WITH ORDINALITY e(x, n)
			LEFT JOIN keycard.policy_versions pv ON pv.zone_id = verify_zone.zone_id AND pv.version_id = e.x ->> 'policy_version_id'
			WHERE pv.sha IS DISTINCT FROM e.x ->> 'sha'
			ORDER BY e.n;
		IF NOT EXISTS (SELECT 1 FROM keycard.attestations a WHERE a.zone_id = verify_zone.zone_id AND a.version_id = r.version_id) THEN
			RETURN QUERY SELECT 'policy_set_version', r.version_id, 'missing_attestation', 'no attestation was recorded';
		ELSIF r.archived_at IS NULL AND (SELECT c.kid FROM keycard.current_attestations c
										 WHERE c.zone_id = verify_zone.zone_id AND c.version_id = r.version_id) <> cur_kid THEN
			RETURN QUERY SELECT 'policy_set_version', r.version_id, 'stale_attestation',
				'the newest attestation is not signed with the zone''s current key';
		END IF;
	END LOOP;

	FOR r IN SELECT a.*, v.manifest_sha, v.policy_set_id, v.version
			 FROM keycard.attestations a
			 JOIN keycard.policy_set_versions v ON v.zone_id = a.zone_id AND v.version_id = a.version_id
			 WHERE a.zone_id = verify_zone.zone_id ORDER BY a.attestation_id LOOP
		BEGIN
			payload := keycard.jws_verify(r.jws, jwks);
		EXCEPTION WHEN OTHERS THEN
			payload := NULL;
			GET STACKED DIAGNOSTICS h = MESSAGE_TEXT;
		END;
		IF payload IS NULL THEN
			RETURN QUERY SELECT 'attestation', r.attestation_id, 'signature_invalid', h;
			CONTINUE;
		END IF;
		BEGIN
			protected := convert_from(keycard.base64url_decode(r.jws ->> 'protected'), 'UTF8')::jsonb;
		EXCEPTION WHEN OTHERS THEN
			protected := NULL;
		END;
		IF payload IS DISTINCT FROM r.statement THEN
			RETURN QUERY SELECT 'attestation', r.attestation_id, 'statement_mismatch',
				'the signed payload differs from the stored statement';
		END IF;
		IF payload ->> 'manifest_sha' IS DISTINCT FROM r.manifest_sha
		   OR payload ->> 'policy_set_id' IS DISTINCT FROM r.policy_set_id
		   OR (payload ->> 'policy_set_version')::integer IS DISTINCT FROM r.version
		   OR payload ->> 'zone_id' IS DISTINCT FROM r.zone_id
		   OR payload ->> 'key_id' IS DISTINCT FROM r.kid
		   OR payload ->> 'status' IS DISTINCT FROM r.status
		   OR payload ->> 'type' IS DISTINCT FROM 'policy_set_attestation'
		   OR protected ->> 'kid' IS DISTINCT FROM r.kid THEN
			RETURN QUERY SELECT 'attestation', r.attestation_id, 'statement_mismatch',
				format('the signed statement does not describe version %s of policy set %s (manifest_sha %s) signed by %s',
					   r.version, r.policy_set_id, r.manifest_sha, r.kid);
		END IF;
	END LOOP;

	-- The zone's transparency log against the rows (55-zone-log.sql).
	RETURN QUERY SELECT * FROM keycard.verify_zone_log(zone_id);
END
$$;
COMMENT ON FUNCTION keycard.verify_zone(text) IS
	'Recomputes every policy version sha and manifest sha, verifies every attestation against the zone JWKS, and recomputes the zone''s log from its leaves and its rows (every row has its leaf, every leaf its row); returns each mismatch (no rows when intact)';

-- Binding functions ----------------------------------------------------------------------

-- Words for a slot in messages: "the zone", or user "u-1".
CREATE FUNCTION keycard.slot_text(scope_type text, scope_target_id text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN CASE WHEN scope_type OPERATOR(pg_catalog.=) 'zone' THEN 'the zone'
				ELSE pg_catalog.format('%s "%s"', scope_type, scope_target_id) END;

CREATE FUNCTION keycard.update_policy_set_version(zone_id text, policy_set_id text, version_id text, changes jsonb)
	RETURNS keycard.policy_set_versions_with_binding
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
-- The PATCH body: {"active": true} activates, {"mode": "active"|"shadow"}
-- binds with that mode, "scope_target_id" names the slot of non-zone scopes.
DECLARE
	m text;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	PERFORM keycard.check_changes(changes, ARRAY['active', 'mode', 'scope_target_id']);
	IF changes ? 'active' AND changes -> 'active' IS DISTINCT FROM 'true' THEN
		IF changes -> 'active' = 'false' THEN
			PERFORM keycard.raise_error('invalid_request', 'a policy set version cannot be deactivated',
				'There is no deactivation: a slot that had an active policy set version always keeps one.',
				'Activate another version instead (roll back is "activate version N").');
		END IF;
		PERFORM keycard.raise_error('invalid_request', 'active must be true', NULL, NULL);
	END IF;
	IF changes ? 'mode' AND (jsonb_typeof(changes -> 'mode') IS DISTINCT FROM 'string' OR changes ->> 'mode' NOT IN ('active', 'shadow')) THEN
		PERFORM keycard.raise_error('invalid_request', 'mode must be "active" or "shadow"', NULL, NULL);
	END IF;
	IF changes ? 'scope_target_id' AND jsonb_typeof(changes -> 'scope_target_id') NOT IN ('string', 'null') THEN
		PERFORM keycard.raise_error('invalid_request', 'scope_target_id must be a string', NULL, NULL);
	END IF;
	IF NOT (changes ? 'active' OR changes ? 'mode') THEN
		PERFORM keycard.raise_error('invalid_request', 'nothing to change',
			'The body is {"active": true} or {"mode": "active"} or {"mode": "shadow"}.', NULL);
	END IF;
	m := coalesce(changes ->> 'mode', 'active');
	IF changes ? 'active' AND m = 'shadow' THEN
		PERFORM keycard.raise_error('invalid_request', '"active": true contradicts "mode": "shadow"', NULL,
			'Send {"mode": "shadow"} to bind as shadow.');
	END IF;
	RETURN keycard.bind_policy_set_version(zone_id, policy_set_id, version_id, m, changes ->> 'scope_target_id');
END
$$;
COMMENT ON FUNCTION keycard.update_policy_set_version(text, text, text, jsonb) IS
	'PATCH of a policy set version: {"active": true} activates, {"mode": "shadow"} binds as shadow; {"active": false} is refused (no deactivation)';

CREATE FUNCTION keycard.get_policy_set_with_binding(zone_id text, policy_set_id text)
	RETURNS keycard.policy_sets_with_binding
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	result keycard.policy_sets_with_binding;
BEGIN
	PERFORM keycard.require_zone(zone_id);
	SELECT * INTO result FROM keycard.policy_sets_with_binding x
	WHERE x.zone_id = get_policy_set_with_binding.zone_id AND x.policy_set_id = get_policy_set_with_binding.policy_set_id;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy set "%s" not found', policy_set_id), NULL, NULL);
	END IF;
	RETURN result;
END
$$;
COMMENT ON FUNCTION keycard.get_policy_set_with_binding(text, text) IS 'PolicySetWithBinding of one policy set, or not_found';

-- Drafts -------------------------------------------------------------------------------------

-- The schema version of a draft: given (must exist and not be archived), else the zone's default.
CREATE FUNCTION keycard.draft_schema_version(zone_id text, schema_version text) RETURNS text
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	st text;
BEGIN
	IF schema_version IS NULL THEN
		SELECT z.default_schema_version INTO schema_version FROM keycard.zones z WHERE z.zone_id = draft_schema_version.zone_id;
	END IF;
	SELECT s.status INTO st FROM keycard.schema_version_states s WHERE s.version = draft_schema_version.schema_version;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('unknown_schema_version', format('unknown schema version "%s"', schema_version),
			NULL, 'List the zone''s policy schemas to see the available versions.');
	ELSIF st = 'archived' THEN
		PERFORM keycard.raise_error('schema_version_archived', format('schema version "%s" is archived', schema_version),
			'A draft against an archived schema version could never be published.', 'Use an active schema version.');
	END IF;
	RETURN schema_version;
END
$$;
REVOKE ALL ON FUNCTION keycard.draft_schema_version(text, text) FROM PUBLIC;

-- A draft manifest: the shape, references and shas are checked as strictly as
-- on create; what a draft may hold (archived versions, other schema
-- versions) becomes warnings instead.  Returns {"entries": [...]} with shas.
CREATE FUNCTION keycard.draft_manifest(zone_id text, manifest jsonb) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	entries jsonb := '[]';
	e jsonb;
	i integer := 0;
	seen text[] := '{}';
	pv keycard.policy_versions;
	k text;
BEGIN
	IF manifest IS NULL OR jsonb_typeof(manifest) <> 'object' OR jsonb_typeof(manifest -> 'entries') IS DISTINCT FROM 'array' THEN
		PERFORM keycard.raise_error('invalid_manifest', 'manifest must be an object with an "entries" array', NULL, NULL);
	END IF;
	FOR k IN SELECT jsonb_object_keys(manifest) LOOP
		IF k <> 'entries' THEN
			PERFORM keycard.raise_error('invalid_manifest', format('unknown manifest field "%s"', k), NULL, NULL);
		END IF;
	END LOOP;
	FOR e IN SELECT x FROM jsonb_array_elements(manifest -> 'entries') x LOOP
		i := i + 1;
		IF jsonb_typeof(e) <> 'object' OR jsonb_typeof(e -> 'policy_id') IS DISTINCT FROM 'string'
		   OR jsonb_typeof(e -> 'policy_version_id') IS DISTINCT FROM 'string'
		   OR (e ? 'sha' AND jsonb_typeof(e -> 'sha') NOT IN ('string', 'null'))
		   OR EXISTS (SELECT 1 FROM jsonb_object_keys(e) f WHERE f NOT IN ('policy_id', 'policy_version_id', 'sha')) THEN
			PERFORM keycard.raise_error('invalid_manifest', format('manifest entry %s is malformed', i),
				'An entry is {"policy_id": string, "policy_version_id": string, "sha"?: string}.', NULL);
		END IF;
		IF (e ->> 'policy_id') = ANY (seen) THEN
			PERFORM keycard.raise_error('invalid_manifest', format('manifest entry %s repeats policy "%s"', i, e ->> 'policy_id'),
				'A policy set version holds at most one version of each policy.', NULL);
		END IF;
		seen := seen || (e ->> 'policy_id');
		SELECT * INTO pv FROM keycard.policy_versions x
		WHERE x.zone_id = draft_manifest.zone_id AND x.version_id = e ->> 'policy_version_id';
		IF NOT FOUND THEN
			PERFORM keycard.raise_error('invalid_manifest',
				format('manifest entry %s names unknown policy version "%s"', i, e ->> 'policy_version_id'), NULL, NULL);
		END IF;
		IF pv.policy_id <> e ->> 'policy_id' THEN
			PERFORM keycard.raise_error('invalid_manifest',
				format('manifest entry %s: policy version "%s" does not belong to policy "%s"', i, pv.version_id, e ->> 'policy_id'),
				NULL, NULL);
		END IF;
		IF jsonb_typeof(e -> 'sha') = 'string' AND e ->> 'sha' <> pv.sha THEN
			PERFORM keycard.raise_error('sha_mismatch', format('manifest entry %s: sha does not match the policy version', i),
				format('The entry says %s but the policy version''s sha is %s.', e ->> 'sha', pv.sha), NULL);
		END IF;
		entries := entries || jsonb_build_array(jsonb_build_object('policy_id', pv.policy_id,
			'policy_version_id', pv.version_id, 'sha', pv.sha));
	END LOOP;
	RETURN jsonb_build_object('entries', entries);
END
$$;
REVOKE ALL ON FUNCTION keycard.draft_manifest(text, jsonb) FROM PUBLIC;

CREATE FUNCTION keycard.get_policy_draft(zone_id text, policy_id text) RETURNS keycard.policy_drafts
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	d keycard.policy_drafts;
BEGIN
	PERFORM keycard.get_policy(zone_id, policy_id);
	SELECT * INTO d FROM keycard.policy_drafts x
	WHERE x.zone_id = get_policy_draft.zone_id AND x.policy_id = get_policy_draft.policy_id;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy "%s" has no draft', policy_id), NULL, NULL);
	END IF;
	RETURN d;
END
$$;
COMMENT ON FUNCTION keycard.get_policy_draft(text, text) IS 'The policy''s draft, or not_found';

CREATE FUNCTION keycard.save_policy_draft(zone_id text, policy_id text, schema_version text DEFAULT NULL,
										  cedar_json jsonb DEFAULT NULL, cedar_raw text DEFAULT NULL,
										  base_version_id text DEFAULT NULL)
	RETURNS keycard.policy_drafts
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	z text := zone_id;
	pid text := policy_id;
	p keycard.policies;
	sv text;
	base text := base_version_id;
	actor text := keycard.current_actor();
	ts timestamptz := clock_timestamp();
	d keycard.policy_drafts;
BEGIN
	p := keycard.lock_policy(z, pid, NULL, false);
	IF (cedar_json IS NULL) = (cedar_raw IS NULL) THEN
		PERFORM keycard.raise_error('invalid_request', 'exactly one of cedar_json and cedar_raw is required',
			CASE WHEN cedar_json IS NULL THEN 'Neither was given.' ELSE 'Both were given.' END,
			'Send the draft either as Cedar text (cedar_raw) or as Cedar JSON (cedar_json).');
	END IF;
	IF jsonb_typeof(cedar_json) <> 'object' THEN
		PERFORM keycard.raise_error('invalid_request', 'cedar_json must be a JSON object', NULL, NULL);
	END IF;
	sv := keycard.draft_schema_version(z, schema_version);
	IF base IS NULL THEN
		base := p.latest_version_id;
	ELSIF NOT EXISTS (SELECT 1 FROM keycard.policy_versions x WHERE x.zone_id = z AND x.version_id = base AND x.policy_id = pid) THEN
		PERFORM keycard.raise_error('invalid_request', format('base_version_id "%s" is not a version of policy "%s"', base, p.name),
			NULL, NULL);
	END IF;
	INSERT INTO keycard.policy_drafts AS x (zone_id, policy_id, schema_version, cedar_json, cedar_raw, base_version_id,
											created_at, created_by, updated_at, updated_by, request_id)
	VALUES (z, pid, sv, cedar_json, cedar_raw, base, ts, actor, ts, actor, keycard.client_request_id())
	ON CONFLICT ON CONSTRAINT policy_drafts_pkey DO UPDATE
		SET schema_version = excluded.schema_version, cedar_json = excluded.cedar_json, cedar_raw = excluded.cedar_raw,
			base_version_id = excluded.base_version_id, updated_at = excluded.updated_at,
			updated_by = excluded.updated_by, request_id = excluded.request_id
	RETURNING * INTO d;
	PERFORM keycard.audit(z, 'save_draft', 'policy', pid, NULL);
	RETURN d;
END
$$;
COMMENT ON FUNCTION keycard.save_policy_draft(text, text, text, jsonb, text, text) IS
	'Creates or replaces the policy''s draft (Cedar text or JSON, kept as given); schema_version defaults to the zone''s, base_version_id to the latest version';

CREATE FUNCTION keycard.delete_policy_draft(zone_id text, policy_id text) RETURNS keycard.policy_drafts
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	d keycard.policy_drafts;
BEGIN
	PERFORM keycard.lock_policy(zone_id, policy_id, NULL, false);
	DELETE FROM keycard.policy_drafts x
	WHERE x.zone_id = delete_policy_draft.zone_id AND x.policy_id = delete_policy_draft.policy_id
	RETURNING * INTO d;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy "%s" has no draft', policy_id), NULL, NULL);
	END IF;
	PERFORM keycard.audit(zone_id, 'delete_draft', 'policy', policy_id, NULL);
	RETURN d;
END
$$;
COMMENT ON FUNCTION keycard.delete_policy_draft(text, text) IS 'Deletes the policy''s draft and returns it';

CREATE FUNCTION keycard.publish_policy_draft(zone_id text, policy_id text) RETURNS keycard.policy_versions
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	z text := zone_id;
	pid text := policy_id;
	d keycard.policy_drafts;
	v keycard.policy_versions;
BEGIN
	PERFORM keycard.require_zone(z);
	SELECT * INTO d FROM keycard.policy_drafts x WHERE x.zone_id = z AND x.policy_id = pid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM keycard.get_policy(z, pid);
		PERFORM keycard.raise_error('not_found', format('policy "%s" has no draft', pid), NULL, NULL);
	END IF;
	v := keycard.create_policy_version(z, pid, d.schema_version, d.cedar_json, d.cedar_raw);
	UPDATE keycard.policy_drafts x SET base_version_id = v.version_id, updated_at = clock_timestamp(),
		updated_by = keycard.current_actor(), request_id = keycard.client_request_id()
	WHERE x.zone_id = z AND x.policy_id = pid;
	RETURN v;
END
$$;
COMMENT ON FUNCTION keycard.publish_policy_draft(text, text) IS
	'Creates the next policy version from the draft under the strict rules of create_policy_version; the draft stays, based on the new version';

CREATE FUNCTION keycard.get_policy_set_draft(zone_id text, policy_set_id text) RETURNS keycard.policy_set_drafts_with_warnings
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	d keycard.policy_set_drafts_with_warnings;
BEGIN
	PERFORM keycard.get_policy_set(zone_id, policy_set_id);
	SELECT * INTO d FROM keycard.policy_set_drafts_with_warnings x
	WHERE x.zone_id = get_policy_set_draft.zone_id AND x.policy_set_id = get_policy_set_draft.policy_set_id;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy set "%s" has no draft', policy_set_id), NULL, NULL);
	END IF;
	RETURN d;
END
$$;
COMMENT ON FUNCTION keycard.get_policy_set_draft(text, text) IS 'The policy set''s draft with its current warnings, or not_found';

CREATE FUNCTION keycard.save_policy_set_draft(zone_id text, policy_set_id text, manifest jsonb,
											  schema_version text DEFAULT NULL, name text DEFAULT NULL,
											  description text DEFAULT NULL, base_version_id text DEFAULT NULL)
	RETURNS keycard.policy_set_drafts_with_warnings
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	z text := zone_id;
	sid text := policy_set_id;
	s keycard.policy_sets;
	sv text;
	m jsonb;
	base text := base_version_id;
	actor text := keycard.current_actor();
	ts timestamptz := clock_timestamp();
	d keycard.policy_set_drafts_with_warnings;
BEGIN
	s := keycard.lock_policy_set(z, sid, NULL);
	IF name IS NOT NULL THEN
		PERFORM keycard.check_name(name, 'draft');
	END IF;
	IF length(description) > 4096 THEN
		PERFORM keycard.raise_error('invalid_request', 'description is too long', 'At most 4096 characters are accepted.', NULL);
	END IF;
	sv := keycard.draft_schema_version(z, schema_version);
	m := keycard.draft_manifest(z, manifest);
	IF base IS NULL THEN
		base := s.latest_version_id;
	ELSIF NOT EXISTS (SELECT 1 FROM keycard.policy_set_versions x WHERE x.zone_id = z AND x.version_id = base AND x.policy_set_id = sid) THEN
		PERFORM keycard.raise_error('invalid_request', format('base_version_id "%s" is not a version of policy set "%s"', base, s.name),
			NULL, NULL);
	END IF;
	INSERT INTO keycard.policy_set_drafts AS x (zone_id, policy_set_id, manifest, schema_version, name, description,
												base_version_id, created_at, created_by, updated_at, updated_by, request_id)
	VALUES (z, sid, m, sv, name, description, base, ts, actor, ts, actor, keycard.client_request_id())
	ON CONFLICT ON CONSTRAINT policy_set_drafts_pkey DO UPDATE
		SET manifest = excluded.manifest, schema_version = excluded.schema_version, name = excluded.name,
			description = excluded.description, base_version_id = excluded.base_version_id,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by, request_id = excluded.request_id;
	PERFORM keycard.audit(z, 'save_draft', 'policy_set', sid, NULL);
	SELECT * INTO d FROM keycard.policy_set_drafts_with_warnings x WHERE x.zone_id = z AND x.policy_set_id = sid;
	RETURN d;
END
$$;
COMMENT ON FUNCTION keycard.save_policy_set_draft(text, text, jsonb, text, text, text, text) IS
	'Creates or replaces the policy set''s draft; archived policy versions and other schema versions become warnings, other manifest problems are errors';

CREATE FUNCTION keycard.delete_policy_set_draft(zone_id text, policy_set_id text) RETURNS keycard.policy_set_drafts
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	d keycard.policy_set_drafts;
BEGIN
	PERFORM keycard.lock_policy_set(zone_id, policy_set_id, NULL);
	DELETE FROM keycard.policy_set_drafts x
	WHERE x.zone_id = delete_policy_set_draft.zone_id AND x.policy_set_id = delete_policy_set_draft.policy_set_id
	RETURNING * INTO d;
	IF NOT FOUND THEN
		PERFORM keycard.raise_error('not_found', format('policy set "%s" has no draft', policy_set_id), NULL, NULL);
	END IF;
	PERFORM keycard.audit(zone_id, 'delete_draft', 'policy_set', policy_set_id, NULL);
	RETURN d;
END
$$;
COMMENT ON FUNCTION keycard.delete_policy_set_draft(text, text) IS 'Deletes the policy set''s draft and returns it';

CREATE FUNCTION keycard.publish_policy_set_draft(zone_id text, policy_set_id text) RETURNS keycard.policy_set_versions
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	z text := zone_id;
	sid text := policy_set_id;
	d keycard.policy_set_drafts;
	v keycard.policy_set_versions;
BEGIN
	PERFORM keycard.require_zone(z);
	SELECT * INTO d FROM keycard.policy_set_drafts x WHERE x.zone_id = z AND x.policy_set_id = sid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM keycard.get_policy_set(z, sid);
		PERFORM keycard.raise_error('not_found', format('policy set "%s" has no draft', sid), NULL, NULL);
	END IF;
	v := keycard.create_policy_set_version(z, sid, d.manifest, d.schema_version);
	UPDATE keycard.policy_set_drafts x SET manifest = v.manifest, base_version_id = v.version_id,
		updated_at = clock_timestamp(), updated_by = keycard.current_actor(), request_id = keycard.client_request_id()
	WHERE x.zone_id = z AND x.policy_set_id = sid;
	RETURN v;
END
$$;
COMMENT ON FUNCTION keycard.publish_policy_set_draft(text, text) IS
	'Creates the next policy set version from the draft under the strict rules of create_policy_set_version (archived entries and other schema versions are errors); the draft stays, based on the new version';
