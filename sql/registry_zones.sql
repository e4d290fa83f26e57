-- Registry: error codes, ids, caller identity, zones, keys, JWKS, membership, RLS
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

-- The one list of error codes, with HTTP status and SQLSTATE
SELECT * FROM keycard.error_codes() ORDER BY http_status, code;

-- Ids: UUIDv7 text, time-ordered, created_at derived from the id
SELECT count(*) AS ids, count(DISTINCT id) AS distinct_ids,
       bool_and(id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') AS uuidv7_shape,
       bool_and(abs(extract(epoch FROM keycard.id_time(id) - clock_timestamp())) < 60) AS time_is_now
FROM (SELECT keycard.new_id() AS id FROM generate_series(1, 5000)) s;
-- ids made one after another sort in creation order
SELECT bool_and(a < b) AS sorted
FROM (SELECT id AS a, lead(id) OVER (ORDER BY n) AS b
      FROM (SELECT n, keycard.new_id() AS id FROM generate_series(1, 5000) n) s) t WHERE b IS NOT NULL;

-- Errors outside PostgREST: SQLSTATE PT<status>, code as the constraint name
SELECT keycard.raise_error('name_taken', 'policy name "x" is already taken', 'Full sentence.', 'Do this.');
DO $$
DECLARE st text; cn text; sn text;
BEGIN
	PERFORM keycard.raise_error('etag_mismatch', 'stale');
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME, sn = SCHEMA_NAME;
	RAISE NOTICE 'sqlstate %, code %, schema %', st, cn, sn;
END $$;
-- Under PostgREST (request.method set): a PGRST error whose message/detail
-- are PostgREST's JSON body and response (409s say x-should-retry: false)
BEGIN;
SELECT set_config('request.method', 'POST', true);
DO $$
DECLARE st text; m text; d text;
BEGIN
	PERFORM keycard.raise_error('name_taken', 'policy name "x" is already taken', 'Another one has it.', NULL);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
	RAISE NOTICE 'sqlstate %', st;
	RAISE NOTICE 'message %', m::jsonb;
	RAISE NOTICE 'detail %', d::jsonb;
END $$;
DO $$
DECLARE m text; d text;
BEGIN
	PERFORM keycard.raise_error('not_found', 'zone "z" not found');
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
	RAISE NOTICE 'message %', m::jsonb;
	RAISE NOTICE 'detail %', d::jsonb;
END $$;
ROLLBACK;
SELECT keycard.raise_error('no_such_code', 'x');

-- Actor and request id: JWT sub under PostgREST's API roles, else the role; header, else setting
SELECT keycard.current_actor(), keycard.client_request_id() IS NULL AS no_request_id;
BEGIN;
SET LOCAL keycard.client_request_id = '5b0c7c1e-3f0a-4c4f-9a57-000000000001';
SELECT keycard.client_request_id();
SELECT set_config('request.jwt.claims', '{"role":"keycard_api","sub":"user_42","zones":[]}', true),
       set_config('request.headers', '{"x-client-request-id":"5b0c7c1e-3f0a-4c4f-9a57-000000000002"}', true);
SET LOCAL ROLE keycard_api;
SELECT keycard.current_actor(), keycard.client_request_id(), keycard.caller_is_platform(), keycard.caller_zones();
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"keycard_api"}', true) IS NOT NULL AS ok,
       set_config('request.headers', format('{"x-client-request-id":"%s"}', repeat('x', 256)), true) IS NOT NULL AS ok;
SET LOCAL ROLE keycard_api;
SELECT keycard.client_request_id();
ROLLBACK;

-- Zones: created by the platform with a key and the newest active schema as default
SELECT zone_id AS zone, name, default_schema_version, created_by, created_at = keycard.id_time(zone_id) AS created_at_from_id
FROM keycard.create_zone('acme') \gset
SELECT :'zone' ~ '^[0-9a-f-]{36}$' AS zone_id_ok, :'name' AS name, :'default_schema_version' AS default_schema_version,
       :'created_by' AS created_by, :'created_at_from_id' AS created_at_from_id;
SELECT zone_id AS zone_ed FROM keycard.create_zone('edwards', 'EdDSA') \gset
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok, set_config('regress.zone_ed', :'zone_ed', false) IS NOT NULL AS ok;
SELECT z.name, k.alg, k.status, length(k.kid) AS kid_length
FROM keycard.zones z JOIN keycard.zone_keys k USING (zone_id)
WHERE z.zone_id IN (:'zone', :'zone_ed') ORDER BY z.name;

-- JWKS: public keys only, kid = RFC 7638 thumbprint
SELECT jsonb_array_length(j -> 'keys') AS keys,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j -> 'keys' -> 0) k) AS members,
       j -> 'keys' -> 0 ->> 'kid' = keycard.jwk_thumbprint(j -> 'keys' -> 0) AS kid_is_thumbprint,
       j -> 'keys' -> 0 ->> 'kid' = (SELECT kid FROM keycard.zone_keys WHERE zone_id = :'zone') AS kid_is_zone_key
FROM keycard.zone_jwks(:'zone') j;
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j -> 'keys' -> 0) k) AS members, j -> 'keys' -> 0 ->> 'crv' AS crv
FROM keycard.zone_jwks(:'zone_ed') j;

-- Errors
SELECT keycard.create_zone('bad', 'ES256');
SELECT keycard.create_zone('');
SELECT pg_temp.try($$SELECT keycard.zone_jwks('00000000-0000-7000-8000-000000000000')$$);

-- Roles: a customer role that is a member of one zone, a platform role, and an outsider
CREATE ROLE regress_kc_platform;
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keycard_platform') THEN CREATE ROLE keycard_platform; END IF; END $$;
GRANT keycard_platform TO regress_kc_platform;
CREATE ROLE regress_kc_member;
CREATE ROLE regress_kc_outsider;
-- SQL callers are granted keycard_user; zone membership says which zones
GRANT keycard_user TO regress_kc_member, regress_kc_outsider;
SELECT keycard.add_zone_member(:'zone', 'regress_kc_member');
SELECT (keycard.create_policy(:'zone', 'visible')).policy_id IS NOT NULL AS created;
SELECT (keycard.create_policy(:'zone_ed', 'hidden')).policy_id IS NOT NULL AS created;

SET ROLE regress_kc_member;
SELECT keycard.current_actor(), keycard.caller_is_platform(), keycard.caller_zones() = ARRAY[:'zone'] AS own_zone_only;
SELECT name FROM keycard.zones ORDER BY name;
SELECT name FROM keycard.policies ORDER BY name;
SELECT count(*) AS keys FROM keycard.zone_keys;
SELECT name, owner_type FROM keycard.create_policy(:'zone', 'by-member');
-- another zone's id and an unknown id give the same error
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zone_ed'), 'sneaky')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy('00000000-0000-7000-8000-000000000000', 'sneaky')$$);
SELECT pg_temp.try($$SELECT keycard.create_zone('mine')$$);
SELECT pg_temp.try($$SELECT keycard.rotate_zone_key(current_setting('regress.zone'))$$);
-- the JWKS is public
SELECT jsonb_array_length(keycard.zone_jwks(:'zone_ed') -> 'keys') AS keys;
-- no direct writes, and no access to private keys
INSERT INTO keycard.policies (zone_id, policy_id, name, owner_type, created_at, created_by, updated_at)
VALUES (:'zone', 'x', 'direct', 'customer', now(), 'me', now());
SELECT count(*) FROM keycard.signing_keys;
SELECT pg_temp.try($$SELECT keycard.add_zone_member(current_setting('regress.zone'), 'regress_kc_outsider')$$);
RESET ROLE;

SET ROLE regress_kc_outsider;
SELECT count(*) AS zones FROM keycard.zones;
SELECT count(*) AS policies FROM keycard.policies;
SELECT pg_temp.try($$SELECT keycard.get_policy(current_setting('regress.zone'), 'any')$$);
RESET ROLE;

SET ROLE regress_kc_platform;
SELECT keycard.caller_is_platform(), keycard.caller_zones() IS NULL AS every_zone;
SELECT count(*) AS zones FROM keycard.zones WHERE zone_id IN (:'zone', :'zone_ed');
RESET ROLE;

-- JWT callers: zones from the claims, platform from the role claim
BEGIN;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_7","zones":["%s"]}', :'zone_ed'), true) IS NOT NULL AS ok;
SET LOCAL ROLE keycard_api;
SELECT name, owner_type, created_by FROM keycard.create_policy(:'zone_ed', 'by-jwt');
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zone'), 'wrong-zone')$$);
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"keycard_platform","sub":"operator"}', true);
SET LOCAL ROLE keycard_platform;
SELECT name, owner_type, created_by FROM keycard.create_policy(:'zone_ed', 'by-operator');
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"keycard_api","sub":"user_8"}', true);
SET LOCAL ROLE keycard_api;
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zone'), 'no-zones-claim')$$);
ROLLBACK;

-- Every write is in the audit log with actor and request id
BEGIN;
SET LOCAL keycard.client_request_id = '5b0c7c1e-3f0a-4c4f-9a57-00000000000a';
SELECT (keycard.create_policy(:'zone', 'traced')).policy_id IS NOT NULL AS created;
SELECT actor, request_id, action, object_type FROM keycard.audit_log
WHERE zone_id = :'zone' ORDER BY event_id DESC LIMIT 1;
ROLLBACK;
SELECT action, object_type, count(*) FROM keycard.audit_log WHERE zone_id = :'zone'
GROUP BY 1, 2 ORDER BY 1, 2;

DROP ROLE regress_kc_platform, regress_kc_member, regress_kc_outsider;
