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
