-- make demo, in SQL: what keycard does, step by step, on a throwaway cluster.
-- Files for the independent verifier are written to :tmp.
\pset footer off
\set QUIET on
\set SHOW_CONTEXT never
\echo
\echo '== 1. Canonical JSON (RFC 8785) and content hashes: member order, whitespace and number spelling do not matter'
SELECT keycard.jcs('{"b": [1.0, 2e1, -0], "a": "\u00e9\n"}'::json) AS canonical;
SELECT keycard.jcs_sha256('{"b":[1,20,0],"a":"é\n"}'::json) = keycard.jcs_sha256('{"a": "\u00e9\n", "b": [1E0, 20.00, 0]}'::json)
       AS same_hash;

\echo
\echo '== 2. A zone: its first signing key (RS256), its default schema version, its JWKS'
SELECT zone_id AS zone FROM keycard.create_zone('demo') \gset
SELECT version || CASE WHEN is_default THEN ' (default)' ELSE '' END AS schema_versions
FROM keycard.zone_schema_versions WHERE zone_id = :'zone' ORDER BY version;
SELECT jsonb_pretty(keycard.zone_jwks(:'zone')) AS jwks \gset
\echo :jwks

\echo
\echo '== 3. A policy and two versions: one from Cedar text, one from the same policy as Cedar JSON'
SELECT policy_id AS policy FROM keycard.create_policy(:'zone', 'readers', 'Anyone may read') \gset
SELECT version, sha, cedar_raw FROM keycard.create_policy_version(:'zone', :'policy', '2026-03-16',
       cedar_raw => E'// who may read\npermit (\n  principal,\n  action == Action::"read",\n  resource\n);');
SELECT version, sha, cedar_json FROM keycard.create_policy_version(:'zone', :'policy', '2026-03-16',
       cedar_json => keycard.cedar_policy_to_json('permit(principal, action == Action::"read", resource);'));
SELECT count(DISTINCT sha) = 1 AS text_and_json_hash_the_same FROM keycard.policy_versions WHERE policy_id = :'policy';
\echo '   an invalid policy is refused with the validator''s reason:'
\set ON_ERROR_STOP off
SELECT keycard.create_policy_version(:'zone', :'policy', '2026-03-16',
       cedar_raw => 'permit (principal, action == Action::"read", resource) when { principal.nickname == "x" };');
\set ON_ERROR_STOP on

\echo
\echo '== 4. A policy set version: manifest, manifest_sha and a signed attestation'
SELECT policy_set_id AS set FROM keycard.create_policy_set(:'zone', 'production') \gset
SELECT version_id AS pv FROM keycard.policy_versions WHERE policy_id = :'policy' AND version = 1 \gset
SELECT version_id AS set_version, version, manifest_sha, jsonb_pretty(manifest) AS manifest
FROM keycard.create_policy_set_version(:'zone', :'set',
       jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'policy', 'policy_version_id', :'pv'))),
       '2026-03-16') \gset
\echo manifest:
\echo :manifest
\echo manifest_sha: :manifest_sha
SELECT jsonb_pretty(statement) AS statement FROM keycard.current_attestations WHERE version_id = :'set_version' \gset
\echo attestation statement, signed as a JWS with the zone key:
\echo :statement
\pset tuples_only on
\pset format unaligned
\o :tmp/attestation-created.json
SELECT jws FROM keycard.current_attestations WHERE version_id = :'set_version';
\o :tmp/jwks-before.json
SELECT keycard.zone_jwks(:'zone');
\o
\pset tuples_only off
\pset format aligned

\echo
\echo '== 5. Key rotation: a new EdDSA key; every version re-signed; the retired key stays published'
SELECT jsonb_pretty(keycard.rotate_zone_key(:'zone', 'EdDSA')) AS rotation \gset
\echo :rotation
SELECT status, kid FROM keycard.attestations WHERE version_id = :'set_version' ORDER BY attestation_id;
\pset tuples_only on
\pset format unaligned
\o :tmp/attestation-re_signed.json
SELECT jws FROM keycard.current_attestations WHERE version_id = :'set_version';
\o :tmp/jwks-after.json
SELECT keycard.zone_jwks(:'zone');
\o
\pset tuples_only off
\pset format aligned

\echo
\echo '== 6. verify_zone: every sha, manifest_sha and signature recomputed (no rows = intact)'
SELECT count(*) AS problems FROM keycard.verify_zone(:'zone');
\echo '   versions are immutable, even for the superuser:'
\set ON_ERROR_STOP off
UPDATE keycard.policy_versions SET sha = repeat('0', 64) WHERE policy_id = :'policy';
\set ON_ERROR_STOP on
