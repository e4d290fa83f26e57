-- Registry: caller identity comes from the acting database role.  JWT claims
-- and request headers are believed only under the API roles PostgREST
-- switches to; every other role is a SQL caller (its zones through
-- keycard.zone_members, recorded as itself, platform only by grant), and the
-- functions that act for a caller need keycard_user or an API role.
-- Run as non-superuser roles: forged settings change nothing, reveal nothing.
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

-- Two zones: A holds a policy, a bound set and an audit trail; B is the member's
SELECT zone_id AS za FROM keycard.create_zone('ident-a') \gset
SELECT zone_id AS zb FROM keycard.create_zone('ident-b') \gset
SELECT policy_id AS pa FROM keycard.create_policy(:'za', 'a-policy') \gset
SELECT policy_set_id AS sa FROM keycard.create_policy_set(:'za', 'a-set') \gset
SELECT version_id AS sva FROM keycard.create_policy_set_version(:'za', :'sa', '{"entries": []}', '2026-03-16') \gset
SELECT version FROM keycard.activate_policy_set_version(:'za', :'sa', :'sva');
SELECT set_config('regress.za', :'za', false) IS NOT NULL AS ok, set_config('regress.zb', :'zb', false) IS NOT NULL AS ok,
       set_config('regress.pa', :'pa', false) IS NOT NULL AS ok, set_config('regress.sa', :'sa', false) IS NOT NULL AS ok,
       set_config('regress.sva', :'sva', false) IS NOT NULL AS ok;
-- what zone A holds, to compare with after the attempts below
CREATE FUNCTION pg_temp.zone_a_state() RETURNS text LANGUAGE sql AS $$
	SELECT format('policies %s, sets %s, keys %s, bindings %s, audit %s',
		(SELECT count(*) FROM keycard.policies WHERE zone_id = current_setting('regress.za')),
		(SELECT count(*) FROM keycard.policy_sets WHERE zone_id = current_setting('regress.za')),
		(SELECT string_agg(status, ',' ORDER BY status) FROM keycard.zone_keys WHERE zone_id = current_setting('regress.za')),
		(SELECT count(*) FROM keycard.binding_history WHERE zone_id = current_setting('regress.za')),
		(SELECT count(*) FROM keycard.audit_log WHERE zone_id = current_setting('regress.za')))
$$;

-- Roles: a member of zone B only; a role with no grant at all; a member of a
-- group that is a member of zone A; a SQL platform operator; and a role that
-- may switch to keycard_api (as PostgREST's authenticator, NOINHERIT)
CREATE ROLE regress_kc_id_b;
CREATE ROLE regress_kc_id_none;
CREATE ROLE regress_kc_id_group;
CREATE ROLE regress_kc_id_inherit IN ROLE regress_kc_id_group;
CREATE ROLE regress_kc_id_op IN ROLE keycard_platform;
CREATE ROLE regress_kc_id_auth NOINHERIT IN ROLE keycard_api;
GRANT keycard_user TO regress_kc_id_b, regress_kc_id_group;
SELECT keycard.add_zone_member(:'zb', 'regress_kc_id_b');
SELECT keycard.add_zone_member(:'za', 'regress_kc_id_group');
SELECT pg_temp.zone_a_state();

-- A member of zone B ---------------------------------------------------------------------------
SET ROLE regress_kc_id_b;
SELECT keycard.caller_role(), keycard.current_actor(), keycard.caller_is_platform(),
       keycard.caller_zones() = ARRAY[current_setting('regress.zb')] AS zone_b_only;
-- the platform role claim, with a subject: not the platform, not "impostor"
SET request.jwt.claims = '{"role":"keycard_platform","sub":"impostor"}';
SELECT keycard.caller_role(), keycard.current_actor(), keycard.caller_is_platform(),
       keycard.caller_zones() = ARRAY[current_setting('regress.zb')] AS zone_b_only,
       keycard.zone_visible(current_setting('regress.za')) AS sees_a, keycard.jwt_claims() AS claims;
SELECT pg_temp.try($$SELECT keycard.rotate_zone_key(current_setting('regress.za'))$$);
SELECT pg_temp.try($$SELECT keycard.rotate_zone_key(current_setting('regress.zb'))$$);
SELECT pg_temp.try($$SELECT * FROM keycard.create_policy(current_setting('regress.za'), 'intruder')$$);
SELECT pg_temp.try($$SELECT keycard.create_zone('stolen')$$);
SELECT pg_temp.try($$SELECT keycard.add_zone_member(current_setting('regress.za'), 'regress_kc_id_b')$$);
SELECT pg_temp.try($$SELECT keycard.set_schema_version_status('2026-03-16', 'deprecated')$$);
-- its own zone works, recorded as itself
SELECT name, owner_type, created_by FROM keycard.create_policy(:'zb', 'b-policy');
-- the zones claim: zone A's rows stay invisible, its objects unknown
SET request.jwt.claims = '{"zones":["00000000-0000-7000-8000-000000000000"]}';
SELECT set_config('request.jwt.claims', format('{"zones":["%s"]}', :'za'), false) IS NOT NULL AS ok;
SELECT keycard.caller_zones() = ARRAY[current_setting('regress.zb')] AS zone_b_only,
       keycard.zone_visible(current_setting('regress.za')) AS sees_a;
SELECT count(*) AS a_policies FROM keycard.policies WHERE zone_id = :'za';
SELECT count(*) AS a_zones FROM keycard.zones WHERE zone_id = :'za';
SELECT count(*) AS a_keys FROM keycard.zone_keys WHERE zone_id = :'za';
SELECT count(*) AS a_audit FROM keycard.audit_log WHERE zone_id = :'za';
SELECT count(*) AS a_bindings FROM keycard.bindings WHERE zone_id = :'za';
SELECT count(*) AS a_sets FROM keycard.policy_sets_with_binding WHERE zone_id = :'za';
SELECT pg_temp.try($$SELECT keycard.get_policy(current_setting('regress.za'), current_setting('regress.pa'))$$);
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.za'), current_setting('regress.pa'), '{"name": "mine"}')$$);
SELECT pg_temp.try($$SELECT keycard.archive_policy(current_setting('regress.za'), current_setting('regress.pa'))$$);
SELECT pg_temp.try($$SELECT keycard.get_policy_set_with_binding(current_setting('regress.za'), current_setting('regress.sa'))$$);
SELECT pg_temp.try($$SELECT keycard.clear_shadow_binding(current_setting('regress.za'), current_setting('regress.sa'))$$);
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.za'), current_setting('regress.sa'), current_setting('regress.sva'))$$);
SELECT pg_temp.try($$SELECT keycard.verify_zone(current_setting('regress.za'))$$);
SELECT pg_temp.try($$SELECT keycard.save_policy_draft(current_setting('regress.za'), current_setting('regress.pa'), cedar_raw => 'permit (principal, action, resource);')$$);
-- the API role's own claim, with zone A and a subject: still the SQL caller
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_a","zones":["%s"]}', :'za'), false) IS NOT NULL AS ok;
SELECT keycard.current_actor(), keycard.caller_is_platform(), keycard.zone_visible(current_setting('regress.za')) AS sees_a;
SELECT count(*) AS a_policies FROM keycard.policies WHERE zone_id = :'za';
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.za'), 'intruder')$$);
SELECT name, created_by FROM keycard.create_policy(:'zb', 'b-policy-2');
-- claims that are not even JSON: ignored, not parsed
SET request.jwt.claims = '{not json';
SELECT keycard.current_actor(), keycard.caller_zones() = ARRAY[current_setting('regress.zb')] AS zone_b_only;
RESET request.jwt.claims;
-- the X-Client-Request-ID header: SQL callers name theirs in keycard.client_request_id
SET request.headers = '{"x-client-request-id":"forged-request"}';
SELECT keycard.client_request_id() IS NULL AS no_request_id;
SET keycard.client_request_id = 'sql-request-1';
SELECT keycard.client_request_id();
SELECT name, request_id FROM keycard.create_policy(:'zb', 'b-policy-3');
SELECT actor, request_id, action FROM keycard.audit_log WHERE zone_id = :'zb' ORDER BY event_id DESC LIMIT 1;
RESET keycard.client_request_id;
RESET request.headers;
RESET ROLE;

-- The same member through SET SESSION AUTHORIZATION
SET SESSION AUTHORIZATION regress_kc_id_b;
SET request.jwt.claims = '{"role":"keycard_platform","sub":"impostor"}';
SELECT session_user, keycard.current_actor(), keycard.caller_is_platform();
SELECT pg_temp.try($$SELECT keycard.rotate_zone_key(current_setting('regress.za'))$$);
SELECT count(*) AS a_policies FROM keycard.policies WHERE zone_id = :'za';
RESET request.jwt.claims;
RESET SESSION AUTHORIZATION;

-- Nothing happened to zone A, and B holds what its member made, by its member
SELECT pg_temp.zone_a_state();
SELECT name, created_by, owner_type FROM keycard.policies WHERE zone_id = :'zb' ORDER BY name;

-- A role with no grant: calls nothing that reads or writes a zone ----------------------------
SET ROLE regress_kc_id_none;
SET request.jwt.claims = '{"role":"keycard_platform","sub":"impostor"}';
SELECT keycard.current_actor(), keycard.caller_is_platform(), keycard.caller_zones() AS zones;
SELECT pg_temp.try($$SELECT keycard.rotate_zone_key(current_setting('regress.za'))$$);
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.za'), 'intruder')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zb'), 'intruder')$$);
SELECT pg_temp.try($$SELECT keycard.get_policy(current_setting('regress.za'), current_setting('regress.pa'))$$);
SELECT pg_temp.try($$SELECT keycard.verify_zone(current_setting('regress.za'))$$);
SELECT pg_temp.try($$SELECT keycard.create_zone('mine')$$);
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.za'), current_setting('regress.sa'), current_setting('regress.sva'))$$);
SELECT set_config('request.jwt.claims', format('{"zones":["%s","%s"]}', :'za', :'zb'), false) IS NOT NULL AS ok;
SELECT count(*) AS zones FROM keycard.zones;
SELECT count(*) AS policies FROM keycard.policies;
SELECT count(*) AS audit FROM keycard.audit_log;
-- the public helpers stay public: JWKS, JWS verification, error codes, Cedar
SELECT jsonb_array_length(keycard.zone_jwks(:'za') -> 'keys') AS a_keys;
SELECT count(*) > 0 AS error_codes FROM keycard.error_codes();
SELECT keycard.cedar_policy_normalize('permit(principal,action,resource);');
RESET request.jwt.claims;
RESET ROLE;
-- no function acting for a caller is executable without a grant: only the public keys are
SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) AS security_definer_without_grant
FROM pg_proc p
WHERE p.pronamespace = 'keycard'::regnamespace AND p.prosecdef AND p.prorettype <> 'trigger'::regtype
  AND has_function_privilege('regress_kc_id_none', p.oid, 'EXECUTE');
-- and keycard_user, keycard_api and keycard_platform may execute every one of them
SELECT r AS role, count(*) FILTER (WHERE NOT has_function_privilege(r, p.oid, 'EXECUTE')) AS not_executable
FROM pg_proc p, unnest(ARRAY['keycard_user', 'keycard_api', 'keycard_platform']) r
WHERE p.pronamespace = 'keycard'::regnamespace AND p.prosecdef AND p.prorettype <> 'trigger'::regtype
GROUP BY r ORDER BY r;

-- Membership through a group role: zone A via regress_kc_id_group ----------------------------
SET ROLE regress_kc_id_inherit;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"impostor","zones":["%s"]}', :'zb'), false) IS NOT NULL AS ok;
SELECT keycard.current_actor(), keycard.caller_zones() = ARRAY[current_setting('regress.za')] AS zone_a_only;
SELECT count(*) AS a_policies FROM keycard.policies WHERE zone_id = :'za';
SELECT count(*) AS b_policies FROM keycard.policies WHERE zone_id = :'zb';
SELECT name, created_by FROM keycard.create_policy(:'za', 'by-group-member');
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zb'), 'intruder')$$);
RESET request.jwt.claims;
RESET ROLE;

-- A role that may switch to keycard_api is a SQL caller until it does --------------------------
SET ROLE regress_kc_id_auth;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_a","zones":["%s"]}', :'za'), false) IS NOT NULL AS ok;
SELECT keycard.current_actor(), keycard.caller_zones() AS zones, keycard.zone_visible(current_setting('regress.za')) AS sees_a;
SELECT count(*) AS a_policies FROM keycard.policies WHERE zone_id = :'za';
SELECT pg_temp.try($$SELECT keycard.get_policy(current_setting('regress.za'), current_setting('regress.pa'))$$);
-- ... and once it has switched, the claims are PostgREST's request
SET ROLE keycard_api;
SELECT keycard.caller_role(), keycard.current_actor(), keycard.zone_visible(current_setting('regress.za')) AS sees_a;
SELECT name FROM keycard.get_policy(:'za', :'pa');
RESET request.jwt.claims;
RESET ROLE;

-- A platform operator by grant (member of keycard_platform): no claim needed, none believed -----
SET ROLE regress_kc_id_op;
SET request.jwt.claims = '{"role":"keycard_api","sub":"impostor","zones":[]}';
SELECT keycard.current_actor(), keycard.caller_is_platform(), keycard.caller_zones() IS NULL AS every_zone;
SELECT re_signed, retired_kid IS NOT NULL AS retired FROM keycard.rotate_zone_key(:'za') r(j),
	LATERAL (SELECT (j ->> 're_signed')::int AS re_signed, j ->> 'retired_kid' AS retired_kid) x;
SELECT name, owner_type, created_by FROM keycard.create_policy(:'za', 'by-operator');
SELECT actor, action FROM keycard.audit_log WHERE zone_id = :'za' AND action = 'rotate_key' ORDER BY event_id DESC LIMIT 1;
RESET request.jwt.claims;
RESET ROLE;

-- The API roles, as PostgREST drives them (SET LOCAL ROLE, then the request's settings) ----------
-- keycard_api: zones and subject from the claims, request id from the header
BEGIN;
SET LOCAL ROLE keycard_api;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_a","zones":["%s"]}', :'za'), true) IS NOT NULL AS ok,
       set_config('request.headers', '{"x-client-request-id":"api-request-1"}', true) IS NOT NULL AS ok;
SELECT keycard.current_actor(), keycard.client_request_id(), keycard.caller_is_platform(),
       keycard.caller_zones() = ARRAY[current_setting('regress.za')] AS zone_a_only, keycard.jwt_claims() ->> 'sub' AS sub;
SELECT name, owner_type, created_by, request_id FROM keycard.create_policy(:'za', 'by-api');
SELECT count(*) > 0 AS sees_a FROM keycard.policies WHERE zone_id = :'za';
SELECT count(*) AS b_policies FROM keycard.policies WHERE zone_id = :'zb';
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zb'), 'intruder')$$);
SELECT pg_temp.try($$SELECT keycard.rotate_zone_key(current_setting('regress.za'))$$);
ROLLBACK;
-- keycard_api holding a platform claim: the claim does not match the role, so it is not believed
BEGIN;
SET LOCAL ROLE keycard_api;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_platform","sub":"impostor","zones":["%s"]}', :'za'), true) IS NOT NULL AS ok,
       set_config('request.headers', '{"x-client-request-id":"forged-request"}', true) IS NOT NULL AS ok;
SELECT keycard.current_actor(), keycard.client_request_id() IS NULL AS no_request_id, keycard.caller_is_platform(),
       keycard.caller_zones() AS zones, keycard.jwt_claims() AS claims;
SELECT pg_temp.try($$SELECT keycard.rotate_zone_key(current_setting('regress.za'))$$);
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.za'), 'intruder')$$);
SELECT count(*) AS a_policies FROM keycard.policies WHERE zone_id = :'za';
ROLLBACK;
-- keycard_anon: reads the JWKS, nothing else, whatever its claims say
BEGIN;
SET LOCAL ROLE keycard_anon;
SELECT set_config('request.jwt.claims', '{"role":"keycard_platform","sub":"impostor"}', true) IS NOT NULL AS ok;
SELECT keycard.caller_is_platform(), keycard.caller_zones() AS zones;
SELECT jsonb_array_length(keycard.zone_jwks(:'za') -> 'keys') AS a_keys;
SELECT pg_temp.try($$SELECT keycard.get_policy(current_setting('regress.za'), current_setting('regress.pa'))$$);
SELECT count(*) AS a_policies FROM keycard.policies WHERE zone_id = :'za';
ROLLBACK;
-- keycard_platform with its own claim: the operator, recorded as the token's subject
BEGIN;
SET LOCAL ROLE keycard_platform;
SELECT set_config('request.jwt.claims', '{"role":"keycard_platform","sub":"operator"}', true) IS NOT NULL AS ok,
       set_config('request.headers', '{"x-client-request-id":"op-request-1"}', true) IS NOT NULL AS ok;
SELECT keycard.current_actor(), keycard.client_request_id(), keycard.caller_is_platform();
SELECT re_signed FROM keycard.rotate_zone_key(:'za') r(j), LATERAL (SELECT (j ->> 're_signed')::int AS re_signed) x;
SELECT actor, request_id, action FROM keycard.audit_log WHERE zone_id = :'za' ORDER BY event_id DESC LIMIT 1;
SELECT name, owner_type, created_by FROM keycard.create_policy(:'zb', 'by-platform');
ROLLBACK;

SELECT pg_temp.zone_a_state();
DELETE FROM keycard.zone_members WHERE role_name LIKE 'regress_kc_id_%';
DROP ROLE regress_kc_id_b, regress_kc_id_none, regress_kc_id_inherit, regress_kc_id_group, regress_kc_id_op, regress_kc_id_auth;

-- keycard_user is a plain NOLOGIN role; an existing one that could bypass
-- row-level security is refused (its members may SET ROLE to it)
SELECT rolcanlogin, rolsuper, rolbypassrls, rolinherit FROM pg_roles WHERE rolname = 'keycard_user';
\set regress_db :DBNAME
CREATE DATABASE regress_kc_id_db;
\c regress_kc_id_db
ALTER ROLE keycard_user BYPASSRLS;
CREATE EXTENSION keycard;
ALTER ROLE keycard_user NOBYPASSRLS;
CREATE EXTENSION keycard;
SELECT count(*) > 0 AS installed FROM pg_extension WHERE extname = 'keycard';
\c :regress_db
DROP DATABASE regress_kc_id_db;
