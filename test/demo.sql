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
\set status created
\set keys before
\ir demo_export.sql

\echo
\echo '== 5. Key rotation: a new EdDSA key; every version re-signed; the retired key stays published'
SELECT jsonb_pretty(keycard.rotate_zone_key(:'zone', 'EdDSA')) AS rotation \gset
\echo :rotation
SELECT status, kid FROM keycard.attestations WHERE version_id = :'set_version' ORDER BY attestation_id;
\set status re_signed
\set keys after
\ir demo_export.sql

\echo
\echo '== 6. verify_zone: every sha, manifest_sha and signature recomputed (no rows = intact)'
SELECT count(*) AS problems FROM keycard.verify_zone(:'zone');
\echo '   versions are immutable, even for the superuser:'
\set ON_ERROR_STOP off
UPDATE keycard.policy_versions SET sha = repeat('0', 64) WHERE policy_id = :'policy';
\set ON_ERROR_STOP on

-- ==============================================================================
-- Registry part 2: bindings, archive guards and drafts (issue 7).  Uses the
-- zone, policy and policy set of the steps above.
-- ==============================================================================
\echo
\echo '== B1. Activate: the policy set version becomes the zone''s active binding'
SELECT version_id AS v1 FROM keycard.policy_set_versions WHERE policy_set_id = :'set' AND version = 1 \gset
SELECT version_id AS v2 FROM keycard.create_policy_set_version(:'zone', :'set', '{"entries": []}', '2026-03-16') \gset
SELECT version_id AS v3 FROM keycard.create_policy_set_version(:'zone', :'set',
       jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'policy', 'policy_version_id', :'pv'))),
       '2026-03-16') \gset
SELECT version, active, mode FROM keycard.activate_policy_set_version(:'zone', :'set', :'v1');
\echo '   roll forward to version 3, then roll back to version 1: both are "activate version N"'
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'set', :'v3');
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'set', :'v1');
\echo '   there is no deactivation:'
\set ON_ERROR_STOP off
SELECT keycard.update_policy_set_version(:'zone', :'set', :'v1', '{"active": false}');
\set ON_ERROR_STOP on

\echo
\echo '== B2. Shadow: version 2 observed beside the active one, then promoted (the shadow slot empties)'
SELECT version, active, mode FROM keycard.shadow_policy_set_version(:'zone', :'set', :'v2');
SELECT name, active, active_version, mode, shadow_version FROM keycard.get_policy_set_with_binding(:'zone', :'set');
SELECT version, active, mode FROM keycard.activate_policy_set_version(:'zone', :'set', :'v2');
SELECT name, active, active_version, mode, shadow_version FROM keycard.get_policy_set_with_binding(:'zone', :'set');

\echo
\echo '== B3. Archive guards: a bound version, the policy versions it references and its set cannot be archived'
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'set', :'v3');
\set ON_ERROR_STOP off
SELECT keycard.archive_policy_set_version(:'zone', :'set', :'v3');
SELECT keycard.archive_policy_version(:'zone', :'policy', :'pv');
SELECT keycard.archive_policy_set(:'zone', :'set');
\set ON_ERROR_STOP on
\echo '   an unbound version archives, and then can never be bound:'
SELECT version, archived_at IS NOT NULL AS archived FROM keycard.archive_policy_set_version(:'zone', :'set', :'v2');
\set ON_ERROR_STOP off
SELECT keycard.activate_policy_set_version(:'zone', :'set', :'v2');
\set ON_ERROR_STOP on

\echo
\echo '== B4. The binding history: who, when, which request, from which version to which'
SELECT action, mode, from_version, to_version, actor, to_char(occurred_at, 'HH24:MI:SS.MS') AS at
FROM keycard.binding_history WHERE zone_id = :'zone' ORDER BY event_id;

\echo
\echo '== B5. Drafts: a policy set draft that references a version of another schema gets a warning'
SELECT policy_id AS legacy FROM keycard.create_policy(:'zone', 'legacy-writers') \gset
SELECT version_id AS legacy_v FROM keycard.create_policy_version(:'zone', :'legacy', '2026-02-24',
       cedar_raw => 'permit (principal, action == Action::"write", resource);') \gset
SELECT jsonb_pretty(warnings) AS warnings FROM keycard.save_policy_set_draft(:'zone', :'set',
       jsonb_build_object('entries', jsonb_build_array(
           jsonb_build_object('policy_id', :'policy', 'policy_version_id', :'pv'),
           jsonb_build_object('policy_id', :'legacy', 'policy_version_id', :'legacy_v')))) \gset
\echo :warnings
\echo '   publishing applies the strict rules, so this draft is refused:'
\set ON_ERROR_STOP off
SELECT keycard.publish_policy_set_draft(:'zone', :'set');
\set ON_ERROR_STOP on
\echo '   a policy draft of the legacy policy for the current schema, published as its next version:'
SELECT schema_version, cedar_raw FROM keycard.save_policy_draft(:'zone', :'legacy', '2026-03-16',
       cedar_raw => 'permit (principal, action == Action::"write", resource) when { context.on_behalf };');
SELECT version_id AS legacy_v2, version, schema_version FROM keycard.publish_policy_draft(:'zone', :'legacy') \gset
SELECT :version AS version, :'schema_version' AS schema_version;
\echo '   the set draft, fixed, has no warnings and publishes as the next version (the draft stays, based on it):'
SELECT warnings IS NULL AS no_warnings FROM keycard.save_policy_set_draft(:'zone', :'set',
       jsonb_build_object('entries', jsonb_build_array(
           jsonb_build_object('policy_id', :'policy', 'policy_version_id', :'pv'),
           jsonb_build_object('policy_id', :'legacy', 'policy_version_id', :'legacy_v2'))));
SELECT version_id AS v4, version, manifest_sha FROM keycard.publish_policy_set_draft(:'zone', :'set') \gset
SELECT :version AS version, :'manifest_sha' AS manifest_sha;
SELECT d.base_version_id = :'v4' AS draft_based_on_it FROM keycard.get_policy_set_draft(:'zone', :'set') d;
SELECT version, active FROM keycard.activate_policy_set_version(:'zone', :'set', :'v4');
SELECT count(*) AS problems FROM keycard.verify_zone(:'zone');
