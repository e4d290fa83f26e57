-- Read-only transactions: every registry function that writes refuses to run in
-- a READ ONLY transaction with SQLSTATE 25006 (read_only_sql_transaction) and
-- leaves the registry as it was.  PostgREST runs GET requests in READ ONLY
-- transactions and answers 25006 with 405, so an api.* write reached by GET
-- must fail the same way.  The functions come from pg_proc: a new VOLATILE
-- function in schema keycard or api fails this test until it is either given
-- a call below or listed, with a reason, among the functions that write nothing.
\set SHOW_CONTEXT never

-- a key no other test imports (importing a stored key again is an error)
\set ed_pem `openssl genpkey -algorithm ed25519`

-- A zone with real data, made by a customer (keycard_api with a JWT, as
-- PostgREST calls the registry), so that both the platform (this superuser
-- session) and the customer may change every object below.
SELECT zone_id AS z FROM keycard.create_zone('read only') \gset
SELECT set_config('request.jwt.claims', jsonb_build_object('role', 'keycard_api', 'sub', 'alice', 'zones', jsonb_build_array(:'z'))::text, false) IS NOT NULL AS ok;
SET ROLE keycard_api;
-- p: a policy with a version, referenced by the bound set versions
SELECT policy_id AS p FROM keycard.create_policy(:'z', 'readers') \gset
SELECT version_id AS pv FROM keycard.create_policy_version(:'z', :'p', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"read", resource);') \gset
-- d: a policy with a version and a draft
SELECT policy_id AS d FROM keycard.create_policy(:'z', 'drafted') \gset
SELECT version_id AS dv FROM keycard.create_policy_version(:'z', :'d', '2026-03-16',
	cedar_raw => 'permit (principal, action == Action::"write", resource);') \gset
SELECT base_version_id = :'dv' AS draft_on_latest FROM keycard.save_policy_draft(:'z', :'d',
	cedar_raw => 'permit (principal, action == Action::"write", resource) when { context.on_behalf };');
-- x: a policy with a version nothing references (archivable)
SELECT policy_id AS x FROM keycard.create_policy(:'z', 'spare') \gset
SELECT version_id AS xv FROM keycard.create_policy_version(:'z', :'x', '2026-03-16',
	cedar_raw => 'forbid (principal, action == Action::"write", resource);') \gset
-- s: versions 1 (active), 2 (shadow), 3 (unbound)
SELECT policy_set_id AS s FROM keycard.create_policy_set(:'z', 'prod') \gset
SELECT version_id AS s1 FROM keycard.create_policy_set_version(:'z', :'s',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p', 'policy_version_id', :'pv'))), '2026-03-16') \gset
SELECT version_id AS s2 FROM keycard.create_policy_set_version(:'z', :'s', '{"entries": []}', '2026-03-16') \gset
SELECT version_id AS s3 FROM keycard.create_policy_set_version(:'z', :'s', '{"entries": []}', '2026-03-16') \gset
SELECT version, active, mode FROM keycard.activate_policy_set_version(:'z', :'s', :'s1');
SELECT version, active, mode FROM keycard.shadow_policy_set_version(:'z', :'s', :'s2');
-- t: an unbound set with a version (archivable)
SELECT policy_set_id AS t FROM keycard.create_policy_set(:'z', 'retired') \gset
SELECT version_id AS t1 FROM keycard.create_policy_set_version(:'z', :'t', '{"entries": []}', '2026-03-16') \gset
-- u: a set with a draft
SELECT policy_set_id AS u FROM keycard.create_policy_set(:'z', 'drafted set') \gset
SELECT jsonb_array_length(manifest -> 'entries') AS draft_entries FROM keycard.save_policy_set_draft(:'z', :'u',
	jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('policy_id', :'p', 'policy_version_id', :'pv'))));
RESET ROLE;
SELECT set_config('request.jwt.claims', '', false) = '' AS ok;
SELECT count(*) AS policies, sum(latest_version) AS versions FROM keycard.policies WHERE zone_id = :'z';
SELECT name, latest_version, active_version, shadow_version FROM keycard.policy_sets_with_binding WHERE zone_id = :'z' ORDER BY name;
-- a status change that set_schema_version_status may make (archived is final)
SELECT CASE status WHEN 'deprecated' THEN 'active' ELSE 'deprecated' END AS new_status
FROM keycard.schema_version_states WHERE version = '2026-02-24' \gset
\set manifest '{"entries": [{"policy_id": "' :p '", "policy_version_id": "' :pv '"}]}'

-- One call of each writing function, with valid arguments (new policy
-- versions spread over policies p, x and d: a registry that wrongly commits
-- them stays within what later regress files of this database assume).  role NULL: this
-- session (superuser, the platform).  Otherwise the call is a PostgREST request
-- of that role: request.jwt.claims, request.method/path/headers (path
-- parameters in X-Keycard-* headers, as the nginx site passes them), SET LOCAL
-- ROLE, the pre-request api.check_request(), then the function.
CREATE TEMP TABLE ro_calls (fn regprocedure PRIMARY KEY, call text NOT NULL, role text, headers jsonb);
INSERT INTO ro_calls (fn, call) VALUES
	('keycard.create_signing_key(text)', $$keycard.create_signing_key('EdDSA')$$),
	('keycard.import_signing_key(text)', format('keycard.import_signing_key(%L)', :'ed_pem')),
	('keycard.audit(text,text,text,text,jsonb)', format('keycard.audit(%L, %L, %L, %L)', :'z', 'probe', 'zone', :'z')),
	('keycard.create_zone(text,text)', $$keycard.create_zone('read only probe')$$),
	('keycard.add_zone_member(text,text)', format('keycard.add_zone_member(%L, %L)', :'z', 'keycard_api')),
	('keycard.rotate_zone_key(text,text)', format('keycard.rotate_zone_key(%L)', :'z')),
	('keycard.attest(text,text,text)', format('keycard.attest(%L, %L, %L)', :'z', :'s1', 're_signed')),
	('keycard.zone_log_append(text,text,text,text,jsonb)', format('keycard.zone_log_append(%L, %L, %L, %L, %L)',
		:'z', 'probe', 'zone', :'z', '{"type": "probe"}')),
	('keycard.set_default_schema_version(text,text)', format('keycard.set_default_schema_version(%L, %L)', :'z', '2026-02-24')),
	('keycard.set_schema_version_status(text,text)', format('keycard.set_schema_version_status(%L, %L)', '2026-02-24', :'new_status')),
	('keycard.create_policy(text,text,text)', format('keycard.create_policy(%L, %L)', :'z', 'probe')),
	('keycard.lock_policy(text,text,text,boolean)', format('keycard.lock_policy(%L, %L, NULL, false)', :'z', :'p')),
	('keycard.update_policy(text,text,jsonb,text)', format('keycard.update_policy(%L, %L, %L)', :'z', :'p', '{"description": "probe"}')),
	('keycard.archive_policy(text,text)', format('keycard.archive_policy(%L, %L)', :'z', :'x')),
	('keycard.create_policy_version(text,text,text,jsonb,text)', format('keycard.create_policy_version(%L, %L, %L, cedar_raw => %L)',
		:'z', :'p', '2026-03-16', 'permit (principal, action == Action::"access", resource);')),
	('keycard.archive_policy_version(text,text,text)', format('keycard.archive_policy_version(%L, %L, %L)', :'z', :'x', :'xv')),
	('keycard.create_policy_set(text,text,text)', format('keycard.create_policy_set(%L, %L)', :'z', 'probe')),
	('keycard.lock_policy_set(text,text,text)', format('keycard.lock_policy_set(%L, %L, NULL)', :'z', :'s')),
	('keycard.update_policy_set(text,text,jsonb,text)', format('keycard.update_policy_set(%L, %L, %L)', :'z', :'s', '{"name": "probe"}')),
	('keycard.archive_policy_set(text,text,text)', format('keycard.archive_policy_set(%L, %L)', :'z', :'t')),
	('keycard.create_policy_set_version(text,text,jsonb,text)', format('keycard.create_policy_set_version(%L, %L, %L, %L)',
		:'z', :'s', :'manifest', '2026-03-16')),
	('keycard.archive_policy_set_version(text,text,text)', format('keycard.archive_policy_set_version(%L, %L, %L)', :'z', :'t', :'t1')),
	('keycard.bind_policy_set_version(text,text,text,text,text)', format('keycard.bind_policy_set_version(%L, %L, %L, %L)', :'z', :'s', :'s3', 'active')),
	('keycard.activate_policy_set_version(text,text,text,text)', format('keycard.activate_policy_set_version(%L, %L, %L)', :'z', :'s', :'s3')),
	('keycard.shadow_policy_set_version(text,text,text,text)', format('keycard.shadow_policy_set_version(%L, %L, %L)', :'z', :'s', :'s3')),
	('keycard.update_policy_set_version(text,text,text,jsonb)', format('keycard.update_policy_set_version(%L, %L, %L, %L)',
		:'z', :'s', :'s3', '{"active": true}')),
	('keycard.clear_shadow_binding(text,text)', format('keycard.clear_shadow_binding(%L, %L)', :'z', :'s')),
	('keycard.save_policy_draft(text,text,text,jsonb,text,text)', format('keycard.save_policy_draft(%L, %L, cedar_raw => %L)',
		:'z', :'p', 'permit (principal, action, resource);')),
	('keycard.delete_policy_draft(text,text)', format('keycard.delete_policy_draft(%L, %L)', :'z', :'d')),
	('keycard.publish_policy_draft(text,text)', format('keycard.publish_policy_draft(%L, %L)', :'z', :'d')),
	('keycard.save_policy_set_draft(text,text,jsonb,text,text,text,text)', format('keycard.save_policy_set_draft(%L, %L, %L)',
		:'z', :'s', :'manifest')),
	('keycard.delete_policy_set_draft(text,text)', format('keycard.delete_policy_set_draft(%L, %L)', :'z', :'u')),
	('keycard.publish_policy_set_draft(text,text)', format('keycard.publish_policy_set_draft(%L, %L)', :'z', :'u')),
	('keycard.authorize_and_record(text,jsonb)', format('keycard.authorize_and_record(%L, %L)', :'z',
		'{"principal": {"type": "U", "id": "u"}, "action": {"type": "Action", "id": "read"}, "resource": {"type": "R", "id": "r"}}'));
INSERT INTO ro_calls (fn, call, role, headers)
SELECT c.fn, c.call, coalesce(c.role, 'keycard_api'),
	   jsonb_build_object('x-keycard-zone-id', :'z') || coalesce(c.headers, '{}')
FROM (VALUES
	('api.set_default_policy_schema(jsonb)'::regprocedure, $$api.set_default_policy_schema('{}')$$, NULL,
		'{"x-keycard-schema-version": "2026-02-24"}'::jsonb),
	('api.create_policy(jsonb)', $$api.create_policy('{"name": "api probe"}')$$, NULL, NULL),
	('api.update_policy(jsonb)', $$api.update_policy('{"description": "api probe"}')$$, NULL,
		jsonb_build_object('x-keycard-policy-id', :'p')),
	('api.archive_policy()', 'api.archive_policy()', NULL, jsonb_build_object('x-keycard-policy-id', :'x')),
	('api.create_policy_version(jsonb)', format('api.create_policy_version(%L)',
		'{"schema_version": "2026-03-16", "cedar_raw": "permit (principal, action == Action::\"access\", resource);"}'), NULL,
		jsonb_build_object('x-keycard-policy-id', :'x')),
	('api.archive_policy_version()', 'api.archive_policy_version()', NULL,
		jsonb_build_object('x-keycard-policy-id', :'x', 'x-keycard-version-id', :'xv')),
	('api.create_policy_set(jsonb)', $$api.create_policy_set('{"name": "api probe"}')$$, NULL, NULL),
	('api.update_policy_set(jsonb)', $$api.update_policy_set('{"name": "api probe"}')$$, NULL,
		jsonb_build_object('x-keycard-policy-set-id', :'s')),
	('api.archive_policy_set()', 'api.archive_policy_set()', NULL, jsonb_build_object('x-keycard-policy-set-id', :'t')),
	('api.create_policy_set_version(jsonb)', format('api.create_policy_set_version(%L)',
		jsonb_build_object('manifest', :'manifest'::jsonb, 'schema_version', '2026-03-16')), NULL,
		jsonb_build_object('x-keycard-policy-set-id', :'s')),
	('api.archive_policy_set_version()', 'api.archive_policy_set_version()', NULL,
		jsonb_build_object('x-keycard-policy-set-id', :'t', 'x-keycard-version-id', :'t1')),
	('api.update_policy_set_version(jsonb)', $$api.update_policy_set_version('{"active": true}')$$, NULL,
		jsonb_build_object('x-keycard-policy-set-id', :'s', 'x-keycard-version-id', :'s3')),
	('api.rotate_signing_key(jsonb)', $$api.rotate_signing_key('{}')$$, 'keycard_platform', NULL),
	-- the overloads PostgREST calls for an empty body (those that can write)
	('api.set_default_policy_schema()', 'api.set_default_policy_schema()', NULL, '{"x-keycard-schema-version": "2026-02-24"}'),
	('api.update_policy()', 'api.update_policy()', NULL, jsonb_build_object('x-keycard-policy-id', :'p')),
	('api.update_policy_set()', 'api.update_policy_set()', NULL, jsonb_build_object('x-keycard-policy-set-id', :'s')),
	('api.rotate_signing_key()', 'api.rotate_signing_key()', 'keycard_platform', NULL),
	('api.save_policy_draft(jsonb)', $$api.save_policy_draft('{"cedar_raw": "permit (principal, action, resource);"}')$$, NULL,
		jsonb_build_object('x-keycard-policy-id', :'p')),
	('api.delete_policy_draft()', 'api.delete_policy_draft()', NULL, jsonb_build_object('x-keycard-policy-id', :'d')),
	('api.publish_policy_draft()', 'api.publish_policy_draft()', NULL, jsonb_build_object('x-keycard-policy-id', :'d')),
	('api.save_policy_set_draft(jsonb)', format('api.save_policy_set_draft(%L)', jsonb_build_object('manifest', :'manifest'::jsonb)), NULL,
		jsonb_build_object('x-keycard-policy-set-id', :'s')),
	('api.delete_policy_set_draft()', 'api.delete_policy_set_draft()', NULL, jsonb_build_object('x-keycard-policy-set-id', :'u')),
	('api.publish_policy_set_draft()', 'api.publish_policy_set_draft()', NULL, jsonb_build_object('x-keycard-policy-set-id', :'u'))
) c(fn, call, role, headers);

-- The VOLATILE functions that write nothing.  Excluded by rule, without a
-- listing: trigger functions (RETURNS trigger; they run inside the writes
-- above, never as calls of their own).
CREATE TEMP TABLE ro_nonwriting (fn regprocedure PRIMARY KEY, reason text NOT NULL);
INSERT INTO ro_nonwriting VALUES
	('keycard.new_id()', 'a fresh UUIDv7 from the clock and random bytes'),
	('keycard.raise_error(text,text,text,text)', 'only raises an error'),
	('keycard.lock_policy_set_bindings(text,text[])', 'transaction advisory locks and a snapshot cross-check (no row written or locked)'),
	('keycard.api_add_header(text,text)', 'sets the response.headers setting for PostgREST'),
	('keycard.api_created()', 'sets the response.status setting for PostgREST'),
	('keycard.authorize_cache()', 'reads this backend''s counters of its cache of compiled policy set versions'),
	('api.check_request()', 'PostgREST''s pre-request: checks request settings, sets response.headers; runs in READ ONLY GETs too'),
	('api.create_policy()', 'the call without a body: a 400 (a required member is missing) before anything is written'),
	('api.create_policy_version()', 'the call without a body: a 400 (a required member is missing) before anything is written'),
	('api.create_policy_set()', 'the call without a body: a 400 (a required member is missing) before anything is written'),
	('api.create_policy_set_version()', 'the call without a body: a 400 (a required member is missing) before anything is written'),
	('api.update_policy_set_version()', 'the call without a body: a 400 (a required member is missing) before anything is written'),
	('api.save_policy_draft()', 'the call without a body: a 400 (a required member is missing) before anything is written'),
	('api.save_policy_set_draft()', 'the call without a body: a 400 (a required member is missing) before anything is written');

-- Every VOLATILE function of keycard and api is either called here or listed
-- as writing nothing (no rows: nothing forgotten, nothing stale).
WITH volatile AS (
	SELECT p.oid::regprocedure AS fn FROM pg_proc p
	WHERE p.pronamespace IN ('keycard'::regnamespace, 'api'::regnamespace) AND p.provolatile = 'v'
	  AND p.prorettype <> 'trigger'::regtype
)
(SELECT fn::text, 'VOLATILE, neither called nor listed as non-writing' AS problem FROM volatile
 EXCEPT SELECT fn::text, 'VOLATILE, neither called nor listed as non-writing' FROM ro_calls
 EXCEPT SELECT fn::text, 'VOLATILE, neither called nor listed as non-writing' FROM ro_nonwriting)
UNION ALL
(SELECT fn::text, 'called or listed, but not a VOLATILE non-trigger function of keycard or api' FROM ro_calls
 UNION ALL SELECT fn::text, 'called or listed, but not a VOLATILE non-trigger function of keycard or api' FROM ro_nonwriting
 EXCEPT ALL SELECT fn::text, 'called or listed, but not a VOLATILE non-trigger function of keycard or api' FROM volatile)
UNION ALL
(SELECT fn::text, 'both called and listed as non-writing' FROM ro_calls
 INTERSECT SELECT fn::text, 'both called and listed as non-writing' FROM ro_nonwriting)
ORDER BY 1;
SELECT count(*) AS writing_functions_called FROM ro_calls;

-- attempt(fn, keep): runs fn's call in a subtransaction and returns "ok" or
-- the SQLSTATE (with the message, ids masked, when it is not 25006).  keep =
-- false rolls the call back after it succeeded (the read-write control); keep
-- = true leaves whatever it did to the enclosing transaction, which commits.
CREATE FUNCTION pg_temp.attempt(f regprocedure, keep boolean) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	c record;
	st text;
	m text;
BEGIN
	SELECT * INTO STRICT c FROM ro_calls x WHERE x.fn = f;
	BEGIN
		IF c.role IS NOT NULL THEN
			PERFORM set_config('request.jwt.claims',
						jsonb_build_object('role', c.role, 'sub', CASE c.role WHEN 'keycard_platform' THEN 'operator' ELSE 'alice' END,
										   'zones', CASE WHEN c.role = 'keycard_api' THEN jsonb_build_array(c.headers ->> 'x-keycard-zone-id') END)::text, true),
					set_config('request.method', 'POST', true),
					set_config('request.path', '/rpc/' || (SELECT proname FROM pg_proc WHERE oid = f), true),
					set_config('request.headers', c.headers::text, true),
					set_config('request.cookies', '{}', true),
					set_config('role', c.role, true);
			PERFORM api.check_request();
		END IF;
		EXECUTE 'SELECT ' || c.call;
		IF NOT keep THEN
			RAISE EXCEPTION 'roll the call back' USING ERRCODE = 'KRB01';
		END IF;
		PERFORM set_config('role', 'none', true), set_config('request.jwt.claims', '', true);
		RETURN 'ok';
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
		RETURN CASE WHEN st = 'KRB01' THEN 'ok'
					WHEN st = '25006' THEN st
					ELSE st || ': ' || regexp_replace(m, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g') END;
	END;
END $$;
CREATE TEMP TABLE ro_results (fn regprocedure, phase text, result text, PRIMARY KEY (fn, phase));

-- changed_tables(phase): takes a fingerprint of the registry (md5 of every row
-- of every table of schema keycard, in row order) and returns the tables whose
-- rows differ from the previous fingerprint (none for the first).
CREATE TEMP TABLE ro_fingerprints (n integer, phase text, rel regclass, md5 text, PRIMARY KEY (n, rel));
CREATE FUNCTION pg_temp.changed_tables(phase text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	k integer := (SELECT coalesce(max(n), 0) + 1 FROM ro_fingerprints);
	r regclass;
	h text;
BEGIN
	FOR r IN SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'keycard'::regnamespace AND c.relkind IN ('r', 'p') LOOP
		EXECUTE format('SELECT md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text COLLATE "C"), '''')) FROM %s t', r) INTO h;
		INSERT INTO ro_fingerprints VALUES (k, phase, r, h);
	END LOOP;
	IF k > 1 THEN
		RETURN QUERY SELECT coalesce(a.rel, b.rel)::text
			FROM (SELECT * FROM ro_fingerprints f WHERE f.n = k - 1) a
			FULL JOIN (SELECT * FROM ro_fingerprints f WHERE f.n = k) b ON a.rel = b.rel
			WHERE a.md5 IS DISTINCT FROM b.md5 ORDER BY 1;
	END IF;
END $$;
SELECT pg_temp.changed_tables('start');

-- (b) Controls first, on the data above: each call succeeds in a read-write
-- transaction (so a 25006 below is not another error in disguise), and is
-- rolled back.  One transaction per call (psql \gexec, not echoed).
\set ECHO none
SELECT 'BEGIN', format('INSERT INTO ro_results VALUES (%L, %L, pg_temp.attempt(%L, false))', fn, 'read_write', fn), 'COMMIT'
FROM ro_calls ORDER BY fn::text \gexec
\set ECHO all
SELECT pg_temp.changed_tables('after read_write');

-- (a) Each call inside BEGIN READ ONLY ... COMMIT: 25006, and the COMMIT has
-- nothing to keep.
\set ECHO none
SELECT 'BEGIN READ ONLY', format('INSERT INTO ro_results VALUES (%L, %L, pg_temp.attempt(%L, true))', fn, 'read_only', fn), 'COMMIT'
FROM ro_calls ORDER BY fn::text \gexec
\set ECHO all
-- (c) the registry is unchanged (no rows)
SELECT pg_temp.changed_tables('after read_only');

-- default_transaction_read_only = on in the session: the same for representative
-- calls (C and PL/pgSQL, registry and api), each its own implicit transaction.
SET default_transaction_read_only = on;
\set ECHO none
SELECT format('INSERT INTO ro_results VALUES (%L, %L, pg_temp.attempt(%L, true))', fn, 'default_read_only', fn)
FROM ro_calls WHERE fn IN ('keycard.create_policy_version(text,text,text,jsonb,text)',
						   'keycard.create_policy_set_version(text,text,jsonb,text)',
						   'keycard.activate_policy_set_version(text,text,text,text)',
						   'keycard.create_policy(text,text,text)',
						   'api.create_policy_version(jsonb)', 'api.create_policy_set_version(jsonb)',
						   'api.update_policy_set_version(jsonb)')
ORDER BY fn::text \gexec
\set ECHO all
RESET default_transaction_read_only;
SELECT pg_temp.changed_tables('after default_read_only');

-- Every call: ok when read-write, 25006 when read-only
SELECT r.fn, r.result AS read_write, o.result AS read_only, d.result AS default_read_only
FROM ro_results r
JOIN ro_results o ON o.fn = r.fn AND o.phase = 'read_only'
LEFT JOIN ro_results d ON d.fn = r.fn AND d.phase = 'default_read_only'
WHERE r.phase = 'read_write'
ORDER BY r.fn::text;

-- A PostgREST GET of a write: READ ONLY transaction, request settings, role, pre-request, call
\set VERBOSITY sqlstate
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('request.jwt.claims', jsonb_build_object('role', 'keycard_api', 'sub', 'alice', 'zones', jsonb_build_array(:'z'))::text, true) IS NOT NULL AS claims,
	   set_config('request.method', 'GET', true) AS method, set_config('request.path', '/rpc/create_policy_version', true) AS path,
	   set_config('request.headers', jsonb_build_object('x-keycard-zone-id', :'z', 'x-keycard-policy-id', :'d')::text, true) IS NOT NULL AS headers;
SET LOCAL ROLE keycard_api;
SELECT api.check_request();
SELECT version FROM jsonb_to_record(api.create_policy_version('{"schema_version": "2026-03-16", "cedar_raw": "permit (principal, action, resource);"}')) AS v(version int);
COMMIT;
\set VERBOSITY default
SELECT pg_temp.changed_tables('after GET');

-- The fingerprint sees a committed write (the tables a new policy touches)
SELECT name FROM keycard.create_policy(:'z', 'after the test');
SELECT pg_temp.changed_tables('after a write');
