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
