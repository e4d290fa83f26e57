-- RFC 8785 canonical JSON: keycard.jcs(json|jsonb), keycard.jcs_sha256(json|jsonb)
-- The JCS vector corpus and the number table run in test/suites/10-jcs-vectors.

-- RFC 8785 section 3.2.2 example (numbers, escapes, literals)
SELECT keycard.jcs('{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA''\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}'::json);
-- the same through jsonb, and the digests of both
SELECT keycard.jcs('{"numbers":[333333333.33333329,1E30,4.50,2e-3,1e-27],"literals":[null,true,false]}'::jsonb);
SELECT keycard.jcs_sha256('{"b":[1,{"d":2,"c":3}],"a":"x"}'::json) AS via_json,
       keycard.jcs_sha256('{"b":[1,{"d":2,"c":3}],"a":"x"}'::jsonb) AS via_jsonb,
       keycard.sha256_hex(convert_to('{"a":"x","b":[1,{"c":3,"d":2}]}', 'UTF8')) AS of_expected;

-- member order: UTF-16 code units, not code points or UTF-8 bytes
-- (U+E000 and U+FFFF sort after U+1F600, whose UTF-16 form starts with D83D)
SELECT keycard.jcs('{"\uffff":1,"\ud83d\ude00":2,"\ue000":3,"z":4,"\u00e9":5,"":6,"aa":7,"a":8,"A":9,"10":10,"9":11}'::json);
SELECT keycard.jcs('{"\uffff":1,"\ud83d\ude00":2,"\ue000":3,"z":4,"\u00e9":5,"":6,"aa":7,"a":8,"A":9,"10":10,"9":11}'::jsonb);
-- names compared after unescaping; nested objects sorted independently; arrays keep order
SELECT keycard.jcs('{"\u0062":1,"a":{"y":[{"q":1,"p":2},{"b":0,"a":0}],"x":null}}'::json);

-- strings: minimal escaping, raw UTF-8, \u0000 kept by the json type
SELECT keycard.jcs('["\u0000\u0001\b\t\n\u000b\f\r\u001f \u007f", "\/ \u2028\u2029 \"\\", "\u00e9 e\u0301 \ud83d\ude00 😀"]'::json);
SELECT keycard.jcs('{"\u0000":"nul name"}'::json);
SELECT keycard.jcs('["\u0001\b\t\n\u000b\f\r\u001f \u007f", "\/ \u2028 \"\\"]'::jsonb);

-- numbers: ECMAScript Number::toString of the double
SELECT keycard.jcs('[0, -0, 0.0, -0.0, 1.0, 1e0, 100E-2, 1E+2, -1.50, 0.1, 1e20, 1e21, 1e-6, 1e-7, 123456789012345678901, 1.5e-7]'::json);
SELECT keycard.jcs('[5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 9007199254740993, 1e23, 4.35, 0.3]'::json);
SELECT keycard.jcs('[0, -0, 0.0, -0.0, 1.0, 1e0, 100E-2, 1E+2, -1.50, 0.1, 1e20, 1e21, 1e-6, 1e-7, 123456789012345678901, 1.5e-7]'::jsonb);
SELECT keycard.jcs('[5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 9007199254740993, 1e23, 4.35, 0.3]'::jsonb);
-- underflow rounds to zero like any inexact literal (JSON.parse does the same)
SELECT keycard.jcs('[1e-400, -1e-400, 2e-324, 3e-324]'::json), keycard.jcs('[1e-400, -1e-400, 2e-324, 3e-324]'::jsonb);

-- scalars, empty containers, whitespace
SELECT keycard.jcs(' "x" '::json), keycard.jcs('12.50'::json), keycard.jcs(' true '::json),
       keycard.jcs('null'::json), keycard.jcs('{ }'::json), keycard.jcs('[ ]'::json);
SELECT keycard.jcs('"x"'::jsonb), keycard.jcs('12.50'::jsonb), keycard.jcs('true'::jsonb),
       keycard.jcs('null'::jsonb), keycard.jcs('{}'::jsonb), keycard.jcs('[]'::jsonb);
SELECT keycard.jcs(E'\n\t{ "b" : [ 1 , 2 ] ,\r\n "a" : { } }  '::json);
-- canonical output is a fixed point, and json and jsonb agree
SELECT keycard.jcs(keycard.jcs('{"z":[3.0,{"é":1e2}],"a":"\u00e9"}'::json)::json) =
       keycard.jcs('{"z":[3.0,{"é":1e2}],"a":"\u00e9"}'::jsonb) AS agree;
-- NULL in, NULL out (STRICT)
SELECT keycard.jcs(NULL::json) IS NULL AS j, keycard.jcs(NULL::jsonb) IS NULL AS jb,
       keycard.jcs_sha256(NULL::json) IS NULL AS sj, keycard.jcs_sha256(NULL::jsonb) IS NULL AS sjb;

-- hostile inputs: each a correct result or a clean error; the backend survives
-- 10,000-deep nesting
SELECT length(keycard.jcs((repeat('[', 10000) || repeat(']', 10000))::json)) AS arrays_json,
       length(keycard.jcs((repeat('[', 10000) || repeat(']', 10000))::jsonb)) AS arrays_jsonb;
SELECT keycard.jcs_sha256((repeat('{"b":1,"a":', 10000) || '0' || repeat('}', 10000))::json) =
       keycard.jcs_sha256((repeat('{"b":1,"a":', 10000) || '0' || repeat('}', 10000))::jsonb) AS objects_agree,
       left(keycard.jcs((repeat('{"b":1,"a":', 10000) || '0' || repeat('}', 10000))::json), 24) AS head,
       right(keycard.jcs((repeat('{"b":1,"a":', 10000) || '0' || repeat('}', 10000))::jsonb), 24) AS tail;
-- deeper than the parser's stack allows: its own clean error
\set VERBOSITY terse
SELECT keycard.jcs((repeat('[', 1000000) || repeat(']', 1000000))::json);
\set VERBOSITY default
-- 50 MB strings: plain, with escapes, as a member name
SELECT length(keycard.jcs(json_build_array(repeat('x', 50000000)))) AS plain_json,
       length(keycard.jcs(jsonb_build_array(repeat('x', 50000000)))) AS plain_jsonb;
SELECT md5(keycard.jcs(json_build_object(repeat('é', 25000000), repeat(E'\n', 10000000)))) =
       md5('{"' || repeat('é', 25000000) || '":"' || repeat('\n', 10000000) || '"}') AS escaped_json,
       md5(keycard.jcs(jsonb_build_object(repeat('é', 25000000), repeat(E'\n', 10000000)))) =
       md5('{"' || repeat('é', 25000000) || '":"' || repeat('\n', 10000000) || '"}') AS escaped_jsonb;
-- 400-digit numbers: within range they round, beyond it they fail (below)
SELECT keycard.jcs(('[0.' || repeat('0', 400) || '1, 1' || repeat('0', 300) || '.' || repeat('9', 100) || ']')::json);
SELECT keycard.jcs(('[0.' || repeat('0', 400) || '1, 1' || repeat('0', 300) || '.' || repeat('9', 100) || ']')::jsonb);
-- \u0000: json keeps it (above); jsonb cannot hold it
SELECT keycard.jcs('["\u0000"]'::jsonb);
-- invalid UTF-8 never becomes a json value: the server refuses the bytes
SELECT keycard.jcs(convert_from('\x5b2261ff62225d', 'UTF8')::json);
SELECT keycard.jcs(convert_from('\x5b22eda080225d', 'UTF8')::json);
-- NaN and Infinity are not JSON: the json type refuses them
SELECT keycard.jcs('[NaN]'::json);
SELECT keycard.jcs('{"x":-Infinity}'::json);
SELECT 'backend alive' AS still;

-- I-JSON errors, each with its SQLSTATE, the JSON path and a hint
-- (the first case of each kind shows the whole error; the rest code, message, detail)
CREATE FUNCTION pg_temp.err(q text, OUT code text, OUT message text, OUT detail text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	code := 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
END
$$;
-- duplicate member names (22030): plain, same value, after unescaping, nested
SELECT keycard.jcs('{"a":1,"a":2}'::json);
SELECT e.* FROM (VALUES
	($q$SELECT keycard.jcs('{"a":1,"b":2,"a":1}'::json)$q$),
	($q$SELECT keycard.jcs('{"a":1,"\u0061":2}'::json)$q$),
	($q$SELECT keycard.jcs('{"x":[{"k":true},{"k":true,"k":false}]}'::json)$q$),
	($q$SELECT keycard.jcs_sha256('{"odd name":{"":[0,1,{"\u00e9 t\u00e9":0,"\u00e9 t\u00e9":1}]}}'::json)$q$),
	($q$SELECT keycard.jcs('{"b":{"a":1},"b":{"a":1}}'::json)$q$),
	-- a very deep path keeps its innermost steps
	($q$SELECT keycard.jcs((repeat('{"abcdefgh":[', 200) || '{"k":1,"k":2}' || repeat(']}', 200))::json)$q$)
) v(q), LATERAL pg_temp.err(q) e;
-- lone surrogates (22P05): high, low, reversed, high then BMP, at the end, in a name
SELECT keycard.jcs('["\ud800"]'::json);
SELECT keycard.jcs('{"q":{"\ud800":1}}'::json);
SELECT e.* FROM (VALUES
	($q$SELECT keycard.jcs('{"a":["ok","\udc00"]}'::json)$q$),
	($q$SELECT keycard.jcs('["\udc00\ud800"]'::json)$q$),
	($q$SELECT keycard.jcs('["\ud83d\u0041"]'::json)$q$),
	($q$SELECT keycard.jcs('{"s":"abc\uD83D"}'::json)$q$),
	($q$SELECT keycard.jcs('{"s":"\ud83d"}'::json)$q$),
	($q$SELECT keycard.jcs_sha256('{"x":{"y":1,"\udfff":2}}'::json)$q$)
) v(q), LATERAL pg_temp.err(q) e;
-- numbers outside the double range (22003), json and jsonb
SELECT keycard.jcs('[1e400]'::json);
SELECT e.* FROM (VALUES
	($q$SELECT keycard.jcs('{"a":{"b":[0,-1e400]}}'::json)$q$),
	($q$SELECT keycard.jcs('[1.8e308]'::json)$q$),
	($q$SELECT keycard.jcs(('{"n":1' || repeat('0', 400) || '}')::json)$q$),
	($q$SELECT keycard.jcs('1e309'::json)$q$),
	($q$SELECT keycard.jcs('{"a b":[0,{"c":-1e400}]}'::jsonb)$q$),
	($q$SELECT keycard.jcs_sha256(('[1' || repeat('0', 400) || ']')::jsonb)$q$),
	($q$SELECT keycard.jcs('1e309'::jsonb)$q$),
	-- a long member name is cut in the path
	($q$SELECT keycard.jcs(('{"' || repeat('n', 100) || '":[1e999]}')::json)$q$)
) v(q), LATERAL pg_temp.err(q) e;
