-- Registry part 2: drafts (policy and policy set drafts: get, save with lenient checks and warnings, delete, publish)
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql
-- masks ids in a warnings array
CREATE FUNCTION pg_temp.mask(j jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT regexp_replace(jsonb_pretty(j), '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g')
$$;

SELECT zone_id AS zone FROM keycard.create_zone('drafts') \gset
SELECT zone_id AS other_zone FROM keycard.create_zone('other') \gset
SELECT policy_id AS p FROM keycard.create_policy(:'zone', 'readers') \gset
SELECT policy_id AS q FROM keycard.create_policy(:'zone', 'legacy') \gset
SELECT version_id AS pv1 FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
SELECT version_id AS qv1, sha AS qsha FROM keycard.create_policy_version(:'zone', :'q', '2026-02-24',
	cedar_raw => 'permit (principal, action == Action::"write", resource);') \gset
SELECT version_id AS qv2 FROM keycard.create_policy_version(:'zone', :'q', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"write", resource) when { context.on_behalf };') \gset
SELECT policy_set_id AS s FROM keycard.create_policy_set(:'zone', 'prod') \gset
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok, set_config('regress.p', :'p', false) IS NOT NULL AS ok,
       set_config('regress.q', :'q', false) IS NOT NULL AS ok, set_config('regress.s', :'s', false) IS NOT NULL AS ok,
       set_config('regress.qv1', :'qv1', false) IS NOT NULL AS ok, set_config('regress.pv1', :'pv1', false) IS NOT NULL AS ok;

-- Policy drafts ---------------------------------------------------------------------------
SELECT pg_temp.try(format('SELECT keycard.get_policy_draft(%L, %L)', :'zone', :'p'));
-- saving keeps the content as given (even when it would not parse yet); base defaults to the latest version
SELECT schema_version, cedar_raw, cedar_json, base_version_id = :'pv1' AS base_is_latest, created_by, updated_by,
       created_at = updated_at AS new
FROM keycard.save_policy_draft(:'zone', :'p', cedar_raw => 'permit (principal, action == Action::"read", resource) when {');
SELECT schema_version, cedar_raw FROM keycard.get_policy_draft(:'zone', :'p');
-- saving again replaces it (one draft per policy), created_at stays
SELECT schema_version, cedar_raw IS NULL AS no_text, cedar_json ->> 'effect' AS effect, base_version_id = :'pv1' AS base,
       updated_at > created_at AS updated
FROM keycard.save_policy_draft(:'zone', :'p', '2026-02-24',
	cedar_json => keycard.cedar_policy_to_json('forbid (principal, action == Action::"write", resource);'), base_version_id => :'pv1');
SELECT count(*) AS drafts FROM keycard.policy_drafts WHERE zone_id = :'zone';
-- publishing a draft that does not validate fails and changes nothing
SELECT cedar_raw FROM keycard.save_policy_draft(:'zone', :'p', '2026-03-16', cedar_raw => 'permit (principal, action == Action::"fly", resource);');
SELECT pg_temp.try(format('SELECT keycard.publish_policy_draft(%L, %L)', :'zone', :'p'));
SELECT latest_version FROM keycard.get_policy(:'zone', :'p');
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, cedar_raw => %L)', :'zone', :'p', 'permit (principal, action, resource'));
SELECT pg_temp.try(format('SELECT keycard.publish_policy_draft(%L, %L)', :'zone', :'p'));
-- publish: a new version under the strict rules; the draft stays, based on it
SELECT cedar_raw FROM keycard.save_policy_draft(:'zone', :'p', cedar_raw => 'permit (principal, action == Action::"access", resource);');
SELECT version_id AS pv2, version, schema_version, cedar_raw FROM keycard.publish_policy_draft(:'zone', :'p') \gset
SELECT :version AS version, :'schema_version' AS schema_version, :'cedar_raw' AS cedar_raw;
SELECT base_version_id = :'pv2' AS based_on_published, cedar_raw, updated_at >= created_at AS ok FROM keycard.get_policy_draft(:'zone', :'p');
SELECT latest_version, latest_version_id = :'pv2' AS latest FROM keycard.get_policy(:'zone', :'p');
-- delete returns the draft; afterwards there is none
SELECT cedar_raw FROM keycard.delete_policy_draft(:'zone', :'p');
SELECT pg_temp.try(format('SELECT keycard.delete_policy_draft(%L, %L)', :'zone', :'p'));
SELECT pg_temp.try(format('SELECT keycard.publish_policy_draft(%L, %L)', :'zone', :'p'));
-- errors
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L)', :'zone', :'p'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, cedar_raw => %L, cedar_json => %L)', :'zone', :'p', 'x', '{}'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, cedar_json => %L)', :'zone', :'p', '[1]'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, %L, cedar_raw => %L)', :'zone', :'p', '1999-01-01', 'x'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, cedar_raw => %L, base_version_id => %L)', :'zone', :'p', 'x', :'qv1'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, cedar_raw => %L)', :'zone', 'no-such-policy', 'x'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, cedar_raw => %L)', :'other_zone', :'p', 'x'));
SELECT pg_temp.try(format('SELECT keycard.get_policy_draft(%L, %L)', :'zone', 'no-such-policy'));
SELECT pg_temp.try(format('SELECT keycard.publish_policy_draft(%L, %L)', :'zone', 'no-such-policy'));
-- an archived schema version: drafts against it could never be published
BEGIN;
SELECT status FROM keycard.set_schema_version_status('2026-02-24', 'archived');
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, %L, cedar_raw => %L)', :'zone', :'p', '2026-02-24', 'x'));
ROLLBACK;
-- customers cannot draft platform-owned policies; an archived policy takes no drafts
BEGIN;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_42","zones":["%s"]}', :'zone'), true) IS NOT NULL AS ok;
SET LOCAL ROLE keycard_api;
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, cedar_raw => %L)', :'zone', :'p', 'x'));
SELECT policy_id AS cp FROM keycard.create_policy(:'zone', 'mine') \gset
SELECT updated_by, schema_version FROM keycard.save_policy_draft(:'zone', :'cp', cedar_raw => 'forbid (principal, action, resource);');
ROLLBACK;
SELECT name FROM keycard.archive_policy(:'zone', :'q');
SELECT pg_temp.try(format('SELECT keycard.save_policy_draft(%L, %L, cedar_raw => %L)', :'zone', :'q', 'x'));

-- Policy set drafts ----------------------------------------------------------------------------
SELECT pg_temp.try(format('SELECT keycard.get_policy_set_draft(%L, %L)', :'zone', :'s'));
-- a clean draft: shas filled, no warnings (NULL, omitted on the wire)
SELECT pg_temp.mask(manifest) AS manifest, schema_version, name, description, base_version_id, warnings
FROM keycard.save_policy_set_draft(:'zone', :'s', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p', 'policy_version_id', :'pv2'))), name => 'tighten reads', description => 'Step 1');
-- lenient: an entry pinned to another schema version and one of an archived policy become warnings
SELECT pg_temp.mask(warnings) AS warnings, jsonb_array_length(manifest -> 'entries') AS entries
FROM keycard.save_policy_set_draft(:'zone', :'s', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p', 'policy_version_id', :'pv2'),
	jsonb_build_object('policy_id', :'q', 'policy_version_id', :'qv1', 'sha', :'qsha'))), '2026-03-16');
-- warnings are computed when read: archiving a referenced version shows up
SELECT version FROM keycard.archive_policy_version(:'zone', :'p', :'pv1');
SELECT pg_temp.mask(warnings) AS warnings
FROM keycard.save_policy_set_draft(:'zone', :'s', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p', 'policy_version_id', :'pv1'))));
SELECT pg_temp.mask(warnings) AS warnings FROM keycard.policy_set_drafts_with_warnings WHERE zone_id = :'zone';
-- publishing a draft with warnings fails under the strict rules and leaves everything as it was
SELECT pg_temp.try(format('SELECT keycard.publish_policy_set_draft(%L, %L)', :'zone', :'s'));
SELECT latest_version FROM keycard.get_policy_set(:'zone', :'s');
SELECT pg_temp.try(format('SELECT keycard.publish_policy_set_draft(%L, %L)', :'zone', :'s'));
-- fix it and publish: a version with the draft's manifest; the draft stays, based on it, without warnings
SELECT warnings FROM keycard.save_policy_set_draft(:'zone', :'s', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p', 'policy_version_id', :'pv2'))));
SELECT version_id AS sv1, version, schema_version FROM keycard.publish_policy_set_draft(:'zone', :'s') \gset
SELECT :version AS version, :'schema_version' AS schema_version;
SELECT d.base_version_id = :'sv1' AS based_on_published, d.manifest = v.manifest AS same_manifest, d.warnings, d.name
FROM keycard.get_policy_set_draft(:'zone', :'s') d, keycard.policy_set_versions v WHERE v.zone_id = :'zone' AND v.version_id = :'sv1';
SELECT keycard.jws_verify(a.jws, keycard.zone_jwks(:'zone')) ->> 'status' AS attested
FROM keycard.current_attestations a WHERE a.zone_id = :'zone' AND a.version_id = :'sv1';
-- publish the same draft again: the next version
SELECT version FROM keycard.publish_policy_set_draft(:'zone', :'s');
SELECT name FROM keycard.delete_policy_set_draft(:'zone', :'s');
SELECT pg_temp.try(format('SELECT keycard.delete_policy_set_draft(%L, %L)', :'zone', :'s'));
SELECT pg_temp.try(format('SELECT keycard.publish_policy_set_draft(%L, %L)', :'zone', :'s'));
-- errors: what is not a warning stays an error
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', :'s', '[]'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', :'s', '{"entries": [], "extra": 1}'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', :'s', '{"entries": [{"policy_id": 1}]}'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p', 'policy_version_id', :'pv2'),
												   jsonb_build_object('policy_id', :'p', 'policy_version_id', :'pv1')))));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p', 'policy_version_id', 'no-such-version')))));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'q', 'policy_version_id', :'pv2')))));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p', 'policy_version_id', :'pv2', 'sha', repeat('0', 64))))));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L, %L)', :'zone', :'s', '{"entries": []}', 'no-such-schema'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L, name => %L)', :'zone', :'s', '{"entries": []}', ' padded '));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L, description => %L)', :'zone', :'s', '{"entries": []}', repeat('d', 4097)));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L, base_version_id => %L)', :'zone', :'s', '{"entries": []}', :'pv2'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', 'no-such-set', '{"entries": []}'));
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'other_zone', :'s', '{"entries": []}'));
SELECT pg_temp.try(format('SELECT keycard.get_policy_set_draft(%L, %L)', :'zone', 'no-such-set'));
-- other zones' policy versions are unknown
SELECT policy_id AS op FROM keycard.create_policy(:'other_zone', 'foreign') \gset
SELECT version_id AS opv FROM keycard.create_policy_version(:'other_zone', :'op', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'op', 'policy_version_id', :'opv')))));
-- archived sets take no drafts
SELECT name FROM keycard.archive_policy_set(:'zone', :'s');
SELECT pg_temp.try(format('SELECT keycard.save_policy_set_draft(%L, %L, %L)', :'zone', :'s', '{"entries": []}'));

-- Drafts are visible only in their zone and written only through the functions
CREATE ROLE regress_kc_draft_outsider;
SET ROLE regress_kc_draft_outsider;
SELECT count(*) AS policy_drafts FROM keycard.policy_drafts;
SELECT count(*) AS set_drafts FROM keycard.policy_set_drafts_with_warnings;
SELECT pg_temp.try($$DELETE FROM keycard.policy_drafts$$);
RESET ROLE;
DROP ROLE regress_kc_draft_outsider;
