------------------------------------------------------------------------------
-- keycard install script, part 20: tables
--
-- The registry's data: tables with their constraints and indexes, the views
-- over them (with manifest_warnings(), the SQL function a view calls), the
-- triggers that guard them with their PL/pgSQL trigger functions (those in C
-- are in 10-foundations.sql), and the shipped schema versions.  Row-level
-- security, grants and pg_dump's configuration are in 30-security.sql.
------------------------------------------------------------------------------

-- Signing keys (their functions: 10-foundations.sql) --------------------------------

CREATE TABLE keycard.signing_keys (
	kid text PRIMARY KEY,
	alg text NOT NULL CHECK (alg IN ('RS256', 'EdDSA')),
	public_jwk jsonb NOT NULL,
	kek_id text NOT NULL,
	encrypted_private_key bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE keycard.signing_keys IS
	'Signing keys; kid is the RFC 7638 thumbprint, the private key is sealed under the key-encryption key';

-- Keys are immutable: backends cache loaded keys by kid.
CREATE FUNCTION keycard.signing_keys_immutable() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
	RAISE EXCEPTION 'signing keys cannot be changed or deleted'
		USING ERRCODE = 'integrity_constraint_violation',
			  DETAIL = 'A signing key is identified by the thumbprint of its public key and never changes.',
			  HINT = 'Create a new key instead; retired keys stay published so old signatures still verify.';
END
$$;
CREATE TRIGGER signing_keys_immutable BEFORE UPDATE OR DELETE ON keycard.signing_keys
	FOR EACH ROW EXECUTE FUNCTION keycard.signing_keys_immutable();
CREATE TRIGGER signing_keys_no_truncate BEFORE TRUNCATE ON keycard.signing_keys
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.signing_keys_immutable();
-- Fire under session_replication_role = replica too (as every registry table's).
ALTER TABLE keycard.signing_keys ENABLE ALWAYS TRIGGER signing_keys_immutable;
ALTER TABLE keycard.signing_keys ENABLE ALWAYS TRIGGER signing_keys_no_truncate;

------------------------------------------------------------------------------
-- Registry tables: zones and their keys, schema versions, policies, policy
-- versions, policy sets, policy set versions, attestations, the audit log
-- (the C that writes them: src/registry/; errors, ids and caller identity:
-- 10-foundations.sql; the functions: 40-registry-c.sql, 50-registry.sql)
--
-- Every table is keyed by zone (primary and unique keys lead with zone_id)
-- except the two platform reference tables of schema versions.  Writes go
-- through the SECURITY DEFINER functions of 40-registry-c.sql and
-- 50-registry.sql, which check the caller's zones themselves; row-level
-- security (30-security.sql) keeps direct reads to those zones.
-- Triggers (ENABLE ALWAYS, so replication-role tricks do not skip them) make
-- versions, manifests, attestations and history append-only for every role.
-- Internal helpers and trigger functions run inside those SECURITY DEFINER
-- functions (whose search_path is pinned) and have no SET clause of their
-- own: each SET clause costs a configuration save and restore per call.
--
-- Foreign keys tie every row to the rows it names: each object to its owner
-- (zone, policy, policy set), versions to their schema version, manifest
-- entries to their set version and policy versions, attestations to their
-- set version and zone key, audit and history rows to their zone.
-- PostgreSQL enforces them on every write, whoever makes it.
------------------------------------------------------------------------------

-- Zones and membership ------------------------------------------------------------

CREATE TABLE keycard.schema_versions (
	version text PRIMARY KEY CHECK (version ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
	cedar_schema text NOT NULL,
	cedar_schema_json jsonb NOT NULL,
	initial_status text NOT NULL DEFAULT 'active' CHECK (initial_status IN ('active', 'deprecated', 'archived')),
	shipped boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE keycard.schema_versions IS
	'Cedar schema versions (platform reference data, the same for every zone); status changes live in schema_version_events';

CREATE TABLE keycard.schema_version_events (
	version text NOT NULL REFERENCES keycard.schema_versions (version),
	event_id text NOT NULL,
	status text NOT NULL CHECK (status IN ('active', 'deprecated', 'archived')),
	occurred_at timestamptz NOT NULL,
	actor text NOT NULL,
	request_id text,
	PRIMARY KEY (version, event_id)
);
COMMENT ON TABLE keycard.schema_version_events IS
	'Append-only status changes of schema versions; the latest one is the status';

CREATE VIEW keycard.schema_version_states AS
SELECT s.version, s.cedar_schema, s.cedar_schema_json, s.created_at,
	   coalesce(e.status, s.initial_status) AS status,
	   coalesce(e.occurred_at, s.created_at) AS updated_at,
	   CASE WHEN coalesce(e.status, s.initial_status) OPERATOR(pg_catalog.<>) 'active'
			THEN coalesce(
				(SELECT pg_catalog.max(d.occurred_at) FROM keycard.schema_version_events d
				 WHERE d.version OPERATOR(pg_catalog.=) s.version AND d.status OPERATOR(pg_catalog.=) 'deprecated'),
				CASE WHEN s.initial_status OPERATOR(pg_catalog.<>) 'active' THEN s.created_at END) END AS deprecated_at,
	   CASE WHEN coalesce(e.status, s.initial_status) OPERATOR(pg_catalog.=) 'archived'
			THEN coalesce(e.occurred_at, s.created_at) END AS archived_at
FROM keycard.schema_versions s
LEFT JOIN LATERAL (SELECT x.status, x.occurred_at FROM keycard.schema_version_events x
				   WHERE x.version OPERATOR(pg_catalog.=) s.version
				   ORDER BY x.event_id DESC LIMIT 1) e ON true;
COMMENT ON VIEW keycard.schema_version_states IS
	'Schema versions with their current status, updated_at, deprecated_at and archived_at';

CREATE TABLE keycard.zones (
	zone_id text PRIMARY KEY,
	name text CHECK (length(name) BETWEEN 1 AND 255),
	default_schema_version text NOT NULL REFERENCES keycard.schema_versions (version),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text,
	request_id text
);
COMMENT ON TABLE keycard.zones IS 'Tenants: every other registry row belongs to exactly one zone';

CREATE TABLE keycard.zone_members (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	role_name text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (zone_id, role_name)
);
COMMENT ON TABLE keycard.zone_members IS
	'Operator-kept membership of database roles in zones, for SQL callers (PostgREST callers carry zones in their JWT)';

CREATE TABLE keycard.zone_keys (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	kid text NOT NULL,
	alg text NOT NULL CHECK (alg IN ('RS256', 'EdDSA')),
	status text NOT NULL CHECK (status IN ('current', 'retired')),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	retired_at timestamptz,
	retired_by text,
	request_id text,
	PRIMARY KEY (zone_id, kid),
	CONSTRAINT zone_keys_signing_key_fkey FOREIGN KEY (kid) REFERENCES keycard.signing_keys (kid),
	CHECK ((status = 'retired') = (retired_at IS NOT NULL AND retired_by IS NOT NULL))
);
CREATE UNIQUE INDEX zone_keys_one_current ON keycard.zone_keys (zone_id) WHERE status = 'current';
COMMENT ON TABLE keycard.zone_keys IS
	'Which signing keys (keycard.signing_keys) belong to a zone: one current, the rest retired but still published';

-- History ----------------------------------------------------------------------

CREATE TABLE keycard.audit_log (
	zone_id text NOT NULL,
	event_id text NOT NULL,
	occurred_at timestamptz NOT NULL,
	actor text NOT NULL,
	request_id text,
	action text NOT NULL,
	object_type text NOT NULL,
	object_id text NOT NULL,
	detail jsonb,
	PRIMARY KEY (zone_id, event_id),
	CONSTRAINT audit_log_zone_fkey FOREIGN KEY (zone_id) REFERENCES keycard.zones (zone_id)
);
COMMENT ON TABLE keycard.audit_log IS
	'Append-only record of every registry write: who, when, which request (X-Client-Request-ID), what';

-- Policies and versions -------------------------------------------------------------

CREATE TABLE keycard.policies (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	policy_id text NOT NULL,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	description text CHECK (length(description) <= 4096),
	owner_type text NOT NULL CHECK (owner_type IN ('platform', 'customer')),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text,
	archived_at timestamptz,
	archived_by text,
	latest_version integer,
	latest_version_id text,
	latest_schema_version text,
	revision bigint NOT NULL DEFAULT 1,
	etag text NOT NULL GENERATED ALWAYS AS ('"' || revision::text || '"') STORED,
	request_id text,
	PRIMARY KEY (zone_id, policy_id),
	-- (latest_version_id has none: the bump names the version it precedes)
	CONSTRAINT policies_latest_schema_version_fkey FOREIGN KEY (latest_schema_version)
		REFERENCES keycard.schema_versions (version),
	CHECK ((archived_at IS NULL) = (archived_by IS NULL))
);
CREATE UNIQUE INDEX policies_name_key ON keycard.policies (zone_id, name) WHERE archived_at IS NULL;
COMMENT ON TABLE keycard.policies IS 'Named Cedar policies; their content lives in immutable policy_versions';
COMMENT ON COLUMN keycard.policies.etag IS 'ETag for If-Match: changes on every update of the row';

CREATE TABLE keycard.policy_versions (
	zone_id text NOT NULL,
	policy_id text NOT NULL,
	version_id text NOT NULL,
	version integer NOT NULL CHECK (version > 0),
	schema_version text NOT NULL,
	-- sha ~ '^[0-9a-f]{64}$', without a regular expression (cheaper per insert)
	sha text NOT NULL CHECK (octet_length(sha) = 64 AND ltrim(sha, '0123456789abcdef') = ''),
	owner_type text NOT NULL CHECK (owner_type IN ('platform', 'customer')),
	cedar_json jsonb NOT NULL,
	cedar_raw text NOT NULL,
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	request_id text,
	archived_at timestamptz,
	archived_by text,
	PRIMARY KEY (zone_id, version_id),
	-- The policy leads, not the zone: a zone holds many policies' versions, and
	-- a lookup by (zone_id, version_id), a foreign key check's among them,
	-- must not be planned on this index while statistics are still missing.
	CONSTRAINT policy_versions_number_key UNIQUE (policy_id, zone_id, version),
	-- what manifest entries reference: a version together with its policy
	CONSTRAINT policy_versions_version_policy_key UNIQUE (zone_id, version_id, policy_id),
	FOREIGN KEY (zone_id, policy_id) REFERENCES keycard.policies (zone_id, policy_id),
	CONSTRAINT policy_versions_schema_version_fkey FOREIGN KEY (schema_version)
		REFERENCES keycard.schema_versions (version),
	CHECK ((archived_at IS NULL) = (archived_by IS NULL))
);
-- A policy's versions in id order (the policy leads, as above): a page of its
-- list (api.list_policy_versions) at any depth without sorting them all.
CREATE INDEX policy_versions_by_policy ON keycard.policy_versions (policy_id, zone_id, version_id);
COMMENT ON TABLE keycard.policy_versions IS
	'Immutable policy contents: cedar_json is the normalized EST, sha = hex SHA-256 of its JCS form';

-- Policy sets, versions, attestations -------------------------------------------------

CREATE TABLE keycard.policy_sets (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	policy_set_id text NOT NULL,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	owner_type text NOT NULL CHECK (owner_type IN ('platform', 'customer')),
	scope_type text NOT NULL DEFAULT 'zone' CHECK (scope_type IN ('zone', 'resource', 'user', 'session')),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text,
	archived_at timestamptz,
	archived_by text,
	latest_version integer,
	latest_version_id text,
	revision bigint NOT NULL DEFAULT 1,
	etag text NOT NULL GENERATED ALWAYS AS ('"' || revision::text || '"') STORED,
	request_id text,
	PRIMARY KEY (zone_id, policy_set_id),
	CHECK ((archived_at IS NULL) = (archived_by IS NULL))
);
CREATE UNIQUE INDEX policy_sets_name_key ON keycard.policy_sets (zone_id, name) WHERE archived_at IS NULL;
COMMENT ON TABLE keycard.policy_sets IS 'Named bundles of policy versions, created unbound';

CREATE TABLE keycard.policy_set_versions (
	zone_id text NOT NULL,
	policy_set_id text NOT NULL,
	version_id text NOT NULL,
	version integer NOT NULL CHECK (version > 0),
	schema_version text NOT NULL,
	manifest jsonb NOT NULL,
	manifest_sha text NOT NULL CHECK (octet_length(manifest_sha) = 64 AND ltrim(manifest_sha, '0123456789abcdef') = ''),
	owner_type text NOT NULL CHECK (owner_type IN ('platform', 'customer')),
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	request_id text,
	archived_at timestamptz,
	archived_by text,
	PRIMARY KEY (zone_id, version_id),
	-- (the set leads, as in policy_versions_number_key)
	CONSTRAINT policy_set_versions_number_key UNIQUE (policy_set_id, zone_id, version),
	FOREIGN KEY (zone_id, policy_set_id) REFERENCES keycard.policy_sets (zone_id, policy_set_id),
	CONSTRAINT policy_set_versions_schema_version_fkey FOREIGN KEY (schema_version)
		REFERENCES keycard.schema_versions (version),
	CHECK ((archived_at IS NULL) = (archived_by IS NULL))
) WITH (toast_tuple_target = 8160);
-- (rows of a few kB stay inline and uncompressed: a compression attempt per
-- version cost more than the space it saves; the same for attestations)
-- A set's versions in id order: a page of its list (api.list_policy_set_versions)
-- at any depth without sorting them all.
CREATE INDEX policy_set_versions_by_set ON keycard.policy_set_versions (policy_set_id, zone_id, version_id);
COMMENT ON TABLE keycard.policy_set_versions IS
	'Immutable manifests: manifest = {"entries": [...]} in the client''s order, manifest_sha = hex SHA-256 of its JCS form';

CREATE TABLE keycard.policy_set_version_entries (
	zone_id text NOT NULL,
	version_id text NOT NULL,
	position integer NOT NULL CHECK (position >= 0),
	policy_id text NOT NULL,
	policy_version_id text NOT NULL,
	sha text NOT NULL,
	PRIMARY KEY (zone_id, version_id, position),
	UNIQUE (zone_id, version_id, policy_id),
	CONSTRAINT policy_set_version_entries_version_fkey FOREIGN KEY (zone_id, version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	-- One check per entry covers both the version and that it is its policy's.
	CONSTRAINT policy_set_version_entries_policy_version_fkey FOREIGN KEY (zone_id, policy_version_id, policy_id)
		REFERENCES keycard.policy_versions (zone_id, version_id, policy_id)
);
CREATE INDEX policy_set_version_entries_by_policy_version
	ON keycard.policy_set_version_entries (zone_id, policy_version_id);
COMMENT ON TABLE keycard.policy_set_version_entries IS
	'The manifest entries of each policy set version as rows (which policy versions a set version holds)';

CREATE TABLE keycard.attestations (
	zone_id text NOT NULL,
	attestation_id text NOT NULL,
	version_id text NOT NULL,
	kid text NOT NULL,
	status text NOT NULL CHECK (status IN ('created', 're_signed')),
	statement jsonb NOT NULL,
	jws jsonb NOT NULL,
	attested_at timestamptz NOT NULL,
	attested_by text NOT NULL,
	request_id text,
	PRIMARY KEY (zone_id, attestation_id),
	CONSTRAINT attestations_version_fkey FOREIGN KEY (zone_id, version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT attestations_key_fkey FOREIGN KEY (zone_id, kid) REFERENCES keycard.zone_keys (zone_id, kid)
) WITH (toast_tuple_target = 8160);
CREATE INDEX attestations_by_version ON keycard.attestations (zone_id, version_id, attestation_id);
COMMENT ON TABLE keycard.attestations IS
	'Append-only signature history of policy set versions: the JWS (Flattened JSON) and its decoded statement; the newest row per version is current';

-- Database-enforced rules: immutability, frozen columns, ETag revisions -----------------

CREATE FUNCTION keycard.guard_immutable() RETURNS trigger
	LANGUAGE plpgsql
	AS $$
-- TG_ARGV[0] = 'archive' allows exactly one change: archived_at/archived_by
-- going from NULL to set, every other column unchanged.
DECLARE
	tab text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
	o jsonb;
	n jsonb;
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		PERFORM keycard.raise_error('immutable', format('%s cannot be truncated', tab),
			format('Rule %s: registry history is append-only for every role.', TG_NAME), NULL);
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM keycard.raise_error('immutable', format('rows of %s cannot be deleted', tab),
			format('Rule %s: registry history is append-only for every role.', TG_NAME),
			CASE WHEN TG_NARGS > 0 THEN 'Archive the object instead.' END);
	END IF;
	IF TG_NARGS = 0 OR TG_ARGV[0] <> 'archive' THEN
		PERFORM keycard.raise_error('immutable', format('rows of %s cannot be updated', tab),
			format('Rule %s: these rows never change once written.', TG_NAME), NULL);
	END IF;
	o := to_jsonb(OLD);
	n := to_jsonb(NEW);
	IF (o - 'archived_at' - 'archived_by') IS DISTINCT FROM (n - 'archived_at' - 'archived_by') THEN
		PERFORM keycard.raise_error('immutable', format('rows of %s cannot be updated', tab),
			format('Rule %s: only archived_at and archived_by may change, once.', TG_NAME), NULL);
	END IF;
	IF o ->> 'archived_at' IS NOT NULL THEN
		PERFORM keycard.raise_error('immutable', format('archived row of %s cannot change', tab),
			format('Rule %s: archived_at and archived_by are set once.', TG_NAME), NULL);
	END IF;
	IF n ->> 'archived_at' IS NULL OR n ->> 'archived_by' IS NULL THEN
		PERFORM keycard.raise_error('immutable', format('rows of %s cannot be updated', tab),
			format('Rule %s: an update must set both archived_at and archived_by.', TG_NAME), NULL);
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION keycard.guard_immutable() IS
	'Trigger: no DELETE/TRUNCATE; no UPDATE except (with argument archive) setting archived_at/archived_by once';

CREATE TRIGGER zones_update BEFORE UPDATE ON keycard.zones
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_update('zone_id', 'created_at', 'created_by', 'request_id');
CREATE TRIGGER zones_no_delete BEFORE DELETE ON keycard.zones
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER zone_keys_update BEFORE UPDATE ON keycard.zone_keys
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_update('zone_id', 'kid', 'alg', 'created_at', 'created_by', 'request_id');
CREATE TRIGGER zone_keys_no_delete BEFORE DELETE ON keycard.zone_keys
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policies_update BEFORE UPDATE ON keycard.policies
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_update('zone_id', 'policy_id', 'owner_type', 'created_at', 'created_by', 'request_id');
CREATE TRIGGER policies_no_delete BEFORE DELETE ON keycard.policies
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER policy_sets_update BEFORE UPDATE ON keycard.policy_sets
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_update('zone_id', 'policy_set_id', 'owner_type', 'scope_type', 'created_at', 'created_by', 'request_id');
CREATE TRIGGER policy_sets_no_delete BEFORE DELETE ON keycard.policy_sets
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER policy_versions_immutable BEFORE UPDATE OR DELETE ON keycard.policy_versions
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER policy_set_versions_immutable BEFORE UPDATE OR DELETE ON keycard.policy_set_versions
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable('archive');
CREATE TRIGGER policy_set_version_entries_immutable BEFORE UPDATE OR DELETE ON keycard.policy_set_version_entries
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER attestations_immutable BEFORE UPDATE OR DELETE ON keycard.attestations
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON keycard.audit_log
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER schema_versions_immutable BEFORE UPDATE OR DELETE ON keycard.schema_versions
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER schema_version_events_immutable BEFORE UPDATE OR DELETE ON keycard.schema_version_events
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();

CREATE TRIGGER zones_no_truncate BEFORE TRUNCATE ON keycard.zones
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER zone_keys_no_truncate BEFORE TRUNCATE ON keycard.zone_keys
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policies_no_truncate BEFORE TRUNCATE ON keycard.policies
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policy_sets_no_truncate BEFORE TRUNCATE ON keycard.policy_sets
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policy_versions_no_truncate BEFORE TRUNCATE ON keycard.policy_versions
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policy_set_versions_no_truncate BEFORE TRUNCATE ON keycard.policy_set_versions
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER policy_set_version_entries_no_truncate BEFORE TRUNCATE ON keycard.policy_set_version_entries
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER attestations_no_truncate BEFORE TRUNCATE ON keycard.attestations
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON keycard.audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER schema_versions_no_truncate BEFORE TRUNCATE ON keycard.schema_versions
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER schema_version_events_no_truncate BEFORE TRUNCATE ON keycard.schema_version_events
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();

-- Fire even under session_replication_role = replica: only an explicit
-- ALTER TABLE ... DISABLE TRIGGER by the owner gets around them.
DO $$
DECLARE
	t record;
BEGIN
	FOR t IN SELECT c.relname, g.tgname FROM pg_catalog.pg_trigger g
			 JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
			 JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
			 WHERE s.nspname = 'keycard' AND NOT g.tgisinternal
			   AND c.relname IN ('zones', 'zone_keys', 'audit_log', 'policies', 'policy_versions', 'policy_sets',
								 'policy_set_versions', 'policy_set_version_entries', 'attestations',
								 'schema_versions', 'schema_version_events') LOOP
		EXECUTE format('ALTER TABLE keycard.%I ENABLE ALWAYS TRIGGER %I', t.relname, t.tgname);
	END LOOP;
END
$$;

-- Views of schema versions and attestations -----------------------------------------

CREATE VIEW keycard.zone_schema_versions WITH (security_invoker = true) AS
SELECT z.zone_id, s.version, s.status, s.created_at, s.updated_at, s.archived_at, s.deprecated_at,
	   s.cedar_schema, s.cedar_schema_json, s.version = z.default_schema_version AS is_default
FROM keycard.zones z CROSS JOIN keycard.schema_version_states s;
COMMENT ON VIEW keycard.zone_schema_versions IS
	'SchemaVersionWithZoneInfo: every schema version per visible zone, with is_default';

CREATE VIEW keycard.current_attestations WITH (security_invoker = true) AS
SELECT DISTINCT ON (a.zone_id, a.version_id) a.*
FROM keycard.attestations a
ORDER BY a.zone_id, a.version_id, a.attestation_id DESC;
COMMENT ON VIEW keycard.current_attestations IS
	'The newest attestation of each policy set version (PolicySetVersion.attestation is its statement)';

------------------------------------------------------------------------------
-- Registry part 2: bindings, archive guards, drafts (binding functions and
-- the bindings_guard trigger in C: src/registry/bindings.c; the rest SQL and PL/pgSQL;
-- tests sql/registry_bindings*.sql, sql/registry_drafts.sql,
-- test/isolation/specs/registry_binding_*.spec, bench/45-activation)
--
-- A slot is (zone, scope type, scope target; the zone id is the target of the
-- zone scope) and holds at most one active and one shadow binding: unique
-- indexes say so whatever writes the rows, and the bindings_guard trigger
-- lets rows change only inside the binding functions (bind, activate,
-- shadow, clear_shadow_binding: a backend-local flag that only they raise,
-- and lower on every exit), which record every change in the append-only
-- binding_history.  Concurrency: a binding change takes transaction
-- advisory locks on its slot and then on its policy set; the archive guards
-- (triggers on part 1's tables) take the lock of every set concerned before
-- they look at the bindings.  Both sides read only after their locks, so
-- under READ COMMITTED the later one waits and then sees what the other
-- committed.  Under REPEATABLE READ a snapshot older than the other's commit
-- would miss it, so each side also reads what it checks with the latest
-- snapshot and fails with a serialization error where the two differ: an
-- archived version is never bound and a bound one is never archived.  (An
-- advisory lock writes nothing; the per-set row that both sides used to
-- update cost a heap update and WAL on every activation.  A row lock on the
-- version or set row would not do either: a lock taken by a transaction that
-- has committed is no conflict for a REPEATABLE READ snapshot.)
------------------------------------------------------------------------------

CREATE TABLE keycard.bindings (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	scope_type text NOT NULL,
	scope_target_id text NOT NULL,
	mode text NOT NULL,
	policy_set_id text NOT NULL,
	version_id text NOT NULL,
	version integer NOT NULL,
	bound_at timestamptz NOT NULL,
	bound_by text NOT NULL,
	request_id text,
	PRIMARY KEY (zone_id, scope_type, scope_target_id, mode),
	FOREIGN KEY (zone_id, policy_set_id) REFERENCES keycard.policy_sets (zone_id, policy_set_id),
	FOREIGN KEY (zone_id, version_id) REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT bindings_check CHECK (keycard.binding_row_check(zone_id, scope_type, scope_target_id, mode))
);
-- A version is never active and shadow at once; a set has one active and one shadow version at most.
CREATE UNIQUE INDEX bindings_version_key ON keycard.bindings (zone_id, version_id);
CREATE UNIQUE INDEX bindings_policy_set_key ON keycard.bindings (zone_id, policy_set_id, mode);
COMMENT ON TABLE keycard.bindings IS
	'Current bindings: per slot (zone, scope type, scope target) at most one active and one shadow policy set version';

CREATE TABLE keycard.binding_history (
	zone_id text NOT NULL,
	event_id text NOT NULL,
	occurred_at timestamptz NOT NULL,
	actor text NOT NULL,
	request_id text,
	action text NOT NULL,
	scope_type text NOT NULL,
	scope_target_id text NOT NULL,
	mode text NOT NULL,
	from_policy_set_id text,
	from_version_id text,
	from_version integer,
	to_policy_set_id text,
	to_version_id text,
	to_version integer,
	PRIMARY KEY (zone_id, event_id),
	CONSTRAINT binding_history_zone_fkey FOREIGN KEY (zone_id) REFERENCES keycard.zones (zone_id),
	CONSTRAINT binding_history_from_version_fkey FOREIGN KEY (zone_id, from_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT binding_history_to_version_fkey FOREIGN KEY (zone_id, to_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT binding_history_check CHECK (keycard.binding_history_row_check(action, mode, from_version_id, to_version_id))
);
CREATE INDEX binding_history_by_slot ON keycard.binding_history (zone_id, scope_type, scope_target_id, event_id);
COMMENT ON TABLE keycard.binding_history IS
	'Append-only record of every binding change: who, when, which request, which slot and mode, from which version to which';

-- Binding rows: who may write them (keycard.bindings_guard(), 10-foundations.sql) ----

CREATE TRIGGER bindings_guard BEFORE INSERT OR UPDATE OR DELETE ON keycard.bindings
	FOR EACH ROW EXECUTE FUNCTION keycard.bindings_guard();
CREATE TRIGGER bindings_no_truncate BEFORE TRUNCATE ON keycard.bindings
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.bindings_guard();
CREATE TRIGGER binding_history_immutable BEFORE UPDATE OR DELETE ON keycard.binding_history
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER binding_history_no_truncate BEFORE TRUNCATE ON keycard.binding_history
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();

-- Archive guards on part 1's tables -------------------------------------------------

CREATE FUNCTION keycard.archive_guard() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
-- Fires when archived_at is being set on a policy set version, a policy set
-- or a policy version; refuses while a binding holds it.  Taking the sets'
-- locks first makes a concurrent binding change of the same sets finish
-- before the bindings are read (lock_policy_set_bindings).
DECLARE
	h record;
	sets text[];
BEGIN
	IF TG_TABLE_NAME = 'policy_versions' THEN
		SELECT array_agg(DISTINCT v.policy_set_id) INTO sets
		FROM keycard.policy_set_version_entries e
		JOIN keycard.policy_set_versions v ON v.zone_id = e.zone_id AND v.version_id = e.version_id
		WHERE e.zone_id = NEW.zone_id AND e.policy_version_id = NEW.version_id;
		IF sets IS NULL THEN
			RETURN NEW;
		END IF;
		PERFORM keycard.lock_policy_set_bindings(NEW.zone_id, sets);
		SELECT b.*, v.version AS set_version, s.name AS set_name, p.name AS policy_name INTO h
		FROM keycard.policy_set_version_entries e
		JOIN keycard.bindings b ON b.zone_id = e.zone_id AND b.version_id = e.version_id
		JOIN keycard.policy_set_versions v ON v.zone_id = b.zone_id AND v.version_id = b.version_id
		JOIN keycard.policy_sets s ON s.zone_id = b.zone_id AND s.policy_set_id = b.policy_set_id
		JOIN keycard.policies p ON p.zone_id = e.zone_id AND p.policy_id = e.policy_id
		WHERE e.zone_id = NEW.zone_id AND e.policy_version_id = NEW.version_id
		ORDER BY b.mode, s.name, b.version_id
		LIMIT 1;
		IF FOUND THEN
			PERFORM keycard.raise_error('bound',
				format('version %s of policy "%s" is bound', NEW.version, h.policy_name),
				format('Version %s of policy set "%s", bound %s for %s, references it.',
					   h.set_version, h.set_name, h.mode, keycard.slot_text(h.scope_type, h.scope_target_id)),
				'Bind a policy set version that does not reference it first.');
		END IF;
	ELSIF TG_TABLE_NAME = 'policy_set_versions' THEN
		PERFORM keycard.lock_policy_set_bindings(NEW.zone_id, ARRAY[NEW.policy_set_id]);
		SELECT b.*, s.name AS set_name INTO h
		FROM keycard.bindings b
		JOIN keycard.policy_sets s ON s.zone_id = b.zone_id AND s.policy_set_id = b.policy_set_id
		WHERE b.zone_id = NEW.zone_id AND b.version_id = NEW.version_id;
		IF FOUND THEN
			PERFORM keycard.raise_error('bound',
				format('version %s of policy set "%s" is bound', NEW.version, h.set_name),
				format('It is bound %s for %s.', h.mode, keycard.slot_text(h.scope_type, h.scope_target_id)),
				CASE h.mode WHEN 'active' THEN 'Activate another version in that slot first.'
					ELSE 'Bind another version as shadow, or clear the shadow binding, first.' END);
		END IF;
	ELSIF TG_TABLE_NAME = 'policy_sets' THEN
		PERFORM keycard.lock_policy_set_bindings(NEW.zone_id, ARRAY[NEW.policy_set_id]);
		SELECT * INTO h FROM keycard.bindings x
		WHERE x.zone_id = NEW.zone_id AND x.policy_set_id = NEW.policy_set_id
		ORDER BY x.mode
		LIMIT 1;
		IF FOUND THEN
			PERFORM keycard.raise_error('bound', format('policy set "%s" is bound', NEW.name),
				format('Its version %s is bound %s for %s.', h.version, h.mode, keycard.slot_text(h.scope_type, h.scope_target_id)),
				CASE h.mode WHEN 'active' THEN 'Activate a version of another policy set in that slot first.'
					ELSE 'Bind another version as shadow, or clear the shadow binding, first.' END);
		END IF;
	ELSE
		RAISE EXCEPTION 'keycard.archive_guard() is not for table %', TG_TABLE_NAME;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION keycard.archive_guard() IS
	'Trigger: a bound policy set version, the policy versions its manifest references and its policy set cannot be archived';

CREATE TRIGGER policy_versions_archive_bound BEFORE UPDATE ON keycard.policy_versions
	FOR EACH ROW WHEN (OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL)
	EXECUTE FUNCTION keycard.archive_guard();
CREATE TRIGGER policy_set_versions_archive_bound BEFORE UPDATE ON keycard.policy_set_versions
	FOR EACH ROW WHEN (OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL)
	EXECUTE FUNCTION keycard.archive_guard();
CREATE TRIGGER policy_sets_archive_bound BEFORE UPDATE ON keycard.policy_sets
	FOR EACH ROW WHEN (OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL)
	EXECUTE FUNCTION keycard.archive_guard();

-- Binding views: PolicySetWithBinding and PolicySetVersion.active ----------------------

CREATE VIEW keycard.policy_sets_with_binding WITH (security_invoker = true) AS
SELECT s.*,
	   (a.version_id IS NOT NULL OR h.version_id IS NOT NULL) AS active,
	   a.version AS active_version,
	   a.version_id AS active_version_id,
	   CASE WHEN a.version_id IS NOT NULL THEN 'active' WHEN h.version_id IS NOT NULL THEN 'shadow' END AS mode,
	   coalesce(a.scope_target_id, h.scope_target_id) AS scope_target_id,
	   h.version AS shadow_version,
	   h.version_id AS shadow_version_id
FROM keycard.policy_sets s
LEFT JOIN keycard.bindings a
	   ON a.zone_id OPERATOR(pg_catalog.=) s.zone_id AND a.policy_set_id OPERATOR(pg_catalog.=) s.policy_set_id
	  AND a.mode OPERATOR(pg_catalog.=) 'active'
LEFT JOIN keycard.bindings h
	   ON h.zone_id OPERATOR(pg_catalog.=) s.zone_id AND h.policy_set_id OPERATOR(pg_catalog.=) s.policy_set_id
	  AND h.mode OPERATOR(pg_catalog.=) 'shadow';
COMMENT ON VIEW keycard.policy_sets_with_binding IS
	'PolicySetWithBinding: policy sets with active (bound in either mode), active_version(_id), mode (active, else shadow), scope_target_id, shadow_version(_id)';

CREATE VIEW keycard.policy_set_versions_with_binding WITH (security_invoker = true) AS
SELECT v.*,
	   coalesce(b.mode OPERATOR(pg_catalog.=) 'active', false) AS active,
	   b.mode,
	   b.scope_target_id
FROM keycard.policy_set_versions v
LEFT JOIN keycard.bindings b
	   ON b.zone_id OPERATOR(pg_catalog.=) v.zone_id AND b.version_id OPERATOR(pg_catalog.=) v.version_id;
COMMENT ON VIEW keycard.policy_set_versions_with_binding IS
	'Policy set versions with active (bound with mode active), the binding mode (active, shadow or null) and scope_target_id';

-- Drafts -------------------------------------------------------------------------------------

-- Drafts are written only by the draft functions (50-registry.sql), which check
-- the policy (set) and base version they name; those rows are never deleted, so
-- no foreign keys tie the working copies to part 1's tables.
CREATE TABLE keycard.policy_drafts (
	zone_id text NOT NULL,
	policy_id text NOT NULL,
	schema_version text NOT NULL REFERENCES keycard.schema_versions (version),
	cedar_json jsonb,
	cedar_raw text,
	base_version_id text,
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text NOT NULL,
	request_id text,
	PRIMARY KEY (zone_id, policy_id),
	CHECK ((cedar_json IS NULL) <> (cedar_raw IS NULL))
);
COMMENT ON TABLE keycard.policy_drafts IS
	'One mutable working copy per policy: Cedar text or JSON as saved (checked only when published)';

CREATE TABLE keycard.policy_set_drafts (
	zone_id text NOT NULL,
	policy_set_id text NOT NULL,
	manifest jsonb NOT NULL,
	schema_version text NOT NULL REFERENCES keycard.schema_versions (version),
	name text CHECK (length(name) BETWEEN 1 AND 255),
	description text CHECK (length(description) <= 4096),
	base_version_id text,
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text NOT NULL,
	request_id text,
	PRIMARY KEY (zone_id, policy_set_id)
);
COMMENT ON TABLE keycard.policy_set_drafts IS
	'One mutable working copy per policy set: a manifest (entries with shas filled) that may hold what publishing would refuse';

-- Warnings of a draft manifest, computed when read (a policy version archived
-- after the save shows up).
CREATE FUNCTION keycard.manifest_warnings(zone_id text, manifest jsonb, schema_version text) RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
		SELECT pg_catalog.jsonb_agg(w.warning ORDER BY w.n, w.k)
		FROM (
			SELECT e.n, 1 AS k, pg_catalog.jsonb_build_object(
					'type', 'policy_version_archived',
					'message', CASE WHEN p.archived_at IS NOT NULL
									THEN pg_catalog.format('policy "%s" is archived', p.name)
									ELSE pg_catalog.format('version %s of policy "%s" is archived', pv.version, p.name) END,
					'policy_id', pv.policy_id, 'policy_version_id', pv.version_id) AS warning
			FROM pg_catalog.jsonb_array_elements(manifest OPERATOR(pg_catalog.->) 'entries') WITH ORDINALITY e(x, n)
			JOIN keycard.policy_versions pv ON pv.zone_id OPERATOR(pg_catalog.=) manifest_warnings.zone_id
				AND pv.version_id OPERATOR(pg_catalog.=) (e.x OPERATOR(pg_catalog.->>) 'policy_version_id')
			JOIN keycard.policies p ON p.zone_id OPERATOR(pg_catalog.=) pv.zone_id AND p.policy_id OPERATOR(pg_catalog.=) pv.policy_id
			WHERE pv.archived_at IS NOT NULL OR p.archived_at IS NOT NULL
			UNION ALL
			SELECT e.n, 2, pg_catalog.jsonb_build_object(
					'type', 'schema_version_mismatch',
					'message', pg_catalog.format('version %s of policy "%s" was validated against schema version "%s", the draft uses "%s"',
												 pv.version, p.name, pv.schema_version, manifest_warnings.schema_version),
					'policy_id', pv.policy_id, 'policy_version_id', pv.version_id,
					'detail', pg_catalog.jsonb_build_object('draft_schema_version', manifest_warnings.schema_version,
															 'policy_schema_version', pv.schema_version))
			FROM pg_catalog.jsonb_array_elements(manifest OPERATOR(pg_catalog.->) 'entries') WITH ORDINALITY e(x, n)
			JOIN keycard.policy_versions pv ON pv.zone_id OPERATOR(pg_catalog.=) manifest_warnings.zone_id
				AND pv.version_id OPERATOR(pg_catalog.=) (e.x OPERATOR(pg_catalog.->>) 'policy_version_id')
			JOIN keycard.policies p ON p.zone_id OPERATOR(pg_catalog.=) pv.zone_id AND p.policy_id OPERATOR(pg_catalog.=) pv.policy_id
			WHERE pv.schema_version OPERATOR(pg_catalog.<>) manifest_warnings.schema_version
		) w;
	END;
COMMENT ON FUNCTION keycard.manifest_warnings(text, jsonb, text) IS
	'Draft warnings of a manifest: policy_version_archived and schema_version_mismatch (with detail) entries in manifest order, or NULL when there are none';

CREATE VIEW keycard.policy_set_drafts_with_warnings WITH (security_invoker = true) AS
SELECT d.*, keycard.manifest_warnings(d.zone_id, d.manifest, d.schema_version) AS warnings
FROM keycard.policy_set_drafts d;
COMMENT ON VIEW keycard.policy_set_drafts_with_warnings IS
	'Policy set drafts with their current warnings (NULL when there are none)';

-- These triggers fire under session_replication_role = replica too -------------------

ALTER TABLE keycard.bindings ENABLE ALWAYS TRIGGER bindings_guard;
ALTER TABLE keycard.bindings ENABLE ALWAYS TRIGGER bindings_no_truncate;
ALTER TABLE keycard.binding_history ENABLE ALWAYS TRIGGER binding_history_immutable;
ALTER TABLE keycard.binding_history ENABLE ALWAYS TRIGGER binding_history_no_truncate;
ALTER TABLE keycard.policy_versions ENABLE ALWAYS TRIGGER policy_versions_archive_bound;
ALTER TABLE keycard.policy_set_versions ENABLE ALWAYS TRIGGER policy_set_versions_archive_bound;
ALTER TABLE keycard.policy_sets ENABLE ALWAYS TRIGGER policy_sets_archive_bound;

------------------------------------------------------------------------------
-- Registry: the shipped schema versions (keycard.cedar_platform_schemas(),
-- in 10-foundations.sql, is the one copy of their texts).
-- The newest is active; older ones are deprecated (they still accept new
-- policy versions).
------------------------------------------------------------------------------

INSERT INTO keycard.schema_versions (version, cedar_schema, cedar_schema_json, initial_status, shipped, created_at)
SELECT p.version, p.cedar_schema, p.cedar_schema_json,
	   CASE WHEN p.version = max(p.version) OVER () THEN 'active' ELSE 'deprecated' END,
	   true, (p.version || 'T00:00:00Z')::timestamptz
FROM keycard.cedar_platform_schemas() p;
