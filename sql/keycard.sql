/* keycard install script: the one source of keycard--<version>.sql */

\echo Use "CREATE EXTENSION keycard" to load this file. \quit

-- The extension's own schema (keycard) is created by CREATE EXTENSION from
-- the control file; every object below is schema-qualified.

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
REVOKE ALL ON keycard.signing_keys FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('keycard.signing_keys', '');

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

CREATE FUNCTION keycard.cedar_platform_schemas()
	RETURNS TABLE (version text, cedar_schema text, cedar_schema_json jsonb)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $cedar$
	VALUES
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
$s1$, '{"":{"entityTypes":{},"actions":{"access":{"appliesTo":{"resourceTypes":["Keycard::Resource"],"principalTypes":["Keycard::User","Keycard::Application"],"context":{"type":"Keycard::Context"}}},"read":{"appliesTo":{"resourceTypes":["Keycard::Resource"],"principalTypes":["Keycard::User","Keycard::Application"],"context":{"type":"Keycard::Context"}}},"write":{"appliesTo":{"resourceTypes":["Keycard::Resource"],"principalTypes":["Keycard::User","Keycard::Application"],"context":{"type":"Keycard::Context"}}}}},"Keycard":{"commonTypes":{"Context":{"type":"Record","attributes":{"claims":{"type":"EntityOrCommon","name":"Claims","required":false},"on_behalf":{"type":"EntityOrCommon","name":"Bool"},"scopes":{"type":"Set","element":{"type":"EntityOrCommon","name":"String"},"required":false}}}},"entityTypes":{"Application":{"shape":{"type":"Record","attributes":{"credential_type":{"type":"EntityOrCommon","name":"String"},"dependencies":{"type":"Set","element":{"type":"EntityOrCommon","name":"Resource"}},"identifier":{"type":"EntityOrCommon","name":"String"},"registration_method":{"type":"EntityOrCommon","name":"String"}}}},"Claims":{"shape":{"type":"Record","attributes":{"email":{"type":"EntityOrCommon","name":"String"},"groups":{"type":"Set","element":{"type":"EntityOrCommon","name":"String"}}}},"tags":{"type":"EntityOrCommon","name":"String"}},"Resource":{"shape":{"type":"Record","attributes":{"id":{"type":"EntityOrCommon","name":"String"},"identifier":{"type":"EntityOrCommon","name":"String"},"name":{"type":"EntityOrCommon","name":"String"},"scopes":{"type":"Set","element":{"type":"EntityOrCommon","name":"String"}}}}},"User":{"shape":{"type":"Record","attributes":{"email":{"type":"EntityOrCommon","name":"String"},"groups":{"type":"Set","element":{"type":"EntityOrCommon","name":"String"}}}}}},"actions":{}}}'::jsonb),
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
$s2$, '{"":{"entityTypes":{},"actions":{"access":{"appliesTo":{"resourceTypes":["Keycard::Resource"],"principalTypes":["Keycard::User","Keycard::Application"],"context":{"type":"Keycard::Context"}}},"read":{"appliesTo":{"resourceTypes":["Keycard::Resource"],"principalTypes":["Keycard::User","Keycard::Application"],"context":{"type":"Keycard::Context"}}},"write":{"appliesTo":{"resourceTypes":["Keycard::Resource"],"principalTypes":["Keycard::User","Keycard::Application"],"context":{"type":"Keycard::Context"}}}}},"Keycard":{"commonTypes":{"Context":{"type":"Record","attributes":{"claims":{"type":"EntityOrCommon","name":"Claims","required":false},"on_behalf":{"type":"EntityOrCommon","name":"Bool"},"scopes":{"type":"Set","element":{"type":"EntityOrCommon","name":"String"},"required":false}}}},"entityTypes":{"Application":{"shape":{"type":"Record","attributes":{"credential_type":{"type":"EntityOrCommon","name":"CredentialType"},"dependencies":{"type":"Set","element":{"type":"EntityOrCommon","name":"Resource"}},"identifier":{"type":"EntityOrCommon","name":"String"},"registration_method":{"type":"EntityOrCommon","name":"RegistrationMethod"}}}},"Claims":{"shape":{"type":"Record","attributes":{"email":{"type":"EntityOrCommon","name":"String"},"groups":{"type":"Set","element":{"type":"EntityOrCommon","name":"String"}}}},"tags":{"type":"EntityOrCommon","name":"String"}},"CredentialType":{"enum":["token","password","public-key","url","public"]},"RegistrationMethod":{"enum":["managed","dcr"]},"Resource":{"shape":{"type":"Record","attributes":{"id":{"type":"EntityOrCommon","name":"String"},"identifier":{"type":"EntityOrCommon","name":"String"},"name":{"type":"EntityOrCommon","name":"String"},"scopes":{"type":"Set","element":{"type":"EntityOrCommon","name":"String"}}}}},"User":{"shape":{"type":"Record","attributes":{"email":{"type":"EntityOrCommon","name":"String"},"groups":{"type":"Set","element":{"type":"EntityOrCommon","name":"String"}}}}}},"actions":{}}}'::jsonb)
$cedar$;
COMMENT ON FUNCTION keycard.cedar_platform_schemas() IS
	'The platform''s Cedar schema versions shipped with the extension, as text and as JSON';
