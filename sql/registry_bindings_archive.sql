-- Registry part 2: archive guards (a bound version, the policy versions it references and its set) and archived versions never bound
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

SELECT zone_id AS zone FROM keycard.create_zone('archive-guards') \gset
SELECT policy_id AS p1 FROM keycard.create_policy(:'zone', 'readers') \gset
SELECT policy_id AS p2 FROM keycard.create_policy(:'zone', 'writers') \gset
SELECT version_id AS pv1 FROM keycard.create_policy_version(:'zone', :'p1', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
SELECT version_id AS pv2 FROM keycard.create_policy_version(:'zone', :'p2', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"write", resource);') \gset
SELECT version_id AS pv3 FROM keycard.create_policy_version(:'zone', :'p2', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"write", resource) when { context.on_behalf };') \gset
SELECT policy_set_id AS s FROM keycard.create_policy_set(:'zone', 'prod') \gset
SELECT policy_set_id AS t FROM keycard.create_policy_set(:'zone', 'trial') \gset
-- prod v1 = {readers v1, writers v1}; prod v2 = {writers v2}; trial v1 = {readers v1}
SELECT version_id AS s1 FROM keycard.create_policy_set_version(:'zone', :'s', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p1', 'policy_version_id', :'pv1'), jsonb_build_object('policy_id', :'p2', 'policy_version_id', :'pv2'))), '2026-03-16') \gset
SELECT version_id AS s2 FROM keycard.create_policy_set_version(:'zone', :'s', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p2', 'policy_version_id', :'pv3'))), '2026-03-16') \gset
SELECT version_id AS t1 FROM keycard.create_policy_set_version(:'zone', :'t', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p1', 'policy_version_id', :'pv1'))), '2026-03-16') \gset
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok;

SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s', :'s1');
SELECT version FROM keycard.shadow_policy_set_version(:'zone', :'t', :'t1');

-- While bound (active or shadow): the version, the policy versions it references and its set are held
SELECT pg_temp.try(format('SELECT keycard.archive_policy_set_version(%L, %L, %L)', :'zone', :'s', :'s1'));
SELECT pg_temp.try(format('SELECT keycard.archive_policy_set_version(%L, %L, %L)', :'zone', :'t', :'t1'));
SELECT pg_temp.try(format('SELECT keycard.archive_policy_version(%L, %L, %L)', :'zone', :'p1', :'pv1'));
SELECT pg_temp.try(format('SELECT keycard.archive_policy_version(%L, %L, %L)', :'zone', :'p2', :'pv2'));
SELECT pg_temp.try(format('SELECT keycard.archive_policy_set(%L, %L)', :'zone', :'s'));
SELECT pg_temp.try(format('SELECT keycard.archive_policy_set(%L, %L)', :'zone', :'t'));
-- nothing was written: all still unarchived
SELECT count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived FROM keycard.policy_set_versions WHERE zone_id = :'zone';
SELECT count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived FROM keycard.policy_versions WHERE zone_id = :'zone';
SELECT count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived FROM keycard.policy_sets WHERE zone_id = :'zone';
-- the guard holds whatever path archives (here a direct UPDATE by the owner)
SELECT pg_temp.try(format($f$UPDATE keycard.policy_set_versions SET archived_at = now(), archived_by = 'me' WHERE zone_id = %L AND version_id = %L$f$, :'zone', :'s1'));
-- other updates of a held row are unaffected (latest_version changes as versions are created)
SELECT version FROM keycard.create_policy_set_version(:'zone', :'s', '{"entries": []}', '2026-03-16');

-- Unbound things archive normally: prod v2 (not bound), and after a roll forward prod v1 and writers v1
SELECT version, archived_at IS NOT NULL AS archived FROM keycard.archive_policy_set_version(:'zone', :'s',
	(SELECT version_id FROM keycard.policy_set_versions WHERE zone_id = :'zone' AND policy_set_id = :'s' AND version = 3));
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s', :'s2');
SELECT version, archived_at IS NOT NULL AS archived FROM keycard.archive_policy_set_version(:'zone', :'s', :'s1');
SELECT version, archived_at IS NOT NULL AS archived FROM keycard.archive_policy_version(:'zone', :'p2', :'pv2');
-- readers v1 is still held by the shadow trial v1
SELECT pg_temp.try(format('SELECT keycard.archive_policy_version(%L, %L, %L)', :'zone', :'p1', :'pv1'));
SELECT name, shadow_version FROM keycard.clear_shadow_binding(:'zone', :'t');
SELECT version, archived_at IS NOT NULL AS archived FROM keycard.archive_policy_version(:'zone', :'p1', :'pv1');
SELECT name, archived_at IS NOT NULL AS archived FROM keycard.archive_policy_set(:'zone', :'t');

-- An archived version cannot be bound, nor one that references archived policy versions, nor one of an archived set
SELECT pg_temp.try(format('SELECT keycard.activate_policy_set_version(%L, %L, %L)', :'zone', :'s', :'s1'));
SELECT pg_temp.try(format('SELECT keycard.shadow_policy_set_version(%L, %L, %L)', :'zone', :'s', :'s1'));
SELECT pg_temp.try(format('SELECT keycard.activate_policy_set_version(%L, %L, %L)', :'zone', :'t', :'t1'));
SELECT policy_set_id AS u FROM keycard.create_policy_set(:'zone', 'uses-archived') \gset
SELECT version_id AS u1 FROM keycard.create_policy_set_version(:'zone', :'u', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p2', 'policy_version_id', :'pv3'))), '2026-03-16') \gset
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'u', :'u1');
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s', :'s2');
BEGIN;
-- (archiving writers v2 is refused while prod v2 is bound; here the owner archives it with the guard off)
ALTER TABLE keycard.policy_versions DISABLE TRIGGER policy_versions_archive_bound;
UPDATE keycard.policy_versions SET archived_at = now(), archived_by = 'me' WHERE zone_id = :'zone' AND version_id = :'pv3';
ALTER TABLE keycard.policy_versions ENABLE ALWAYS TRIGGER policy_versions_archive_bound;
SELECT pg_temp.try(format('SELECT keycard.activate_policy_set_version(%L, %L, %L)', :'zone', :'u', :'u1'));
ROLLBACK;
-- the binding trigger refuses archived versions and sets on any path (COPY, as pg_restore)
\i :repo/test/regress_copy_binding.sql
SELECT pg_temp.copy_binding(:'zone', 'zone', :'zone', 'shadow', :'s', :'s1', 1);
SELECT pg_temp.copy_binding(:'zone', 'zone', :'zone', 'shadow', :'t', :'t1', 1);

-- the history shows each change
SELECT h.action, h.mode, h.from_version, h.to_version, s.name
FROM keycard.binding_history h JOIN keycard.policy_sets s ON s.zone_id = h.zone_id AND s.policy_set_id = coalesce(h.to_policy_set_id, h.from_policy_set_id)
WHERE h.zone_id = :'zone' ORDER BY h.event_id;
