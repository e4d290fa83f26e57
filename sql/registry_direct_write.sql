-- Registry: rows written directly (src/direct_write.c) are the rows an INSERT
-- or UPDATE statement writes, with the executor's errors; any table change it
-- does not handle (a trigger an INSERT would fire, a statement trigger,
-- row-level security for the writer) sends the row through the statement,
-- which reports itself at DEBUG1.
\set SHOW_CONTEXT never

\getenv repo KC_REPO
\i :repo/test/regress_try.sql

-- err(sql): the error of a statement with the fields the executor sets, ids
-- and the failing row's values left out (they hold ids and times)
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; cn text; tn text; sn text; col text; m text; d text;
BEGIN
	EXECUTE sql;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME, tn = TABLE_NAME, sn = SCHEMA_NAME,
		col = COLUMN_NAME, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
	RETURN concat_ws(' | ', st, m, 'schema ' || sn, 'table ' || tn, 'column ' || nullif(col, ''),
					 'constraint ' || nullif(cn, ''),
					 regexp_replace(regexp_replace(d, '\(.*\)', '(...)'),
									'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g'));
END $$;

SELECT zone_id AS zone FROM keycard.create_zone('direct') \gset
SELECT policy_id AS p FROM keycard.create_policy(:'zone', 'direct-readers') \gset
SELECT policy_set_id AS s FROM keycard.create_policy_set(:'zone', 'direct-set') \gset
SELECT set_config('regress.zone', :'zone', false) IS NOT NULL AS ok, set_config('regress.p', :'p', false) IS NOT NULL AS ok;

-- (a) The direct path: the row returned is the row stored, every index finds it
SET client_min_messages = debug1;
SELECT version_id AS v1, version AS n1 FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
RESET client_min_messages;
CREATE TEMP TABLE returned AS
SELECT * FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource) when { context.on_behalf };');
SELECT r.version, r IS NOT DISTINCT FROM v AS returned_is_stored, v.request_id IS NULL AS no_request_id,
	   v.archived_at IS NULL AND v.archived_by IS NULL AS not_archived
FROM returned r JOIN keycard.policy_versions v USING (zone_id, version_id);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*) AS by_primary_key FROM keycard.policy_versions WHERE zone_id = :'zone' AND version_id = :'v1';
SELECT count(*) AS by_version_key FROM keycard.policy_versions WHERE zone_id = :'zone' AND policy_id = :'p' AND version IN (1, 2);
SELECT count(*) AS audit_by_primary_key FROM keycard.audit_log a JOIN returned r
	ON a.zone_id = r.zone_id AND a.object_id = r.version_id AND a.action = 'create';
RESET enable_seqscan;
RESET enable_bitmapscan;
-- The audit record: what the statement wrote before
SELECT a.actor = r.created_by AS actor_is_creator, a.object_type, a.detail = jsonb_build_object('policy_id', r.policy_id,
		   'version', r.version, 'sha', r.sha) AS detail_as_before, a.occurred_at >= r.created_at AS after_creation
FROM returned r JOIN keycard.audit_log a ON a.zone_id = r.zone_id AND a.object_id = r.version_id;

-- The same content through the INSERT statement (a no-op trigger on the
-- table): the same row apart from ids, number and times
BEGIN;
CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER regress_noop BEFORE INSERT ON keycard.policy_versions FOR EACH ROW EXECUTE FUNCTION pg_temp.noop();
CREATE TEMP TABLE by_statement (LIKE keycard.policy_versions);
SET LOCAL client_min_messages = debug1;
INSERT INTO by_statement SELECT * FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource) when { context.on_behalf };');
RESET client_min_messages;
SELECT (to_jsonb(s) - 'version_id' - 'version' - 'created_at') = (to_jsonb(r) - 'version_id' - 'version' - 'created_at')
	   AS same_row, s.version = r.version + 1 AS next_number
FROM by_statement s, returned r;
ROLLBACK;

-- Policy set versions: version, entries, attestation and audit rows, as the
-- statement wrote them
SELECT version_id AS sv, manifest_sha FROM keycard.create_policy_set_version(:'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p', 'policy_version_id', :'v1'))),
	'2026-03-16') \gset
SELECT e.position, e.policy_id = :'p' AS policy, e.policy_version_id = :'v1' AS version, e.sha = v.sha AS sha
FROM keycard.policy_set_version_entries e JOIN keycard.policy_versions v ON v.zone_id = e.zone_id AND v.version_id = e.policy_version_id
WHERE e.zone_id = :'zone' AND e.version_id = :'sv';
SELECT a.status, a.statement ->> 'manifest_sha' = :'manifest_sha' AS statement_sha, a.request_id IS NULL AS no_request_id
FROM keycard.attestations a WHERE a.zone_id = :'zone' AND a.version_id = :'sv';
SELECT a.object_type, a.detail = jsonb_build_object('policy_set_id', :'s', 'version', 1, 'manifest_sha', :'manifest_sha') AS detail
FROM keycard.audit_log a WHERE a.zone_id = :'zone' AND a.object_id = :'sv';
SELECT count(*) AS problems FROM keycard.verify_zone(:'zone');

-- (b) A CHECK added by the superuser in this transaction is applied at once,
-- with the executor's error (the direct path: no DEBUG line)
BEGIN;
ALTER TABLE keycard.policy_versions ADD CONSTRAINT regress_short CHECK (octet_length(cedar_raw) < 60) NOT VALID;
SET LOCAL client_min_messages = debug1;
SELECT pg_temp.err($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'),
	'2026-03-16', cedar_raw => 'permit (principal, action == Action::"read", resource) when { context.on_behalf };')$$);
RESET client_min_messages;
-- the same as an INSERT of such a row
SELECT pg_temp.err($$INSERT INTO keycard.policy_versions SELECT (r).* FROM (SELECT r FROM returned r) x$$);
ROLLBACK;
-- and gone with the rollback
SELECT version FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource) when { context.on_behalf };');

-- NOT NULL: audit_log.request_id made NOT NULL (the superuser empties the
-- table in this transaction first, triggers off); no request id is set
BEGIN;
ALTER TABLE keycard.audit_log DISABLE TRIGGER audit_log_immutable;
DELETE FROM keycard.audit_log;
ALTER TABLE keycard.audit_log ALTER COLUMN request_id SET NOT NULL;
SET LOCAL client_min_messages = debug1;
SELECT pg_temp.err($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'),
	'2026-03-16', cedar_raw => 'permit (principal, action == Action::"read", resource);')$$);
RESET client_min_messages;
SELECT pg_temp.err($$INSERT INTO keycard.audit_log (zone_id, event_id, occurred_at, actor, action, object_type, object_id)
	VALUES ('z', 'e', now(), 'a', 'create', 'policy_version', 'o')$$);
ROLLBACK;

-- (c) A user trigger: the row goes through the INSERT statement and the
-- trigger fires; after the rollback the direct path is back
BEGIN;
CREATE FUNCTION pg_temp.seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE 'trigger on %: % %', TG_TABLE_NAME, NEW.action, NEW.object_type;
	RETURN NEW;
END $$;
CREATE TRIGGER regress_seen AFTER INSERT ON keycard.audit_log FOR EACH ROW EXECUTE FUNCTION pg_temp.seen();
SET LOCAL client_min_messages = debug1;
SELECT version FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);');
SELECT version FROM keycard.create_policy_set_version(:'zone', :'s',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p', 'policy_version_id', :'v1'))),
	'2026-03-16');
ROLLBACK;
SET client_min_messages = debug1;
SELECT version FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);');
RESET client_min_messages;

-- A column whose type is no longer the value's: the statement converts it
BEGIN;
ALTER TABLE keycard.audit_log ALTER COLUMN object_type TYPE varchar(40);
SET LOCAL client_min_messages = debug1;
SELECT version FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);');
RESET client_min_messages;
SELECT object_type, pg_typeof(object_type) FROM keycard.audit_log WHERE zone_id = :'zone' ORDER BY event_id DESC LIMIT 1;
ROLLBACK;

-- Row-level security for the writer: the function's owner made a role (not
-- a superuser) that owns the tables, audit_log and policies with FORCE ROW
-- LEVEL SECURITY; the audit row goes through the INSERT statement (and its
-- policy check, which lets the platform session through), the policy is
-- read by a statement, the version's row stays direct
BEGIN;
CREATE ROLE regress_direct_owner;
ALTER TABLE keycard.audit_log OWNER TO regress_direct_owner;
ALTER TABLE keycard.audit_log FORCE ROW LEVEL SECURITY;
ALTER TABLE keycard.policies FORCE ROW LEVEL SECURITY;
ALTER TABLE keycard.policy_versions OWNER TO regress_direct_owner;
ALTER TABLE keycard.policies OWNER TO regress_direct_owner;
ALTER FUNCTION keycard.create_policy_version(text, text, text, jsonb, text) OWNER TO regress_direct_owner;
SET LOCAL client_min_messages = debug1;
SELECT pg_temp.err($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'),
	'2026-03-16', cedar_raw => 'permit (principal, action == Action::"read", resource);')$$);
RESET client_min_messages;
ROLLBACK;

-- (d) Unique violations: the policy's counter set back (superuser, trigger
-- off) makes the next version collide with version 1 (the direct path)
BEGIN;
ALTER TABLE keycard.policies DISABLE TRIGGER policies_update;
UPDATE keycard.policies SET latest_version = 0 WHERE zone_id = :'zone' AND policy_id = :'p';
SET LOCAL client_min_messages = debug1;
SELECT pg_temp.try($$SELECT keycard.create_policy_version(current_setting('regress.zone'), current_setting('regress.p'),
	'2026-03-16', cedar_raw => 'permit (principal, action == Action::"read", resource);')$$);
ROLLBACK;

-- (e) Updates: each version bumps its policy (or policy set) row directly,
-- as the UPDATE statement did: the guard trigger's revision bump, the
-- generated etag, latest_* from the row locked.  No DEBUG line: direct.
-- next_version: the statement of the policy's next version, for err()
\set next_version 'SELECT keycard.create_policy_version(current_setting(''regress.zone''), current_setting(''regress.p''), ''2026-03-16'', cedar_raw => ''permit (principal, action == Action::"read", resource);'')'
CREATE TEMP TABLE before AS SELECT * FROM keycard.policies WHERE zone_id = :'zone' AND policy_id = :'p';
SET client_min_messages = debug1;
SELECT version_id AS v, version AS n FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource) when { context has scopes };') \gset
RESET client_min_messages;
SELECT a.latest_version = b.latest_version + 1 AND a.latest_version = :n AS next_number,
	   a.latest_version_id = :'v' AS latest_id, a.latest_schema_version,
	   a.revision = b.revision + 1 AS revision_bumped, a.etag = format('"%s"', a.revision) AS etag_generated,
	   (a.name, a.description, a.owner_type, a.created_at, a.created_by, a.updated_at, a.updated_by,
		a.archived_at, a.archived_by, a.request_id) IS NOT DISTINCT FROM
	   (b.name, b.description, b.owner_type, b.created_at, b.created_by, b.updated_at, b.updated_by,
		b.archived_at, b.archived_by, b.request_id) AS rest_unchanged
FROM keycard.policies a, before b WHERE a.zone_id = b.zone_id AND a.policy_id = b.policy_id;
-- the set's bump: one version after another, each signed with the current key
SELECT jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p', 'policy_version_id', :'v'))) AS m \gset
SET client_min_messages = debug1;
SELECT version FROM keycard.create_policy_set_version(:'zone', :'s', :'m', '2026-03-16');
SELECT version FROM keycard.create_policy_set_version(:'zone', :'s', :'m', '2026-03-16');
RESET client_min_messages;
SELECT s.latest_version, s.latest_version_id = v.version_id AS latest_id, s.revision, s.etag,
	   (SELECT count(*) FROM keycard.attestations a WHERE a.zone_id = v.zone_id AND a.version_id = v.version_id
		AND a.kid = (SELECT kid FROM keycard.zone_keys k WHERE k.zone_id = v.zone_id AND k.status = 'current')) AS signed_with_current
FROM keycard.policy_sets s JOIN keycard.policy_set_versions v
	ON v.zone_id = s.zone_id AND v.policy_set_id = s.policy_set_id AND v.version = s.latest_version
WHERE s.zone_id = :'zone' AND s.policy_set_id = :'s';

-- The same bump through the UPDATE statement (an AFTER ROW trigger on the
-- table, which it fires, sends it there): the same changes
CREATE FUNCTION pg_temp.announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE '% % % on %', TG_WHEN, TG_LEVEL, TG_OP, TG_TABLE_NAME; RETURN NULL; END $$;
BEGIN;
CREATE TRIGGER regress_after AFTER UPDATE ON keycard.policies FOR EACH ROW EXECUTE FUNCTION pg_temp.announce();
TRUNCATE before;
INSERT INTO before SELECT * FROM keycard.policies WHERE zone_id = :'zone' AND policy_id = :'p';
SET LOCAL client_min_messages = debug1;
SELECT version_id AS v, version AS n FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource) when { context has scopes };') \gset
RESET client_min_messages;
SELECT a.latest_version = b.latest_version + 1 AND a.latest_version = :n AS next_number,
	   a.latest_version_id = :'v' AS latest_id, a.revision = b.revision + 1 AS revision_bumped,
	   a.etag = format('"%s"', a.revision) AS etag_generated
FROM keycard.policies a, before b WHERE a.zone_id = b.zone_id AND a.policy_id = b.policy_id;
ROLLBACK;

-- A user's BEFORE ROW trigger runs on the direct path, with its WHEN clause:
-- what it changes is stored; a row it skips is reported as missing
BEGIN;
CREATE FUNCTION pg_temp.describe() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.description := format('%s: %s -> %s', TG_NAME, OLD.latest_version, NEW.latest_version); RETURN NEW; END $$;
CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'regress_refuse fired'; END $$;
CREATE TRIGGER regress_describe BEFORE UPDATE ON keycard.policies FOR EACH ROW EXECUTE FUNCTION pg_temp.describe();
CREATE TRIGGER regress_refuse BEFORE UPDATE ON keycard.policies FOR EACH ROW
	WHEN (NEW.latest_version > 6) EXECUTE FUNCTION pg_temp.refuse();
SET LOCAL client_min_messages = debug1;
SELECT version FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);');
RESET client_min_messages;
SELECT description, etag = format('"%s"', revision) AS etag_generated FROM keycard.policies WHERE zone_id = :'zone' AND policy_id = :'p';
-- a trigger's error fails the creation (err() catches it in a subtransaction);
-- the next creation in the same transaction goes the direct way again
ALTER TABLE keycard.policies DISABLE TRIGGER regress_describe;
CREATE OR REPLACE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'regress_refuse fired at %', NEW.latest_version; END $$;
SELECT pg_temp.err(replace(:'next_version', 'resource);', 'resource) when { context.on_behalf };'))
FROM generate_series(1, 2);
DROP TRIGGER regress_refuse ON keycard.policies;
SET LOCAL client_min_messages = debug1;
SELECT version FROM keycard.create_policy_version(:'zone', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);');
RESET client_min_messages;
ALTER TABLE keycard.policies ENABLE TRIGGER regress_describe;
CREATE OR REPLACE FUNCTION pg_temp.describe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
SELECT pg_temp.err(:'next_version');
ROLLBACK;

-- A CHECK on policies added in this transaction is applied to the bump, with
-- the executor's error (the same through the statement, after the rollback)
BEGIN;
ALTER TABLE keycard.policies ADD CONSTRAINT regress_few_versions CHECK (latest_version <= 5);
SET LOCAL client_min_messages = debug1;
SELECT pg_temp.err(:'next_version');
RESET client_min_messages;
ROLLBACK;
BEGIN;
ALTER TABLE keycard.policies ADD CONSTRAINT regress_few_versions CHECK (latest_version <= 5);
CREATE TRIGGER regress_statement BEFORE UPDATE ON keycard.policies FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.announce();
SELECT pg_temp.err(:'next_version');
ROLLBACK;

-- Bumps whose new row version leaves the page (filled by one transaction's
-- row versions, none of them prunable yet) get index entries, the partial
-- name index's included: each index finds the row
BEGIN;
SELECT policy_id AS moving FROM keycard.create_policy(:'zone', 'direct-moving') \gset
SELECT (ctid::text::point)[0] AS first_page FROM keycard.policies WHERE zone_id = :'zone' AND policy_id = :'moving' \gset
SELECT count(*) AS versions FROM generate_series(1, 40) i,
	LATERAL keycard.create_policy_version(:'zone', :'moving', '2026-03-16',
		cedar_raw => format('permit (principal, action == Action::"read", resource) when { context has scope%s };', i % 3));
SELECT (ctid::text::point)[0] <> :first_page AS moved_page, latest_version FROM keycard.policies WHERE zone_id = :'zone' AND policy_id = :'moving';
COMMIT;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT latest_version AS by_name FROM keycard.policies WHERE zone_id = :'zone' AND name = 'direct-moving' AND archived_at IS NULL;
SELECT latest_version AS by_primary_key FROM keycard.policies WHERE zone_id = :'zone' AND policy_id = :'moving';
RESET enable_seqscan;
RESET enable_bitmapscan;

-- The state kept per table does not grow with calls: the registry's
-- contexts hold as much after 200 more versions as after the first
SELECT sum(total_bytes) AS kept FROM pg_backend_memory_contexts
WHERE name LIKE 'keycard direct write%' OR parent = 'keycard direct write table' \gset
SELECT count(*) FROM generate_series(1, 200) i,
	LATERAL keycard.create_policy_version(:'zone', :'p', '2026-03-16',
		cedar_raw => format('permit (principal, action == Action::"read", resource) when { context has scope%s };', i % 3));
SELECT sum(total_bytes) - :kept AS grown FROM pg_backend_memory_contexts
WHERE name LIKE 'keycard direct write%' OR parent = 'keycard direct write table';
