-- The registry decides: keycard.authorize(zone_id, request) evaluates the
-- zone's active policy set versions (zone slot plus the request's targets),
-- shadow versions beside them, only attested content, cached per backend.
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

SELECT zone_id AS zone FROM keycard.create_zone('authorize') \gset
SELECT zone_id AS other_zone FROM keycard.create_zone('authorize-other') \gset
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok;

-- Policies: each one version, validated against the pinned schema
SELECT policy_id AS p_read FROM keycard.create_policy(:'zone', 'read') \gset
SELECT version_id AS pv_read FROM keycard.create_policy_version(:'zone', :'p_read', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
SELECT policy_id AS p_onbehalf FROM keycard.create_policy(:'zone', 'no-on-behalf') \gset
SELECT version_id AS pv_onbehalf FROM keycard.create_policy_version(:'zone', :'p_onbehalf', '2026-03-16',
	cedar_raw => 'forbid (principal, action, resource) when { context.on_behalf };') \gset
SELECT policy_id AS p_write FROM keycard.create_policy(:'zone', 'editors-write') \gset
SELECT version_id AS pv_write FROM keycard.create_policy_version(:'zone', :'p_write', '2026-03-16',
	cedar_raw => 'permit (principal is Keycard::User, action == Action::"write", resource) when { principal.groups.contains("editors") };') \gset
SELECT policy_id AS p_access FROM keycard.create_policy(:'zone', 'staff-access') \gset
SELECT version_id AS pv_access FROM keycard.create_policy_version(:'zone', :'p_access', '2026-03-16',
	cedar_raw => 'permit (principal is Keycard::User, action == Action::"access", resource) when { principal.email like "*@example.com" };') \gset

-- manifest(policy id, policy version id, ...): a manifest of those entries
CREATE FUNCTION pg_temp.manifest(VARIADIC ids text[]) RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_build_object('entries', coalesce(jsonb_agg(jsonb_build_object('policy_id', ids[2 * i - 1], 'policy_version_id', ids[2 * i])
															ORDER BY i), '[]'))
	FROM generate_series(1, coalesce(array_length(ids, 1), 0) / 2) i
$$;
-- Sets: "base" (zone scope), "doc-rules" (resource scope), "alice-rules" (user scope)
SELECT policy_set_id AS s_base FROM keycard.create_policy_set(:'zone', 'base') \gset
SELECT version_id AS base1 FROM keycard.create_policy_set_version(:'zone', :'s_base',
	pg_temp.manifest(:'p_read', :'pv_read', :'p_access', :'pv_access'), '2026-03-16') \gset
SELECT version_id AS base2 FROM keycard.create_policy_set_version(:'zone', :'s_base', pg_temp.manifest(VARIADIC '{}'), '2026-03-16') \gset
SELECT policy_set_id AS s_doc FROM keycard.create_policy_set(:'zone', 'doc-rules', 'resource') \gset
SELECT version_id AS doc1 FROM keycard.create_policy_set_version(:'zone', :'s_doc',
	pg_temp.manifest(:'p_onbehalf', :'pv_onbehalf'), '2026-03-16') \gset
SELECT policy_set_id AS s_alice FROM keycard.create_policy_set(:'zone', 'alice-rules', 'user') \gset
SELECT version_id AS alice1 FROM keycard.create_policy_set_version(:'zone', :'s_alice',
	pg_temp.manifest(:'p_write', :'pv_write'), '2026-03-16') \gset

-- names(refs): policy references of an answer as "set vN/policy vN"
CREATE FUNCTION pg_temp.names(refs jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(format('%s v%s/%s v%s', s.name, sv.version, p.name, pv.version), ', ' ORDER BY r.n), '-')
	FROM jsonb_array_elements(refs) WITH ORDINALITY r(x, n)
	LEFT JOIN keycard.policy_sets s ON s.policy_set_id = r.x ->> 'policy_set_id'
	LEFT JOIN keycard.policy_set_versions sv ON sv.version_id = r.x ->> 'policy_set_version_id'
											AND sv.policy_set_id = r.x ->> 'policy_set_id'
	LEFT JOIN keycard.policies p ON p.policy_id = r.x ->> 'policy_id'
	LEFT JOIN keycard.policy_versions pv ON pv.version_id = r.x ->> 'policy_version_id' AND pv.policy_id = r.x ->> 'policy_id'
$$;
-- sets(bindings): the set versions an answer evaluated, "scope:set vN"
CREATE FUNCTION pg_temp.sets(b jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(format('%s %s:%s v%s', x ->> 'scope_type',
									  CASE WHEN x ->> 'scope_type' = 'zone' THEN '<zone>' ELSE x ->> 'scope_target_id' END,
									  s.name, sv.version), ', ' ORDER BY n), '-')
	FROM jsonb_array_elements(b) WITH ORDINALITY t(x, n)
	LEFT JOIN keycard.policy_sets s ON s.policy_set_id = x ->> 'policy_set_id'
	LEFT JOIN keycard.policy_set_versions sv ON sv.version_id = x ->> 'policy_set_version_id' AND sv.version = (x ->> 'version')::int
$$;
-- show(answer): one line per answer (ids replaced by names)
CREATE FUNCTION pg_temp.show(a jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT format('%s because [%s] errored [%s] from [%s]', a ->> 'decision', pg_temp.names(a -> 'reasons'),
				  pg_temp.names(a -> 'errored_policies'), pg_temp.sets(a -> 'policy_set_versions'))
		   || coalesce((SELECT string_agg(format(' || shadow %s: %s because [%s] differs %s', pg_temp.sets(jsonb_build_array(x)),
												 x ->> 'decision', pg_temp.names(x -> 'reasons'), x ->> 'differs'), '' ORDER BY n)
						FROM jsonb_array_elements(a -> 'shadow') WITH ORDINALITY t(x, n)), '')
$$;
-- cache(): what this backend's cache of compiled set versions did (a new backend: empty)
CREATE FUNCTION pg_temp.cache() RETURNS text LANGUAGE sql AS $$
	SELECT format('entries %s, loads %s, hits %s, evictions %s', c ->> 'entries', c ->> 'loads', c ->> 'hits', c ->> 'evictions')
	FROM keycard.authorize_cache() c
$$;
-- req(principal id, action, extra): a request with alice (editor, @example.com) and doc-1 as entities
CREATE FUNCTION pg_temp.req(principal text, action text, extra jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_build_object(
		'principal', jsonb_build_object('type', 'Keycard::User', 'id', principal),
		'action', jsonb_build_object('type', 'Action', 'id', action),
		'resource', jsonb_build_object('type', 'Keycard::Resource', 'id', 'doc-1'),
		'context', jsonb_build_object('on_behalf', false),
		'entities', jsonb_build_array(
			jsonb_build_object('uid', jsonb_build_object('type', 'Keycard::User', 'id', 'alice'),
							   'attrs', jsonb_build_object('email', 'alice@example.com', 'groups', jsonb_build_array('editors')), 'parents', '[]'::jsonb),
			jsonb_build_object('uid', jsonb_build_object('type', 'Keycard::User', 'id', 'bob'),
							   'attrs', jsonb_build_object('email', 'bob@example.org', 'groups', '[]'::jsonb), 'parents', '[]'::jsonb),
			jsonb_build_object('uid', jsonb_build_object('type', 'Keycard::Resource', 'id', 'doc-1'),
							   'attrs', jsonb_build_object('name', 'Doc 1'), 'parents', '[]'::jsonb))) || extra
$$;

-- Nothing bound yet: Cedar's default, deny
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read')));
SELECT pg_temp.cache();

-- Zone scope
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s_base', :'base1');
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read')));
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'write')));
-- a policy whose evaluation errs (carol is no entity: no email) is skipped and listed
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('carol', 'access')));
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'access')));
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('bob', 'access')));
-- base v1 loaded once, then answered from the cache
SELECT pg_temp.cache();

-- Scope unions: the user target's set joins the zone's (write needs alice-rules)
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s_alice', :'alice1', 'alice');
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s_doc', :'doc1', 'doc-1');
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'write', '{"targets": {"user": "alice"}}')));
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('bob', 'write', '{"targets": {"user": "alice"}}')));
-- a target with no binding adds nothing
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'write', '{"targets": {"user": "bob"}}')));
-- zone + resource + user: the resource's forbid (another set) wins over the zone's permit
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read',
	'{"targets": {"resource": "doc-1", "user": "alice", "session": "s-1"}, "context": {"on_behalf": true}}')));
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'write',
	'{"targets": {"resource": "doc-1", "user": "alice"}, "context": {"on_behalf": true}}')));
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read',
	'{"targets": {"resource": "doc-1", "user": "alice"}}')));
-- the same forbid without its target: not applicable
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read', '{"context": {"on_behalf": true}}')));
-- the answer names the set, its version, the policy and the policy version by id
SELECT r ->> 'policy_set_id' = :'s_base' AS set_id, r ->> 'policy_set_version_id' = :'base1' AS set_version_id,
       r ->> 'policy_id' = :'p_read' AS policy_id, r ->> 'policy_version_id' = :'pv_read' AS policy_version_id
FROM jsonb_array_elements(keycard.authorize(:'zone', pg_temp.req('alice', 'read')) -> 'reasons') r;

-- Shadow: base v2 (no policies) observed beside base v1; doc-rules has no shadow
SELECT version, mode FROM keycard.shadow_policy_set_version(:'zone', :'s_base', :'base2');
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read')));
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'write', '{"targets": {"user": "alice"}}')));
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read', '{"targets": {"resource": "doc-1"}, "context": {"on_behalf": true}}')));
-- authorize records nothing; authorize_and_record keeps the differing shadow decisions only
SELECT pg_temp.show(keycard.authorize_and_record(:'zone', pg_temp.req('alice', 'read')));
SELECT pg_temp.show(keycard.authorize_and_record(:'zone', pg_temp.req('alice', 'write', '{"targets": {"user": "alice"}}')));
SELECT scope_type, scope_target_id = zone_id AS zone_target, policy_set_id = :'s_base' AS base, active_version_id = :'base1' AS active,
       shadow_version_id = :'base2' AS shadow, decision, shadow_decision, request -> 'action' ->> 'id' AS action,
       answer ->> 'decision' AS answered, actor
FROM keycard.shadow_decisions WHERE zone_id = :'zone' ORDER BY event_id;
-- append-only, like every registry table
SELECT pg_temp.try($$UPDATE keycard.shadow_decisions SET decision = 'deny'$$);
SELECT pg_temp.try($$DELETE FROM keycard.shadow_decisions$$);
SELECT pg_temp.try($$TRUNCATE keycard.shadow_decisions$$);
SELECT count(*) FROM keycard.shadow_decisions WHERE zone_id = :'zone';

-- Cache and activation: the new binding is seen by the next call (both versions are cached:
-- no load below)
SELECT pg_temp.cache();
SELECT version, mode FROM keycard.activate_policy_set_version(:'zone', :'s_base', :'base2');
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read')));
SELECT version, mode FROM keycard.activate_policy_set_version(:'zone', :'s_base', :'base1');
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read')));
SELECT pg_temp.cache();
-- and in one transaction, before it commits
BEGIN;
SELECT version, mode FROM keycard.activate_policy_set_version(:'zone', :'s_base', :'base2');
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read')));
ROLLBACK;
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read')));

-- Key rotation re-signs every version: still evaluated, here from the cache ...
SELECT (keycard.rotate_zone_key(:'zone') ->> 're_signed')::int > 0 AS re_signed;
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read')));
SELECT pg_temp.cache();
SELECT count(*) AS attestations FROM keycard.attestations WHERE zone_id = :'zone' AND version_id = :'base1';

-- Read only: a READ ONLY transaction answers; recording is refused there
BEGIN READ ONLY;
SELECT pg_temp.show(keycard.authorize(:'zone', pg_temp.req('alice', 'read', '{"targets": {"user": "alice"}}')));
SELECT pg_temp.try($$SELECT keycard.authorize_and_record(current_setting('regress.zone'), '{"principal": {"type": "U", "id": "a"}, "action": {"type": "Action", "id": "read"}, "resource": {"type": "R", "id": "r"}}')$$);
COMMIT;

-- Requests it refuses
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), '[]')$$);
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), '{"principal": {"type": "U", "id": "a"}}')$$);
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('alice', 'read', '{"policies": {}}'))$$);
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('alice', 'read', '{"targets": {"zone": "z"}}'))$$);
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('alice', 'read', '{"targets": {"user": 7}}'))$$);
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('alice', 'read', '{"targets": []}'))$$);
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('alice', 'read', '{"entities": {}}'))$$);
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('alice', 'read', '{"context": 1}'))$$);
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('alice', 'read', '{"principal": {"type": "Keycard::User"}}'))$$);
SELECT pg_temp.try($$SELECT keycard.authorize('no-such-zone', pg_temp.req('alice', 'read'))$$);
SELECT keycard.authorize(NULL, '{}') IS NULL AS strict;

-- Tampered content is refused (a superuser edits rows with the guards disabled)
SELECT policy_id AS p_t FROM keycard.create_policy(:'zone', 'tampered') \gset
SELECT version_id AS pv_t FROM keycard.create_policy_version(:'zone', :'p_t', '2026-03-16',
	cedar_raw => 'forbid (principal, action, resource);') \gset
SELECT policy_set_id AS s_t FROM keycard.create_policy_set(:'zone', 'mallory-rules', 'user') \gset
SELECT version_id AS t1 FROM keycard.create_policy_set_version(:'zone', :'s_t', pg_temp.manifest(:'p_t', :'pv_t'), '2026-03-16') \gset
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s_t', :'t1', 'mallory');
SELECT policy_set_id AS s_m FROM keycard.create_policy_set(:'zone', 'trudy-rules', 'user') \gset
SELECT version_id AS m1 FROM keycard.create_policy_set_version(:'zone', :'s_m', pg_temp.manifest(:'p_read', :'pv_read'), '2026-03-16') \gset
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s_m', :'m1', 'trudy');
SELECT policy_set_id AS s_a FROM keycard.create_policy_set(:'zone', 'oscar-rules', 'user') \gset
SELECT version_id AS a1 FROM keycard.create_policy_set_version(:'zone', :'s_a', pg_temp.manifest(:'p_read', :'pv_read'), '2026-03-16') \gset
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s_a', :'a1', 'oscar');
SELECT policy_set_id AS s_e FROM keycard.create_policy_set(:'zone', 'eve-rules', 'user') \gset
SELECT version_id AS e1 FROM keycard.create_policy_set_version(:'zone', :'s_e', pg_temp.manifest(:'p_read', :'pv_read'), '2026-03-16') \gset
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s_e', :'e1', 'eve');
-- (a new connection below: its cache is empty, so the versions are loaded after the tampering)
SELECT set_config('regress.t1', :'t1', false) IS NOT NULL AS ok, set_config('regress.m1', :'m1', false) IS NOT NULL AS ok,
       set_config('regress.a1', :'a1', false) IS NOT NULL AS ok;
\c
\set SHOW_CONTEXT never
\i :repo/test/regress_try.sql
-- (psql variables survive the new connection, settings do not)
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok, set_config('regress.t1', :'t1', false) IS NOT NULL AS ok,
       set_config('regress.pv_t', :'pv_t', false) IS NOT NULL AS ok;
CREATE FUNCTION pg_temp.req(target text) RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_build_object('principal', jsonb_build_object('type', 'Keycard::User', 'id', target),
							  'action', '{"type": "Action", "id": "read"}'::jsonb,
							  'resource', '{"type": "Keycard::Resource", "id": "doc-1"}'::jsonb,
							  'targets', jsonb_build_object('user', target))
$$;
-- 1. a policy version's content: forbid turned into permit
ALTER TABLE keycard.policy_versions DISABLE TRIGGER policy_versions_immutable;
UPDATE keycard.policy_versions SET cedar_json = jsonb_set(cedar_json, '{effect}', '"permit"')
WHERE zone_id = :'zone' AND version_id = (SELECT policy_version_id FROM keycard.policy_set_version_entries WHERE version_id = :'t1');
ALTER TABLE keycard.policy_versions ENABLE ALWAYS TRIGGER policy_versions_immutable;
-- 2. a manifest: its sha no longer matches (the rows are restored below)
SELECT manifest AS m1_manifest, manifest_sha AS m1_sha FROM keycard.policy_set_versions WHERE zone_id = :'zone' AND version_id = :'m1' \gset
SELECT manifest AS a1_manifest, manifest_sha AS a1_sha FROM keycard.policy_set_versions WHERE zone_id = :'zone' AND version_id = :'a1' \gset
ALTER TABLE keycard.policy_set_versions DISABLE TRIGGER policy_set_versions_immutable;
UPDATE keycard.policy_set_versions SET manifest = '{"entries": []}' WHERE zone_id = :'zone' AND version_id = :'m1';
-- 3. a manifest and its sha together: the attestation no longer matches
UPDATE keycard.policy_set_versions SET manifest = '{"entries": []}', manifest_sha = keycard.jcs_sha256('{"entries": []}'::jsonb)
WHERE zone_id = :'zone' AND version_id = :'a1';
ALTER TABLE keycard.policy_set_versions ENABLE ALWAYS TRIGGER policy_set_versions_immutable;
-- 4. an attestation's signature: another version's signature in its place
SELECT jws AS e1_jws FROM keycard.current_attestations WHERE zone_id = :'zone' AND version_id = :'e1' \gset
ALTER TABLE keycard.attestations DISABLE TRIGGER attestations_immutable;
UPDATE keycard.attestations SET jws = jsonb_set(jws, '{signature}', (SELECT c.jws -> 'signature' FROM keycard.current_attestations c
																	  WHERE c.zone_id = :'zone' AND c.version_id = :'a1'))
WHERE zone_id = :'zone' AND version_id = :'e1'
  AND attestation_id = (SELECT attestation_id FROM keycard.current_attestations WHERE zone_id = :'zone' AND version_id = :'e1');
ALTER TABLE keycard.attestations ENABLE ALWAYS TRIGGER attestations_immutable;
SELECT regexp_replace(pg_temp.try(format('SELECT keycard.authorize(%L, pg_temp.req(%L))', :'zone', 'mallory')), '[0-9a-f]{64}', '<sha>', 'g');
SELECT regexp_replace(pg_temp.try(format('SELECT keycard.authorize(%L, pg_temp.req(%L))', :'zone', 'trudy')), '[0-9a-f]{64}', '<sha>', 'g');
SELECT regexp_replace(pg_temp.try(format('SELECT keycard.authorize(%L, pg_temp.req(%L))', :'zone', 'oscar')), '[0-9a-f]{64}', '<sha>', 'g');
SELECT regexp_replace(pg_temp.try(format('SELECT keycard.authorize(%L, pg_temp.req(%L))', :'zone', 'eve')), '[0-9a-f]{64}', '<sha>', 'g');
-- the error names the set version (message) and the policy version (detail)
DO $$
DECLARE d text;
BEGIN
	PERFORM keycard.authorize(current_setting('regress.zone'), pg_temp.req('mallory'));
EXCEPTION WHEN data_corrupted THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
	RAISE NOTICE 'names the set version: %, the policy version: %',
		strpos(SQLERRM, current_setting('regress.t1')) > 0, strpos(d, current_setting('regress.pv_t')) > 0;
END
$$;
-- the other slots still answer (zone scope only), after the key rotation, from a fresh backend:
-- base v1 loaded (its re-signed attestation verified), the refused versions never cached
SELECT keycard.authorize(:'zone', pg_temp.req('nobody')) ->> 'decision' AS decision;
SELECT c ->> 'entries' AS entries, c ->> 'loads' AS loads FROM keycard.authorize_cache() c;
-- restored, the four sets evaluate again (mallory's forbids, the others permit)
ALTER TABLE keycard.policy_versions DISABLE TRIGGER policy_versions_immutable;
UPDATE keycard.policy_versions SET cedar_json = jsonb_set(cedar_json, '{effect}', '"forbid"')
WHERE zone_id = :'zone' AND version_id = (SELECT policy_version_id FROM keycard.policy_set_version_entries WHERE version_id = :'t1');
ALTER TABLE keycard.policy_versions ENABLE ALWAYS TRIGGER policy_versions_immutable;
ALTER TABLE keycard.policy_set_versions DISABLE TRIGGER policy_set_versions_immutable;
UPDATE keycard.policy_set_versions SET manifest = :'m1_manifest', manifest_sha = :'m1_sha' WHERE zone_id = :'zone' AND version_id = :'m1';
UPDATE keycard.policy_set_versions SET manifest = :'a1_manifest', manifest_sha = :'a1_sha' WHERE zone_id = :'zone' AND version_id = :'a1';
ALTER TABLE keycard.policy_set_versions ENABLE ALWAYS TRIGGER policy_set_versions_immutable;
ALTER TABLE keycard.attestations DISABLE TRIGGER attestations_immutable;
UPDATE keycard.attestations SET jws = :'e1_jws' WHERE zone_id = :'zone' AND version_id = :'e1';
ALTER TABLE keycard.attestations ENABLE ALWAYS TRIGGER attestations_immutable;
SELECT target, keycard.authorize(:'zone', pg_temp.req(target)) ->> 'decision' AS decision
FROM unnest(ARRAY['mallory', 'trudy', 'oscar', 'eve']) target;
SELECT count(*) AS problems FROM keycard.verify_zone(:'zone');

-- Identity: members of the zone only (unknown and foreign zones look alike); not for PUBLIC
CREATE ROLE regress_kc_authz_member;
CREATE ROLE regress_kc_authz_outsider;
CREATE ROLE regress_kc_authz_nogrant;
GRANT keycard_user TO regress_kc_authz_member, regress_kc_authz_outsider;
SELECT keycard.add_zone_member(:'zone', 'regress_kc_authz_member');
SET ROLE regress_kc_authz_member;
SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('nobody')) ->> 'decision' AS member;
SET ROLE regress_kc_authz_outsider;
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('nobody'))$$);
SELECT pg_temp.try($$SELECT keycard.authorize_and_record(current_setting('regress.zone'), pg_temp.req('nobody'))$$);
SELECT count(*) AS visible_shadow_decisions FROM keycard.shadow_decisions;
SET ROLE regress_kc_authz_nogrant;
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('nobody'))$$);
RESET ROLE;
SELECT p.oid::regprocedure AS function, has_function_privilege('public', p.oid, 'EXECUTE') AS public,
       has_function_privilege('keycard_user', p.oid, 'EXECUTE') AS keycard_user,
       has_function_privilege('keycard_api', p.oid, 'EXECUTE') AS keycard_api,
       has_function_privilege('keycard_platform', p.oid, 'EXECUTE') AS keycard_platform
FROM pg_proc p WHERE p.proname IN ('authorize', 'authorize_and_record') AND p.pronamespace = 'keycard'::regnamespace ORDER BY 1;
-- under the API roles the JWT's zones decide
SET ROLE keycard_api;
SELECT set_config('request.jwt.claims', json_build_object('role', 'keycard_api', 'sub', 'svc', 'zones', json_build_array(current_setting('regress.zone')))::text, false) IS NOT NULL AS ok;
SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('nobody')) ->> 'decision' AS api_member;
SELECT set_config('request.jwt.claims', json_build_object('role', 'keycard_api', 'sub', 'svc', 'zones', json_build_array())::text, false) IS NOT NULL AS ok;
SELECT pg_temp.try($$SELECT keycard.authorize(current_setting('regress.zone'), pg_temp.req('nobody'))$$);
RESET ROLE;
RESET request.jwt.claims;

-- Row-level security: Cedar policies from the registry decide which rows a role sees
SELECT zone_id AS docs_zone FROM keycard.create_zone('documents') \gset
SELECT policy_id AS p_docs FROM keycard.create_policy(:'docs_zone', 'team-documents') \gset
SELECT version_id AS pv_docs FROM keycard.create_policy_version(:'docs_zone', :'p_docs', '2026-03-16', cedar_raw =>
	'permit (principal is Keycard::User, action == Action::"read", resource is Keycard::Resource) when { principal.groups.containsAny(resource.scopes) };') \gset
SELECT policy_id AS p_drafts FROM keycard.create_policy(:'docs_zone', 'no-drafts') \gset
SELECT version_id AS pv_drafts FROM keycard.create_policy_version(:'docs_zone', :'p_drafts', '2026-03-16', cedar_raw =>
	'forbid (principal, action, resource is Keycard::Resource) when { resource.name like "draft:*" };') \gset
SELECT policy_set_id AS s_docs FROM keycard.create_policy_set(:'docs_zone', 'documents') \gset
SELECT jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p_docs', 'policy_version_id', :'pv_docs'))) AS m1,
       jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p_docs', 'policy_version_id', :'pv_docs'),
													   jsonb_build_object('policy_id', :'p_drafts', 'policy_version_id', :'pv_drafts'))) AS m2 \gset
SELECT version_id AS docs1 FROM keycard.create_policy_set_version(:'docs_zone', :'s_docs', :'m1', '2026-03-16') \gset
SELECT version_id AS docs2 FROM keycard.create_policy_set_version(:'docs_zone', :'s_docs', :'m2', '2026-03-16') \gset
SELECT version FROM keycard.activate_policy_set_version(:'docs_zone', :'s_docs', :'docs1');

CREATE ROLE regress_kc_rls_sales;
CREATE ROLE regress_kc_rls_eng;
CREATE ROLE regress_kc_rls_ann IN ROLE regress_kc_rls_sales;
CREATE ROLE regress_kc_rls_ben IN ROLE regress_kc_rls_eng, regress_kc_rls_sales;
GRANT keycard_user TO regress_kc_rls_ann, regress_kc_rls_ben;
SELECT keycard.add_zone_member(:'docs_zone', 'regress_kc_rls_ann'), keycard.add_zone_member(:'docs_zone', 'regress_kc_rls_ben');
CREATE TABLE regress_documents (id int PRIMARY KEY, title text NOT NULL, teams text[] NOT NULL);
INSERT INTO regress_documents VALUES (1, 'pricing', '{regress_kc_rls_sales}'), (2, 'design', '{regress_kc_rls_eng}'),
	(3, 'roadmap', '{regress_kc_rls_sales,regress_kc_rls_eng}'), (4, 'draft:offsite', '{regress_kc_rls_sales}');
GRANT SELECT ON regress_documents TO regress_kc_rls_ann, regress_kc_rls_ben;
-- the zone of the documents (an application setting)
ALTER TABLE regress_documents ENABLE ROW LEVEL SECURITY;
SELECT set_config('app.documents_zone', :'docs_zone', false) IS NOT NULL AS ok;
CREATE POLICY cedar_read ON regress_documents FOR SELECT USING (
	keycard.authorize(current_setting('app.documents_zone'), jsonb_build_object(
		'principal', jsonb_build_object('type', 'Keycard::User', 'id', current_user),
		'action', '{"type": "Action", "id": "read"}'::jsonb,
		'resource', jsonb_build_object('type', 'Keycard::Resource', 'id', id::text),
		'entities', jsonb_build_array(
			-- the reading role, its groups the roles it is a member of
			(SELECT jsonb_build_object('uid', jsonb_build_object('type', 'Keycard::User', 'id', current_user),
									   'attrs', jsonb_build_object('email', current_user || '@example.com',
																   'groups', coalesce(jsonb_agg(r.rolname), '[]')),
									   'parents', '[]'::jsonb)
			 FROM pg_roles r WHERE r.rolname <> current_user AND pg_has_role(current_user, r.oid, 'MEMBER')),
			jsonb_build_object('uid', jsonb_build_object('type', 'Keycard::Resource', 'id', id::text),
							   'attrs', jsonb_build_object('name', title, 'scopes', to_jsonb(teams)), 'parents', '[]'::jsonb))))
	->> 'decision' = 'allow');
SET ROLE regress_kc_rls_ann;
SELECT id, title FROM regress_documents ORDER BY id;
SET ROLE regress_kc_rls_ben;
SELECT id, title FROM regress_documents ORDER BY id;
RESET ROLE;
-- a new version activated: drafts hidden from the next statement on
SELECT version FROM keycard.activate_policy_set_version(:'docs_zone', :'s_docs', :'docs2');
SET ROLE regress_kc_rls_ann;
SELECT id, title FROM regress_documents ORDER BY id;
-- and in a READ ONLY transaction
BEGIN READ ONLY;
SELECT count(*) FROM regress_documents;
COMMIT;
RESET ROLE;
-- the owner (not subject to the policy) sees every row
SELECT count(*) FROM regress_documents;

DROP TABLE regress_documents;

-- The cache is bounded: 300 user-scope sets, each bound for its own user, answered in turn
-- (a new backend); the least recently used versions make room and load again when asked
\c
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok;
DO $$
DECLARE
	z text := current_setting('regress.zone');
	p text := (SELECT policy_id FROM keycard.policies WHERE zone_id = z AND name = 'read');
	pv text := (SELECT version_id FROM keycard.policy_versions WHERE zone_id = z AND policy_id = p);
	s text;
BEGIN
	FOR i IN 1..300 LOOP
		s := (keycard.create_policy_set(z, 'many-' || i, 'user')).policy_set_id;
		PERFORM keycard.activate_policy_set_version(z, s, (keycard.create_policy_set_version(z, s,
			jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', p, 'policy_version_id', pv))),
			'2026-03-16')).version_id, 'many-' || i);
	END LOOP;
END $$;
CREATE FUNCTION pg_temp.many(i int) RETURNS text LANGUAGE sql AS $$
	SELECT keycard.authorize(current_setting('regress.zone'), jsonb_build_object(
		'principal', '{"type": "Keycard::User", "id": "u"}'::jsonb, 'action', '{"type": "Action", "id": "write"}'::jsonb,
		'resource', '{"type": "Keycard::Resource", "id": "r"}'::jsonb, 'targets', jsonb_build_object('user', 'many-' || i)))
		-> 'policy_set_versions' -> 1 ->> 'scope_target_id'
$$;
SELECT count(*) FILTER (WHERE pg_temp.many(i) = 'many-' || i) AS answered FROM generate_series(1, 300) i;
SELECT c ->> 'entries' AS entries, c ->> 'loads' AS loads, c ->> 'evictions' AS evictions, c ->> 'max_entries' AS max_entries
FROM keycard.authorize_cache() c;
-- the first ones were evicted: loaded again, still right
SELECT pg_temp.many(1) = 'many-1' AS again, (keycard.authorize_cache() ->> 'loads')::int AS loads;
SELECT pg_temp.many(300) = 'many-300' AS cached, (keycard.authorize_cache() ->> 'loads')::int AS loads;
DROP OWNED BY regress_kc_rls_ann, regress_kc_rls_ben, regress_kc_authz_member, regress_kc_authz_outsider;
DROP ROLE regress_kc_rls_ann, regress_kc_rls_ben, regress_kc_rls_sales, regress_kc_rls_eng,
	regress_kc_authz_member, regress_kc_authz_outsider, regress_kc_authz_nogrant;

-- A large set version loaded and answered in one call (by a new backend): 600 policies, each a reason (an answer
-- of more than 128 kB, its own block of memory)
\c
DO $$
DECLARE
	z text := (SELECT zone_id FROM keycard.zones WHERE name = 'authorize');
	s text := (keycard.create_policy_set(z, 'large', 'session')).policy_set_id;
	m jsonb := '[]';
	p text;
BEGIN
	FOR i IN 1..600 LOOP
		p := (keycard.create_policy(z, 'large-' || i)).policy_id;
		m := m || jsonb_build_object('policy_id', p, 'policy_version_id', (keycard.create_policy_version(z, p, '2026-03-16',
			cedar_raw => format('permit (principal, action == Action::"access", resource) when { context has n && context.n < %s };', i))).version_id);
	END LOOP;
	PERFORM keycard.activate_policy_set_version(z, s, (keycard.create_policy_set_version(z, s, jsonb_build_object('entries', m),
		'2026-03-16')).version_id, 'large');
END $$;
\c
SELECT a ->> 'decision' AS decision, jsonb_array_length(a -> 'reasons') AS reasons, length(a::text) > 131072 AS large,
       (SELECT count(*) FROM jsonb_array_elements(a -> 'reasons') r WHERE r ->> 'policy_set_version_id' = a -> 'policy_set_versions' -> 1 ->> 'policy_set_version_id') AS from_the_set
FROM keycard.authorize(:'zone', '{"principal": {"type": "Keycard::User", "id": "u"}, "action": {"type": "Action", "id": "access"},
	"resource": {"type": "Keycard::Resource", "id": "r"}, "context": {"n": 0}, "targets": {"session": "large"}}') a;
SELECT (keycard.authorize_cache() ->> 'loads')::int AS loads;
