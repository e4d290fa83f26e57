-- keycard 0.1.0 -> 0.2.0: every registry write through the executor.
--
-- Applied by ALTER EXTENSION keycard UPDATE TO '0.2.0'; test/suites/46-upgrade
-- proves a database upgraded this way has the schema of a fresh 0.2.0 install
-- and keeps its rows.
\echo Use "ALTER EXTENSION keycard UPDATE TO '0.2.0'" to load this file. \quit

-- Signing keys stay immutable under session_replication_role = replica, as
-- every other registry table.
ALTER TABLE keycard.signing_keys ENABLE ALWAYS TRIGGER signing_keys_immutable;
ALTER TABLE keycard.signing_keys ENABLE ALWAYS TRIGGER signing_keys_no_truncate;

-- Foreign keys wherever a row names another (validated against the rows
-- 0.1.0 wrote; the registry functions never wrote a dangling reference).
ALTER TABLE keycard.zone_keys
	ADD CONSTRAINT zone_keys_signing_key_fkey FOREIGN KEY (kid) REFERENCES keycard.signing_keys (kid);
ALTER TABLE keycard.audit_log
	ADD CONSTRAINT audit_log_zone_fkey FOREIGN KEY (zone_id) REFERENCES keycard.zones (zone_id);
ALTER TABLE keycard.policies
	ADD CONSTRAINT policies_latest_schema_version_fkey FOREIGN KEY (latest_schema_version)
		REFERENCES keycard.schema_versions (version);
ALTER TABLE keycard.policy_versions
	ADD CONSTRAINT policy_versions_schema_version_fkey FOREIGN KEY (schema_version)
		REFERENCES keycard.schema_versions (version);
ALTER TABLE keycard.policy_set_versions
	ADD CONSTRAINT policy_set_versions_schema_version_fkey FOREIGN KEY (schema_version)
		REFERENCES keycard.schema_versions (version);
ALTER TABLE keycard.policy_versions
	ADD CONSTRAINT policy_versions_version_policy_key UNIQUE (zone_id, version_id, policy_id);

-- Version numbers are unique per policy and per set with the policy or set
-- leading, so that no lookup by (zone_id, version_id) is planned on them
-- while statistics are missing (a scan of the zone's versions per check).
ALTER TABLE keycard.policy_versions
	DROP CONSTRAINT policy_versions_zone_id_policy_id_version_key,
	ADD CONSTRAINT policy_versions_number_key UNIQUE (policy_id, zone_id, version);
ALTER TABLE keycard.policy_set_versions
	DROP CONSTRAINT policy_set_versions_zone_id_policy_set_id_version_key,
	ADD CONSTRAINT policy_set_versions_number_key UNIQUE (policy_set_id, zone_id, version);
ALTER TABLE keycard.policy_set_version_entries
	ADD CONSTRAINT policy_set_version_entries_version_fkey FOREIGN KEY (zone_id, version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	ADD CONSTRAINT policy_set_version_entries_policy_version_fkey FOREIGN KEY (zone_id, policy_version_id, policy_id)
		REFERENCES keycard.policy_versions (zone_id, version_id, policy_id);
ALTER TABLE keycard.attestations
	ADD CONSTRAINT attestations_version_fkey FOREIGN KEY (zone_id, version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	ADD CONSTRAINT attestations_key_fkey FOREIGN KEY (zone_id, kid) REFERENCES keycard.zone_keys (zone_id, kid);
ALTER TABLE keycard.binding_history
	ADD CONSTRAINT binding_history_zone_fkey FOREIGN KEY (zone_id) REFERENCES keycard.zones (zone_id),
	ADD CONSTRAINT binding_history_from_version_fkey FOREIGN KEY (zone_id, from_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	ADD CONSTRAINT binding_history_to_version_fkey FOREIGN KEY (zone_id, to_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id);

-- One writer of audit rows (C, shared with the C registry functions).
CREATE OR REPLACE FUNCTION keycard.audit(zone_id text, action text, object_type text, object_id text, detail jsonb DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'keycard_audit'
	LANGUAGE C VOLATILE;

-- Names refuse leading and trailing whitespace of every kind.
CREATE OR REPLACE FUNCTION keycard.check_name(name text, what text) RETURNS void
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

-- Rotation locks the zone FOR NO KEY UPDATE: foreign key checks of other
-- writes in the zone need not wait for it.
CREATE OR REPLACE FUNCTION keycard.rotate_zone_key(zone_id text, alg text DEFAULT NULL) RETURNS jsonb
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

-- The shipped schemas kept once, as text; their JSON is computed by the
-- converter (the same JSON 0.1.0 embedded, so stored rows do not change).
CREATE OR REPLACE FUNCTION keycard.cedar_platform_schemas()
	RETURNS TABLE (version text, cedar_schema text, cedar_schema_json jsonb)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $cedar$
	-- Kept once, as Cedar text; the JSON form is the extension's own conversion.
	SELECT v.version, v.cedar_schema, keycard.cedar_schema_to_json(v.cedar_schema)
	FROM (VALUES
	('2026-02-24', $s1$// Keycard zone policy schema, version 2026-02-24.
// Reconstructed from the documented entity model (SDK policy-schemas doc
// comments, docs.keycard.ai policy pages); Keycard does not publish the text.
// In this version the enum-like application attributes are plain Strings.

namespace Keycard {
  // A human user of the zone.
  entity User = {
    "email": String,
    "groups": Set<String>,
  };

  // A registered application (agent, MCP server, service).
  // identifier/dependencies: used by Keycard's own example policies [inferred].
  entity Application = {
    "identifier": String,
    "registration_method": String,   // "managed" | "dcr"
    "credential_type": String,       // "token" | "password" | "public-key" | "url" | "public"
    "dependencies": Set<Resource>,
  };

  // A protected resource (API, MCP server, vault secret).
  entity Resource = {
    "id": String,
    "identifier": String,
    "name": String,
    "scopes": Set<String>,
  };

  // Token claims of the caller. The docs add "arbitrary additional fields";
  // Cedar 4 has no open records, so extra claims are String tags [inferred].
  entity Claims = {
    "email": String,
    "groups": Set<String>,
  } tags String;

  // Request context shared by every action [inferred from example policies].
  type Context = {
    "on_behalf": Bool,
    "scopes"?: Set<String>,
    "claims"?: Claims,
  };
}

// Actions live in the empty namespace so that policies can say Action::"read".
action read, write, access appliesTo {
  principal: [Keycard::User, Keycard::Application],
  resource: [Keycard::Resource],
  context: Keycard::Context,
};
$s1$),
	('2026-03-16', $s2$// Keycard zone policy schema, version 2026-03-16.
// Reconstructed from the documented entity model (SDK policy-schemas doc
// comments, docs.keycard.ai policy pages); Keycard does not publish the text.
// From this version on, the enum-like application attributes are Cedar enum
// entity types (Keycard::RegistrationMethod, Keycard::CredentialType).

namespace Keycard {
  // How an application was registered.
  entity RegistrationMethod enum ["managed", "dcr"];

  // How an application authenticates to the zone.
  entity CredentialType enum ["token", "password", "public-key", "url", "public"];

  // A human user of the zone.
  entity User = {
    "email": String,
    "groups": Set<String>,
  };

  // A registered application (agent, MCP server, service).
  // identifier/dependencies: used by Keycard's own example policies [inferred].
  entity Application = {
    "identifier": String,
    "registration_method": RegistrationMethod,
    "credential_type": CredentialType,
    "dependencies": Set<Resource>,
  };

  // A protected resource (API, MCP server, vault secret).
  entity Resource = {
    "id": String,
    "identifier": String,
    "name": String,
    "scopes": Set<String>,
  };

  // Token claims of the caller. The docs add "arbitrary additional fields";
  // Cedar 4 has no open records, so extra claims are String tags [inferred].
  entity Claims = {
    "email": String,
    "groups": Set<String>,
  } tags String;

  // Request context shared by every action [inferred from example policies].
  type Context = {
    "on_behalf": Bool,
    "scopes"?: Set<String>,
    "claims"?: Claims,
  };
}

// Actions live in the empty namespace so that policies can say Action::"read".
action read, write, access appliesTo {
  principal: [Keycard::User, Keycard::Application],
  resource: [Keycard::Resource],
  context: Keycard::Context,
};
$s2$)) v(version, cedar_schema)
$cedar$;

-- The client's query string is parsed in C (src/api_request.c): the PL/pgSQL
-- parser grew a jsonb object one member at a time (quadratic in the number of
-- parameters).
CREATE OR REPLACE FUNCTION keycard.api_urldecode(s text) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_api_urldecode'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION keycard.api_query() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_api_query'
	LANGUAGE C STABLE PARALLEL SAFE;

-- Search terms are bounded like filter[id]: at most 100 distinct terms.
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
	RETURN (SELECT array_agg('%' || replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_') || '%')
			FROM unnest(terms) t);
END
$$;

-- Caller identity (issue 14): what the identity functions answer.
COMMENT ON FUNCTION keycard.current_actor() IS
	'The actor recorded in created_by and friends: the JWT sub under PostgREST''s API roles, else the acting database role';
COMMENT ON FUNCTION keycard.client_request_id() IS
	'X-Client-Request-ID of the current request (request.headers under PostgREST''s API roles, else the keycard.client_request_id setting)';
COMMENT ON FUNCTION keycard.caller_is_platform() IS
	'True for the platform operator: the role keycard_platform with its JWT, or a SQL caller that is superuser or a member of keycard_platform';
COMMENT ON FUNCTION keycard.caller_zones() IS
	'Zones the caller may use: the JWT zones claim under the API roles, else the zone_members rows of the roles whose privileges it has; NULL means every zone (platform)';
-- request.jwt.claims counts only under the API roles (src/registry/caller.c).
CREATE OR REPLACE FUNCTION keycard.jwt_claims() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_jwt_claims'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.jwt_claims() IS
	'The verified JWT claims PostgREST passes in request.jwt.claims, under the API roles only; NULL for SQL callers';

-- The zones' transparency logs (as in sql/install/55-zone-log.sql) ---------------------

CREATE TABLE keycard.zone_log_heads (
	zone_id text PRIMARY KEY REFERENCES keycard.zones (zone_id),
	tree_size bigint NOT NULL CHECK (tree_size >= 0),
	-- the roots of the complete subtrees the tree is made of, largest first
	-- (one 32-byte hash per set bit of tree_size)
	frontier bytea NOT NULL,
	CHECK (octet_length(frontier) = 32 * length(replace(tree_size::bit(64)::text, '0', '')))
);
COMMENT ON TABLE keycard.zone_log_heads IS
	'The size of each zone''s log and the subtree roots its next leaf and its root hash are computed from; its row lock orders a zone''s appends';

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
	CONSTRAINT zone_log_zone_fkey FOREIGN KEY (zone_id) REFERENCES keycard.zones (zone_id)
);
CREATE INDEX zone_log_by_object ON keycard.zone_log (zone_id, object_id);
COMMENT ON TABLE keycard.zone_log IS
	'Append-only transparency log of each zone (RFC 9162): leaf = JCS JSON of a registry event, leaf_hash = SHA-256(0x00 || leaf)';

-- Immutable for every role: the head only grows (guard_update freezes zone_id),
-- leaves never change.
CREATE TRIGGER zone_log_heads_update BEFORE UPDATE ON keycard.zone_log_heads
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_update('zone_id');
CREATE TRIGGER zone_log_heads_no_delete BEFORE DELETE ON keycard.zone_log_heads
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER zone_log_heads_no_truncate BEFORE TRUNCATE ON keycard.zone_log_heads
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER zone_log_immutable BEFORE UPDATE OR DELETE ON keycard.zone_log
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER zone_log_no_truncate BEFORE TRUNCATE ON keycard.zone_log
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
ALTER TABLE keycard.zone_log_heads ENABLE ALWAYS TRIGGER zone_log_heads_update;
ALTER TABLE keycard.zone_log_heads ENABLE ALWAYS TRIGGER zone_log_heads_no_delete;
ALTER TABLE keycard.zone_log_heads ENABLE ALWAYS TRIGGER zone_log_heads_no_truncate;
ALTER TABLE keycard.zone_log ENABLE ALWAYS TRIGGER zone_log_immutable;
ALTER TABLE keycard.zone_log ENABLE ALWAYS TRIGGER zone_log_no_truncate;

-- Row-level security, grants and pg_dump as the other registry tables.
ALTER TABLE keycard.zone_log_heads ENABLE ROW LEVEL SECURITY;
CREATE POLICY zone_isolation ON keycard.zone_log_heads USING (
	(SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]))
	WITH CHECK ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]));
ALTER TABLE keycard.zone_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY zone_isolation ON keycard.zone_log USING (
	(SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]))
	WITH CHECK ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]));
GRANT SELECT ON keycard.zone_log_heads TO PUBLIC;
GRANT SELECT ON keycard.zone_log TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('keycard.zone_log_heads', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.zone_log', '');

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
	head keycard.zone_log_heads;
BEGIN
	SELECT * INTO head FROM keycard.zone_log_heads x WHERE x.zone_id = verify_zone_log.zone_id;
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
		expect := expect + 1;
	END LOOP;
	IF coalesce(head.tree_size, 0) <> expect OR coalesce(head.frontier, '') <> f THEN
		RETURN QUERY SELECT 'zone_log', zone_id, 'log_head_mismatch',
			format('the head says %s leaves, the log holds %s (or its subtree roots differ)', coalesce(head.tree_size, 0), expect);
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

-- verify_zone also checks the zone's log.
CREATE OR REPLACE FUNCTION keycard.verify_zone(zone_id text)
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

-- The logs of the zones 0.1.0 created: every audit record, binding change and
-- attestation, in the order of their ids (time order), appended at commit.
DO $$
DECLARE
	z record;
	e record;
BEGIN
	FOR z IN SELECT x.zone_id FROM keycard.zones x ORDER BY x.zone_id LOOP
		FOR e IN SELECT * FROM keycard.zone_log_expected(z.zone_id) x ORDER BY x.event_id LOOP
			PERFORM keycard.zone_log_append(z.zone_id, e.event_id, e.object_type, e.object_id, e.leaf);
		END LOOP;
	END LOOP;
END
$$;

-- The zone log endpoints (as in sql/install/60-api.sql).
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

REVOKE ALL ON FUNCTION api.zone_log_head(text), api.zone_log_entries(text), api.zone_log_inclusion_proof(text),
	api.zone_log_consistency_proof(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.zone_log_head(text), api.zone_log_entries(text), api.zone_log_inclusion_proof(text),
	api.zone_log_consistency_proof(text) TO keycard_api, keycard_platform;

-- Caller identity (issue 14): JWT claims and request headers count only under
-- the API roles (src/registry/caller.c); the functions that act for a caller
-- are executable by keycard_user and the API roles only (sql/install/70-access.sql).
-- Keep these two blocks after every function this script creates: they cover
-- the SECURITY DEFINER functions that exist when they run.
-- Created only when absent (roles are cluster-wide; DROP EXTENSION leaves it),
-- as a plain NOLOGIN role: its members may SET ROLE to it, so it must not
-- bypass row-level security.
DO $$
DECLARE
	existing pg_catalog.pg_roles;
BEGIN
	SELECT * INTO existing FROM pg_catalog.pg_roles x WHERE x.rolname OPERATOR(pg_catalog.=) 'keycard_user';
	IF NOT FOUND THEN
		CREATE ROLE keycard_user NOLOGIN;
	ELSIF existing.rolcanlogin OR existing.rolsuper OR existing.rolbypassrls THEN
		RAISE EXCEPTION 'role "keycard_user" already exists with LOGIN, SUPERUSER or BYPASSRLS'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'SQL callers are granted this group role; it must be a plain NOLOGIN role so that row-level security applies.',
				  HINT = 'ALTER ROLE keycard_user NOLOGIN NOSUPERUSER NOBYPASSRLS, then try again.';
	END IF;
END
$$;

DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
			 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'keycard'::regnamespace AND p.prosecdef
			   AND p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.trigger'::regtype
			   AND p.oid OPERATOR(pg_catalog.<>) ALL (ARRAY['keycard.jwk(text)'::regprocedure,
															'keycard.zone_jwks(text)'::regprocedure])
			 ORDER BY p.oid LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO keycard_user, keycard_api, keycard_platform', f);
	END LOOP;
END
$$;
