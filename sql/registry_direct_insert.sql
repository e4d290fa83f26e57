-- Registry: rows written directly (src/direct_insert.c) are the rows an INSERT
-- writes, with the executor's errors; any table change it does not handle
-- (a trigger, row-level security for the writer) sends the row through an
-- INSERT statement, which reports itself at DEBUG1.
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
