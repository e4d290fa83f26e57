-- keycard 0.1.0 -> 0.2.0: every registry write through the executor.
--
-- Applied by ALTER EXTENSION keycard UPDATE TO '0.2.0'; test/suites/46-upgrade
-- proves a database upgraded this way has the schema of a fresh 0.2.0 install
-- and keeps its rows.
\echo Use "ALTER EXTENSION keycard UPDATE TO '0.2.0'" to load this file. \quit

-- The client's query string is parsed in C (src/api_request.c): the PL/pgSQL
-- parser grew a jsonb object one member at a time (quadratic in the number of
-- parameters).
CREATE OR REPLACE FUNCTION keycard.api_urldecode(s text) RETURNS text
	AS 'MODULE_PATHNAME', 'keycard_api_urldecode'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION keycard.api_query() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_api_query'
	LANGUAGE C STABLE PARALLEL SAFE;
