-- keycard 0.2.0 install script, released: kept frozen so that a database can be
-- created at 0.2.0 and upgraded (test/suites/46-upgrade).  Do not edit.

\echo Use "CREATE EXTENSION keycard" to load this file. \quit

------------------------------------------------------------------------------
-- keycard install script, part 10: foundations
--
-- What needs no registry table: the encodings, canonical JSON and digests,
-- signing keys and JWS (the functions; their table is in 20-tables.sql),
-- Cedar policies, Cedar schemas and validation, and the registry's building
-- blocks: errors, ids, caller identity, the row checks of the binding tables
-- and the trigger functions written in C.
--
-- The Makefile concatenates the parts of sql/install/ in name order into
-- keycard--<version>.sql; each part may use what the parts before it create.
------------------------------------------------------------------------------

-- The extension's own schema (keycard) is created by CREATE EXTENSION from
-- the control file; every object of the install script is schema-qualified.

------------------------------------------------------------------------------
-- Encodings (src/base64url.c)
------------------------------------------------------------------------------

CREATE FUNCTION keycard.base64url_encode(data bytea) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_base64url_encode'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.base64url_encode(bytea) IS
	'RFC 7515 base64url without padding';

CREATE FUNCTION keycard.base64url_decode(data text) RETURNS bytea
	AS 'MODULE_PATHNAME', 'keycard_base64url_decode'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.base64url_decode(text) IS
	'Decodes RFC 7515 base64url (no padding, canonical form only)';

------------------------------------------------------------------------------
-- Canonical JSON and digests (src/canon.c, src/jcs.c, src/sha.c)
--
-- RFC 8785 (JCS).  The json variants parse the original text and enforce
-- I-JSON (no duplicate member names, no lone surrogates, numbers within the
-- double range); jsonb has already dropped duplicates, so only the range is
-- checked there.  Numbers that underflow round to 0 like any inexact literal.
------------------------------------------------------------------------------

CREATE FUNCTION keycard.jcs(doc json) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_jcs_json'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.jcs(json) IS
	'RFC 8785 canonical form of a json document; rejects what I-JSON forbids';

CREATE FUNCTION keycard.jcs(doc jsonb) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_jcs_jsonb'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.jcs(jsonb) IS
	'RFC 8785 canonical form of a jsonb document';

CREATE FUNCTION keycard.jcs_sha256(doc json) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_jcs_sha256_json'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.jcs_sha256(json) IS
	'Lowercase hex SHA-256 of the RFC 8785 canonical form of a json document';

CREATE FUNCTION keycard.jcs_sha256(doc jsonb) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_jcs_sha256_jsonb'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.jcs_sha256(jsonb) IS
	'Lowercase hex SHA-256 of the RFC 8785 canonical form of a jsonb document';

CREATE FUNCTION keycard.sha256_hex(data bytea) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_sha256_hex'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.sha256_hex(bytea) IS
	'Lowercase hex SHA-256 of the bytes';

------------------------------------------------------------------------------
-- Signing keys and JWS (src/keys.c, src/jws.c, src/ossl.c)
--
-- Private keys are stored only sealed (AES-256-GCM) under the key-encryption
-- key named by keycard.kek_file; no role but the extension owner can read the
-- table, and no function returns a private key.  Signing functions are not
-- executable by PUBLIC: the registry's own functions sign on callers' behalf.
------------------------------------------------------------------------------

CREATE FUNCTION keycard.create_signing_key(alg text DEFAULT 'RS256') RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_create_signing_key'
	LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION keycard.create_signing_key(text) IS
	'Creates a signing key (RS256: RSA of keycard.rsa_key_bits bits; EdDSA: Ed25519) and returns its kid';
REVOKE ALL ON FUNCTION keycard.create_signing_key(text) FROM PUBLIC;

CREATE FUNCTION keycard.import_signing_key(private_key_pem text) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_import_signing_key'
	LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION keycard.import_signing_key(text) IS
	'Stores an existing RSA (2048 bits or more) or Ed25519 private key given as PEM and returns its kid';
REVOKE ALL ON FUNCTION keycard.import_signing_key(text) FROM PUBLIC;

CREATE FUNCTION keycard.jwk(kid text) RETURNS jsonb
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
	key jsonb;
BEGIN
	SELECT s.public_jwk INTO key FROM keycard.signing_keys s WHERE s.kid OPERATOR(pg_catalog.=) jwk.kid;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'signing key "%" does not exist', kid USING ERRCODE = 'undefined_object';
	END IF;
	RETURN key;
END
$$;
COMMENT ON FUNCTION keycard.jwk(text) IS
	'Public JWK of a signing key, with kid, alg and use';

CREATE FUNCTION keycard.jws_sign(payload json, kid text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_jws_sign'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION keycard.jws_sign(json, text) IS
	'JWS Flattened JSON Serialization of the JCS form of payload, signed with key kid';
REVOKE ALL ON FUNCTION keycard.jws_sign(json, text) FROM PUBLIC;

CREATE FUNCTION keycard.sign_bytes(kid text, data bytea) RETURNS bytea
	AS 'MODULE_PATHNAME', 'keycard_sign_bytes'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION keycard.sign_bytes(text, bytea) IS
	'Raw RS256/Ed25519 signature of data with key kid (operators only: reproduces published test vectors)';
REVOKE ALL ON FUNCTION keycard.sign_bytes(text, bytea) FROM PUBLIC;

CREATE FUNCTION keycard.jws_verify(jws jsonb, jwks jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_jws_verify'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.jws_verify(jsonb, jsonb) IS
	'Verifies a flattened JWS (RS256 or EdDSA) against a JWKS; returns the decoded payload or raises why not';

CREATE FUNCTION keycard.jwk_thumbprint(jwk jsonb) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_jwk_thumbprint'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.jwk_thumbprint(jsonb) IS
	'RFC 7638 thumbprint (SHA-256, base64url) of an RSA or Ed25519 public JWK';

------------------------------------------------------------------------------
-- Cedar policies (src/cedar_policy.c, src/cedar/{lexer,parser,ast,est_out,
-- est_in,printer}.c)
--
-- One static Cedar policy as text or as EST JSON, with the results of the
-- Cedar 4.13 reference (policyToJson / policyToText).  The normalized form
-- is the EST that content hashes are taken over.
------------------------------------------------------------------------------

CREATE FUNCTION keycard.cedar_policy_to_json(policy text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_policy_to_json'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_policy_to_json(text) IS
	'Parses one static Cedar policy and returns its EST (JSON policy format), as Cedar''s policyToJson';

CREATE FUNCTION keycard.cedar_policy_normalize(policy text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_policy_normalize_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_policy_normalize(text) IS
	'Normalized EST of one static Cedar policy given as text (what content hashes are taken over)';

CREATE FUNCTION keycard.cedar_policy_normalize(policy jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_policy_normalize_jsonb'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_policy_normalize(jsonb) IS
	'Normalized EST of one static Cedar policy given as EST JSON (strictly checked); equals the normalized form of its text';

CREATE FUNCTION keycard.cedar_policy_to_text(policy jsonb) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_cedar_policy_to_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_policy_to_text(jsonb) IS
	'Cedar text of one static policy given as EST JSON (strictly checked), as Cedar''s policyToText';

------------------------------------------------------------------------------
-- Cedar schemas and validation (src/cedar_schema.c, src/cedar/{schema,
-- schema_build,schema_parse,validate}.c)
--
-- Cedar schemas in both formats with the results of the Cedar 4.13
-- reference (schemaToJson / schemaToText), strict-mode validation of
-- policies against a schema, and the platform's shipped schema versions.
------------------------------------------------------------------------------

CREATE FUNCTION keycard.cedar_schema_to_json(schema text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_schema_to_json'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_schema_to_json(text) IS
	'Cedar schema text to the Cedar JSON schema, as Cedar''s schemaToJson (rejects invalid schemas)';

CREATE FUNCTION keycard.cedar_schema_to_text(schema jsonb) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_cedar_schema_to_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_schema_to_text(jsonb) IS
	'Cedar JSON schema to Cedar schema text, byte-equal to Cedar''s schemaToText (rejects invalid schemas)';

CREATE FUNCTION keycard.cedar_schema_normalize(schema text) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_cedar_schema_text_normalize'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_schema_normalize(text) IS
	'Cedar schema text in the reference''s printed layout: schemaToText(schemaToJson(schema))';

CREATE FUNCTION keycard.cedar_validate(policies text, schema jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_validate_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_validate(text, jsonb) IS
	'Strict-mode validation of static Cedar policies (ids policy0, policy1, ... in text order) against a Cedar JSON schema: {valid, errors, warnings}';

CREATE FUNCTION keycard.cedar_validate(policy jsonb, schema jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_validate_est'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_validate(jsonb, jsonb) IS
	'Strict-mode validation of one Cedar policy in EST form (id policy0) against a Cedar JSON schema: {valid, errors, warnings}';

CREATE FUNCTION keycard.cedar_validate_with_schema_text(policies text, schema text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_validate_schema_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_validate_with_schema_text(text, text) IS
	'As cedar_validate(text, jsonb), with the schema given as Cedar schema text';

CREATE FUNCTION keycard.cedar_platform_schemas()
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
COMMENT ON FUNCTION keycard.cedar_platform_schemas() IS
	'The platform''s Cedar schema versions shipped with the extension, as text and as JSON';

------------------------------------------------------------------------------
-- Registry building blocks: errors, ids, caller identity, the row checks of
-- the binding tables, the trigger functions written in C
-- (src/registry/error.c, src/registry/registry.c, src/registry/caller.c,
-- src/registry/guard.c, src/registry/bindings.c).  The registry's tables are
-- in 20-tables.sql, its functions in 40-registry-c.sql and 50-registry.sql.
------------------------------------------------------------------------------

CREATE FUNCTION keycard.raise_error(code text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'keycard_raise_error'
	LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.raise_error(text, text, text, text) IS
	'Raises a registry error with a stable code (see keycard.error_codes()); SQLSTATE PT<http status>, or a PGRST error under PostgREST';

CREATE FUNCTION keycard.error_codes(OUT code text, OUT http_status integer, OUT sqlstate text, OUT description text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'keycard_error_codes'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION keycard.error_codes() IS
	'The stable registry error codes with their HTTP status and SQLSTATE';

CREATE FUNCTION keycard.new_id() RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_new_id'
	LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.new_id() IS
	'A new registry id: UUIDv7 text, sortable by creation time';

CREATE FUNCTION keycard.id_time(id text) RETURNS timestamptz
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN pg_catalog.to_timestamp(
		(('x' OPERATOR(pg_catalog.||) pg_catalog.substr(id, 1, 8) OPERATOR(pg_catalog.||) pg_catalog.substr(id, 10, 4))::bit(48)::bigint)::numeric
		OPERATOR(pg_catalog./) 1000);
COMMENT ON FUNCTION keycard.id_time(text) IS
	'Creation time encoded in a registry id (millisecond precision); created_at columns hold exactly this';

-- Caller identity --------------------------------------------------------------

CREATE FUNCTION keycard.jwt_claims() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_jwt_claims'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.jwt_claims() IS
	'The verified JWT claims PostgREST passes in request.jwt.claims, under the API roles only; NULL for SQL callers';

-- Caller identity is asked by every write and every row-level security check,
-- so it is answered in C (src/registry/caller.c), from the settings directly.
CREATE FUNCTION keycard.caller_role() RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_caller_role'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.caller_role() IS
	'The database role acting (SET ROLE, or PostgREST''s per-request role), also inside SECURITY DEFINER functions';

CREATE FUNCTION keycard.current_actor() RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_current_actor'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.current_actor() IS
	'The actor recorded in created_by and friends: the JWT sub under PostgREST''s API roles, else the acting database role';

CREATE FUNCTION keycard.client_request_id() RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_client_request_id'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.client_request_id() IS
	'X-Client-Request-ID of the current request (request.headers under PostgREST''s API roles, else the keycard.client_request_id setting)';

CREATE FUNCTION keycard.caller_is_platform() RETURNS boolean
	AS 'MODULE_PATHNAME', 'keycard_caller_is_platform'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.caller_is_platform() IS
	'True for the platform operator: the role keycard_platform with its JWT, or a SQL caller that is superuser or a member of keycard_platform';

-- Reads zone_members with a direct scan (no query, so no row-level security
-- recursion: this function runs inside zone_members' own policy).
CREATE FUNCTION keycard.caller_zones() RETURNS text[]
	AS 'MODULE_PATHNAME', 'keycard_caller_zones'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.caller_zones() IS
	'Zones the caller may use: the JWT zones claim under the API roles, else the zone_members rows of the roles whose privileges it has; NULL means every zone (platform)';

CREATE FUNCTION keycard.zone_visible(zone_id text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'keycard_zone_visible'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.zone_visible(text) IS 'True if the caller may use the zone';

-- Row checks and trigger functions in C ---------------------------------------------

-- Mutable registry rows: the columns named in the trigger's arguments never
-- change, and archived_at/retired_at, once set, never change either.  Rows
-- that carry a revision get it bumped, which changes their ETag.  In C
-- (src/registry/guard.c): it fires on every version created.
CREATE FUNCTION keycard.guard_update() RETURNS trigger
	AS 'MODULE_PATHNAME', 'keycard_guard_update'
	LANGUAGE C;
COMMENT ON FUNCTION keycard.guard_update() IS
	'Trigger: frozen columns (arguments), final archive/retire, revision bump for ETags';

-- The row rules of bindings and binding_history, each one C function used as
-- the table's single CHECK: PostgreSQL rebuilds every CHECK expression from
-- its stored form at the start of each statement that writes the table, and
-- a call with column arguments is far cheaper to rebuild than the IN lists
-- and comparisons it stands for (src/registry/bindings.c spells the rules out).
CREATE FUNCTION keycard.binding_row_check(zone_id text, scope_type text, scope_target_id text, mode text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'keycard_binding_row_check'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.binding_row_check(text, text, text, text) IS
	'CHECK of bindings: scope_type in (zone, resource, user, session), scope_target_id of 1 to 255 characters and the zone id for zone scope, mode in (active, shadow)';

CREATE FUNCTION keycard.binding_history_row_check(action text, mode text, from_version_id text, to_version_id text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'keycard_binding_history_row_check'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION keycard.binding_history_row_check(text, text, text, text) IS
	'CHECK of binding_history: action in (activate, promote, bind_shadow, clear_shadow), mode in (active, shadow), a from or a to version, and they differ';

-- Rows change only while a binding function writes them (a flag in the
-- backend that only they raise) or when COPY loads them (pg_restore; each
-- such row is checked against its version and set).  In C (src/registry/bindings.c):
-- it fires on every binding change.
CREATE FUNCTION keycard.bindings_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'keycard_bindings_guard'
	LANGUAGE C;
COMMENT ON FUNCTION keycard.bindings_guard() IS
	'Trigger: binding rows change only through the binding functions; a bound version belongs to its set, is not archived, and a set is bound in one slot';

------------------------------------------------------------------------------
-- keycard install script, part 20: tables
--
-- The registry's data: tables with their constraints and indexes, the views
-- over them (with manifest_warnings(), the SQL function a view calls), the
-- triggers that guard them with their PL/pgSQL trigger functions (those in C
-- are in 10-foundations.sql), and the shipped schema versions.  Row-level
-- security, grants and pg_dump's configuration are in 30-security.sql.
------------------------------------------------------------------------------

-- Signing keys (their functions: 10-foundations.sql) --------------------------------

CREATE TABLE keycard.signing_keys (
	kid text PRIMARY KEY,
	alg text NOT NULL CHECK (alg IN ('RS256', 'EdDSA')),
	public_jwk jsonb NOT NULL,
	kek_id text NOT NULL,
	encrypted_private_key bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE keycard.signing_keys IS
	'Signing keys; kid is the RFC 7638 thumbprint, the private key is sealed under the key-encryption key';

-- Keys are immutable: backends cache loaded keys by kid.
CREATE FUNCTION keycard.signing_keys_immutable() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
	RAISE EXCEPTION 'signing keys cannot be changed or deleted'
		USING ERRCODE = 'integrity_constraint_violation',
			  DETAIL = 'A signing key is identified by the thumbprint of its public key and never changes.',
			  HINT = 'Create a new key instead; retired keys stay published so old signatures still verify.';
END
$$;
CREATE TRIGGER signing_keys_immutable BEFORE UPDATE OR DELETE ON keycard.signing_keys
	FOR EACH ROW EXECUTE FUNCTION keycard.signing_keys_immutable();
CREATE TRIGGER signing_keys_no_truncate BEFORE TRUNCATE ON keycard.signing_keys
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.signing_keys_immutable();
-- Fire under session_replication_role = replica too (as every registry table's).
ALTER TABLE keycard.signing_keys ENABLE ALWAYS TRIGGER signing_keys_immutable;
ALTER TABLE keycard.signing_keys ENABLE ALWAYS TRIGGER signing_keys_no_truncate;

------------------------------------------------------------------------------
-- Registry tables: zones and their keys, schema versions, policies, policy
-- versions, policy sets, policy set versions, attestations, the audit log
-- (the C that writes them: src/registry/; errors, ids and caller identity:
-- 10-foundations.sql; the functions: 40-registry-c.sql, 50-registry.sql)
--
-- Every table is keyed by zone (primary and unique keys lead with zone_id)
-- except the two platform reference tables of schema versions.  Writes go
-- through the SECURITY DEFINER functions of 40-registry-c.sql and
-- 50-registry.sql, which check the caller's zones themselves; row-level
-- security (30-security.sql) keeps direct reads to those zones.
-- Triggers (ENABLE ALWAYS, so replication-role tricks do not skip them) make
-- versions, manifests, attestations and history append-only for every role.
-- Internal helpers and trigger functions run inside those SECURITY DEFINER
-- functions (whose search_path is pinned) and have no SET clause of their
-- own: each SET clause costs a configuration save and restore per call.
--
-- Foreign keys tie every row to the rows it names: each object to its owner
-- (zone, policy, policy set), versions to their schema version, manifest
-- entries to their set version and policy versions, attestations to their
-- set version and zone key, audit and history rows to their zone.
-- PostgreSQL enforces them on every write, whoever makes it.
------------------------------------------------------------------------------

-- Zones and membership ------------------------------------------------------------

CREATE TABLE keycard.schema_versions (
	version text PRIMARY KEY CHECK (version ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
	cedar_schema text NOT NULL,
	cedar_schema_json jsonb NOT NULL,
	initial_status text NOT NULL DEFAULT 'active' CHECK (initial_status IN ('active', 'deprecated', 'archived')),
	shipped boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE keycard.schema_versions IS
	'Cedar schema versions (platform reference data, the same for every zone); status changes live in schema_version_events';

CREATE TABLE keycard.schema_version_events (
	version text NOT NULL REFERENCES keycard.schema_versions (version),
	event_id text NOT NULL,
	status text NOT NULL CHECK (status IN ('active', 'deprecated', 'archived')),
	occurred_at timestamptz NOT NULL,
	actor text NOT NULL,
	request_id text,
	PRIMARY KEY (version, event_id)
);
COMMENT ON TABLE keycard.schema_version_events IS
	'Append-only status changes of schema versions; the latest one is the status';

CREATE VIEW keycard.schema_version_states AS
SELECT s.version, s.cedar_schema, s.cedar_schema_json, s.created_at,
	   coalesce(e.status, s.initial_status) AS status,
	   coalesce(e.occurred_at, s.created_at) AS updated_at,
	   CASE WHEN coalesce(e.status, s.initial_status) OPERATOR(pg_catalog.<>) 'active'
			THEN coalesce(
				(SELECT pg_catalog.max(d.occurred_at) FROM keycard.schema_version_events d
				 WHERE d.version OPERATOR(pg_catalog.=) s.version AND d.status OPERATOR(pg_catalog.=) 'deprecated'),
				CASE WHEN s.initial_status OPERATOR(pg_catalog.<>) 'active' THEN s.created_at END) END AS deprecated_at,
	   CASE WHEN coalesce(e.status, s.initial_status) OPERATOR(pg_catalog.=) 'archived'
			THEN coalesce(e.occurred_at, s.created_at) END AS archived_at
FROM keycard.schema_versions s
LEFT JOIN LATERAL (SELECT x.status, x.occurred_at FROM keycard.schema_version_events x
				   WHERE x.version OPERATOR(pg_catalog.=) s.version
				   ORDER BY x.event_id DESC LIMIT 1) e ON true;
COMMENT ON VIEW keycard.schema_version_states IS
	'Schema versions with their current status, updated_at, deprecated_at and archived_at';

CREATE TABLE keycard.zones (
	zone_id text PRIMARY KEY,
	name text CHECK (length(name) BETWEEN 1 AND 255),
	default_schema_version text NOT NULL REFERENCES keycard.schema_versions (version),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text,
	request_id text
);
COMMENT ON TABLE keycard.zones IS 'Tenants: every other registry row belongs to exactly one zone';

CREATE TABLE keycard.zone_members (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	role_name text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (zone_id, role_name)
);
COMMENT ON TABLE keycard.zone_members IS
	'Operator-kept membership of database roles in zones, for SQL callers (PostgREST callers carry zones in their JWT)';

CREATE TABLE keycard.zone_keys (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	kid text NOT NULL,
	alg text NOT NULL CHECK (alg IN ('RS256', 'EdDSA')),
	status text NOT NULL CHECK (status IN ('current', 'retired')),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	retired_at timestamptz,
	retired_by text,
	request_id text,
	PRIMARY KEY (zone_id, kid),
	CONSTRAINT zone_keys_signing_key_fkey FOREIGN KEY (kid) REFERENCES keycard.signing_keys (kid),
	CHECK ((status = 'retired') = (retired_at IS NOT NULL AND retired_by IS NOT NULL))
);
CREATE UNIQUE INDEX zone_keys_one_current ON keycard.zone_keys (zone_id) WHERE status = 'current';
COMMENT ON TABLE keycard.zone_keys IS
	'Which signing keys (keycard.signing_keys) belong to a zone: one current, the rest retired but still published';

-- History ----------------------------------------------------------------------

CREATE TABLE keycard.audit_log (
	zone_id text NOT NULL,
	event_id text NOT NULL,
	occurred_at timestamptz NOT NULL,
	actor text NOT NULL,
	request_id text,
	action text NOT NULL,
	object_type text NOT NULL,
	object_id text NOT NULL,
	detail jsonb,
	PRIMARY KEY (zone_id, event_id),
	CONSTRAINT audit_log_zone_fkey FOREIGN KEY (zone_id) REFERENCES keycard.zones (zone_id)
);
COMMENT ON TABLE keycard.audit_log IS
	'Append-only record of every registry write: who, when, which request (X-Client-Request-ID), what';

-- Policies and versions -------------------------------------------------------------

CREATE TABLE keycard.policies (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	policy_id text NOT NULL,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	description text CHECK (length(description) <= 4096),
	owner_type text NOT NULL CHECK (owner_type IN ('platform', 'customer')),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text,
	archived_at timestamptz,
	archived_by text,
	latest_version integer,
	latest_version_id text,
	latest_schema_version text,
	revision bigint NOT NULL DEFAULT 1,
	etag text NOT NULL GENERATED ALWAYS AS ('"' || revision::text || '"') STORED,
	request_id text,
	PRIMARY KEY (zone_id, policy_id),
	-- (latest_version_id has none: the bump names the version it precedes)
	CONSTRAINT policies_latest_schema_version_fkey FOREIGN KEY (latest_schema_version)
		REFERENCES keycard.schema_versions (version),
	CHECK ((archived_at IS NULL) = (archived_by IS NULL))
);
CREATE UNIQUE INDEX policies_name_key ON keycard.policies (zone_id, name) WHERE archived_at IS NULL;
COMMENT ON TABLE keycard.policies IS 'Named Cedar policies; their content lives in immutable policy_versions';
COMMENT ON COLUMN keycard.policies.etag IS 'ETag for If-Match: changes on every update of the row';

CREATE TABLE keycard.policy_versions (
	zone_id text NOT NULL,
	policy_id text NOT NULL,
	version_id text NOT NULL,
	version integer NOT NULL CHECK (version > 0),
	schema_version text NOT NULL,
	-- sha ~ '^[0-9a-f]{64}$', without a regular expression (cheaper per insert)
	sha text NOT NULL CHECK (octet_length(sha) = 64 AND ltrim(sha, '0123456789abcdef') = ''),
	owner_type text NOT NULL CHECK (owner_type IN ('platform', 'customer')),
	cedar_json jsonb NOT NULL,
	cedar_raw text NOT NULL,
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	request_id text,
	archived_at timestamptz,
	archived_by text,
	PRIMARY KEY (zone_id, version_id),
	-- The policy leads, not the zone: a zone holds many policies' versions, and
	-- a lookup by (zone_id, version_id), a foreign key check's among them,
	-- must not be planned on this index while statistics are still missing.
	CONSTRAINT policy_versions_number_key UNIQUE (policy_id, zone_id, version),
	-- what manifest entries reference: a version together with its policy
	CONSTRAINT policy_versions_version_policy_key UNIQUE (zone_id, version_id, policy_id),
	FOREIGN KEY (zone_id, policy_id) REFERENCES keycard.policies (zone_id, policy_id),
	CONSTRAINT policy_versions_schema_version_fkey FOREIGN KEY (schema_version)
		REFERENCES keycard.schema_versions (version),
	CHECK ((archived_at IS NULL) = (archived_by IS NULL))
);
COMMENT ON TABLE keycard.policy_versions IS
	'Immutable policy contents: cedar_json is the normalized EST, sha = hex SHA-256 of its JCS form';

-- Policy sets, versions, attestations -------------------------------------------------

CREATE TABLE keycard.policy_sets (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	policy_set_id text NOT NULL,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	owner_type text NOT NULL CHECK (owner_type IN ('platform', 'customer')),
	scope_type text NOT NULL DEFAULT 'zone' CHECK (scope_type IN ('zone', 'resource', 'user', 'session')),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text,
	archived_at timestamptz,
	archived_by text,
	latest_version integer,
	latest_version_id text,
	revision bigint NOT NULL DEFAULT 1,
	etag text NOT NULL GENERATED ALWAYS AS ('"' || revision::text || '"') STORED,
	request_id text,
	PRIMARY KEY (zone_id, policy_set_id),
	CHECK ((archived_at IS NULL) = (archived_by IS NULL))
);
CREATE UNIQUE INDEX policy_sets_name_key ON keycard.policy_sets (zone_id, name) WHERE archived_at IS NULL;
COMMENT ON TABLE keycard.policy_sets IS 'Named bundles of policy versions, created unbound';

CREATE TABLE keycard.policy_set_versions (
	zone_id text NOT NULL,
	policy_set_id text NOT NULL,
	version_id text NOT NULL,
	version integer NOT NULL CHECK (version > 0),
	schema_version text NOT NULL,
	manifest jsonb NOT NULL,
	manifest_sha text NOT NULL CHECK (octet_length(manifest_sha) = 64 AND ltrim(manifest_sha, '0123456789abcdef') = ''),
	owner_type text NOT NULL CHECK (owner_type IN ('platform', 'customer')),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	request_id text,
	archived_at timestamptz,
	archived_by text,
	PRIMARY KEY (zone_id, version_id),
	-- (the set leads, as in policy_versions_number_key)
	CONSTRAINT policy_set_versions_number_key UNIQUE (policy_set_id, zone_id, version),
	FOREIGN KEY (zone_id, policy_set_id) REFERENCES keycard.policy_sets (zone_id, policy_set_id),
	CONSTRAINT policy_set_versions_schema_version_fkey FOREIGN KEY (schema_version)
		REFERENCES keycard.schema_versions (version),
	CHECK ((archived_at IS NULL) = (archived_by IS NULL))
) WITH (toast_tuple_target = 8160);
-- (rows of a few kB stay inline and uncompressed: a compression attempt per
-- version cost more than the space it saves; the same for attestations)
COMMENT ON TABLE keycard.policy_set_versions IS
	'Immutable manifests: manifest = {"entries": [...]} in the client''s order, manifest_sha = hex SHA-256 of its JCS form';

CREATE TABLE keycard.policy_set_version_entries (
	zone_id text NOT NULL,
	version_id text NOT NULL,
	position integer NOT NULL CHECK (position >= 0),
	policy_id text NOT NULL,
	policy_version_id text NOT NULL,
	sha text NOT NULL,
	PRIMARY KEY (zone_id, version_id, position),
	UNIQUE (zone_id, version_id, policy_id),
	CONSTRAINT policy_set_version_entries_version_fkey FOREIGN KEY (zone_id, version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	-- One check per entry covers both the version and that it is its policy's.
	CONSTRAINT policy_set_version_entries_policy_version_fkey FOREIGN KEY (zone_id, policy_version_id, policy_id)
		REFERENCES keycard.policy_versions (zone_id, version_id, policy_id)
);
CREATE INDEX policy_set_version_entries_by_policy_version
	ON keycard.policy_set_version_entries (zone_id, policy_version_id);
COMMENT ON TABLE keycard.policy_set_version_entries IS
	'The manifest entries of each policy set version as rows (which policy versions a set version holds)';

CREATE TABLE keycard.attestations (
	zone_id text NOT NULL,
	attestation_id text NOT NULL,
	version_id text NOT NULL,
	kid text NOT NULL,
	status text NOT NULL CHECK (status IN ('created', 're_signed')),
	statement jsonb NOT NULL,
	jws jsonb NOT NULL,
	attested_at timestamptz NOT NULL,
	attested_by text NOT NULL,
	request_id text,
	PRIMARY KEY (zone_id, attestation_id),
	CONSTRAINT attestations_version_fkey FOREIGN KEY (zone_id, version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT attestations_key_fkey FOREIGN KEY (zone_id, kid) REFERENCES keycard.zone_keys (zone_id, kid)
) WITH (toast_tuple_target = 8160);
CREATE INDEX attestations_by_version ON keycard.attestations (zone_id, version_id, attestation_id);
COMMENT ON TABLE keycard.attestations IS
	'Append-only signature history of policy set versions: the JWS (Flattened JSON) and its decoded statement; the newest row per version is current';

-- Database-enforced rules: immutability, frozen columns, ETag revisions -----------------

CREATE FUNCTION keycard.guard_immutable() RETURNS trigger
	LANGUAGE plpgsql
	AS $$
-- TG_ARGV[0] = 'archive' allows exactly one change: archived_at/archived_by
-- going from NULL to set, every other column unchanged.
DECLARE
	tab text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
	o jsonb;
	n jsonb;
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		PERFORM keycard.raise_error('immutable', format('%s cannot be truncated', tab),
			format('Rule %s: registry history is append-only for every role.', TG_NAME), NULL);
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM keycard.raise_error('immutable', format('rows of %s cannot be deleted', tab),
			format('Rule %s: registry history is append-only for every role.', TG_NAME),
			CASE WHEN TG_NARGS > 0 THEN 'Archive the object instead.' END);
	END IF;
	IF TG_NARGS = 0 OR TG_ARGV[0] <> 'archive' THEN
		PERFORM keycard.raise_error('immutable', format('rows of %s cannot be updated', tab),
			format('Rule %s: these rows never change once written.', TG_NAME), NULL);
	END IF;
	o := to_jsonb(OLD);
	n := to_jsonb(NEW);
	IF (o - 'archived_at' - 'archived_by') IS DISTINCT FROM (n - 'archived_at' - 'archived_by') THEN
		PERFORM keycard.raise_error('immutable', format('rows of %s cannot be updated', tab),
			format('Rule %s: only archived_at and archived_by may change, once.', TG_NAME), NULL);
	END IF;
	IF o ->> 'archived_at' IS NOT NULL THEN
		PERFORM keycard.raise_error('immutable', format('archived row of %s cannot change', tab),
			format('Rule %s: archived_at and archived_by are set once.', TG_NAME), NULL);
	END IF;
	IF n ->> 'archived_at' IS NULL OR n ->> 'archived_by' IS NULL THEN
		PERFORM keycard.raise_error('immutable', format('rows of %s cannot be updated', tab),
			format('Rule %s: an update must set both archived_at and archived_by.', TG_NAME), NULL);
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION keycard.guard_immutable() IS
	'Trigger: no DELETE/TRUNCATE; no UPDATE except (with argument archive) setting archived_at/archived_by once';

CREATE TRIGGER zones_update BEFORE UPDATE ON keycard.zones
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_update('zone_id', 'created_at', 'created_by', 'request_id');
CREATE TRIGGER zones_no_delete BEFORE DELETE ON keycard.zones
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER zone_keys_update BEFORE UPDATE ON keycard.zone_keys
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_update('zone_id', 'kid', 'alg', 'created_at', 'created_by', 'request_id');
CREATE TRIGGER zone_keys_no_delete BEFORE DELETE ON keycard.zone_keys
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policies_update BEFORE UPDATE ON keycard.policies
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_update('zone_id', 'policy_id', 'owner_type', 'created_at', 'created_by', 'request_id');
CREATE TRIGGER policies_no_delete BEFORE DELETE ON keycard.policies
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER policy_sets_update BEFORE UPDATE ON keycard.policy_sets
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_update('zone_id', 'policy_set_id', 'owner_type', 'scope_type', 'created_at', 'created_by', 'request_id');
CREATE TRIGGER policy_sets_no_delete BEFORE DELETE ON keycard.policy_sets
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER policy_versions_immutable BEFORE UPDATE OR DELETE ON keycard.policy_versions
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER policy_set_versions_immutable BEFORE UPDATE OR DELETE ON keycard.policy_set_versions
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER policy_set_version_entries_immutable BEFORE UPDATE OR DELETE ON keycard.policy_set_version_entries
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER attestations_immutable BEFORE UPDATE OR DELETE ON keycard.attestations
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON keycard.audit_log
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER schema_versions_immutable BEFORE UPDATE OR DELETE ON keycard.schema_versions
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER schema_version_events_immutable BEFORE UPDATE OR DELETE ON keycard.schema_version_events
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();

CREATE TRIGGER zones_no_truncate BEFORE TRUNCATE ON keycard.zones
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER zone_keys_no_truncate BEFORE TRUNCATE ON keycard.zone_keys
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policies_no_truncate BEFORE TRUNCATE ON keycard.policies
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policy_sets_no_truncate BEFORE TRUNCATE ON keycard.policy_sets
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policy_versions_no_truncate BEFORE TRUNCATE ON keycard.policy_versions
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policy_set_versions_no_truncate BEFORE TRUNCATE ON keycard.policy_set_versions
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policy_set_version_entries_no_truncate BEFORE TRUNCATE ON keycard.policy_set_version_entries
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER attestations_no_truncate BEFORE TRUNCATE ON keycard.attestations
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON keycard.audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER schema_versions_no_truncate BEFORE TRUNCATE ON keycard.schema_versions
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER schema_version_events_no_truncate BEFORE TRUNCATE ON keycard.schema_version_events
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();

-- Fire even under session_replication_role = replica: only an explicit
-- ALTER TABLE ... DISABLE TRIGGER by the owner gets around them.
DO $$
DECLARE
	t record;
BEGIN
	FOR t IN SELECT c.relname, g.tgname FROM pg_catalog.pg_trigger g
			 JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
			 JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
			 WHERE s.nspname = 'keycard' AND NOT g.tgisinternal
			   AND c.relname IN ('zones', 'zone_keys', 'audit_log', 'policies', 'policy_versions', 'policy_sets',
								 'policy_set_versions', 'policy_set_version_entries', 'attestations',
								 'schema_versions', 'schema_version_events') LOOP
		EXECUTE format('ALTER TABLE keycard.%I ENABLE ALWAYS TRIGGER %I', t.relname, t.tgname);
	END LOOP;
END
$$;

-- Views of schema versions and attestations -----------------------------------------

CREATE VIEW keycard.zone_schema_versions WITH (security_invoker = true) AS
SELECT z.zone_id, s.version, s.status, s.created_at, s.updated_at, s.archived_at, s.deprecated_at,
	   s.cedar_schema, s.cedar_schema_json, s.version = z.default_schema_version AS is_default
FROM keycard.zones z CROSS JOIN keycard.schema_version_states s;
COMMENT ON VIEW keycard.zone_schema_versions IS
	'SchemaVersionWithZoneInfo: every schema version per visible zone, with is_default';

CREATE VIEW keycard.current_attestations WITH (security_invoker = true) AS
SELECT DISTINCT ON (a.zone_id, a.version_id) a.*
FROM keycard.attestations a
ORDER BY a.zone_id, a.version_id, a.attestation_id DESC;
COMMENT ON VIEW keycard.current_attestations IS
	'The newest attestation of each policy set version (PolicySetVersion.attestation is its statement)';

------------------------------------------------------------------------------
-- Registry part 2: bindings, archive guards, drafts (binding functions and
-- the bindings_guard trigger in C: src/registry/bindings.c; the rest SQL and PL/pgSQL;
-- tests sql/registry_bindings*.sql, sql/registry_drafts.sql,
-- test/isolation/specs/registry_binding_*.spec, bench/45-activation)
--
-- A slot is (zone, scope type, scope target; the zone id is the target of the
-- zone scope) and holds at most one active and one shadow binding: unique
-- indexes say so whatever writes the rows, and the bindings_guard trigger
-- lets rows change only inside the binding functions (bind, activate,
-- shadow, clear_shadow_binding: a backend-local flag that only they raise,
-- and lower on every exit), which record every change in the append-only
-- binding_history.  Concurrency: a binding change takes transaction
-- advisory locks on its slot and then on its policy set; the archive guards
-- (triggers on part 1's tables) take the lock of every set concerned before
-- they look at the bindings.  Both sides read only after their locks, so
-- under READ COMMITTED the later one waits and then sees what the other
-- committed.  Under REPEATABLE READ a snapshot older than the other's commit
-- would miss it, so each side also reads what it checks with the latest
-- snapshot and fails with a serialization error where the two differ: an
-- archived version is never bound and a bound one is never archived.  (An
-- advisory lock writes nothing; the per-set row that both sides used to
-- update cost a heap update and WAL on every activation.  A row lock on the
-- version or set row would not do either: a lock taken by a transaction that
-- has committed is no conflict for a REPEATABLE READ snapshot.)
------------------------------------------------------------------------------

CREATE TABLE keycard.bindings (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	scope_type text NOT NULL,
	scope_target_id text NOT NULL,
	mode text NOT NULL,
	policy_set_id text NOT NULL,
	version_id text NOT NULL,
	version integer NOT NULL,
	bound_at timestamptz NOT NULL,
	bound_by text NOT NULL,
	request_id text,
	PRIMARY KEY (zone_id, scope_type, scope_target_id, mode),
	FOREIGN KEY (zone_id, policy_set_id) REFERENCES keycard.policy_sets (zone_id, policy_set_id),
	FOREIGN KEY (zone_id, version_id) REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT bindings_check CHECK (keycard.binding_row_check(zone_id, scope_type, scope_target_id, mode))
);
-- A version is never active and shadow at once; a set has one active and one shadow version at most.
CREATE UNIQUE INDEX bindings_version_key ON keycard.bindings (zone_id, version_id);
CREATE UNIQUE INDEX bindings_policy_set_key ON keycard.bindings (zone_id, policy_set_id, mode);
COMMENT ON TABLE keycard.bindings IS
	'Current bindings: per slot (zone, scope type, scope target) at most one active and one shadow policy set version';

CREATE TABLE keycard.binding_history (
	zone_id text NOT NULL,
	event_id text NOT NULL,
	occurred_at timestamptz NOT NULL,
	actor text NOT NULL,
	request_id text,
	action text NOT NULL,
	scope_type text NOT NULL,
	scope_target_id text NOT NULL,
	mode text NOT NULL,
	from_policy_set_id text,
	from_version_id text,
	from_version integer,
	to_policy_set_id text,
	to_version_id text,
	to_version integer,
	PRIMARY KEY (zone_id, event_id),
	CONSTRAINT binding_history_zone_fkey FOREIGN KEY (zone_id) REFERENCES keycard.zones (zone_id),
	CONSTRAINT binding_history_from_version_fkey FOREIGN KEY (zone_id, from_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT binding_history_to_version_fkey FOREIGN KEY (zone_id, to_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT binding_history_check CHECK (keycard.binding_history_row_check(action, mode, from_version_id, to_version_id))
);
CREATE INDEX binding_history_by_slot ON keycard.binding_history (zone_id, scope_type, scope_target_id, event_id);
COMMENT ON TABLE keycard.binding_history IS
	'Append-only record of every binding change: who, when, which request, which slot and mode, from which version to which';

-- Binding rows: who may write them (keycard.bindings_guard(), 10-foundations.sql) ----

CREATE TRIGGER bindings_guard BEFORE INSERT OR UPDATE OR DELETE ON keycard.bindings
	FOR EACH ROW EXECUTE FUNCTION keycard.bindings_guard();
CREATE TRIGGER bindings_no_truncate BEFORE TRUNCATE ON keycard.bindings
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.bindings_guard();
CREATE TRIGGER binding_history_immutable BEFORE UPDATE OR DELETE ON keycard.binding_history
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER binding_history_no_truncate BEFORE TRUNCATE ON keycard.binding_history
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();

-- Archive guards on part 1's tables -------------------------------------------------

CREATE FUNCTION keycard.archive_guard() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
-- Fires when archived_at is being set on a policy set version, a policy set
-- or a policy version; refuses while a binding holds it.  Taking the sets'
-- locks first makes a concurrent binding change of the same sets finish
-- before the bindings are read (lock_policy_set_bindings).
DECLARE
	h record;
	sets text[];
BEGIN
	IF TG_TABLE_NAME = 'policy_versions' THEN
		SELECT array_agg(DISTINCT v.policy_set_id) INTO sets
		FROM keycard.policy_set_version_entries e
		JOIN keycard.policy_set_versions v ON v.zone_id = e.zone_id AND v.version_id = e.version_id
		WHERE e.zone_id = NEW.zone_id AND e.policy_version_id = NEW.version_id;
		IF sets IS NULL THEN
			RETURN NEW;
		END IF;
		PERFORM keycard.lock_policy_set_bindings(NEW.zone_id, sets);
		SELECT b.*, v.version AS set_version, s.name AS set_name, p.name AS policy_name INTO h
		FROM keycard.policy_set_version_entries e
		JOIN keycard.bindings b ON b.zone_id = e.zone_id AND b.version_id = e.version_id
		JOIN keycard.policy_set_versions v ON v.zone_id = b.zone_id AND v.version_id = b.version_id
		JOIN keycard.policy_sets s ON s.zone_id = b.zone_id AND s.policy_set_id = b.policy_set_id
		JOIN keycard.policies p ON p.zone_id = e.zone_id AND p.policy_id = e.policy_id
		WHERE e.zone_id = NEW.zone_id AND e.policy_version_id = NEW.version_id
		ORDER BY b.mode, s.name, b.version_id
		LIMIT 1;
		IF FOUND THEN
			PERFORM keycard.raise_error('bound',
				format('version %s of policy "%s" is bound', NEW.version, h.policy_name),
				format('Version %s of policy set "%s", bound %s for %s, references it.',
					   h.set_version, h.set_name, h.mode, keycard.slot_text(h.scope_type, h.scope_target_id)),
				'Bind a policy set version that does not reference it first.');
		END IF;
	ELSIF TG_TABLE_NAME = 'policy_set_versions' THEN
		PERFORM keycard.lock_policy_set_bindings(NEW.zone_id, ARRAY[NEW.policy_set_id]);
		SELECT b.*, s.name AS set_name INTO h
		FROM keycard.bindings b
		JOIN keycard.policy_sets s ON s.zone_id = b.zone_id AND s.policy_set_id = b.policy_set_id
		WHERE b.zone_id = NEW.zone_id AND b.version_id = NEW.version_id;
		IF FOUND THEN
			PERFORM keycard.raise_error('bound',
				format('version %s of policy set "%s" is bound', NEW.version, h.set_name),
				format('It is bound %s for %s.', h.mode, keycard.slot_text(h.scope_type, h.scope_target_id)),
				CASE h.mode WHEN 'active' THEN 'Activate another version in that slot first.'
					ELSE 'Bind another version as shadow, or clear the shadow binding, first.' END);
		END IF;
	ELSIF TG_TABLE_NAME = 'policy_sets' THEN
		PERFORM keycard.lock_policy_set_bindings(NEW.zone_id, ARRAY[NEW.policy_set_id]);
		SELECT * INTO h FROM keycard.bindings x
		WHERE x.zone_id = NEW.zone_id AND x.policy_set_id = NEW.policy_set_id
		ORDER BY x.mode
		LIMIT 1;
		IF FOUND THEN
			PERFORM keycard.raise_error('bound', format('policy set "%s" is bound', NEW.name),
				format('Its version %s is bound %s for %s.', h.version, h.mode, keycard.slot_text(h.scope_type, h.scope_target_id)),
				CASE h.mode WHEN 'active' THEN 'Activate a version of another policy set in that slot first.'
					ELSE 'Bind another version as shadow, or clear the shadow binding, first.' END);
		END IF;
	ELSE
		RAISE EXCEPTION 'keycard.archive_guard() is not for table %', TG_TABLE_NAME;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION keycard.archive_guard() IS
	'Trigger: a bound policy set version, the policy versions its manifest references and its policy set cannot be archived';

CREATE TRIGGER policy_versions_archive_bound BEFORE UPDATE ON keycard.policy_versions
	FOR EACH ROW WHEN (OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL)
	EXECUTE FUNCTION keycard.archive_guard();
CREATE TRIGGER policy_set_versions_archive_bound BEFORE UPDATE ON keycard.policy_set_versions
	FOR EACH ROW WHEN (OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL)
	EXECUTE FUNCTION keycard.archive_guard();
CREATE TRIGGER policy_sets_archive_bound BEFORE UPDATE ON keycard.policy_sets
	FOR EACH ROW WHEN (OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL)
	EXECUTE FUNCTION keycard.archive_guard();

-- Binding views: PolicySetWithBinding and PolicySetVersion.active ----------------------

CREATE VIEW keycard.policy_sets_with_binding WITH (security_invoker = true) AS
SELECT s.*,
	   (a.version_id IS NOT NULL OR h.version_id IS NOT NULL) AS active,
	   a.version AS active_version,
	   a.version_id AS active_version_id,
	   CASE WHEN a.version_id IS NOT NULL THEN 'active' WHEN h.version_id IS NOT NULL THEN 'shadow' END AS mode,
	   coalesce(a.scope_target_id, h.scope_target_id) AS scope_target_id,
	   h.version AS shadow_version,
	   h.version_id AS shadow_version_id
FROM keycard.policy_sets s
LEFT JOIN keycard.bindings a
	   ON a.zone_id OPERATOR(pg_catalog.=) s.zone_id AND a.policy_set_id OPERATOR(pg_catalog.=) s.policy_set_id
	  AND a.mode OPERATOR(pg_catalog.=) 'active'
LEFT JOIN keycard.bindings h
	   ON h.zone_id OPERATOR(pg_catalog.=) s.zone_id AND h.policy_set_id OPERATOR(pg_catalog.=) s.policy_set_id
	  AND h.mode OPERATOR(pg_catalog.=) 'shadow';
COMMENT ON VIEW keycard.policy_sets_with_binding IS
	'PolicySetWithBinding: policy sets with active (bound in either mode), active_version(_id), mode (active, else shadow), scope_target_id, shadow_version(_id)';

CREATE VIEW keycard.policy_set_versions_with_binding WITH (security_invoker = true) AS
SELECT v.*,
	   coalesce(b.mode OPERATOR(pg_catalog.=) 'active', false) AS active,
	   b.mode,
	   b.scope_target_id
FROM keycard.policy_set_versions v
LEFT JOIN keycard.bindings b
	   ON b.zone_id OPERATOR(pg_catalog.=) v.zone_id AND b.version_id OPERATOR(pg_catalog.=) v.version_id;
COMMENT ON VIEW keycard.policy_set_versions_with_binding IS
	'Policy set versions with active (bound with mode active), the binding mode (active, shadow or null) and scope_target_id';

-- Drafts -------------------------------------------------------------------------------------

-- Drafts are written only by the draft functions (50-registry.sql), which check
-- the policy (set) and base version they name; those rows are never deleted, so
-- no foreign keys tie the working copies to part 1's tables.
CREATE TABLE keycard.policy_drafts (
	zone_id text NOT NULL,
	policy_id text NOT NULL,
	schema_version text NOT NULL REFERENCES keycard.schema_versions (version),
	cedar_json jsonb,
	cedar_raw text,
	base_version_id text,
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text NOT NULL,
	request_id text,
	PRIMARY KEY (zone_id, policy_id),
	CHECK ((cedar_json IS NULL) <> (cedar_raw IS NULL))
);
COMMENT ON TABLE keycard.policy_drafts IS
	'One mutable working copy per policy: Cedar text or JSON as saved (checked only when published)';

CREATE TABLE keycard.policy_set_drafts (
	zone_id text NOT NULL,
	policy_set_id text NOT NULL,
	manifest jsonb NOT NULL,
	schema_version text NOT NULL REFERENCES keycard.schema_versions (version),
	name text CHECK (length(name) BETWEEN 1 AND 255),
	description text CHECK (length(description) <= 4096),
	base_version_id text,
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text NOT NULL,
	request_id text,
	PRIMARY KEY (zone_id, policy_set_id)
);
COMMENT ON TABLE keycard.policy_set_drafts IS
	'One mutable working copy per policy set: a manifest (entries with shas filled) that may hold what publishing would refuse';

-- Warnings of a draft manifest, computed when read (a policy version archived
-- after the save shows up).
CREATE FUNCTION keycard.manifest_warnings(zone_id text, manifest jsonb, schema_version text) RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
		SELECT pg_catalog.jsonb_agg(w.warning ORDER BY w.n, w.k)
		FROM (
			SELECT e.n, 1 AS k, pg_catalog.jsonb_build_object(
					'type', 'policy_version_archived',
					'message', CASE WHEN p.archived_at IS NOT NULL
									THEN pg_catalog.format('policy "%s" is archived', p.name)
									ELSE pg_catalog.format('version %s of policy "%s" is archived', pv.version, p.name) END,
					'policy_id', pv.policy_id, 'policy_version_id', pv.version_id) AS warning
			FROM pg_catalog.jsonb_array_elements(manifest OPERATOR(pg_catalog.->) 'entries') WITH ORDINALITY e(x, n)
			JOIN keycard.policy_versions pv ON pv.zone_id OPERATOR(pg_catalog.=) manifest_warnings.zone_id
				AND pv.version_id OPERATOR(pg_catalog.=) (e.x OPERATOR(pg_catalog.->>) 'policy_version_id')
			JOIN keycard.policies p ON p.zone_id OPERATOR(pg_catalog.=) pv.zone_id AND p.policy_id OPERATOR(pg_catalog.=) pv.policy_id
			WHERE pv.archived_at IS NOT NULL OR p.archived_at IS NOT NULL
			UNION ALL
			SELECT e.n, 2, pg_catalog.jsonb_build_object(
					'type', 'schema_version_mismatch',
					'message', pg_catalog.format('version %s of policy "%s" was validated against schema version "%s", the draft uses "%s"',
												 pv.version, p.name, pv.schema_version, manifest_warnings.schema_version),
					'policy_id', pv.policy_id, 'policy_version_id', pv.version_id,
					'detail', pg_catalog.jsonb_build_object('draft_schema_version', manifest_warnings.schema_version,
															 'policy_schema_version', pv.schema_version))
			FROM pg_catalog.jsonb_array_elements(manifest OPERATOR(pg_catalog.->) 'entries') WITH ORDINALITY e(x, n)
			JOIN keycard.policy_versions pv ON pv.zone_id OPERATOR(pg_catalog.=) manifest_warnings.zone_id
				AND pv.version_id OPERATOR(pg_catalog.=) (e.x OPERATOR(pg_catalog.->>) 'policy_version_id')
			JOIN keycard.policies p ON p.zone_id OPERATOR(pg_catalog.=) pv.zone_id AND p.policy_id OPERATOR(pg_catalog.=) pv.policy_id
			WHERE pv.schema_version OPERATOR(pg_catalog.<>) manifest_warnings.schema_version
		) w;
	END;
COMMENT ON FUNCTION keycard.manifest_warnings(text, jsonb, text) IS
	'Draft warnings of a manifest: policy_version_archived and schema_version_mismatch (with detail) entries in manifest order, or NULL when there are none';

CREATE VIEW keycard.policy_set_drafts_with_warnings WITH (security_invoker = true) AS
SELECT d.*, keycard.manifest_warnings(d.zone_id, d.manifest, d.schema_version) AS warnings
FROM keycard.policy_set_drafts d;
COMMENT ON VIEW keycard.policy_set_drafts_with_warnings IS
	'Policy set drafts with their current warnings (NULL when there are none)';

-- These triggers fire under session_replication_role = replica too -------------------

ALTER TABLE keycard.bindings ENABLE ALWAYS TRIGGER bindings_guard;
ALTER TABLE keycard.bindings ENABLE ALWAYS TRIGGER bindings_no_truncate;
ALTER TABLE keycard.binding_history ENABLE ALWAYS TRIGGER binding_history_immutable;
ALTER TABLE keycard.binding_history ENABLE ALWAYS TRIGGER binding_history_no_truncate;
ALTER TABLE keycard.policy_versions ENABLE ALWAYS TRIGGER policy_versions_archive_bound;
ALTER TABLE keycard.policy_set_versions ENABLE ALWAYS TRIGGER policy_set_versions_archive_bound;
ALTER TABLE keycard.policy_sets ENABLE ALWAYS TRIGGER policy_sets_archive_bound;

------------------------------------------------------------------------------
-- Registry: the shipped schema versions (keycard.cedar_platform_schemas(),
-- in 10-foundations.sql, is the one copy of their texts).
-- The newest is active; older ones are deprecated (they still accept new
-- policy versions).
------------------------------------------------------------------------------

INSERT INTO keycard.schema_versions (version, cedar_schema, cedar_schema_json, initial_status, shipped, created_at)
SELECT p.version, p.cedar_schema, p.cedar_schema_json,
	   CASE WHEN p.version = max(p.version) OVER () THEN 'active' ELSE 'deprecated' END,
	   true, (p.version || 'T00:00:00Z')::timestamptz
FROM keycard.cedar_platform_schemas() p;

------------------------------------------------------------------------------
-- keycard install script, part 30: security
--
-- Row-level security of the registry tables, the grants on tables, views and
-- the keycard schema, and the tables whose rows pg_dump keeps
-- (pg_extension_config_dump).  A function's privileges stay with its
-- declaration.
------------------------------------------------------------------------------

-- Signing keys: no role but the extension owner reads them; dumped whole.
REVOKE ALL ON keycard.signing_keys FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('keycard.signing_keys', '');

-- Row-level security and grants ----------------------------------------------------

-- SQL callers (roles in keycard.zone_members, granted keycard_user: part 70) use the registry functions and
-- read their zones' rows directly; what they may touch is decided by the
-- functions' zone checks, RLS and table grants, not by schema visibility.
GRANT USAGE ON SCHEMA keycard TO PUBLIC;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['zones', 'zone_members', 'zone_keys', 'audit_log', 'policies', 'policy_versions',
							 'policy_sets', 'policy_set_versions', 'policy_set_version_entries', 'attestations'] LOOP
		EXECUTE format('ALTER TABLE keycard.%I ENABLE ROW LEVEL SECURITY', t);
		-- The scalar subqueries make caller_zones() run once per statement, not per row.
		EXECUTE format('CREATE POLICY zone_isolation ON keycard.%I USING ('
					   '(SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[])) '
					   'WITH CHECK ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]))', t);
		IF t <> 'zone_members' THEN
			EXECUTE format('GRANT SELECT ON keycard.%I TO PUBLIC', t);
		END IF;
	END LOOP;
	FOREACH t IN ARRAY ARRAY['schema_versions', 'schema_version_events'] LOOP
		EXECUTE format('ALTER TABLE keycard.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY platform_data ON keycard.%I FOR SELECT USING (true)', t);
		EXECUTE format('GRANT SELECT ON keycard.%I TO PUBLIC', t);
	END LOOP;
END
$$;
GRANT SELECT ON keycard.schema_version_states TO PUBLIC;

-- pg_dump keeps every row of these tables (shipped schema rows come back with
-- CREATE EXTENSION, so only the others are dumped).
SELECT pg_catalog.pg_extension_config_dump('keycard.schema_versions', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('keycard.schema_version_events', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.zones', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.zone_members', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.zone_keys', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policies', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policy_versions', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policy_sets', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policy_set_versions', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policy_set_version_entries', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.attestations', '');

-- Views over the registry tables (security_invoker: the tables' RLS applies) ---------

GRANT SELECT ON keycard.zone_schema_versions TO PUBLIC;
GRANT SELECT ON keycard.current_attestations TO PUBLIC;
GRANT SELECT ON keycard.policy_sets_with_binding TO PUBLIC;
GRANT SELECT ON keycard.policy_set_versions_with_binding TO PUBLIC;
GRANT SELECT ON keycard.policy_set_drafts_with_warnings TO PUBLIC;

-- Bindings, binding history and drafts: RLS, grants, dump ---------------------------

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['bindings', 'binding_history', 'policy_drafts', 'policy_set_drafts'] LOOP
		EXECUTE format('ALTER TABLE keycard.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY zone_isolation ON keycard.%I USING ('
					   '(SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[])) '
					   'WITH CHECK ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]))', t);
		EXECUTE format('GRANT SELECT ON keycard.%I TO PUBLIC', t);
		PERFORM pg_catalog.pg_extension_config_dump(format('keycard.%I', t), '');
	END LOOP;
END
$$;

------------------------------------------------------------------------------
-- keycard install script, part 40: the registry's functions in C
--
-- Declared after the tables because they return registry row types (a
-- declaration names its result type, which must exist): creating policy and
-- policy set versions, attestations, binding changes.  With them, the other
-- registry operations written in C: the audit writer and the binding locks.
-- (src/registry/registry.c, src/registry/policy_version.c,
-- src/registry/policy_set_version.c, src/registry/bindings.c)
------------------------------------------------------------------------------

-- One writer of audit rows for the SQL and the C functions (src/registry/registry.c).
CREATE FUNCTION keycard.audit(zone_id text, action text, object_type text, object_id text, detail jsonb DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'keycard_audit'
	LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION keycard.audit(text, text, text, text, jsonb) FROM PUBLIC;

-- Signs a policy set version's attestation statement with the zone's current
-- key and appends it to the signature history (src/registry/policy_set_version.c,
-- which creates the first attestation of each version the same way).
CREATE FUNCTION keycard.attest(zone_id text, version_id text, status text) RETURNS keycard.attestations
	AS 'MODULE_PATHNAME', 'keycard_attest'
	LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION keycard.attest(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION keycard.attest(text, text, text) IS
	'Internal: signs a policy set version''s attestation statement with the zone''s current key and records it';

-- Creating versions ----------------------------------------------------------------------

CREATE FUNCTION keycard.create_policy_version(zone_id text, policy_id text, schema_version text,
											  cedar_json jsonb DEFAULT NULL, cedar_raw text DEFAULT NULL)
	RETURNS keycard.policy_versions
	AS 'MODULE_PATHNAME', 'keycard_create_policy_version'
	LANGUAGE C VOLATILE SECURITY DEFINER PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.create_policy_version(text, text, text, jsonb, text) IS
	'Creates the next version of a policy from Cedar text or Cedar JSON (exactly one): parsed, validated against the schema version, normalized, hashed (sha = hex SHA-256 of the JCS of the normalized EST)';

CREATE FUNCTION keycard.create_policy_set_version(zone_id text, policy_set_id text, manifest jsonb, schema_version text)
	RETURNS keycard.policy_set_versions
	AS 'MODULE_PATHNAME', 'keycard_create_policy_set_version'
	LANGUAGE C VOLATILE SECURITY DEFINER PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.create_policy_set_version(text, text, jsonb, text) IS
	'Creates the next version of a policy set: checks and fills every manifest entry, computes manifest_sha and signs the attestation with the zone''s current key';

-- In C (src/registry/bindings.c): the advisory locks of the sets, in id order, and
-- under REPEATABLE READ the cross-check of their bindings.
CREATE FUNCTION keycard.lock_policy_set_bindings(zone_id text, policy_set_ids text[]) RETURNS void
	AS 'MODULE_PATHNAME', 'keycard_lock_policy_set_bindings'
	LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION keycard.lock_policy_set_bindings(text, text[]) FROM PUBLIC;
COMMENT ON FUNCTION keycard.lock_policy_set_bindings(text, text[]) IS
	'Internal, for the archive guards: waits for binding changes of the policy sets (their advisory locks, in id order); under REPEATABLE READ fails if their bindings changed since the snapshot';

-- Binding functions ----------------------------------------------------------------------

-- In C (src/registry/bindings.c): the checks, locks and writes are described there.
CREATE FUNCTION keycard.bind_policy_set_version(zone_id text, policy_set_id text, version_id text,
												mode text DEFAULT 'active', scope_target_id text DEFAULT NULL)
	RETURNS keycard.policy_set_versions_with_binding
	AS 'MODULE_PATHNAME', 'keycard_bind_policy_set_version'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.bind_policy_set_version(text, text, text, text, text) IS
	'Binds a policy set version in its slot with mode active (takes the slot over, demoting the previous binding; the shadow-bound version is promoted) or shadow (one per slot); records the change';

CREATE FUNCTION keycard.activate_policy_set_version(zone_id text, policy_set_id text, version_id text,
													scope_target_id text DEFAULT NULL)
	RETURNS keycard.policy_set_versions_with_binding
	AS 'MODULE_PATHNAME', 'keycard_activate_policy_set_version'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.activate_policy_set_version(text, text, text, text) IS
	'Activates a policy set version in its slot (roll forward and roll back alike): the previous active binding is demoted, a shadow-bound version is promoted';

CREATE FUNCTION keycard.shadow_policy_set_version(zone_id text, policy_set_id text, version_id text,
												  scope_target_id text DEFAULT NULL)
	RETURNS keycard.policy_set_versions_with_binding
	AS 'MODULE_PATHNAME', 'keycard_shadow_policy_set_version'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.shadow_policy_set_version(text, text, text, text) IS
	'Binds a policy set version as the shadow of its slot (observed beside the active one), replacing the previous shadow';

CREATE FUNCTION keycard.clear_shadow_binding(zone_id text, policy_set_id text)
	RETURNS keycard.policy_sets_with_binding
	AS 'MODULE_PATHNAME', 'keycard_clear_shadow_binding'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.clear_shadow_binding(text, text) IS
	'Removes the policy set''s shadow binding, if any (active bindings are never removed); records the change';

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
	IF if_match IS NOT NULL AND if_match <> '*' AND if_match <> p.etag THEN
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
	IF if_match IS NOT NULL AND if_match <> '*' AND if_match <> s.etag THEN
		PERFORM keycard.raise_error('etag_mismatch', format('policy set "%s" has changed', s.name),
			format('If-Match is %s but the current ETag is %s.', if_match, s.etag), 'Fetch the policy set again and retry.');
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
-- superuser.  (The same definitions are in keycard--0.1.0--0.2.0.sql.)
------------------------------------------------------------------------------

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
	vals text[] := ARRAY(SELECT jsonb_array_elements_text(q -> name));
	v text;
BEGIN
	IF NOT q ? name THEN
		RETURN NULL;
	END IF;
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
COMMENT ON FUNCTION keycard.api_like_any(jsonb, text[]) IS
	'ILIKE patterns for case-insensitive substring search terms (query, query[name], ...); NULL when none';

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
	e1 text[] := ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text(q -> 'expand') x ORDER BY 1);
	e2 text[] := ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text(q -> 'expand[]') x ORDER BY 1);
	v text;
BEGIN
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
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
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

CREATE FUNCTION keycard.api_page(source text, cond text, keys text[], item text, p jsonb) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
-- One page of a list as {items, pagination}.  source, cond, keys and item are
-- SQL fragments written by the api functions (values quoted with %L); the
-- sort key (keys, compared as text in "C" collation, all in one direction)
-- must be unique.  Keyset paging: after = strictly past that item, before =
-- strictly ahead of it; each page looks one row beyond its far end, and one
-- EXISTS probe checks the near end when a cursor was given.
DECLARE
	is_desc boolean := p ->> 'order' = 'desc';
	backward boolean := p ->> 'before' IS NOT NULL;
	cur text[];
	lim integer := coalesce((p ->> 'limit')::integer, 50);
	keyrow text := '(' || array_to_string(keys, ', ') || ')';
	keyarr text := 'ARRAY[' || array_to_string(keys, ', ') || ']::text[]';
	fwd_op text;
	rows jsonb;
	n integer;
	more boolean;
	has_prev boolean := false;
	has_next boolean := false;
	first_k text[];
	last_k text[];
	pagination jsonb;
	total bigint;
BEGIN
	IF p ->> 'after' IS NOT NULL OR backward THEN
		cur := keycard.api_cursor_key(coalesce(p ->> 'after', p ->> 'before'), p ->> 'sort', cardinality(keys));
	END IF;
	-- fwd_op: how an item later in display order compares with an earlier one.
	fwd_op := CASE WHEN is_desc THEN '<' ELSE '>' END;
	EXECUTE format('SELECT coalesce(jsonb_agg(jsonb_build_array(t.i, t.k)), ''[]'') FROM ('
				   'SELECT %s AS i, %s AS k FROM %s WHERE %s%s ORDER BY %s LIMIT %s) t',
				   item, keyarr, source, cond,
				   CASE WHEN cur IS NULL THEN ''
						ELSE format(' AND %s %s %s', keyrow, CASE WHEN backward THEN (CASE WHEN is_desc THEN '>' ELSE '<' END) ELSE fwd_op END,
									(SELECT '(' || string_agg(quote_literal(x) || '', ', ') || ')' FROM unnest(cur) x)) END,
				   (SELECT string_agg(k || ' ' || CASE WHEN is_desc <> backward THEN 'DESC' ELSE 'ASC' END, ', ') FROM unnest(keys) k),
				   lim + 1)
	INTO rows;
	n := jsonb_array_length(rows);
	more := n > lim;
	IF more THEN
		rows := rows - lim;
		n := lim;
	END IF;
	IF backward THEN
		rows := (SELECT jsonb_agg(r ORDER BY o DESC) FROM jsonb_array_elements(rows) WITH ORDINALITY x(r, o));
		has_prev := more;
	ELSE
		has_next := more;
	END IF;
	IF n > 0 THEN
		first_k := ARRAY(SELECT jsonb_array_elements_text(rows -> 0 -> 1));
		last_k := ARRAY(SELECT jsonb_array_elements_text(rows -> (n - 1) -> 1));
		IF cur IS NOT NULL THEN
			-- The near end: anything before the first item (after) or after the last one (before)?
			EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %s AND %s %s %s)', source, cond, keyrow,
						   CASE WHEN backward THEN fwd_op ELSE (CASE WHEN is_desc THEN '>' ELSE '<' END) END,
						   (SELECT '(' || string_agg(quote_literal(x) || '', ', ') || ')'
							FROM unnest(CASE WHEN backward THEN last_k ELSE first_k END) x))
			INTO more;
			IF backward THEN
				has_next := more;
			ELSE
				has_prev := more;
			END IF;
		END IF;
	END IF;
	pagination := jsonb_build_object(
		'after_cursor', CASE WHEN has_next THEN keycard.api_cursor(p ->> 'sort', last_k) END,
		'before_cursor', CASE WHEN has_prev THEN keycard.api_cursor(p ->> 'sort', first_k) END);
	IF (p ->> 'total')::boolean THEN
		EXECUTE format('SELECT count(*) FROM %s WHERE %s', source, cond) INTO total;
		pagination := pagination || jsonb_build_object('total_count', total);
	END IF;
	RETURN jsonb_build_object('items', coalesce((SELECT jsonb_agg(r -> 0 ORDER BY o) FROM jsonb_array_elements(rows) WITH ORDINALITY x(r, o)), '[]'),
							  'pagination', pagination);
END
$$;
COMMENT ON FUNCTION keycard.api_page(text, text, text[], text, jsonb) IS
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
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['format']);
	PERFORM keycard.require_zone(zone_id);
	r := keycard.api_policy_schema(zone_id, version, keycard.api_format(q, 'json'));
	IF r IS NULL THEN
		PERFORM keycard.raise_error('not_found', format('schema version "%s" not found', version), NULL, NULL);
	END IF;
	RETURN r;
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
		format('v.zone_id = %L%s', zone_id, CASE WHEN dflt IS NOT NULL THEN format(' AND v.is_default = %L', dflt) ELSE '' END),
		ARRAY['v.created_at', 'v.version'],
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
	p keycard.policies;
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	p := keycard.get_policy(zone_id, policy_id);
	PERFORM keycard.api_add_header('ETag', p.etag);
	RETURN keycard.api_policy_json(p);
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
		cond := cond || format(' AND (v.name ILIKE ANY (%1$L::text[]) OR v.description ILIKE ANY (%1$L::text[]))', pat);
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query[name]']);
	IF pat IS NOT NULL THEN
		cond := cond || format(' AND v.name ILIKE ANY (%L::text[])', pat);
	END IF;
	pat := keycard.api_like_any(q, ARRAY['query[description]']);
	IF pat IS NOT NULL THEN
		cond := cond || format(' AND v.description ILIKE ANY (%L::text[])', pat);
	END IF;
	RETURN keycard.api_page('api.policies v', cond, ARRAY['v.id'], 'to_jsonb(v)', p);
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
BEGIN
	PERFORM keycard.api_check_query(q, ARRAY['format']);
	RETURN keycard.api_policy_version_json(keycard.get_policy_version(zone_id, policy_id, version_id), keycard.api_format(q, NULL));
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
	PERFORM keycard.get_policy(zone_id, policy_id);
	RETURN keycard.api_page('api.policy_versions v',
		format('v.zone_id = %L AND v.policy_id = %L', zone_id, policy_id), ARRAY['v.id'],
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
	PERFORM keycard.api_add_header('ETag', s.etag);
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
	s keycard.policy_sets_with_binding;
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	s := keycard.get_policy_set_with_binding(zone_id, policy_set_id);
	PERFORM keycard.api_add_header('ETag', s.etag);
	RETURN keycard.api_policy_set_json(s);
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
	PERFORM keycard.api_add_header('ETag', s.etag);
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
		cond := cond || format(' AND v.name ILIKE ANY (%L::text[])', pat);
	END IF;
	RETURN keycard.api_page('api.policy_sets v', cond,
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
	PERFORM keycard.api_add_header('ETag', s.etag);
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
BEGIN
	PERFORM keycard.api_check_query(keycard.api_query(), '{}');
	RETURN keycard.api_policy_set_version_json(keycard.get_policy_set_version(zone_id, policy_set_id, version_id));
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
	PERFORM keycard.get_policy_set(zone_id, policy_set_id);
	RETURN keycard.api_page('api.policy_set_versions v',
		format('v.zone_id = %L AND v.policy_set_id = %L', zone_id, policy_set_id), ARRAY['v.id'],
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
	PERFORM keycard.get_policy_set_version(zone_id, policy_set_id, version_id);
	RETURN keycard.api_page('api.policy_versions v',
		format('v.zone_id = %1$L AND v.id IN (SELECT e.policy_version_id FROM keycard.policy_set_version_entries e '
			   'WHERE e.zone_id = %1$L AND e.version_id = %2$L)', zone_id, version_id),
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
	PERFORM keycard.get_policy_set_version(zone_id, policy_set_id, version_id);
	SELECT a.jws INTO jws FROM keycard.attestations a
	WHERE a.zone_id = get_policy_set_version_attestation.zone_id AND a.version_id = get_policy_set_version_attestation.version_id
	ORDER BY a.attestation_id DESC LIMIT 1;
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
-- End of the HTTP API section (schema api).

------------------------------------------------------------------------------
-- keycard install script, part 70: who may call the registry
--
-- Identity comes from the acting database role (src/registry/caller.c): JWT
-- claims count only under the API roles PostgREST switches to, every other
-- role is a SQL caller whose zones are its keycard.zone_members rows.  On top
-- of that, the functions that act for a caller (every SECURITY DEFINER
-- function of the keycard schema: they read or write a zone, or are platform
-- actions) are not executable by PUBLIC.  They are granted to the API roles
-- keycard_api and keycard_platform (what PostgREST's requests call through
-- the api schema) and to keycard_user, the NOLOGIN group role a DBA grants to
-- each SQL caller:
--
--   GRANT keycard_user TO alice;                         -- may call the registry
--   SELECT keycard.add_zone_member('<zone id>', 'alice'); -- in that zone (platform)
--
-- A role without keycard_user (or an API role) can call none of them.  The
-- public helpers that reveal no zone data stay executable by PUBLIC: the
-- public keys (keycard.jwk, keycard.zone_jwks), JWS, JCS and Cedar functions,
-- error codes, and the caller identity functions (row-level security calls
-- keycard.caller_zones() as the reading role).  Trigger functions need no
-- grant.  Runs last, so it covers every function the parts before declare.
------------------------------------------------------------------------------

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
