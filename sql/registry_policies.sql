-- Registry: policies (create, get, update with ETag, archive), policy sets, platform ownership
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

SELECT zone_id AS zone FROM keycard.create_zone('policies') \gset
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok;

-- create: no versions yet, ETag "1", created_at from the id, updated_at = created_at
SELECT policy_id AS p1 FROM keycard.create_policy(:'zone', 'prod-auditors', 'Auditors may read') \gset
SELECT set_config('regress.p1', :'p1', false) IS NOT NULL AS ok;
SELECT name, description, owner_type, created_by, updated_by, archived_at, latest_version, latest_version_id,
       latest_schema_version, etag, created_at = keycard.id_time(policy_id) AS created_at_from_id,
       updated_at = created_at AS fresh
FROM keycard.get_policy(:'zone', :'p1');

-- update with and without If-Match; every update changes the ETag
SELECT name, description, etag, updated_by FROM keycard.update_policy(:'zone', :'p1', '{"description": "Auditors read everything"}', '"1"');
SELECT name, description, etag FROM keycard.update_policy(:'zone', :'p1', '{"name": "auditors"}');
SELECT name, description, etag FROM keycard.update_policy(:'zone', :'p1', '{"description": null}', '*');
SELECT name, description, etag FROM keycard.update_policy(:'zone', :'p1', '{}');
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), current_setting('regress.p1'), '{"name": "x"}', '"2"')$$);

-- names: unique among non-archived policies of a zone
SELECT policy_id AS p2 FROM keycard.create_policy(:'zone', 'readers') \gset
SELECT set_config('regress.p2', :'p2', false) IS NOT NULL AS ok;
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zone'), 'readers')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), current_setting('regress.p1'), '{"name": "readers"}')$$);

-- archive: final, frees the name, no further change
SELECT name, archived_by, archived_at IS NOT NULL AS archived, etag FROM keycard.archive_policy(:'zone', :'p2');
SELECT pg_temp.try($$SELECT keycard.archive_policy(current_setting('regress.zone'), current_setting('regress.p2'))$$);
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), current_setting('regress.p2'), '{"description": "x"}')$$);
SELECT name FROM keycard.create_policy(:'zone', 'readers');
SELECT name, archived_at IS NOT NULL AS archived FROM keycard.policies WHERE zone_id = :'zone' ORDER BY policy_id;

-- bad input
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zone'), '')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zone'), ' padded')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zone'), NULL)$$);
SELECT pg_temp.try($$SELECT keycard.create_policy(current_setting('regress.zone'), 'long', repeat('d', 4097))$$);
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), current_setting('regress.p1'), '{"owner_type": "platform"}')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), current_setting('regress.p1'), '{"name": 7}')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), current_setting('regress.p1'), '{"description": []}')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), current_setting('regress.p1'), '[]')$$);
SELECT pg_temp.try($$SELECT keycard.get_policy(current_setting('regress.zone'), 'no-such-policy')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), 'no-such-policy', '{}')$$);
SELECT pg_temp.try($$SELECT keycard.archive_policy(current_setting('regress.zone'), 'no-such-policy')$$);

-- Under PostgREST the same errors carry the stable code in PostgREST's JSON
BEGIN;
SELECT set_config('request.method', 'PATCH', true) IS NOT NULL AS ok;
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), current_setting('regress.p1'), '{"name": "x"}', '"1"')$$);
ROLLBACK;

-- Platform-owned objects: readable by customers, not changeable
SELECT policy_id AS pp, owner_type FROM keycard.create_policy(:'zone', 'platform-managed') \gset
SELECT :'owner_type' AS owner_type, set_config('regress.pp', :'pp', false) IS NOT NULL AS ok;
BEGIN;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_1","zones":["%s"]}', :'zone'), true) IS NOT NULL AS ok;
SET LOCAL ROLE keycard_api;
SELECT name, owner_type FROM keycard.get_policy(:'zone', :'pp');
SELECT pg_temp.try($$SELECT keycard.update_policy(current_setting('regress.zone'), current_setting('regress.pp'), '{"name": "mine"}')$$);
SELECT pg_temp.try($$SELECT keycard.archive_policy(current_setting('regress.zone'), current_setting('regress.pp'))$$);
SELECT name, owner_type, created_by FROM keycard.create_policy(:'zone', 'customer-made');
ROLLBACK;

-- Policy sets: unbound, scope zone by default, same rules
SELECT policy_set_id AS s1, name, scope_type, owner_type, etag, latest_version IS NULL AS no_versions
FROM keycard.create_policy_set(:'zone', 'default-zone-policies') \gset
SELECT :'name' AS name, :'scope_type' AS scope_type, :'etag' AS etag, :'no_versions' AS no_versions,
       set_config('regress.s1', :'s1', false) IS NOT NULL AS ok;
SELECT name, scope_type FROM keycard.create_policy_set(:'zone', 'per-user', 'user');
SELECT name, etag FROM keycard.update_policy_set(:'zone', :'s1', '{"name": "zone-policies"}', '"1"');
SELECT pg_temp.try($$SELECT keycard.update_policy_set(current_setting('regress.zone'), current_setting('regress.s1'), '{"name": "again"}', '"1"')$$);
SELECT pg_temp.try($$SELECT keycard.update_policy_set(current_setting('regress.zone'), current_setting('regress.s1'), '{"scope_type": "user"}')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set(current_setting('regress.zone'), 'per-user')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set(current_setting('regress.zone'), 'bad-scope', 'tenant')$$);
SELECT pg_temp.try($$SELECT keycard.archive_policy_set(current_setting('regress.zone'), current_setting('regress.s1'), '"1"')$$);
SELECT name, archived_at IS NOT NULL AS archived, etag FROM keycard.archive_policy_set(:'zone', :'s1', '"2"');
SELECT pg_temp.try($$SELECT keycard.archive_policy_set(current_setting('regress.zone'), current_setting('regress.s1'))$$);
SELECT pg_temp.try($$SELECT keycard.get_policy_set(current_setting('regress.zone'), 'nope')$$);
SELECT name, scope_type, archived_at IS NOT NULL AS archived FROM keycard.policy_sets WHERE zone_id = :'zone' ORDER BY policy_set_id;

-- Schema versions: shipped, per-zone default, status changes by the platform
SELECT version, status, is_default, deprecated_at IS NOT NULL AS deprecated, cedar_schema IS NOT NULL AS has_text,
       cedar_schema_json ? 'Keycard' AS has_json
FROM keycard.zone_schema_versions WHERE zone_id = :'zone' ORDER BY version;
SELECT version, is_default FROM keycard.set_default_schema_version(:'zone', '2026-02-24');
SELECT version, is_default FROM keycard.zone_schema_versions WHERE zone_id = :'zone' ORDER BY version;
SELECT pg_temp.try($$SELECT keycard.set_default_schema_version(current_setting('regress.zone'), '1999-01-01')$$);
BEGIN;
SELECT version, status, archived_at IS NOT NULL AS archived FROM keycard.set_schema_version_status('2026-02-24', 'archived');
SELECT pg_temp.try($$SELECT keycard.set_default_schema_version(current_setting('regress.zone'), '2026-02-24')$$);
SELECT pg_temp.try($$SELECT keycard.set_schema_version_status('2026-02-24', 'active')$$);
SELECT pg_temp.try($$SELECT keycard.set_schema_version_status('2026-02-24', 'retired')$$);
SELECT pg_temp.try($$SELECT keycard.set_schema_version_status('1999-01-01', 'archived')$$);
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_1","zones":["%s"]}', :'zone'), true) IS NOT NULL AS ok;
SET LOCAL ROLE keycard_api;
SELECT pg_temp.try($$SELECT keycard.set_schema_version_status('2026-03-16', 'deprecated')$$);
ROLLBACK;
