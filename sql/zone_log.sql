-- Registry: the zone's transparency log (RFC 9162 Merkle tree) -- a leaf for
-- every event, gapless indexes, verify_zone against the rows (each
-- tampering by a superuser with the triggers disabled is reported with the
-- object named), signed tree heads, inclusion and consistency proofs
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

SELECT zone_id AS zone FROM keycard.create_zone('transparency', 'EdDSA') \gset
SELECT policy_id AS p1 FROM keycard.create_policy(:'zone', 'readers') \gset
SELECT policy_id AS p2 FROM keycard.create_policy(:'zone', 'writers') \gset
SELECT version_id AS v1 FROM keycard.create_policy_version(:'zone', :'p1', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
SELECT version_id AS v2 FROM keycard.create_policy_version(:'zone', :'p2', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"write", resource);') \gset
SELECT version_id AS v_spare FROM keycard.create_policy_version(:'zone', :'p2', '2026-03-16',
	cedar_raw => 'forbid (principal, action == Action::"write", resource);') \gset
SELECT policy_set_id AS s FROM keycard.create_policy_set(:'zone', 'zone-policies') \gset
SELECT version_id AS sv1 FROM keycard.create_policy_set_version(:'zone', :'s', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p1', 'policy_version_id', :'v1'))), '2026-03-16') \gset
SELECT version_id AS sv2 FROM keycard.create_policy_set_version(:'zone', :'s', jsonb_build_object('entries', jsonb_build_array(
	jsonb_build_object('policy_id', :'p1', 'policy_version_id', :'v1'),
	jsonb_build_object('policy_id', :'p2', 'policy_version_id', :'v2'))), '2026-03-16') \gset
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s', :'sv1');
SELECT version FROM keycard.activate_policy_set_version(:'zone', :'s', :'sv2');
SELECT version FROM keycard.shadow_policy_set_version(:'zone', :'s', :'sv1');
SELECT name FROM keycard.update_policy(:'zone', :'p2', '{"description": "who writes"}');
SELECT count(*) AS schema_rows FROM keycard.set_default_schema_version(:'zone', '2026-03-16');
SELECT keycard.rotate_zone_key(:'zone') ->> 're_signed' AS re_signed;

-- Names for the ids in what follows.
CREATE TEMP TABLE names (id text PRIMARY KEY, name text NOT NULL);
INSERT INTO names VALUES (:'zone', 'zone'), (:'p1', 'p1'), (:'p2', 'p2'), (:'v1', 'v1'), (:'v2', 'v2'),
	(:'v_spare', 'v_spare'), (:'s', 's'), (:'sv1', 'sv1'), (:'sv2', 'sv2');
CREATE FUNCTION pg_temp.named(id text) RETURNS text LANGUAGE sql STABLE
	RETURN coalesce((SELECT n.name FROM pg_temp.names n WHERE n.id = named.id), CASE WHEN id IS NULL THEN NULL ELSE 'another id' END);
CREATE VIEW pg_temp.problems AS
	SELECT v.object_type, pg_temp.named(v.object_id) AS object, v.problem, count(*) AS n
	FROM keycard.verify_zone(:'zone') v GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- Every event is a leaf, indexes 0.. without gaps, in the order of the events.
SELECT count(*) AS leaves, min(leaf_index) AS first, max(leaf_index) AS last,
	   (SELECT tree_size FROM keycard.zone_log_heads h WHERE h.zone_id = :'zone') AS tree_size
FROM keycard.zone_log WHERE zone_id = :'zone';
SELECT leaf_index, leaf::jsonb ->> 'type' AS type, coalesce(leaf::jsonb ->> 'action', leaf::jsonb ->> 'status') AS what,
	   object_type, pg_temp.named(object_id) AS object
FROM keycard.zone_log WHERE zone_id = :'zone' ORDER BY leaf_index;
-- Leaves are canonical JSON committing to the content hashes.
SELECT leaf::jsonb -> 'detail' ->> 'sha' = (SELECT sha FROM keycard.policy_versions WHERE version_id = :'v2') AS version_sha_logged,
	   leaf = keycard.jcs(leaf::jsonb) AS canonical,
	   leaf_hash = sha256('\x00'::bytea || convert_to(leaf, 'UTF8')) AS rfc9162_leaf_hash
FROM keycard.zone_log WHERE zone_id = :'zone' AND object_id = :'v2';
SELECT leaf::jsonb -> 'detail' ->> 'manifest_sha' = (SELECT manifest_sha FROM keycard.policy_set_versions WHERE version_id = :'sv2') AS manifest_sha_logged
FROM keycard.zone_log WHERE zone_id = :'zone' AND object_id = :'sv2' AND object_type = 'policy_set_version';
SELECT object_type, leaf::jsonb ->> 'status' AS status FROM keycard.zone_log_find(:'zone', :'sv2') ORDER BY leaf_index;

-- An intact zone verifies.
SELECT * FROM pg_temp.problems;

-- The log is append-only for every role.
SELECT pg_temp.try(format('UPDATE keycard.zone_log SET leaf = leaf WHERE zone_id = %L AND leaf_index = 0', :'zone')) AS leaf_updated;
SELECT pg_temp.try(format('DELETE FROM keycard.zone_log WHERE zone_id = %L', :'zone')) AS leaves_deleted;
SELECT pg_temp.try('TRUNCATE keycard.zone_log CASCADE') AS log_truncated;

-- Tampering as a superuser with the registry's triggers disabled (each rolled back).
-- 1. Repointing the active binding.
BEGIN;
ALTER TABLE keycard.bindings DISABLE TRIGGER USER;
DELETE FROM keycard.bindings WHERE zone_id = :'zone' AND mode = 'shadow';
UPDATE keycard.bindings SET version_id = :'sv1', version = 1 WHERE zone_id = :'zone' AND mode = 'active';
SELECT * FROM pg_temp.problems;
ROLLBACK;
-- 2. Erasing the binding history.
BEGIN;
ALTER TABLE keycard.binding_history DISABLE TRIGGER USER;
DELETE FROM keycard.binding_history WHERE zone_id = :'zone';
SELECT * FROM pg_temp.problems;
ROLLBACK;
-- 3. Erasing the audit log.
BEGIN;
ALTER TABLE keycard.audit_log DISABLE TRIGGER USER;
DELETE FROM keycard.audit_log WHERE zone_id = :'zone';
SELECT * FROM pg_temp.problems;
ROLLBACK;
-- 4. Rewriting a policy version no set version references, content and sha together.
BEGIN;
ALTER TABLE keycard.policy_versions DISABLE TRIGGER USER;
UPDATE keycard.policy_versions
SET cedar_raw = 'permit (principal, action == Action::"write", resource);',
	cedar_json = keycard.cedar_policy_normalize('permit (principal, action == Action::"write", resource);'::text),
	sha = keycard.jcs_sha256(keycard.cedar_policy_normalize('permit (principal, action == Action::"write", resource);'::text))
WHERE zone_id = :'zone' AND version_id = :'v_spare';
SELECT * FROM pg_temp.problems;
ROLLBACK;
-- 5. Removing a leaf, rewriting one (with and without its hash), a head out of step.
BEGIN;
ALTER TABLE keycard.zone_log DISABLE TRIGGER USER;
DELETE FROM keycard.zone_log WHERE zone_id = :'zone' AND leaf_index = 5;
SELECT * FROM pg_temp.problems;
ROLLBACK;
BEGIN;
ALTER TABLE keycard.zone_log DISABLE TRIGGER USER;
UPDATE keycard.zone_log SET leaf = replace(leaf, '"update"', '"archive"') WHERE zone_id = :'zone' AND object_id = :'p2' AND leaf LIKE '%"update"%';
SELECT * FROM pg_temp.problems;
UPDATE keycard.zone_log SET leaf_hash = sha256('\x00'::bytea || convert_to(leaf, 'UTF8'))
WHERE zone_id = :'zone' AND object_id = :'p2' AND leaf LIKE '%"archive"%';
SELECT * FROM pg_temp.problems;
ROLLBACK;
-- The head is the last leaf's frontier: rewriting it, or that of a leaf
-- before it, shows.
BEGIN;
ALTER TABLE keycard.zone_log DISABLE TRIGGER USER;
UPDATE keycard.zone_log SET frontier = leaf_hash
WHERE zone_id = :'zone' AND leaf_index = (SELECT tree_size - 1 FROM keycard.zone_log_heads WHERE zone_id = :'zone');
SELECT * FROM pg_temp.problems;
ROLLBACK;
BEGIN;
ALTER TABLE keycard.zone_log DISABLE TRIGGER USER;
UPDATE keycard.zone_log SET frontier = frontier || frontier WHERE zone_id = :'zone' AND leaf_index = 3;
SELECT * FROM pg_temp.problems;
ROLLBACK;
SELECT * FROM pg_temp.problems;

-- Signed tree heads: the zone key's JWS of the head, writing nothing.
SELECT keycard.zone_log_head(:'zone') AS head \gset
SELECT p ->> 'type' AS type, p ->> 'v' AS v, p ->> 'zone_id' = :'zone' AS zone_matches,
	   (p ->> 'tree_size')::bigint = (SELECT count(*) FROM keycard.zone_log WHERE zone_id = :'zone') AS tree_size_matches,
	   p ->> 'root_hash' = keycard.zone_log_root(:'zone', (p ->> 'tree_size')::bigint) AS root_matches,
	   p ->> 'issued_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$' AS issued_at_format,
	   (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(p) k) AS members
FROM keycard.jws_verify(:'head'::jsonb, keycard.zone_jwks(:'zone')) p;
SELECT convert_from(keycard.base64url_decode(:'head'::jsonb ->> 'protected'), 'UTF8')::jsonb ->> 'kid'
	   = (SELECT kid FROM keycard.zone_keys WHERE zone_id = :'zone' AND status = 'current') AS signed_with_current_key;
BEGIN READ ONLY;
SELECT keycard.zone_log_head(:'zone') IS NOT NULL AS head_in_read_only_transaction;
ROLLBACK;

-- The root of a tree of 1, 2, 3 leaves by RFC 9162's definition.
SELECT keycard.zone_log_root(:'zone', 0) = encode(sha256(''), 'hex') AS empty_root,
	   keycard.zone_log_root(:'zone', 1) = (SELECT encode(leaf_hash, 'hex') FROM keycard.zone_log WHERE zone_id = :'zone' AND leaf_index = 0) AS one_leaf,
	   keycard.zone_log_root(:'zone', 3) = encode(sha256('\x01'::bytea ||
			sha256('\x01'::bytea || (SELECT leaf_hash FROM keycard.zone_log WHERE zone_id = :'zone' AND leaf_index = 0)
								 || (SELECT leaf_hash FROM keycard.zone_log WHERE zone_id = :'zone' AND leaf_index = 1))
			|| (SELECT leaf_hash FROM keycard.zone_log WHERE zone_id = :'zone' AND leaf_index = 2)), 'hex') AS three_leaves;

-- Proofs: an inclusion proof recomputes the root; a consistency proof links two roots.
CREATE FUNCTION pg_temp.inclusion_root(proof jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	fn bigint := (proof ->> 'leaf_index')::bigint;
	sn bigint := (proof ->> 'tree_size')::bigint - 1;
	r bytea := decode(proof ->> 'leaf_hash', 'hex');
	p text;
BEGIN
	FOR p IN SELECT jsonb_array_elements_text(proof -> 'audit_path') LOOP
		IF sn = 0 THEN RETURN 'path too long'; END IF;
		IF fn & 1 = 1 OR fn = sn THEN
			r := sha256('\x01'::bytea || decode(p, 'hex') || r);
			WHILE fn & 1 = 0 AND fn <> 0 LOOP fn := fn >> 1; sn := sn >> 1; END LOOP;
		ELSE
			r := sha256('\x01'::bytea || r || decode(p, 'hex'));
		END IF;
		fn := fn >> 1; sn := sn >> 1;
	END LOOP;
	RETURN CASE WHEN sn = 0 THEN encode(r, 'hex') ELSE 'path too short' END;
END $$;
SELECT count(*) AS proofs, count(*) FILTER (WHERE pg_temp.inclusion_root(p) = keycard.zone_log_root(:'zone', n)) AS verified,
	   max(jsonb_array_length(p -> 'audit_path')) AS longest_path
FROM (SELECT n, keycard.zone_log_inclusion_proof(:'zone', i, n) AS p
	  FROM generate_series(1, (SELECT tree_size FROM keycard.zone_log_heads WHERE zone_id = :'zone')) n,
		   generate_series(0, n - 1) i) x;
SELECT keycard.zone_log_consistency_proof(:'zone', 3, 7) - 'first_root_hash' - 'second_root_hash' - 'consistency_path' AS sizes,
	   jsonb_array_length(keycard.zone_log_consistency_proof(:'zone', 3, 7) -> 'consistency_path') AS path_length,
	   jsonb_array_length(keycard.zone_log_consistency_proof(:'zone', 4, 8) -> 'consistency_path') AS power_of_two_path_length,
	   keycard.zone_log_consistency_proof(:'zone', 5, 5) -> 'consistency_path' AS same_size;
SELECT pg_temp.try(format('SELECT keycard.zone_log_inclusion_proof(%L, 5, 5)', :'zone')) AS leaf_beyond_tree;
SELECT pg_temp.try(format('SELECT keycard.zone_log_inclusion_proof(%L, 0, 100000)', :'zone')) AS tree_beyond_log;
SELECT pg_temp.try(format('SELECT keycard.zone_log_consistency_proof(%L, 6, 5)', :'zone')) AS shrinking;
SELECT pg_temp.try(format('SELECT keycard.zone_log_entries(%L, 0, 5000)', :'zone')) AS too_many_entries;
SELECT pg_temp.try(format('SELECT keycard.zone_log_head(%L)', 'no-such-zone')) AS unknown_zone;
SELECT count(*) AS entries, min(leaf_index), max(leaf_index),
	   bool_and(leaf_hash = encode(sha256('\x00'::bytea || convert_to(leaf, 'UTF8')), 'hex')) AS hashes
FROM keycard.zone_log_entries(:'zone', 2, 9);
