-- keycard 0.2.0 -> 0.3.0
--
-- Applied by ALTER EXTENSION keycard UPDATE TO '0.3.0'; test/suites/46-upgrade
-- proves a database upgraded this way (from 0.2.0, and from 0.1.0 through
-- 0.2.0) has the schema of a fresh 0.3.0 install and keeps its rows.
\echo Use "ALTER EXTENSION keycard UPDATE TO '0.3.0'" to load this file. \quit

-- Cedar authorization (src/cedar_authorize.c, src/cedar/{authorize,entities,
-- eval,json_value,value}.c)

CREATE FUNCTION keycard.cedar_is_authorized(call jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_cedar_is_authorized'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION keycard.cedar_is_authorized(jsonb) IS
	'Cedar authorization of one request, as Cedar''s isAuthorized: the call {principal, action, resource, context, policies: {staticPolicies}, entities[, schema, validateRequest]} gives {decision, reasons, errored_policies}';
