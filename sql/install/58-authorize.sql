------------------------------------------------------------------------------
-- keycard install script, part 58: the registry decides
--
-- keycard.authorize(zone_id, request) answers a Cedar request with the zone's
-- active policy set versions: the zone slot's and those of the scope targets
-- the request names ({"resource", "user", "session": id}, as in
-- keycard.policy_bundle), each shadow-bound version evaluated beside them.
-- Only attested content is evaluated; compiled set versions are cached per
-- backend (src/registry/authorize.c).  It reads only: standbys and READ ONLY
-- transactions answer, and a row-level security policy may call it.
-- keycard.authorize_and_record also keeps each shadow decision that differs
-- from the active one in keycard.shadow_decisions, append-only, for review.
-- Tests: sql/registry_authorize.sql; bench/27-registry-authorize.
------------------------------------------------------------------------------

CREATE TABLE keycard.shadow_decisions (
	zone_id text NOT NULL REFERENCES keycard.zones (zone_id),
	event_id text NOT NULL,
	occurred_at timestamptz NOT NULL,
	actor text NOT NULL,
	request_id text,
	scope_type text NOT NULL CHECK (scope_type IN ('zone', 'resource', 'user', 'session')),
	scope_target_id text NOT NULL,
	policy_set_id text NOT NULL,
	active_version_id text,
	shadow_version_id text NOT NULL,
	decision text NOT NULL CHECK (decision IN ('allow', 'deny')),
	shadow_decision text NOT NULL CHECK (shadow_decision IN ('allow', 'deny')),
	request jsonb NOT NULL,
	answer jsonb NOT NULL,
	PRIMARY KEY (zone_id, event_id),
	CONSTRAINT shadow_decisions_active_version_fkey FOREIGN KEY (zone_id, active_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id),
	CONSTRAINT shadow_decisions_shadow_version_fkey FOREIGN KEY (zone_id, shadow_version_id)
		REFERENCES keycard.policy_set_versions (zone_id, version_id)
);
CREATE INDEX shadow_decisions_by_shadow_version ON keycard.shadow_decisions (zone_id, shadow_version_id, event_id);
COMMENT ON TABLE keycard.shadow_decisions IS
	'Append-only record of shadow decisions that differed from the active one (keycard.authorize_and_record): the slot, both versions, both decisions, the request and the whole answer';

CREATE TRIGGER shadow_decisions_immutable BEFORE UPDATE OR DELETE ON keycard.shadow_decisions
	FOR EACH ROW EXECUTE FUNCTION keycard.guard_immutable();
CREATE TRIGGER shadow_decisions_no_truncate BEFORE TRUNCATE ON keycard.shadow_decisions
	FOR EACH STATEMENT EXECUTE FUNCTION keycard.guard_immutable();
ALTER TABLE keycard.shadow_decisions ENABLE ALWAYS TRIGGER shadow_decisions_immutable;
ALTER TABLE keycard.shadow_decisions ENABLE ALWAYS TRIGGER shadow_decisions_no_truncate;

ALTER TABLE keycard.shadow_decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY zone_isolation ON keycard.shadow_decisions
	USING ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]))
	WITH CHECK ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]));
GRANT SELECT ON keycard.shadow_decisions TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('keycard.shadow_decisions', '');

-- STABLE: bindings are read with the calling statement's snapshot (a row-level
-- security policy sees one set of bindings per statement).
CREATE FUNCTION keycard.authorize(zone_id text, request jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_authorize'
	LANGUAGE C STABLE STRICT SECURITY DEFINER PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.authorize(text, jsonb) IS
	'Cedar decision of the zone''s active policy set versions (zone slot and the request''s targets: resource, user, session) on {principal, action, resource, context?, entities?, targets?}: decision, reasons, errored_policies, the set versions evaluated, and each shadow version''s decision in its slot';

CREATE FUNCTION keycard.authorize_and_record(zone_id text, request jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_authorize_and_record'
	LANGUAGE C VOLATILE STRICT SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.authorize_and_record(text, jsonb) IS
	'keycard.authorize, and each shadow decision that differs from the active one recorded in keycard.shadow_decisions';

CREATE FUNCTION keycard.authorize_cache() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'keycard_authorize_cache'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION keycard.authorize_cache() IS
	'This backend''s cache of compiled policy set versions: entries, bytes, hits, loads, evictions and its bounds';
