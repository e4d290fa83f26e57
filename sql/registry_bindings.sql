-- Registry part 2: bindings (activate, roll forward/back, take-over, shadow and promotion, scopes, history)
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

SELECT zone_id AS zone FROM keycard.create_zone('bindings') \gset
SELECT zone_id AS other_zone FROM keycard.create_zone('elsewhere') \gset
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok;
SELECT policy_id AS p1 FROM keycard.create_policy(:'zone', 'readers') \gset
SELECT version_id AS pv1 FROM keycard.create_policy_version(:'zone', :'p1', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
-- two zone-scope sets: "prod" with versions 1..3, "candidate" with version 1
SELECT policy_set_id AS s FROM keycard.create_policy_set(:'zone', 'prod') \gset
SELECT policy_set_id AS c FROM keycard.create_policy_set(:'zone', 'candidate') \gset
SELECT version_id AS s1 FROM keycard.create_policy_set_version(:'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p1', 'policy_version_id', :'pv1'))), '2026-03-16') \gset
SELECT version_id AS s2 FROM keycard.create_policy_set_version(:'zone', :'s', '{"entries": []}', '2026-03-16') \gset
SELECT version_id AS s3 FROM keycard.create_policy_set_version(:'zone', :'s', '{"entries": []}', '2026-03-16') \gset
SELECT version_id AS c1 FROM keycard.create_policy_set_version(:'zone', :'c', '{"entries": []}', '2026-03-16') \gset
SELECT set_config('regress.s', :'s', false) IS NOT NULL AS ok, set_config('regress.s1', :'s1', false) IS NOT NULL AS ok,
       set_config('regress.s2', :'s2', false) IS NOT NULL AS ok, set_config('regress.c', :'c', false) IS NOT NULL AS ok,
       set_config('regress.c1', :'c1', false) IS NOT NULL AS ok;

-- binding(zone): the zone's bindings as "scope target mode: set vN", targets masked
CREATE FUNCTION pg_temp.binding(zone text) RETURNS SETOF text LANGUAGE sql AS $$
	SELECT format('%s %s %s: %s v%s', b.scope_type, CASE WHEN b.scope_target_id = b.zone_id THEN '<zone>' ELSE b.scope_target_id END,
				  b.mode, s.name, b.version)
	FROM keycard.bindings b JOIN keycard.policy_sets s USING (zone_id, policy_set_id)
	WHERE b.zone_id = zone ORDER BY b.scope_type, b.scope_target_id, b.mode
$$;
-- history(zone): the zone's binding history in order
CREATE FUNCTION pg_temp.history(zone text) RETURNS SETOF text LANGUAGE sql AS $$
	SELECT format('%s %s %s %s: %s -> %s', h.action, h.scope_type,
				  CASE WHEN h.scope_target_id = h.zone_id THEN '<zone>' ELSE h.scope_target_id END, h.mode,
				  coalesce(fs.name || ' v' || h.from_version, '-'), coalesce(ts.name || ' v' || h.to_version, '-'))
	FROM keycard.binding_history h
	LEFT JOIN keycard.policy_sets fs ON fs.zone_id = h.zone_id AND fs.policy_set_id = h.from_policy_set_id
	LEFT JOIN keycard.policy_sets ts ON ts.zone_id = h.zone_id AND ts.policy_set_id = h.to_policy_set_id
	WHERE h.zone_id = zone ORDER BY h.event_id
$$;

-- Unbound: PolicySetWithBinding.active is false, the rest null
SELECT name, active, active_version, active_version_id, mode, scope_target_id, shadow_version, shadow_version_id
FROM keycard.policy_sets_with_binding WHERE zone_id = :'zone' ORDER BY name;
SELECT version, active, mode FROM keycard.policy_set_versions_with_binding WHERE zone_id = :'zone' ORDER BY policy_set_id, version;

-- Activate version 1: the function returns the PolicySetVersion with active = true
SELECT version, active, mode, scope_target_id = :'zone' AS zone_target, manifest_sha IS NOT NULL AS full_row
FROM keycard.activate_policy_set_version(:'zone', :'s', :'s1');
SELECT name, active, active_version, active_version_id = :'s1' AS active_id, mode, scope_target_id = :'zone' AS zone_target,
       shadow_version, shadow_version_id
FROM keycard.get_policy_set_with_binding(:'zone', :'s');
-- roll forward to 3, roll back to 1: both are "activate version N"
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'s', :'s3');
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'s', :'s1');
-- activating the active version again changes and records nothing
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'s', :'s1');
SELECT pg_temp.binding(:'zone');
SELECT version, active, mode FROM keycard.policy_set_versions_with_binding WHERE zone_id = :'zone' AND policy_set_id = :'s' ORDER BY version;

-- Another set takes the zone slot over; the previous binding is demoted in the same transaction
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'c', :'c1');
SELECT name, active, active_version, mode FROM keycard.policy_sets_with_binding WHERE zone_id = :'zone' ORDER BY name;
SELECT pg_temp.binding(:'zone');
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'s', :'s2');

-- Shadow: observed beside the active one, one per slot, replaced by the next shadow
SELECT version, active, mode FROM keycard.shadow_policy_set_version(:'zone', :'s', :'s3');
SELECT name, active, active_version, mode, shadow_version, shadow_version_id = :'s3' AS shadow_id
FROM keycard.get_policy_set_with_binding(:'zone', :'s');
SELECT version, active, mode FROM keycard.shadow_policy_set_version(:'zone', :'c', :'c1');
SELECT pg_temp.binding(:'zone');
SELECT name, active, active_version, mode, shadow_version FROM keycard.policy_sets_with_binding WHERE zone_id = :'zone' ORDER BY name;
SELECT version, active, mode FROM keycard.shadow_policy_set_version(:'zone', :'s', :'s3');
-- the same shadow again: no change
SELECT version, active, mode FROM keycard.shadow_policy_set_version(:'zone', :'s', :'s3');
-- activating the shadow-bound version promotes it: it becomes active and the shadow slot empties
SELECT version, active, mode FROM keycard.activate_policy_set_version(:'zone', :'s', :'s3');
SELECT pg_temp.binding(:'zone');
SELECT name, active, active_version, mode, shadow_version FROM keycard.get_policy_set_with_binding(:'zone', :'s');
-- clearing a shadow (ours): the slot keeps its active binding
SELECT version, active, mode FROM keycard.shadow_policy_set_version(:'zone', :'s', :'s1');
SELECT name, active, mode, shadow_version FROM keycard.clear_shadow_binding(:'zone', :'s');
SELECT name, active, mode, shadow_version FROM keycard.clear_shadow_binding(:'zone', :'s');
SELECT pg_temp.binding(:'zone');

-- The PATCH body: {"active": true}, {"mode": "shadow"}, {"mode": "active"}
SELECT version, active, mode FROM keycard.update_policy_set_version(:'zone', :'s', :'s2', '{"active": true}');
SELECT version, active, mode FROM keycard.update_policy_set_version(:'zone', :'s', :'s1', '{"mode": "shadow"}');
SELECT version, active, mode FROM keycard.update_policy_set_version(:'zone', :'s', :'s1', '{"mode": "active", "active": true}');

-- History: every change with who, when, request id, slot, mode, from and to
SELECT pg_temp.history(:'zone');
BEGIN;
SELECT set_config('keycard.client_request_id', 'req-rollback-1', true) IS NOT NULL AS ok;
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s', :'s3');
COMMIT;
SELECT action, mode, from_version, to_version, actor, request_id, occurred_at = keycard.id_time(event_id) AS occurred_at_from_id,
       from_policy_set_id = :'s' AS from_set, from_version_id = :'s1' AS from_id, to_version_id = :'s3' AS to_id
FROM keycard.binding_history WHERE zone_id = :'zone' ORDER BY event_id DESC LIMIT 1;
SELECT bound_by, request_id, bound_at = (SELECT max(occurred_at) FROM keycard.binding_history WHERE zone_id = :'zone') AS bound_at
FROM keycard.bindings WHERE zone_id = :'zone' AND mode = 'active';
-- history rows skip the executor only while that changes nothing: an insert trigger on binding_history still fires
BEGIN;
CREATE FUNCTION pg_temp.count_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('regress.history_rows', (coalesce(nullif(current_setting('regress.history_rows', true), ''), '0')::int + 1)::text, true);
	RETURN NEW;
END $$;
CREATE TRIGGER count_history BEFORE INSERT ON keycard.binding_history FOR EACH ROW EXECUTE FUNCTION pg_temp.count_history();
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s', :'s1');
SELECT current_setting('regress.history_rows') AS history_rows_seen_by_the_trigger;
ROLLBACK;

-- Non-zone scopes: one slot per scope target; a set is bound in one slot at a time
SELECT policy_set_id AS u FROM keycard.create_policy_set(:'zone', 'alice-overrides', 'user') \gset
SELECT policy_set_id AS u2 FROM keycard.create_policy_set(:'zone', 'alice-experiment', 'user') \gset
SELECT version_id AS u1 FROM keycard.create_policy_set_version(:'zone', :'u', '{"entries": []}', '2026-03-16') \gset
SELECT version_id AS u12 FROM keycard.create_policy_set_version(:'zone', :'u', '{"entries": []}', '2026-03-16') \gset
SELECT version_id AS u21 FROM keycard.create_policy_set_version(:'zone', :'u2', '{"entries": []}', '2026-03-16') \gset
SELECT set_config('regress.u', :'u', false) IS NOT NULL AS ok, set_config('regress.u1', :'u1', false) IS NOT NULL AS ok,
       set_config('regress.u12', :'u12', false) IS NOT NULL AS ok, set_config('regress.u21', :'u21', false) IS NOT NULL AS ok;
SELECT version, active, scope_target_id FROM keycard.activate_policy_set_version(:'zone', :'u', :'u1', 'user-alice');
-- the target may be omitted once the set is bound
SELECT version, active, scope_target_id FROM keycard.activate_policy_set_version(:'zone', :'u', :'u12');
SELECT version, active, scope_target_id FROM keycard.update_policy_set_version(:'zone', :'u', :'u1', '{"active": true, "scope_target_id": "user-alice"}');
-- another user's slot is another slot
SELECT version, active, scope_target_id FROM keycard.activate_policy_set_version(:'zone', :'u2', :'u21', 'user-bob');
SELECT name, active, active_version, mode, scope_target_id FROM keycard.policy_sets_with_binding
WHERE zone_id = :'zone' AND scope_type = 'user' ORDER BY name;
SELECT pg_temp.binding(:'zone');
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.zone'), current_setting('regress.u'), current_setting('regress.u12'), 'user-bob')$$);
SELECT pg_temp.try($$SELECT keycard.shadow_policy_set_version(current_setting('regress.zone'), current_setting('regress.u'), current_setting('regress.u12'), 'user-carol')$$);
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.zone'), current_setting('regress.u'), current_setting('regress.u12'), '')$$);
SELECT pg_temp.try(format('SELECT keycard.activate_policy_set_version(%L, %L, %L, %L)', :'zone', :'u', :'u12', repeat('x', 256)));

-- Errors ------------------------------------------------------------------------------
-- no deactivation: a 400 whose hint says to activate another version
SELECT pg_temp.try($$SELECT keycard.update_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), '{"active": false}')$$);
SELECT pg_temp.try($$SELECT keycard.bind_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), 'inactive')$$);
SELECT pg_temp.try($$SELECT keycard.bind_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), NULL)$$);
-- malformed PATCH bodies
SELECT pg_temp.try($$SELECT keycard.update_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), '{"active": "yes"}')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), '{"mode": "passive"}')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), '{"active": true, "mode": "shadow"}')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), '{}')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), '{"active": true, "name": "x"}')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), '{"active": true, "scope_target_id": 7}')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), '[true]')$$);
-- a version is never active and shadow at once
SELECT pg_temp.try($$SELECT keycard.shadow_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), (SELECT version_id FROM keycard.bindings WHERE zone_id = current_setting('regress.zone') AND policy_set_id = current_setting('regress.s') AND mode = 'active'))$$);
-- scope targets: a zone-scope set's target is the zone; a user-scope set needs one
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s2'), 'user-alice')$$);
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s', :'s2', :'zone');
SELECT policy_set_id AS se FROM keycard.create_policy_set(:'zone', 'sessions', 'session') \gset
SELECT version_id AS se1 FROM keycard.create_policy_set_version(:'zone', :'se', '{"entries": []}', '2026-03-16') \gset
SELECT pg_temp.try(format('SELECT keycard.activate_policy_set_version(%L, %L, %L)', :'zone', :'se', :'se1'));
-- unknown or foreign ids: not found
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.c1'))$$);
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), 'no-such-version')$$);
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.zone'), 'no-such-set', current_setting('regress.s1'))$$);
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version('00000000-0000-7000-8000-000000000000', current_setting('regress.s'), current_setting('regress.s1'))$$);
SELECT pg_temp.try(format('SELECT keycard.activate_policy_set_version(%L, %L, %L)', :'other_zone', :'s', :'s1'));
SELECT pg_temp.try($$SELECT keycard.clear_shadow_binding(current_setting('regress.zone'), 'no-such-set')$$);
SELECT pg_temp.try($$SELECT keycard.get_policy_set_with_binding(current_setting('regress.zone'), 'no-such-set')$$);

-- Customers: bind their own sets, not the platform's; the actor is the JWT sub
BEGIN;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_42","zones":["%s"]}', :'zone'), true) IS NOT NULL AS ok;
SET LOCAL ROLE keycard_api;
SELECT policy_set_id AS cs, owner_type FROM keycard.create_policy_set(:'zone', 'customer-set') \gset
SELECT :'owner_type' AS owner_type;
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'cs',
	(keycard.create_policy_set_version(:'zone', :'cs', '{"entries": []}', '2026-03-16')).version_id);
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s1'))$$);
SELECT pg_temp.try($$SELECT keycard.clear_shadow_binding(current_setting('regress.zone'), current_setting('regress.s'))$$);
SELECT bound_by FROM keycard.bindings WHERE zone_id = :'zone' AND policy_set_id = :'cs';
SELECT action, actor, from_version, to_version FROM keycard.binding_history WHERE zone_id = :'zone' ORDER BY event_id DESC LIMIT 1;
ROLLBACK;

-- Database guarantees: rows change only through the binding functions, history is append-only
SELECT pg_temp.try($$UPDATE keycard.bindings SET bound_by = 'me'$$);
SELECT pg_temp.try($$DELETE FROM keycard.bindings WHERE mode = 'active'$$);
SELECT pg_temp.try($$INSERT INTO keycard.bindings SELECT zone_id, scope_type, 'user-zed', mode, policy_set_id, version_id, version, bound_at, bound_by, request_id FROM keycard.bindings WHERE scope_target_id = 'user-bob'$$);
SELECT pg_temp.try($$TRUNCATE keycard.bindings$$);
SELECT pg_temp.try($$UPDATE keycard.binding_history SET actor = 'me'$$);
SELECT pg_temp.try($$DELETE FROM keycard.binding_history$$);
SELECT pg_temp.try($$TRUNCATE keycard.binding_history$$);
-- even with triggers disabled, the unique indexes keep one active and one shadow per slot
-- and a version in one binding; replication-role tricks do not skip the guard
BEGIN;
SET LOCAL session_replication_role = replica;
SELECT pg_temp.try($$UPDATE keycard.bindings SET bound_by = 'me'$$);
ROLLBACK;
BEGIN;
ALTER TABLE keycard.bindings DISABLE TRIGGER bindings_guard;
SELECT pg_temp.try($$INSERT INTO keycard.bindings SELECT zone_id, scope_type, scope_target_id, mode, policy_set_id, version_id, version, bound_at, bound_by, request_id FROM keycard.bindings WHERE scope_target_id = 'user-bob'$$);
SELECT pg_temp.try(format($f$INSERT INTO keycard.bindings VALUES (%L, 'zone', %L, 'active', %L, %L, 1, now(), 'me', NULL)$f$, :'zone', :'zone', :'c', :'c1'));
SELECT pg_temp.try(format($f$INSERT INTO keycard.bindings VALUES (%L, 'zone', %L, 'shadow', %L, %L, 2, now(), 'me', NULL)$f$, :'zone', :'zone', :'s', :'s2'));
SELECT pg_temp.try(format($f$INSERT INTO keycard.bindings VALUES (%L, 'zone', 'not-the-zone', 'shadow', %L, %L, 1, '2026-01-01', 'me', NULL)$f$, :'zone', :'c', :'c1'));
SELECT pg_temp.try(format($f$INSERT INTO keycard.bindings VALUES (%L, 'team', 'team-1', 'shadow', %L, %L, 1, '2026-01-01', 'me', NULL)$f$, :'zone', :'c', :'c1'));
SELECT pg_temp.try(format($f$INSERT INTO keycard.bindings VALUES (%L, 'user', 'user-yan', 'passive', %L, %L, 1, '2026-01-01', 'me', NULL)$f$, :'zone', :'c', :'c1'));
ROLLBACK;
-- the row rules are one CHECK per table, each a C function: every rule, both ways
SELECT t.scope_type, length(t.target) AS target_chars, t.mode, keycard.binding_row_check('z-1', t.scope_type, t.target, t.mode) AS ok
FROM (VALUES ('zone', 'z-1', 'active'), ('zone', 'z-2', 'active'), ('zone', 'z-1', 'shadow'), ('user', 'u-1', 'shadow'),
			 ('resource', 'r-1', 'active'), ('session', 's-1', 'active'), ('team', 't-1', 'active'), ('Zone', 'z-1', 'active'),
			 ('user', 'u-1', 'passive'), ('user', 'u-1', ''), ('user', '', 'active'),
			 ('user', repeat('é', 255), 'active'), ('user', repeat('é', 256), 'active')) t(scope_type, target, mode);
SELECT t.action, t.mode, t.f AS from_version_id, t.t AS to_version_id,
	   keycard.binding_history_row_check(t.action, t.mode, t.f, t.t) AS ok
FROM (VALUES ('activate', 'active', 'v-1', 'v-2'), ('activate', 'active', NULL, 'v-2'), ('promote', 'shadow', 'v-1', NULL),
			 ('bind_shadow', 'shadow', NULL, 'v-1'), ('clear_shadow', 'shadow', 'v-1', NULL), ('deactivate', 'active', 'v-1', 'v-2'),
			 ('activate', 'passive', 'v-1', 'v-2'), ('activate', 'active', NULL, NULL), ('activate', 'active', 'v-1', 'v-1')) t(action, mode, f, t);
BEGIN;
SELECT pg_temp.try(format($f$INSERT INTO keycard.binding_history (zone_id, event_id, occurred_at, actor, action, scope_type, scope_target_id, mode, from_version_id)
	VALUES (%L, 'e-1', '2026-01-01', 'me', 'deactivate', 'zone', %L, 'active', 'v-1')$f$, :'zone', :'zone'));
SELECT pg_temp.try(format($f$INSERT INTO keycard.binding_history (zone_id, event_id, occurred_at, actor, action, scope_type, scope_target_id, mode)
	VALUES (%L, 'e-1', '2026-01-01', 'me', 'activate', 'zone', %L, 'active')$f$, :'zone', :'zone'));
ROLLBACK;

-- pg_restore loads rows with COPY, which the guard lets through, checking each row
\i :repo/test/regress_copy_binding.sql
SELECT pg_temp.copy_binding(:'zone', 'zone', :'zone', 'shadow', :'c', :'c1', 7);
SELECT pg_temp.copy_binding(:'zone', 'user', 'user-zed', 'shadow', :'c', :'c1', 1);
SELECT pg_temp.copy_binding(:'zone', 'user', 'user-zed', 'shadow', :'u', :'u12', 2);
BEGIN;
SELECT pg_temp.copy_binding(:'zone', 'zone', :'zone', 'shadow', :'c', :'c1', 1);
SELECT pg_temp.binding(:'zone');
ROLLBACK;

-- Row-level security: a member of one zone sees only its bindings and history
CREATE ROLE regress_kc_bind_member;
CREATE ROLE regress_kc_bind_outsider;
GRANT keycard_user TO regress_kc_bind_member, regress_kc_bind_outsider;
SELECT keycard.add_zone_member(:'zone', 'regress_kc_bind_member');
SET ROLE regress_kc_bind_outsider;
SELECT count(*) AS bindings FROM keycard.bindings;
SELECT count(*) AS history FROM keycard.binding_history;
SELECT count(*) AS sets FROM keycard.policy_sets_with_binding;
SELECT pg_temp.try($$SELECT keycard.activate_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.s1'))$$);
RESET ROLE;
SET ROLE regress_kc_bind_member;
SELECT count(*) > 0 AS sees_bindings, bool_and(zone_id = current_setting('regress.zone')) AS own_zone_only FROM keycard.bindings;
SELECT count(*) > 0 AS sees_history FROM keycard.binding_history;
SELECT pg_temp.try($$UPDATE keycard.bindings SET bound_by = 'me'$$);
SELECT pg_temp.try($$SELECT keycard.lock_policy_set_bindings(current_setting('regress.zone'), ARRAY['x'])$$);
SELECT pg_temp.try($$SELECT count(*) FROM keycard.binding_locks$$);
RESET ROLE;
DROP ROLE regress_kc_bind_member, regress_kc_bind_outsider;
DELETE FROM keycard.zone_members WHERE role_name = 'regress_kc_bind_member';

-- Dump: bindings and history are kept by pg_dump (binding_locks is gone: the binding locks are advisory)
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) t(oid) JOIN pg_class c ON c.oid = t.oid
WHERE e.extname = 'keycard' AND c.relname IN ('bindings', 'binding_history', 'binding_locks', 'policy_drafts', 'policy_set_drafts')
ORDER BY 1;
