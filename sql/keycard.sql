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
