------------------------------------------------------------------------------
-- keycard install script, part 70: who may call the registry
--
-- Identity comes from the acting database role (src/registry/caller.c): JWT
-- claims count only under the API roles PostgREST switches to, every other
-- role is a SQL caller whose zones are its keycard.zone_members rows.  On top
-- of that, the functions that act for a caller (every SECURITY DEFINER
-- function of the keycard schema: they read or write a zone, or are platform
-- actions) are not executable by PUBLIC.  They are granted to the API roles
-- keycard_api and keycard_platform (what PostgREST's requests call through
-- the api schema) and to keycard_user, the NOLOGIN group role a DBA grants to
-- each SQL caller:
--
--   GRANT keycard_user TO alice;                         -- may call the registry
--   SELECT keycard.add_zone_member('<zone id>', 'alice'); -- in that zone (platform)
--
-- A role without keycard_user (or an API role) can call none of them.  The
-- public helpers that reveal no zone data stay executable by PUBLIC: the
-- public keys (keycard.jwk, keycard.zone_jwks), JWS, JCS and Cedar functions,
-- error codes, and the caller identity functions (row-level security calls
-- keycard.caller_zones() as the reading role).  Trigger functions need no
-- grant.  Runs last, so it covers every function the parts before declare.
------------------------------------------------------------------------------

-- Created only when absent (roles are cluster-wide; DROP EXTENSION leaves it),
-- as a plain NOLOGIN role: its members may SET ROLE to it, so it must not
-- bypass row-level security.
DO $$
DECLARE
	existing pg_catalog.pg_roles;
BEGIN
	SELECT * INTO existing FROM pg_catalog.pg_roles x WHERE x.rolname OPERATOR(pg_catalog.=) 'keycard_user';
	IF NOT FOUND THEN
		CREATE ROLE keycard_user NOLOGIN;
	ELSIF existing.rolcanlogin OR existing.rolsuper OR existing.rolbypassrls THEN
		RAISE EXCEPTION 'role "keycard_user" already exists with LOGIN, SUPERUSER or BYPASSRLS'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'SQL callers are granted this group role; it must be a plain NOLOGIN role so that row-level security applies.',
				  HINT = 'ALTER ROLE keycard_user NOLOGIN NOSUPERUSER NOBYPASSRLS, then try again.';
	END IF;
END
$$;

DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
			 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'keycard'::regnamespace AND p.prosecdef
			   AND p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.trigger'::regtype
			   AND p.oid OPERATOR(pg_catalog.<>) ALL (ARRAY['keycard.jwk(text)'::regprocedure,
															'keycard.zone_jwks(text)'::regprocedure])
			 ORDER BY p.oid LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO keycard_user, keycard_api, keycard_platform', f);
	END LOOP;
END
$$;
