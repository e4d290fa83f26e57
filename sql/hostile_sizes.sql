-- Hostile sizes: about 1 MB of input in the shapes that make a careless
-- implementation quadratic, through the HTTP API's query-string parser,
-- canonical JSON, base64url, SHA-256 and JWS.  Each call runs under a
-- statement timeout far above the 1 s goal (bench/70-hostile measures the
-- goal itself), so only a cost that grows much faster than the input trips
-- it.  Only results are shown, never times.
SET statement_timeout = '10s';
\set VERBOSITY terse

-- ok, or the SQLSTATE of the error (57014 is the statement timeout)
CREATE FUNCTION pg_temp.outcome(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE sql;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;

-- The query string (X-Keycard-Query) as keycard.api_query() sees it
CREATE FUNCTION pg_temp.set_query(q text) RETURNS int LANGUAGE sql AS $$
	SELECT length(set_config('request.headers', json_build_object('x-keycard-query', q)::text, false))
$$;

-- 100,000 distinct parameters (about 1 MB)
SELECT pg_temp.set_query(string_agg('p' || i || '=v' || i, '&')) > 1000000 AS about_1mb
FROM generate_series(1, 100000) i;
SELECT count(*) AS names, min(v ->> 0) AS first_value, max(jsonb_array_length(v)) AS values_per_name
FROM jsonb_each(keycard.api_query()) x(k, v);
-- one name repeated 110,000 times, values kept in order
SELECT pg_temp.set_query(string_agg('query=' || i, '&')) > 1000000 AS about_1mb
FROM generate_series(1, 110000) i;
SELECT jsonb_array_length(q -> 'query') AS values, q -> 'query' ->> 0 AS first, q -> 'query' ->> -1 AS last
FROM keycard.api_query() q;
-- one parameter of 1 MB, and 1 MB of separators only
SELECT pg_temp.set_query('query=' || repeat('a+', 500000)) > 1000000 AS about_1mb;
SELECT length(q -> 'query' ->> 0) AS length, left(q -> 'query' ->> 0, 4) AS starts
FROM keycard.api_query() q;
SELECT pg_temp.set_query(repeat('&', 1000000)) > 1000000 AS about_1mb;
SELECT keycard.api_query();
-- 360,000 percent-escapes in a name and in a value (3-byte UTF-8 characters)
SELECT pg_temp.set_query(repeat('%41', 180000) || '=' || repeat('%E2%9C%93', 60000)) > 1000000 AS about_1mb;
SELECT length(k) AS name_length, length(v ->> 0) AS value_length, left(v ->> 0, 2) AS value_starts
FROM jsonb_each(keycard.api_query()) x(k, v);
SELECT length(keycard.api_urldecode(repeat('%e2%9c%93', 120000))) AS decoded;
-- an invalid escape at the end of 1 MB is still found
SELECT pg_temp.set_query(repeat('%41', 340000) || '%FF') > 1000000 AS about_1mb;
SELECT pg_temp.outcome('SELECT keycard.api_query()');

-- Canonical JSON: 80,000 members, as json (duplicate check) and jsonb
CREATE TEMP TABLE doc AS
SELECT '{' || string_agg(format('"member %s":%s', 80001 - i, i), ',') || '}' AS members
FROM generate_series(1, 80000) i;
SELECT length(members) > 1000000 AS about_1mb FROM doc;
SELECT length(keycard.jcs(members::json)) = length(members) AS same_length,
       left(keycard.jcs(members::json), 20) AS starts,
       keycard.jcs_sha256(members::json) = keycard.jcs_sha256(members::jsonb) AS json_equals_jsonb
FROM doc;
-- the same with the last member repeating the first name
SELECT pg_temp.outcome(format('SELECT keycard.jcs(%L::json)', left(members, -1) || ',"member 80000":0}'))
FROM doc;
-- 1 MB in deep arrays: 5,000 levels, each with a string
CREATE TEMP TABLE deep AS
SELECT repeat('["' || repeat('x', 200) || '",', 5000) || '0' || repeat(']', 5000) AS arrays;
SELECT length(arrays) > 1000000 AS about_1mb,
       keycard.jcs(arrays::json) = arrays AS canonical_already,
       keycard.jcs_sha256(arrays::json) = keycard.jcs_sha256(arrays::jsonb) AS json_equals_jsonb
FROM deep;
-- a number out of range at the bottom: an error with the path of a value
-- 5,000 levels down
SELECT pg_temp.outcome(format('SELECT keycard.jcs(%L::json)', replace(arrays, ',0]', ',1e999]')))
FROM deep;
-- 1 MB of nesting is refused by the parser's stack check, not by time
SELECT pg_temp.outcome(format('SELECT keycard.jcs(%L::json)', repeat('[', 500000) || repeat(']', 500000)));
-- a long string of escapes (controls, quotes, backslashes, surrogate pairs)
SELECT length(s) > 1000000 AS about_1mb, length(keycard.jcs(s::json)) AS canonical_length,
       keycard.jcs_sha256(s::json) = keycard.jcs_sha256(s::jsonb) AS json_equals_jsonb
FROM (SELECT '"' || repeat('\n\u0001\"\\\ud83d\ude00\u00e9', 40000) || '"' AS s) x;
-- 50,000 numbers of 17 to 22 significant digits (the slow path), with exponents
SELECT length(s) > 1000000 AS about_1mb, length(keycard.jcs(s::json)) AS canonical_length,
       keycard.jcs_sha256(s::json) = keycard.jcs_sha256(s::jsonb) AS json_equals_jsonb
FROM (SELECT '[' || string_agg(format('%s.%se%s', i, lpad(i::text, 16, '7'), i % 300 - 150), ',') || ']' AS s
      FROM generate_series(1, 50000) i) x;

-- base64url and SHA-256 of 1 MB
SELECT length(e) AS encoded, keycard.base64url_decode(e) = b AS round_trip,
       keycard.sha256_hex(b) = encode(sha256(b), 'hex') AS sha256
FROM (SELECT b, keycard.base64url_encode(b) AS e
      FROM (SELECT decode(string_agg(lpad(to_hex(i % 256), 2, '0'), ''), 'hex') AS b
            FROM generate_series(1, 1000000) i) x) y;
SELECT pg_temp.outcome(format('SELECT keycard.base64url_decode(%L)', repeat('A', 1000000) || '=='));

-- JWS: a 1 MB payload signed and verified (with a key that is not kept:
-- other files count the stored keys)
BEGIN;
SELECT keycard.create_signing_key('EdDSA') AS kid \gset
SELECT length(jws ->> 'payload') > 1000000 AS about_1mb,
       keycard.jws_verify(jws, jsonb_build_object('keys', jsonb_build_array(keycard.jwk(:'kid')))) = payload::jsonb AS verifies
FROM (SELECT payload, keycard.jws_sign(payload, :'kid') AS jws
      FROM (SELECT ('{"members":' || members || '}')::json AS payload FROM doc) x) y;
ROLLBACK;

-- Search terms on list endpoints: each term is matched against every row,
-- so they are bounded like filter[id] (at most 100 distinct); 80,000
-- distinct terms are refused at once, the same term repeated is one term.
BEGIN;
SELECT zone_id AS zone FROM keycard.create_zone('hostile-search') \gset
SELECT count(*) AS policies FROM generate_series(1, 20) i, keycard.create_policy(:'zone', 'hostile-' || i) p;
SELECT set_config('request.headers', json_build_object('x-keycard-query', q)::text, true) IS NOT NULL AS headers_set,
       pg_temp.outcome(format('SELECT api.list_policies(%L)', :'zone')) AS eighty_thousand_distinct_terms
FROM (SELECT string_agg('query=z' || i, '&') AS q FROM generate_series(1, 80000) i) x;
SELECT set_config('request.headers', json_build_object('x-keycard-query', repeat('query=hostile-1&', 80000))::text, true) IS NOT NULL AS headers_set,
       pg_temp.outcome(format('SELECT api.list_policies(%L)', :'zone')) AS one_term_80000_times;
SELECT set_config('request.headers', json_build_object('x-keycard-query', q)::text, true) IS NOT NULL AS headers_set,
       pg_temp.outcome(format('SELECT api.list_policies(%L)', :'zone')) AS hundred_distinct_terms
FROM (SELECT string_agg('query=z' || i, '&') AS q FROM generate_series(1, 100) i) x;
ROLLBACK;
