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
