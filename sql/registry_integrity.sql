-- Registry: PostgreSQL's own guarantees hold for every registry write --
-- foreign keys, publications and replica identity, triggers under
-- session_replication_role = replica, names without surrounding whitespace,
-- manifest repeats found in entry order
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

SELECT zone_id AS zone FROM keycard.create_zone('integrity') \gset
SELECT policy_id AS p1 FROM keycard.create_policy(:'zone', 'readers') \gset
SELECT policy_id AS p2 FROM keycard.create_policy(:'zone', 'writers') \gset
SELECT policy_id AS p3 FROM keycard.create_policy(:'zone', 'auditors') \gset
SELECT version_id AS v1 FROM keycard.create_policy_version(:'zone', :'p1', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
SELECT version_id AS v2 FROM keycard.create_policy_version(:'zone', :'p2', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"write", resource);') \gset
SELECT version_id AS v_spare FROM keycard.create_policy_version(:'zone', :'p2', '2026-03-16',
	cedar_raw => 'forbid (principal, action == Action::"write", resource);') \gset
SELECT policy_set_id AS s FROM keycard.create_policy_set(:'zone', 'zone-policies') \gset
SELECT version_id AS sv FROM keycard.create_policy_set_version(:'zone', :'s', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p1', 'policy_version_id', :'v1'),
	jsonb_build_object('policy_id', :'p2', 'policy_version_id', :'v2'))), '2026-03-16') \gset
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s', :'sv');

-- Foreign keys: every row that names another is tied to it
SELECT c.conrelid::regclass AS "table", c.confrelid::regclass AS "references",
	   (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(att, n)
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att) AS columns
FROM pg_constraint c
WHERE c.contype = 'f' AND c.connamespace = 'keycard'::regnamespace
ORDER BY c.conrelid::regclass::text, c.confrelid::regclass::text, c.conkey::text;

-- With the registry's own triggers out of the way (the owner can disable
-- them), PostgreSQL itself refuses to delete or repoint a referenced row;
-- the unreferenced version goes, so the triggers really were off.
BEGIN;
ALTER TABLE keycard.policy_versions DISABLE TRIGGER USER;
ALTER TABLE keycard.policy_set_versions DISABLE TRIGGER USER;
ALTER TABLE keycard.policy_set_version_entries DISABLE TRIGGER USER;
ALTER TABLE keycard.attestations DISABLE TRIGGER USER;
ALTER TABLE keycard.zone_keys DISABLE TRIGGER USER;
ALTER TABLE keycard.zones DISABLE TRIGGER USER;
SELECT pg_temp.try(format('DELETE FROM keycard.policy_versions WHERE zone_id = %L AND version_id = %L', :'zone', :'v_spare')) AS unreferenced_version_deleted;
SELECT pg_temp.try(format('DELETE FROM keycard.policy_versions WHERE zone_id = %L AND version_id = %L', :'zone', :'v1')) AS referenced_version;
SELECT pg_temp.try(format('UPDATE keycard.policy_set_version_entries SET policy_version_id = %L WHERE zone_id = %L AND version_id = %L AND position = 0',
	'no-such-version', :'zone', :'sv')) AS entry_repointed;
SELECT pg_temp.try(format('UPDATE keycard.policy_set_version_entries SET policy_id = %L WHERE zone_id = %L AND version_id = %L AND position = 0',
	:'p3', :'zone', :'sv')) AS entry_given_another_policy;
SELECT pg_temp.try(format('DELETE FROM keycard.policy_set_versions WHERE zone_id = %L AND version_id = %L', :'zone', :'sv')) AS referenced_set_version;
SELECT pg_temp.try(format('UPDATE keycard.attestations SET kid = %L WHERE zone_id = %L', 'no-such-key', :'zone')) AS attestation_repointed;
SELECT split_part(pg_temp.try(format('DELETE FROM keycard.zone_keys WHERE zone_id = %L', :'zone')), ' | ', 1) AS signing_zone_key;
SELECT pg_temp.try(format('DELETE FROM keycard.zones WHERE zone_id = %L', :'zone')) AS zone_with_history;
ROLLBACK;

-- Publications: a table published for updates without a replica identity
-- refuses the version bump exactly as it refuses a plain UPDATE, and nothing
-- of the new version is left.
BEGIN;
SET LOCAL client_min_messages = error;
CREATE PUBLICATION integrity_updates FOR TABLE keycard.policies WITH (publish = 'update');
ALTER TABLE keycard.policies REPLICA IDENTITY NOTHING;
SELECT pg_temp.try(format('UPDATE keycard.policies SET description = %L WHERE zone_id = %L AND policy_id = %L', 'x', :'zone', :'p1')) AS plain_update;
SELECT pg_temp.try(format('SELECT keycard.create_policy_version(%L, %L, %L, cedar_raw => %L)', :'zone', :'p1', '2026-03-16',
	'permit (principal, action, resource);')) AS new_version;
SELECT count(*) AS versions_of_p1 FROM keycard.policy_versions WHERE zone_id = :'zone' AND policy_id = :'p1';
ALTER TABLE keycard.policies REPLICA IDENTITY DEFAULT;
SELECT pg_temp.try(format('SELECT keycard.create_policy_version(%L, %L, %L, cedar_raw => %L)', :'zone', :'p1', '2026-03-16',
	'permit (principal, action, resource);')) AS with_replica_identity;
ROLLBACK;

-- session_replication_role = replica skips ordinary triggers; the registry's
-- fire anyway, signing keys included.
SELECT kid AS kid FROM keycard.zone_keys WHERE zone_id = :'zone' AND status = 'current' \gset
BEGIN;
SET LOCAL session_replication_role = replica;
SELECT pg_temp.try(format('UPDATE keycard.signing_keys SET public_jwk = %L WHERE kid = %L', '{}', :'kid')) AS replace_public_jwk;
SELECT pg_temp.try(format('DELETE FROM keycard.signing_keys WHERE kid = %L', :'kid')) AS delete_key;
SELECT pg_temp.try(format('UPDATE keycard.policy_versions SET sha = repeat(%L, 64) WHERE zone_id = %L', '0', :'zone')) AS rewrite_version;
SELECT pg_temp.try(format('DELETE FROM keycard.audit_log WHERE zone_id = %L', :'zone')) AS erase_audit;
SELECT pg_temp.try(format('DELETE FROM keycard.binding_history WHERE zone_id = %L', :'zone')) AS erase_binding_history;
SELECT pg_temp.try(format('UPDATE keycard.bindings SET version = 7 WHERE zone_id = %L', :'zone')) AS repoint_binding;
SELECT pg_temp.try(format('UPDATE keycard.attestations SET jws = %L WHERE zone_id = %L', '{}', :'zone')) AS rewrite_attestation;
ROLLBACK;
-- (every trigger of every registry table fires under replica)
SELECT c.relname, t.tgname
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'keycard'::regnamespace AND NOT t.tgisinternal AND t.tgenabled <> 'A'
ORDER BY 1, 2;

-- Names: no leading or trailing whitespace of any kind (each name as JSON,
-- controls escaped; unaligned, as psql gives U+FEFF no width from PostgreSQL
-- 16 on and one column before)
\pset format unaligned
SELECT to_json(n) AS name, pg_temp.try(format('SELECT keycard.create_policy(%L, %L)', :'zone', n)) AS result
FROM unnest(ARRAY[E'tab\t', E'\tlead', E'newline\n', E'\rcarriage', U&'nbsp\00A0', U&'\3000ideographic',
				  U&'\2003em', U&'bom\FEFF', ' space', 'inner space ok', U&'inner\00A0nbsp ok']) n;
\pset format aligned
SELECT pg_temp.try(format('SELECT keycard.create_policy_set(%L, %L)', :'zone', E'set\n')) AS set_name;

-- Manifest repeats: the first entry (in entry order) whose policy an earlier
-- entry names, before a later malformed entry; a malformed entry first wins.
SELECT pg_temp.try(format('SELECT keycard.create_policy_set_version(%L, %L, %L, %L)', :'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(
		jsonb_build_object('policy_id', 'b', 'policy_version_id', 'x'),
		jsonb_build_object('policy_id', 'a', 'policy_version_id', 'x'),
		jsonb_build_object('policy_id', 'c', 'policy_version_id', 'x'),
		jsonb_build_object('policy_id', 'a', 'policy_version_id', 'y'),
		jsonb_build_object('policy_id', 'b', 'policy_version_id', 'y'),
		42)), '2026-03-16')) AS repeat_first;
SELECT pg_temp.try(format('SELECT keycard.create_policy_set_version(%L, %L, %L, %L)', :'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(
		jsonb_build_object('policy_id', 'a', 'policy_version_id', 'x'),
		42,
		jsonb_build_object('policy_id', 'a', 'policy_version_id', 'y'))), '2026-03-16')) AS malformed_first;
