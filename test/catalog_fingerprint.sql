-- Catalog fingerprint of the keycard extension: one line of text per fact the
-- catalogs hold about what the extension owns, in a fixed order, so that two
-- installations can be compared with diff.  Proves that a change of the
-- install script's layout (or an upgrade script, against a fresh install of
-- the same version) leaves the extension exactly as it was.
--
--   psql -X -A -t -q -d DB -f test/catalog_fingerprint.sql > fingerprint.txt
--
-- Covered: every member of the extension (pg_depend deptype 'e') by
-- description; functions (pg_get_functiondef, result, kind, volatility,
-- parallel safety, strictness, security definer, leakproof, cost, rows,
-- proconfig, ACL, comment); schemas (owner, ACL, comment); relations (kind,
-- owner, ACL, options, row-level security, comment), their columns in order
-- (name, type, collation, not null, default, generated, identity, ACL,
-- comment), constraints (pg_get_constraintdef, validity, deferrability,
-- comment), indexes (pg_get_indexdef, comment), user triggers
-- (pg_get_triggerdef, tgenabled, comment), rewrite rules other than a
-- view's own, view definitions (pg_get_viewdef), row-level security
-- policies, sequences; member types (kind, enum labels, domain constraints);
-- the extension row (version, schema, pg_extension_config_dump's tables and
-- conditions, in order); the initial privileges pg_dump restores
-- (pg_init_privs); the roles the script creates; and every row of
-- keycard.schema_versions.  Object ids, which differ between installations,
-- never appear: objects are named (regprocedure, regclass, names).
--
-- Each line starts with the kind of fact; lines are ordered by their text
-- (C collation), so that a diff shows only what changed.

WITH ext AS (
	SELECT e.oid, e.extname, e.extnamespace FROM pg_catalog.pg_extension e WHERE e.extname = 'keycard'
),
member AS (
	SELECT d.classid, d.objid, d.objsubid
	FROM pg_catalog.pg_depend d, ext
	WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
),
fn AS (
	SELECT p.* FROM pg_catalog.pg_proc p
	WHERE p.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_proc'::pg_catalog.regclass)
),
nsp AS (
	SELECT n.* FROM pg_catalog.pg_namespace n
	WHERE n.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass)
	   OR n.oid = (SELECT extnamespace FROM ext)
),
rel AS (
	SELECT c.* FROM pg_catalog.pg_class c
	WHERE c.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass)
),
typ AS (
	SELECT t.* FROM pg_catalog.pg_type t
	WHERE t.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_type'::pg_catalog.regclass)
),
facts(line) AS (
	-- Members
	SELECT 'member | ' || pg_catalog.pg_describe_object(m.classid, m.objid, m.objsubid) FROM member m

	-- Functions
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'function', p.oid::pg_catalog.regprocedure::text,
		'kind=' || p.prokind::text, 'lang=' || l.lanname, 'volatile=' || p.provolatile::text, 'parallel=' || p.proparallel::text,
		'strict=' || p.proisstrict, 'secdef=' || p.prosecdef, 'leakproof=' || p.proleakproof,
		'cost=' || p.procost, 'rows=' || p.prorows, 'owner=' || p.proowner::pg_catalog.regrole::text,
		'config=' || coalesce(p.proconfig::text, '-'), 'acl=' || coalesce(p.proacl::text, '-'),
		'result=' || coalesce(pg_catalog.pg_get_function_result(p.oid), '-'))
	FROM fn p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
	UNION ALL
	SELECT 'function def | ' || p.oid::pg_catalog.regprocedure::text || E' |\n'
		|| CASE WHEN p.prokind = 'a' THEN '(aggregate)' ELSE pg_catalog.pg_get_functiondef(p.oid) END
	FROM fn p
	UNION ALL
	SELECT 'function comment | ' || p.oid::pg_catalog.regprocedure::text || ' | '
		|| coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '-')
	FROM fn p

	-- Schemas
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'schema', n.nspname, 'owner=' || n.nspowner::pg_catalog.regrole::text,
		'acl=' || coalesce(n.nspacl::text, '-'),
		'comment=' || coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace'), '-'))
	FROM nsp n

	-- Relations: tables, views, sequences, and whatever else is a member
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'relation', c.oid::pg_catalog.regclass::text, 'kind=' || c.relkind::text,
		'owner=' || c.relowner::pg_catalog.regrole::text, 'persistence=' || c.relpersistence::text,
		'acl=' || coalesce(c.relacl::text, '-'), 'options=' || coalesce(c.reloptions::text, '-'),
		'rls=' || c.relrowsecurity, 'force_rls=' || c.relforcerowsecurity, 'replident=' || c.relreplident::text,
		'comment=' || coalesce(pg_catalog.obj_description(c.oid, 'pg_class'), '-'))
	FROM rel c
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'column', a.attrelid::pg_catalog.regclass::text,
		pg_catalog.lpad((pg_catalog.row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum))::text, 3, '0'),
		a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
		'collation=' || coalesce((SELECT co.collname FROM pg_catalog.pg_collation co
								  WHERE co.oid = a.attcollation AND a.attcollation <> 0), '-'),
		'notnull=' || a.attnotnull, 'default=' || coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '-'),
		'generated=' || coalesce(nullif(a.attgenerated::text, ''), '-'), 'identity=' || coalesce(nullif(a.attidentity::text, ''), '-'),
		'acl=' || coalesce(a.attacl::text, '-'),
		'comment=' || coalesce(pg_catalog.col_description(a.attrelid, a.attnum), '-'))
	FROM pg_catalog.pg_attribute a
	LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	WHERE a.attrelid IN (SELECT oid FROM rel) AND a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'constraint', co.conrelid::pg_catalog.regclass::text, co.conname,
		'type=' || co.contype::text, pg_catalog.pg_get_constraintdef(co.oid), 'validated=' || co.convalidated,
		'deferrable=' || co.condeferrable, 'deferred=' || co.condeferred,
		'comment=' || coalesce(pg_catalog.obj_description(co.oid, 'pg_constraint'), '-'))
	FROM pg_catalog.pg_constraint co
	WHERE co.conrelid IN (SELECT oid FROM rel)
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'index', i.indrelid::pg_catalog.regclass::text, ic.relname,
		pg_catalog.pg_get_indexdef(i.indexrelid), 'primary=' || i.indisprimary, 'unique=' || i.indisunique,
		'options=' || coalesce(ic.reloptions::text, '-'),
		'comment=' || coalesce(pg_catalog.obj_description(i.indexrelid, 'pg_class'), '-'))
	FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
	WHERE i.indrelid IN (SELECT oid FROM rel)
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'trigger', t.tgrelid::pg_catalog.regclass::text, t.tgname,
		pg_catalog.pg_get_triggerdef(t.oid), 'enabled=' || t.tgenabled::text,
		'comment=' || coalesce(pg_catalog.obj_description(t.oid, 'pg_trigger'), '-'))
	FROM pg_catalog.pg_trigger t
	WHERE t.tgrelid IN (SELECT oid FROM rel) AND NOT t.tgisinternal
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'rule', r.ev_class::pg_catalog.regclass::text, r.rulename,
		pg_catalog.pg_get_ruledef(r.oid), 'enabled=' || r.ev_enabled::text)
	FROM pg_catalog.pg_rewrite r
	WHERE r.ev_class IN (SELECT oid FROM rel) AND r.rulename <> '_RETURN'
	UNION ALL
	SELECT 'view | ' || c.oid::pg_catalog.regclass::text || E' |\n' || pg_catalog.pg_get_viewdef(c.oid, true)
	FROM rel c WHERE c.relkind IN ('v', 'm')
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'policy', po.polrelid::pg_catalog.regclass::text, po.polname,
		'cmd=' || po.polcmd::text, 'permissive=' || po.polpermissive,
		'roles=' || (SELECT pg_catalog.string_agg(CASE WHEN r = 0 THEN 'public' ELSE r::pg_catalog.regrole::text END, ',' ORDER BY 1)
					 FROM pg_catalog.unnest(po.polroles) r),
		'using=' || coalesce(pg_catalog.pg_get_expr(po.polqual, po.polrelid), '-'),
		'check=' || coalesce(pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid), '-'),
		'comment=' || coalesce(pg_catalog.obj_description(po.oid, 'pg_policy'), '-'))
	FROM pg_catalog.pg_policy po
	WHERE po.polrelid IN (SELECT oid FROM rel)
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'sequence', s.seqrelid::pg_catalog.regclass::text,
		'type=' || s.seqtypid::pg_catalog.regtype::text, 'start=' || s.seqstart, 'increment=' || s.seqincrement,
		'min=' || s.seqmin, 'max=' || s.seqmax, 'cache=' || s.seqcache, 'cycle=' || s.seqcycle)
	FROM pg_catalog.pg_sequence s
	WHERE s.seqrelid IN (SELECT oid FROM rel)
	   OR s.seqrelid IN (SELECT d.objid FROM pg_catalog.pg_depend d
						 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
						   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
						   AND d.refobjid IN (SELECT oid FROM rel) AND d.deptype IN ('a', 'i'))

	-- Types that are members themselves (a table's row type belongs to its table)
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'type', t.oid::pg_catalog.regtype::text, 'kind=' || t.typtype::text,
		'owner=' || t.typowner::pg_catalog.regrole::text, 'acl=' || coalesce(t.typacl::text, '-'),
		'base=' || CASE WHEN t.typbasetype <> 0 THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) ELSE '-' END,
		'notnull=' || t.typnotnull, 'default=' || coalesce(t.typdefault, '-'),
		'labels=' || coalesce((SELECT pg_catalog.string_agg(en.enumlabel, ',' ORDER BY en.enumsortorder)
							   FROM pg_catalog.pg_enum en WHERE en.enumtypid = t.oid), '-'),
		'checks=' || coalesce((SELECT pg_catalog.string_agg(pg_catalog.pg_get_constraintdef(co.oid), ',' ORDER BY co.conname)
							   FROM pg_catalog.pg_constraint co WHERE co.contypid = t.oid), '-'),
		'comment=' || coalesce(pg_catalog.obj_description(t.oid, 'pg_type'), '-'))
	FROM typ t

	-- The extension row, with the tables pg_dump keeps (order as recorded)
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'extension', e.extname, 'version=' || e.extversion,
		'schema=' || e.extnamespace::pg_catalog.regnamespace::text, 'relocatable=' || e.extrelocatable,
		'config=' || coalesce(e.extconfig::pg_catalog.regclass[]::text, '-'),
		'condition=' || coalesce(e.extcondition::text, '-'))
	FROM pg_catalog.pg_extension e JOIN ext ON ext.oid = e.oid

	-- Initial privileges of the extension's objects (what pg_dump restores)
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'init_privs', pg_catalog.pg_describe_object(ip.classoid, ip.objoid, ip.objsubid),
		'type=' || ip.privtype::text, ip.initprivs::text)
	FROM pg_catalog.pg_init_privs ip
	WHERE (ip.classoid, ip.objoid) IN (SELECT classid, objid FROM member)
	   OR (ip.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND ip.objoid = (SELECT extnamespace FROM ext))

	-- Roles the install script creates (cluster-wide, left by DROP EXTENSION)
	UNION ALL
	SELECT pg_catalog.concat_ws(' | ', 'role', r.rolname, 'login=' || r.rolcanlogin, 'super=' || r.rolsuper,
		'inherit=' || r.rolinherit, 'createrole=' || r.rolcreaterole, 'createdb=' || r.rolcreatedb,
		'replication=' || r.rolreplication, 'bypassrls=' || r.rolbypassrls)
	FROM pg_catalog.pg_roles r
	WHERE r.rolname IN ('keycard_anon', 'keycard_api', 'keycard_platform', 'keycard_user')

	-- Shipped data
	UNION ALL
	SELECT 'row keycard.schema_versions | ' || s.version || ' | ' || pg_catalog.to_jsonb(s)::text
	FROM keycard.schema_versions s
)
SELECT line FROM facts ORDER BY line COLLATE "C";
