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

CREATE FUNCTION keycard.cedar_is_authorized(call jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_is_authorized'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_is_authorized(jsonb) IS
	'Cedar authorization of one request, as Cedar''s isAuthorized: the call {principal, action, resource, context, policies: {staticPolicies}, entities[, schema, validateRequest]} gives {decision, reasons, errored_policies}';

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
