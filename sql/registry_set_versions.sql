-- Registry: policy set versions (manifest checks, shas, attestation), archive, key rotation
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

SELECT zone_id AS zone FROM keycard.create_zone('sets') \gset
SELECT zone_id AS other_zone FROM keycard.create_zone('other') \gset
SELECT policy_id AS p1 FROM keycard.create_policy(:'zone', 'readers') \gset
SELECT policy_id AS p2 FROM keycard.create_policy(:'zone', 'writers') \gset
SELECT version_id AS v1, sha AS sha1 FROM keycard.create_policy_version(:'zone', :'p1', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
SELECT version_id AS v2, sha AS sha2 FROM keycard.create_policy_version(:'zone', :'p2', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"write", resource) when { context.on_behalf };') \gset
SELECT version_id AS v_old FROM keycard.create_policy_version(:'zone', :'p2', '2026-02-24',
	cedar_raw => 'permit (principal, action == Action::"write", resource);') \gset
SELECT policy_set_id AS s FROM keycard.create_policy_set(:'zone', 'zone-policies') \gset
SELECT policy_id AS op FROM keycard.create_policy(:'other_zone', 'elsewhere') \gset
SELECT version_id AS ov FROM keycard.create_policy_version(:'other_zone', :'op', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok, set_config('regress.s', :'s', false) IS NOT NULL AS ok;
-- m(entries...) builds a manifest from (policy, version[, sha]) triples given as text
CREATE FUNCTION pg_temp.m(VARIADIC e text[]) RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_build_object('entries', coalesce(jsonb_agg(
		CASE WHEN e[i + 2] = '' THEN jsonb_build_object('policy_id', e[i], 'policy_version_id', e[i + 1])
			 ELSE jsonb_build_object('policy_id', e[i], 'policy_version_id', e[i + 1], 'sha', e[i + 2]) END
		ORDER BY i), '[]'))
	FROM generate_series(1, coalesce(array_length(e, 1), 0), 3) i
$$;
SELECT set_config('regress.m_ok', pg_temp.m(:'p2', :'v2', '', :'p1', :'v1', '')::text, false) IS NOT NULL AS ok;

-- Create: entries keep the client's order, shas are filled, manifest_sha is the JCS hash
SELECT version_id AS sv1, version, schema_version, owner_type, created_by, manifest_sha,
       created_at = keycard.id_time(version_id) AS created_at_from_id
FROM keycard.create_policy_set_version(:'zone', :'s', pg_temp.m(:'p2', :'v2', '', :'p1', :'v1', :'sha1'), '2026-03-16') \gset
SELECT :version AS version, :'schema_version' AS schema_version, :'owner_type' AS owner_type, :'created_at_from_id' AS created_at_from_id;
SELECT e.n, e.x ->> 'policy_id' = CASE e.n WHEN 1 THEN :'p2' ELSE :'p1' END AS client_order,
       e.x ->> 'sha' = CASE e.n WHEN 1 THEN :'sha2' ELSE :'sha1' END AS sha_filled,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(e.x) k) AS members
FROM keycard.policy_set_versions v, jsonb_array_elements(v.manifest -> 'entries') WITH ORDINALITY e(x, n)
WHERE v.zone_id = :'zone' AND v.version_id = :'sv1' ORDER BY e.n;
SELECT manifest_sha = keycard.jcs_sha256(manifest) AS manifest_sha_is_jcs_sha256,
       (SELECT array_agg(position ORDER BY position) FROM keycard.policy_set_version_entries x
        WHERE x.zone_id = v.zone_id AND x.version_id = v.version_id) AS entry_rows
FROM keycard.policy_set_versions v WHERE zone_id = :'zone' AND version_id = :'sv1';
SELECT latest_version, latest_version_id = :'sv1' AS latest_id, etag FROM keycard.get_policy_set(:'zone', :'s');

-- The attestation: a flattened JWS over the JCS of the statement, signed with the zone's key
SELECT status, kid = (SELECT kid FROM keycard.zone_keys WHERE zone_id = :'zone' AND status = 'current') AS current_key,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(statement) k) AS statement_members,
       statement ->> 'type' AS type, statement -> 'v' AS v, statement ->> 'status' AS statement_status,
       statement ->> 'manifest_sha' = :'manifest_sha' AS manifest_sha, statement ->> 'policy_set_id' = :'s' AS set_id,
       statement -> 'policy_set_version' AS set_version, statement ->> 'zone_id' = :'zone' AS zone_id,
       statement ->> 'key_id' = kid AS key_id, statement ->> 'attested_by' AS attested_by,
       statement ->> 'attested_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$' AS rfc3339_utc,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(jws) k) AS jws_members,
       convert_from(keycard.base64url_decode(jws ->> 'payload'), 'UTF8') = keycard.jcs(statement) AS payload_is_jcs,
       keycard.jws_verify(jws, keycard.zone_jwks(:'zone')) = statement AS verifies
FROM keycard.current_attestations WHERE zone_id = :'zone' AND version_id = :'sv1';

-- Client-supplied shas must agree; any order; one version per policy
SELECT version FROM keycard.create_policy_set_version(:'zone', :'s', pg_temp.m(:'p1', :'v1', :'sha1', :'p2', :'v2', :'sha2'), '2026-03-16');
SELECT version, manifest -> 'entries' AS entries FROM keycard.create_policy_set_version(:'zone', :'s', pg_temp.m(VARIADIC '{}'::text[]), '2026-03-16');
SELECT pg_temp.try(format('SELECT keycard.create_policy_set_version(%L, %L, %L, ''2026-03-16'')', :'zone', :'s',
	pg_temp.m(:'p1', :'v1', repeat('0', 64))));
SELECT pg_temp.try(format('SELECT keycard.create_policy_set_version(%L, %L, %L, ''2026-03-16'')', :'zone', :'s',
	pg_temp.m(:'p1', :'v1', '', :'p1', :'v1', '')));
-- entries that do not fit
SELECT pg_temp.try(format('SELECT keycard.create_policy_set_version(%L, %L, %L, ''2026-03-16'')', :'zone', :'s',
	pg_temp.m(:'p2', :'v1', '')));
SELECT pg_temp.try(format('SELECT keycard.create_policy_set_version(%L, %L, %L, ''2026-03-16'')', :'zone', :'s',
	pg_temp.m(:'p1', 'no-such-version', '')));
SELECT pg_temp.try(format('SELECT keycard.create_policy_set_version(%L, %L, %L, ''2026-03-16'')', :'zone', :'s',
	pg_temp.m(:'op', :'ov', '')));
SELECT pg_temp.try(format('SELECT keycard.create_policy_set_version(%L, %L, %L, ''2026-03-16'')', :'zone', :'s',
	pg_temp.m(:'p2', :'v_old', '')));
SELECT version, schema_version FROM keycard.create_policy_set_version(:'zone', :'s', pg_temp.m(:'p2', :'v_old', ''), '2026-02-24');
-- malformed manifests
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), '[]', '2026-03-16')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), '{}', '2026-03-16')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), '{"entries": {}}', '2026-03-16')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), '{"entries": [], "name": "x"}', '2026-03-16')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), '{"entries": [1]}', '2026-03-16')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), '{"entries": [{"policy_id": "x"}]}', '2026-03-16')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), '{"entries": [{"policy_id": "x", "policy_version_id": "y", "version": 1}]}', '2026-03-16')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), '{"entries": [{"policy_id": "x", "policy_version_id": "y", "sha": 7}]}', '2026-03-16')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), NULL, '2026-03-16')$$);
-- schema versions and the set itself
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.m_ok')::jsonb, '2030-01-01')$$);
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.m_ok')::jsonb, NULL)$$);
BEGIN;
SELECT status FROM keycard.set_schema_version_status('2026-03-16', 'archived');
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.m_ok')::jsonb, '2026-03-16')$$);
ROLLBACK;
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), 'nope', current_setting('regress.m_ok')::jsonb, '2026-03-16')$$);
SELECT pg_temp.try(format('SELECT keycard.create_policy_set_version(%L, %L, %L, ''2026-03-16'')', :'other_zone', :'s', current_setting('regress.m_ok')));
BEGIN;
SELECT set_config('request.jwt.claims', format('{"role":"keycard_api","sub":"user_1","zones":["%s"]}', :'zone'), true) IS NOT NULL AS ok;
SET LOCAL ROLE keycard_api;
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.m_ok')::jsonb, '2026-03-16')$$);
ROLLBACK;
-- archived entries and archived sets
BEGIN;
SELECT version FROM keycard.archive_policy_version(:'zone', :'p1', :'v1');
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.m_ok')::jsonb, '2026-03-16')$$);
ROLLBACK;
BEGIN;
SELECT name FROM keycard.archive_policy(:'zone', :'p2');
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.m_ok')::jsonb, '2026-03-16')$$);
ROLLBACK;
BEGIN;
SELECT name FROM keycard.archive_policy_set(:'zone', :'s');
SELECT pg_temp.try($$SELECT keycard.create_policy_set_version(current_setting('regress.zone'), current_setting('regress.s'), current_setting('regress.m_ok')::jsonb, '2026-03-16')$$);
ROLLBACK;
-- nothing was written by the failures
SELECT array_agg(version ORDER BY version) AS versions, count(DISTINCT a.version_id) AS attested
FROM keycard.policy_set_versions v LEFT JOIN keycard.attestations a USING (zone_id, version_id)
WHERE v.zone_id = :'zone';

-- get and archive
SELECT version, manifest_sha = :'manifest_sha' AS same FROM keycard.get_policy_set_version(:'zone', :'s', :'sv1');
SELECT pg_temp.try(format('SELECT keycard.get_policy_set_version(%L, %L, %L)', :'zone', :'s', 'nope'));
SELECT version_id AS sv3 FROM keycard.policy_set_versions WHERE zone_id = :'zone' AND version = 3 \gset
SELECT version, archived_by, archived_at IS NOT NULL AS archived FROM keycard.archive_policy_set_version(:'zone', :'s', :'sv3');
SELECT pg_temp.try(format('SELECT keycard.archive_policy_set_version(%L, %L, %L)', :'zone', :'s', :'sv3'));

-- Key rotation: platform only; re-signs the non-archived versions (status re_signed), keeps the history
SELECT r ->> 're_signed' AS re_signed, r ->> 'alg' AS alg
FROM keycard.rotate_zone_key(:'zone', 'EdDSA') r;
SELECT k.alg, k.status, k.retired_at IS NOT NULL AS retired FROM keycard.zone_keys k WHERE zone_id = :'zone' ORDER BY created_at;
SELECT v.version, array_agg(a.status ORDER BY a.attestation_id) AS history,
       bool_and(a.statement ->> 'manifest_sha' = v.manifest_sha) AS same_content,
       (array_agg(a.kid ORDER BY a.attestation_id DESC))[1] = (SELECT kid FROM keycard.zone_keys WHERE zone_id = :'zone' AND status = 'current') AS newest_by_current_key
FROM keycard.policy_set_versions v JOIN keycard.attestations a USING (zone_id, version_id)
WHERE v.zone_id = :'zone' GROUP BY v.version ORDER BY v.version;
SELECT jsonb_array_length(keycard.zone_jwks(:'zone') -> 'keys') AS published_keys;
SELECT count(*) FILTER (WHERE keycard.jws_verify(jws, keycard.zone_jwks(:'zone')) = statement) AS verified, count(*) AS attestations
FROM keycard.attestations WHERE zone_id = :'zone';
SELECT pg_temp.try(format('SELECT keycard.rotate_zone_key(%L, ''ES256'')', :'zone'));
SELECT pg_temp.try('SELECT keycard.rotate_zone_key(''00000000-0000-7000-8000-000000000000'')');
-- new versions are signed with the new key
SELECT version_id AS sv5, version FROM keycard.create_policy_set_version(:'zone', :'s', pg_temp.m(:'p1', :'v1', ''), '2026-03-16') \gset
SELECT :version AS version, a.kid = (SELECT kid FROM keycard.zone_keys WHERE zone_id = :'zone' AND status = 'current') AS new_key, a.status
FROM keycard.attestations a WHERE a.zone_id = :'zone' AND a.version_id = :'sv5';

-- Immutability of manifests, entries, attestations and key history
SELECT pg_temp.try(format('UPDATE keycard.policy_set_versions SET manifest_sha = repeat(''0'', 64) WHERE version_id = %L', :'sv1'));
SELECT pg_temp.try(format('DELETE FROM keycard.policy_set_versions WHERE version_id = %L', :'sv1'));
SELECT pg_temp.try(format('UPDATE keycard.policy_set_version_entries SET sha = ''x'' WHERE version_id = %L', :'sv1'));
SELECT pg_temp.try(format('UPDATE keycard.attestations SET status = ''created'' WHERE version_id = %L', :'sv1'));
SELECT pg_temp.try(format('DELETE FROM keycard.attestations WHERE version_id = %L', :'sv1'));
SELECT pg_temp.try('TRUNCATE keycard.attestations');
SELECT pg_temp.try(format('UPDATE keycard.zone_keys SET status = ''current'', retired_at = NULL, retired_by = NULL WHERE zone_id = %L AND status = ''retired''', :'zone'));
SELECT pg_temp.try(format('DELETE FROM keycard.zone_keys WHERE zone_id = %L', :'zone'));
SELECT count(*) AS problems FROM keycard.verify_zone(:'zone');
