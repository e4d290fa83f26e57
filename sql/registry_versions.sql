-- Registry: policy versions (create from text or JSON, sha, gapless numbers, archive) and immutability
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

SELECT zone_id AS zone FROM keycard.create_zone('versions') \gset
SELECT policy_id AS p FROM keycard.create_policy(:'zone', 'readers') \gset
SELECT policy_id AS q FROM keycard.create_policy(:'zone', 'apps') \gset
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok, set_config('regress.p', :'p', false) IS NOT NULL AS ok,
       set_config('regress.q', :'q', false) IS NOT NULL AS ok;

-- From text: the client's text is kept, the JSON form is the normalized EST
SELECT version_id AS v1, version, schema_version, sha, cedar_raw, cedar_json, owner_type, created_by,
       created_at = keycard.id_time(version_id) AS created_at_from_id, archived_at
FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => '// auditors read everything
permit (
  principal,
  action == Action::"read",   // only reads
  resource
);') \gset
SELECT :version AS version, :'schema_version' AS schema_version, :'sha' AS sha, :'owner_type' AS owner_type,
       :'created_by' AS created_by, :'created_at_from_id' AS created_at_from_id;
SELECT :'cedar_raw' AS cedar_raw;
SELECT :'cedar_json'::jsonb AS cedar_json;
-- sha = hex SHA-256 of the JCS form of the normalized EST
SELECT :'sha' = keycard.jcs_sha256(:'cedar_json'::jsonb) AS sha_is_jcs_sha256,
       :'sha' = keycard.sha256_hex(convert_to(keycard.jcs(:'cedar_json'::jsonb), 'UTF8')) AS sha_of_jcs_bytes;

-- The same policy as JSON (any member order, any layout): same sha; the text form is printed
SELECT version, sha = :'sha' AS same_sha, cedar_raw, cedar_json = :'cedar_json'::jsonb AS same_json
FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16', cedar_json => '{
  "conditions": [], "resource": {"op": "All"},
  "action": {"entity": {"type": "Action", "id": "read"}, "op": "=="},
  "principal": {"op": "All"}, "effect": "permit"}');
-- and once more as compact text
SELECT version, sha = :'sha' AS same_sha FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit(principal,action==Action::"read",resource);');
-- different content, different sha; the policy keeps latest_* right
SELECT version, sha <> :'sha' AS other_sha FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'forbid (principal, action == Action::"write", resource) unless { context.on_behalf };');
SELECT latest_version, latest_version_id = (SELECT max(version_id) FROM keycard.policy_versions WHERE policy_id = :'p') AS latest_id,
       latest_schema_version, etag
FROM keycard.get_policy(:'zone', :'p');
SELECT array_agg(version ORDER BY version_id) AS versions FROM keycard.policy_versions WHERE zone_id = :'zone' AND policy_id = :'p';

-- Schema versions differ: enums are entities from 2026-03-16 on, Strings before
SELECT version, schema_version FROM keycard.create_policy_version(:'zone', :'q', '2026-02-24',
	cedar_raw => 'permit (principal is Keycard::Application, action == Action::"access", resource) when { principal.registration_method == "managed" };');
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.q'), '2026-03-16',
	cedar_raw => 'permit (principal is Keycard::Application, action == Action::"access", resource) when { principal.registration_method == "managed" };')$$);
SELECT version, schema_version FROM keycard.create_policy_version(:'zone', :'q', '2026-03-16',
	cedar_raw => 'permit (principal is Keycard::Application, action == Action::"access", resource) when { principal.registration_method == Keycard::RegistrationMethod::"managed" };');
SELECT latest_version, latest_schema_version FROM keycard.get_policy(:'zone', :'q');

-- get, and the same not-found for unknown ids, other policies' versions and other zones
SELECT version, sha = :'sha' AS same_sha FROM keycard.get_policy_version(:'zone', :'p', :'v1');
SELECT pg_temp.try(format('SELECT keycard.get_policy_version(%L, %L, %L)', :'zone', :'q', :'v1'));
SELECT pg_temp.try(format('SELECT keycard.get_policy_version(%L, %L, %L)', :'zone', :'p', 'nope'));

-- Errors of create
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2026-03-16')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2026-03-16',
	cedar_json => '{}', cedar_raw => 'permit (principal, action, resource);')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), NULL,
	cedar_raw => 'permit (principal, action, resource);')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2027-01-01',
	cedar_raw => 'permit (principal, action, resource);')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read" resource);')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2026-03-16',
	cedar_raw => 'permit (principal, action, resource); permit (principal, action, resource);')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2026-03-16',
	cedar_json => '{"effect": "permit"}')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2026-03-16',
	cedar_json => '"permit (principal, action, resource);"')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"fly", resource);')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource) when { principal.nickname == "x" };')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), 'nope', '2026-03-16',
	cedar_raw => 'permit (principal, action, resource);')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version('00000000-0000-7000-8000-000000000000', current_setting('regress.p'), '2026-03-16',
	cedar_raw => 'permit (principal, action, resource);')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_version(NULL, current_setting('regress.p'), '2026-03-16',
	cedar_raw => 'permit (principal, action, resource);')$$);
BEGIN;
SELECT status FROM keycard.set_schema_version_status('2026-02-24', 'archived');
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.q'), '2026-02-24',
	cedar_raw => 'permit (principal, action == Action::"read", resource);')$$);
-- versions already pinned to it are untouched
SELECT count(*) AS pinned FROM keycard.policy_versions WHERE zone_id = :'zone' AND schema_version = '2026-02-24';
ROLLBACK;
-- customers cannot add versions to platform-owned policies
BEGIN;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_1","zones":["%s"]}', :'zone'), true) IS NOT NULL AS ok;
SET LOCAL ROLE keycard_api;
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'), '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);')$$);
SELECT pg_temp.try(format('SELECT keycard.archive_policy_version(%L, %L, %L)', :'zone', :'p', :'v1'));
SELECT policy_id AS cp FROM keycard.create_policy(:'zone', 'customer-policy') \gset
SELECT version, owner_type, created_by FROM keycard.create_policy_version(:'zone', :'cp', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);');
ROLLBACK;

-- Archive a version: the archive pair is set once, nothing else changes
SELECT version, archived_by, archived_at IS NOT NULL AS archived, sha = :'sha' AS same_sha
FROM keycard.archive_policy_version(:'zone', :'p', :'v1');
SELECT pg_temp.try(format('SELECT keycard.archive_policy_version(%L, %L, %L)', :'zone', :'p', :'v1'));
SELECT pg_temp.try(format('SELECT keycard.archive_policy_version(%L, %L, %L)', :'zone', :'q', :'v1'));
-- an archived policy takes no new versions
SELECT name FROM keycard.archive_policy(:'zone', :'q');
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.q'), '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);')$$);

-- Immutability, for every role including the superuser
SELECT pg_temp.try(format('UPDATE keycard.policy_versions SET sha = repeat(''0'', 64) WHERE version_id = %L', :'v1'));
SELECT pg_temp.try(format('UPDATE keycard.policy_versions SET cedar_raw = ''x'' WHERE policy_id = %L AND archived_at IS NULL', :'p'));
SELECT pg_temp.try(format('UPDATE keycard.policy_versions SET archived_at = now() WHERE version_id = %L', :'v1'));
SELECT pg_temp.try(format('UPDATE keycard.policy_versions SET archived_at = now(), archived_by = ''x'', version = 9 WHERE policy_id = %L AND version = 2', :'p'));
SELECT pg_temp.try(format('UPDATE keycard.policy_versions SET archived_at = now() WHERE policy_id = %L AND version = 2', :'p'));
SELECT pg_temp.try(format('DELETE FROM keycard.policy_versions WHERE version_id = %L', :'v1'));
-- (which tables a CASCADE reaches depends on other features' foreign keys)
SET client_min_messages = warning;
SELECT pg_temp.try('TRUNCATE keycard.policy_versions CASCADE');
SELECT pg_temp.try('TRUNCATE keycard.policies CASCADE');
RESET client_min_messages;
SELECT pg_temp.try(format('DELETE FROM keycard.policies WHERE policy_id = %L', :'p'));
SELECT pg_temp.try(format('UPDATE keycard.policies SET owner_type = ''customer'' WHERE policy_id = %L', :'p'));
SELECT pg_temp.try(format('UPDATE keycard.policies SET archived_at = NULL, archived_by = NULL WHERE policy_id = %L', :'q'));
SELECT pg_temp.try('DELETE FROM keycard.audit_log');
SELECT pg_temp.try('UPDATE keycard.schema_versions SET cedar_schema = ''''');
-- replication-role tricks do not switch the rules off
SET session_replication_role = replica;
SELECT pg_temp.try(format('DELETE FROM keycard.policy_versions WHERE version_id = %L', :'v1'));
RESET session_replication_role;
SELECT count(*) AS versions, count(archived_at) AS archived FROM keycard.policy_versions WHERE zone_id = :'zone';
SELECT count(*) AS problems FROM keycard.verify_zone(:'zone');
