------------------------------------------------------------------------------
-- keycard install script, part 40: the registry's functions in C
--
-- Declared after the tables because they return registry row types (a
-- declaration names its result type, which must exist): creating policy and
-- policy set versions, attestations, binding changes.  With them, the other
-- registry operations written in C: the audit writer and the binding locks.
-- (src/registry/registry.c, src/registry/policy_version.c,
-- src/registry/policy_set_version.c, src/registry/bindings.c)
------------------------------------------------------------------------------

-- One writer of audit rows for the SQL and the C functions (src/registry/registry.c).
CREATE FUNCTION keycard.audit(zone_id text, action text, object_type text, object_id text, detail jsonb DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'keycard_audit'
	LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION keycard.audit(text, text, text, text, jsonb) FROM PUBLIC;

-- Signs a policy set version's attestation statement with the zone's current
-- key and appends it to the signature history (src/registry/policy_set_version.c,
-- which creates the first attestation of each version the same way).
CREATE FUNCTION keycard.attest(zone_id text, version_id text, status text) RETURNS keycard.attestations
	AS 'MODULE_PATHNAME', 'keycard_attest'
	LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION keycard.attest(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION keycard.attest(text, text, text) IS
	'Internal: signs a policy set version''s attestation statement with the zone''s current key and records it';

-- Creating versions ----------------------------------------------------------------------

CREATE FUNCTION keycard.create_policy_version(zone_id text, policy_id text, schema_version text,
											  cedar_json jsonb DEFAULT NULL, cedar_raw text DEFAULT NULL)
	RETURNS keycard.policy_versions
	AS 'MODULE_PATHNAME', 'keycard_create_policy_version'
	LANGUAGE C VOLATILE SECURITY DEFINER PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.create_policy_version(text, text, text, jsonb, text) IS
	'Creates the next version of a policy from Cedar text or Cedar JSON (exactly one): parsed, validated against the schema version, normalized, hashed (sha = hex SHA-256 of the JCS of the normalized EST)';

CREATE FUNCTION keycard.create_policy_set_version(zone_id text, policy_set_id text, manifest jsonb, schema_version text)
	RETURNS keycard.policy_set_versions
	AS 'MODULE_PATHNAME', 'keycard_create_policy_set_version'
	LANGUAGE C VOLATILE SECURITY DEFINER PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.create_policy_set_version(text, text, jsonb, text) IS
	'Creates the next version of a policy set: checks and fills every manifest entry, computes manifest_sha and signs the attestation with the zone''s current key';

-- In C (src/registry/bindings.c): the advisory locks of the sets, in id order, and
-- under REPEATABLE READ the cross-check of their bindings.
CREATE FUNCTION keycard.lock_policy_set_bindings(zone_id text, policy_set_ids text[]) RETURNS void
	AS 'MODULE_PATHNAME', 'keycard_lock_policy_set_bindings'
	LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION keycard.lock_policy_set_bindings(text, text[]) FROM PUBLIC;
COMMENT ON FUNCTION keycard.lock_policy_set_bindings(text, text[]) IS
	'Internal, for the archive guards: waits for binding changes of the policy sets (their advisory locks, in id order); under REPEATABLE READ fails if their bindings changed since the snapshot';

-- Binding functions ----------------------------------------------------------------------

-- In C (src/registry/bindings.c): the checks, locks and writes are described there.
CREATE FUNCTION keycard.bind_policy_set_version(zone_id text, policy_set_id text, version_id text,
												mode text DEFAULT 'active', scope_target_id text DEFAULT NULL)
	RETURNS keycard.policy_set_versions_with_binding
	AS 'MODULE_PATHNAME', 'keycard_bind_policy_set_version'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.bind_policy_set_version(text, text, text, text, text) IS
	'Binds a policy set version in its slot with mode active (takes the slot over, demoting the previous binding; the shadow-bound version is promoted) or shadow (one per slot); records the change';

CREATE FUNCTION keycard.activate_policy_set_version(zone_id text, policy_set_id text, version_id text,
													scope_target_id text DEFAULT NULL)
	RETURNS keycard.policy_set_versions_with_binding
	AS 'MODULE_PATHNAME', 'keycard_activate_policy_set_version'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.activate_policy_set_version(text, text, text, text) IS
	'Activates a policy set version in its slot (roll forward and roll back alike): the previous active binding is demoted, a shadow-bound version is promoted';

CREATE FUNCTION keycard.shadow_policy_set_version(zone_id text, policy_set_id text, version_id text,
												  scope_target_id text DEFAULT NULL)
	RETURNS keycard.policy_set_versions_with_binding
	AS 'MODULE_PATHNAME', 'keycard_shadow_policy_set_version'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.shadow_policy_set_version(text, text, text, text) IS
	'Binds a policy set version as the shadow of its slot (observed beside the active one), replacing the previous shadow';

CREATE FUNCTION keycard.clear_shadow_binding(zone_id text, policy_set_id text)
	RETURNS keycard.policy_sets_with_binding
	AS 'MODULE_PATHNAME', 'keycard_clear_shadow_binding'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION keycard.clear_shadow_binding(text, text) IS
	'Removes the policy set''s shadow binding, if any (active bindings are never removed); records the change';
