------------------------------------------------------------------------------
-- keycard install script, part 30: security
--
-- Row-level security of the registry tables, the grants on tables, views and
-- the keycard schema, and the tables whose rows pg_dump keeps
-- (pg_extension_config_dump).  A function's privileges stay with its
-- declaration.
------------------------------------------------------------------------------

-- Signing keys: no role but the extension owner reads them; dumped whole.
REVOKE ALL ON keycard.signing_keys FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('keycard.signing_keys', '');

-- Row-level security and grants ----------------------------------------------------

-- SQL callers (roles in keycard.zone_members, granted keycard_user: part 70) use the registry functions and
-- read their zones' rows directly; what they may touch is decided by the
-- functions' zone checks, RLS and table grants, not by schema visibility.
GRANT USAGE ON SCHEMA keycard TO PUBLIC;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['zones', 'zone_members', 'zone_keys', 'audit_log', 'policies', 'policy_versions',
							 'policy_sets', 'policy_set_versions', 'policy_set_version_entries', 'attestations'] LOOP
		EXECUTE format('ALTER TABLE keycard.%I ENABLE ROW LEVEL SECURITY', t);
		-- The scalar subqueries make caller_zones() run once per statement, not per row.
		EXECUTE format('CREATE POLICY zone_isolation ON keycard.%I USING ('
					   '(SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[])) '
					   'WITH CHECK ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]))', t);
		IF t <> 'zone_members' THEN
			EXECUTE format('GRANT SELECT ON keycard.%I TO PUBLIC', t);
		END IF;
	END LOOP;
	FOREACH t IN ARRAY ARRAY['schema_versions', 'schema_version_events'] LOOP
		EXECUTE format('ALTER TABLE keycard.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY platform_data ON keycard.%I FOR SELECT USING (true)', t);
		EXECUTE format('GRANT SELECT ON keycard.%I TO PUBLIC', t);
	END LOOP;
END
$$;
GRANT SELECT ON keycard.schema_version_states TO PUBLIC;

-- pg_dump keeps every row of these tables (shipped schema rows come back with
-- CREATE EXTENSION, so only the others are dumped).
SELECT pg_catalog.pg_extension_config_dump('keycard.schema_versions', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('keycard.schema_version_events', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.zones', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.zone_members', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.zone_keys', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policies', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policy_versions', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policy_sets', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policy_set_versions', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.policy_set_version_entries', '');
SELECT pg_catalog.pg_extension_config_dump('keycard.attestations', '');

-- Views over the registry tables (security_invoker: the tables' RLS applies) ---------

GRANT SELECT ON keycard.zone_schema_versions TO PUBLIC;
GRANT SELECT ON keycard.current_attestations TO PUBLIC;
GRANT SELECT ON keycard.policy_sets_with_binding TO PUBLIC;
GRANT SELECT ON keycard.policy_set_versions_with_binding TO PUBLIC;
GRANT SELECT ON keycard.policy_set_drafts_with_warnings TO PUBLIC;

-- Bindings, binding history and drafts: RLS, grants, dump ---------------------------

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['bindings', 'binding_history', 'policy_drafts', 'policy_set_drafts'] LOOP
		EXECUTE format('ALTER TABLE keycard.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY zone_isolation ON keycard.%I USING ('
					   '(SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[])) '
					   'WITH CHECK ((SELECT keycard.caller_zones()) IS NULL OR zone_id = ANY ((SELECT keycard.caller_zones())::text[]))', t);
		EXECUTE format('GRANT SELECT ON keycard.%I TO PUBLIC', t);
		PERFORM pg_catalog.pg_extension_config_dump(format('keycard.%I', t), '');
	END LOOP;
END
$$;
