-- Cedar authorization (keycard.cedar_is_authorized): the reference's
-- isAuthorized call in, its decision out.  Every operator, errors skipping
-- only their policy, the extensions, tags, schema-directed parsing and
-- conformance, whole-call errors with their SQLSTATE, and hostile sizes.
\getenv repo KC_REPO
\i :repo/test/regress_try.sql
SET statement_timeout = '10s';

-- The entities of the expression cases (no schema): alice is in Group eng,
-- eng is in Group all (which is not in the set), bob exists, photo p1 is in
-- Album vacation (not in the set)
CREATE TEMP TABLE ents AS SELECT $$[
 {"uid": {"type": "User", "id": "alice"},
  "attrs": {"name": "Alice", "age": 30, "tags": ["a", "b"], "addr": {"city": "Paris"},
            "mgr": {"__entity": {"type": "User", "id": "bob"}},
            "ip": {"__extn": {"fn": "ip", "arg": "10.1.2.3"}},
            "rec": {"type": "User", "id": "bob"}},
  "parents": [{"type": "Group", "id": "eng"}],
  "tags": {"dept": "eng"}},
 {"uid": {"__entity": {"type": "User", "id": "bob"}}, "attrs": {"name": "Bob"}, "parents": []},
 {"uid": {"type": "Group", "id": "eng"}, "attrs": {}, "parents": [{"type": "Group", "id": "all"}]},
 {"uid": {"type": "Photo", "id": "p1"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "alice"}}},
  "parents": [{"type": "Album", "id": "vacation"}]}
]$$::jsonb AS e;

-- One call: policies text, entities, context, optional schema text
CREATE FUNCTION pg_temp.az(policies text, entities jsonb, context jsonb DEFAULT '{}',
	schema text DEFAULT NULL, validate boolean DEFAULT NULL,
	principal jsonb DEFAULT '{"type": "User", "id": "alice"}',
	action jsonb DEFAULT '{"type": "Action", "id": "view"}',
	resource jsonb DEFAULT '{"type": "Photo", "id": "p1"}') RETURNS jsonb
LANGUAGE sql AS $$
	SELECT keycard.cedar_is_authorized(jsonb_build_object(
		'principal', principal, 'action', action, 'resource', resource, 'context', context,
		'policies', jsonb_build_object('staticPolicies', policies), 'entities', entities)
		|| CASE WHEN schema IS NULL THEN '{}' ELSE jsonb_build_object('schema', schema) END
		|| CASE WHEN validate IS NULL THEN '{}' ELSE jsonb_build_object('validateRequest', validate) END)
$$;

-- A call with its policies member given whole
CREATE FUNCTION pg_temp.call(policies jsonb, context jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_build_object('principal', '{"type": "User", "id": "alice"}'::jsonb,
		'action', '{"type": "Action", "id": "view"}'::jsonb, 'resource', '{"type": "Photo", "id": "p1"}'::jsonb,
		'context', context, 'policies', policies, 'entities', '[]'::jsonb)
$$;

-- One condition: true (allow), false (deny) or error (the policy erred)
CREATE FUNCTION pg_temp.ev(expr text, context jsonb DEFAULT '{}') RETURNS text
LANGUAGE sql AS $$
	SELECT CASE WHEN r->'errored_policies' = '["policy0"]' THEN 'error'
				WHEN r->>'decision' = 'allow' THEN 'true' ELSE 'false' END
	FROM (SELECT pg_temp.az('permit(principal, action, resource) when { ' || expr || ' };',
							(SELECT e FROM ents), context) AS r) x
$$;

-- ---------- operators ----------
SELECT expr, pg_temp.ev(expr) FROM (VALUES
 -- equality: structural, never an error across types
 ('1 == 1'), ('1 == 2'), ('"a" == "a"'), ('1 == "1"'), ('[1, 2] == [2, 1, 1]'), ('[1, 2] == [1]'),
 ('{a: 1, b: [2]} == {b: [2], a: 1}'), ('{a: 1} == {a: 1, b: 2}'), ('principal == User::"alice"'),
 ('User::"alice" == Group::"alice"'), ('1 != 2'), ('[1] != [1]'),
 -- comparison: longs, datetimes, durations; anything else is an error
 ('1 < 2'), ('2 <= 2'), ('3 > 2'), ('2 >= 3'), ('"a" < "b"'), ('1 < "2"'),
 ('decimal("1.0") < decimal("2.0")'),
 ('datetime("2024-01-01") < datetime("2024-01-02")'), ('duration("1h") > duration("59m")'),
 ('datetime("2024-01-01") < duration("1h")'),
 -- arithmetic: checked 64-bit
 ('1 + 2 == 3'), ('5 - 7 == -2'), ('-3 * 4 == -12'), ('9223372036854775807 + 1 == 0'),
 ('-9223372036854775808 - 1 == 0'), ('4611686018427387904 * 2 == 0'),
 ('-(-9223372036854775807 - 1) == 0'), ('-9223372036854775808 == -9223372036854775807 - 1'),
 ('"a" + 1 == 1'),
 -- logic: short-circuit, booleans only
 ('false && 1 + "a" == 1'), ('true || 1 + "a" == 1'), ('true && 1 + "a" == 1'),
 ('true && 1'), ('1 && true'), ('false || 1'), ('!true'), ('!false'), ('!1'),
 -- if-then-else evaluates one branch
 ('if true then 1 == 1 else 1 + "a" == 1'), ('if false then 1 + "a" == 1 else false'),
 ('if 1 then true else true'),
 -- in: transitive, over sets, absent parents and absent entities
 ('principal in Group::"eng"'), ('principal in Group::"all"'), ('principal in [Group::"x", Group::"all"]'),
 ('principal in []'), ('Group::"all" in principal'), ('principal in principal'),
 ('User::"nobody" in User::"nobody"'), ('User::"nobody" in Group::"eng"'),
 ('resource in Album::"vacation"'), ('1 in Group::"eng"'), ('principal in [1]'), ('principal in "x"'),
 -- is
 ('principal is User'), ('principal is Group'), ('principal is User in Group::"all"'),
 ('principal is Group in Group::"all"'), ('1 is User'),
 -- has: records and entities (an absent entity has nothing), paths
 ('principal has name'), ('principal has nope'), ('principal has addr.city'), ('principal has addr.zip'),
 ('principal has name.first'), ('User::"nobody" has name'), ('Group::"all" has name'), ('1 has x'),
 ('{a: {b: 1}} has a.b'),
 -- attributes: of records and of entities in the set
 ('principal.name == "Alice"'), ('principal["name"] == "Alice"'), ('principal.nope == 1'),
 ('User::"nobody".name == ""'), ('Group::"all".name == ""'), ('principal.mgr.name == "Bob"'),
 ('principal.mgr == User::"bob"'), ('resource.owner.addr.city == "Paris"'),
 ('principal.rec == User::"bob"'), ('principal.rec.id == "bob"'), ('"a".x == 1'),
 -- like
 ('"abc" like "a*c"'), ('"abc" like "a*d"'), ('"a*c" like "a\*c"'), ('"abc" like "a\*c"'),
 ('"" like "*"'), ('"" like ""'), ('"aXbXc" like "*X*X*"'), ('"ab" like "a*b*"'), ('"ba" like "*a*b"'),
 ('"aaa" like "a*aa"'), ('"aa" like "a*aa"'), ('"añb" like "a?b"'), ('"añb" like "a*b"'), ('1 like "*"'),
 -- sets
 ('[1, 2, 3].contains(2)'), ('[1, 2].contains(3)'), ('[1, 2].containsAll([2, 1])'), ('[1].containsAll([1, 2])'),
 ('[1].containsAny([3, 1])'), ('[1].containsAny([])'), ('[].isEmpty()'), ('[[1]].contains([1])'),
 ('[{a: 1}].contains({a: 1})'), ('principal.tags.contains("a")'), ('principal.name.contains("A")'),
 ('[1].containsAll(1)'), ('principal.name.isEmpty()'), ('[1, 1] == [1]'),
 -- records
 ('{a: 1}.a == 1'), ('{a: 1}.b == 1'), ('{"a b": 1}["a b"] == 1'),
 -- tags
 ('principal.hasTag("dept")'), ('principal.hasTag("nope")'), ('principal.getTag("dept") == "eng"'),
 ('principal.getTag("nope") == 1'), ('User::"nobody".hasTag("dept")'), ('User::"nobody".getTag("dept") == 1'),
 ('principal.hasTag(1)'), ('principal has dept'),
 -- decimal
 ('decimal("1.5").lessThan(decimal("2.0"))'), ('decimal("2.0").lessThanOrEqual(decimal("2.0000"))'),
 ('decimal("-1.5").greaterThan(decimal("-2.0"))'), ('decimal("1.0").greaterThanOrEqual(decimal("1.0001"))'),
 ('decimal("1.0") == decimal("1.0000")'), ('decimal("1") == decimal("1.0")'), ('decimal("1.23456") == decimal("1.0")'),
 ('decimal("922337203685477.5807").greaterThan(decimal("0.0"))'), ('decimal("922337203685477.5808") == decimal("0.0")'),
 ('decimal("1.0").lessThan(1)'),
 -- ipaddr
 ('ip("10.1.2.3").isInRange(ip("10.0.0.0/8"))'), ('ip("11.1.2.3").isInRange(ip("10.0.0.0/8"))'),
 ('ip("10.0.0.0/8").isInRange(ip("10.0.0.0/16"))'), ('ip("127.0.0.1").isLoopback()'), ('ip("::1").isLoopback()'),
 ('ip("::1").isIpv6()'), ('ip("::1").isIpv4()'), ('ip("224.0.0.1").isMulticast()'), ('ip("ff02::1").isMulticast()'),
 ('ip("10.0.0.1") == ip("10.0.0.1/32")'), ('ip("10.0.0.1/24") == ip("10.0.0.0/24")'), ('ip("1.2.3") == ip("1.2.3.4")'),
 ('ip("::ffff:1.2.3.4").isIpv6()'), ('principal.ip.isInRange(ip("10.1.0.0/16"))'), ('ip("10.0.0.1").isInRange(ip("::/0"))'),
 -- datetime and duration
 ('datetime("2024-01-01T10:00:00Z").toTime() == duration("10h")'),
 ('datetime("2024-01-01T10:00:00Z").toDate() == datetime("2024-01-01")'),
 ('datetime("2024-01-01T23:30:00-0100").toDate() == datetime("2024-01-02")'),
 ('datetime("2024-01-01").offset(duration("1d")) == datetime("2024-01-02")'),
 ('datetime("2024-01-02").durationSince(datetime("2024-01-01")) == duration("24h")'),
 ('duration("90m").toHours() == 1'), ('duration("-90m").toHours() == -1'), ('duration("1d2h").toMinutes() == 1560'),
 ('duration("1s500ms").toMilliseconds() == 1500'), ('duration("2d").toDays() == 2'), ('duration("61s").toSeconds() == 61'),
 ('datetime("1969-12-31T23:59:59.999Z").toTime() == duration("23h59m59s999ms")'),
 ('datetime("2024-02-30") == datetime("2024-02-29")'), ('duration("1h1d") == duration("1h")'),
 ('datetime("9999-12-31").offset(duration("9223372036854775807ms")) == datetime("2024-01-01")'),
 ('datetime("2024-01-01").offset(1)'),
 -- conditions must be booleans
 ('1'), ('"true"')
) v(expr);

-- context values: records, sets, escapes; context.x of a missing key errs
SELECT pg_temp.ev('context.a.b == 1 && context.s.contains(User::"bob") && context.d.lessThan(decimal("1.0"))',
	'{"a": {"b": 1}, "s": [{"__entity": {"type": "User", "id": "bob"}}], "d": {"__extn": {"fn": "decimal", "arg": "0.5"}}}');
SELECT pg_temp.ev('context.x == 1', '{}');
SELECT pg_temp.ev('context.n == 9223372036854775807 && context.m == -9223372036854775808',
	'{"n": 9223372036854775807, "m": -9223372036854775808}');

-- ---------- policies: scopes, effects, errors skipping only their policy ----------
SELECT pg_temp.az($$
permit(principal == User::"alice", action == Action::"view", resource in Album::"vacation");
permit(principal in Group::"all", action in [Action::"edit", Action::"view"], resource is Photo);
permit(principal is User in Group::"eng", action, resource is Photo in Album::"vacation");
permit(principal == User::"bob", action, resource);
permit(principal is Group, action, resource);
permit(principal, action == Action::"edit", resource);
$$, (SELECT e FROM ents));
-- a forbid wins over permits; an erring forbid does not deny
SELECT pg_temp.az('permit(principal, action, resource); forbid(principal, action, resource) when { principal.name == "Alice" };',
	(SELECT e FROM ents));
SELECT pg_temp.az('permit(principal, action, resource); forbid(principal, action, resource) when { principal.nope };',
	(SELECT e FROM ents));
-- an erring permit is skipped: the other decides
SELECT pg_temp.az('permit(principal, action, resource) when { 1 + "a" == 2 }; permit(principal, action, resource) when { true };',
	(SELECT e FROM ents));
-- when and unless in order; unless of a non-boolean errs; a scope mismatch evaluates no condition
SELECT pg_temp.az($$
permit(principal, action, resource) when { true } unless { false };
permit(principal, action, resource) when { true } unless { true };
permit(principal, action, resource) unless { 1 };
permit(principal, action, resource) when { false } unless { 1 };
permit(principal == User::"bob", action, resource) when { 1 };
$$, (SELECT e FROM ents));
-- no policy: deny; @id annotations do not rename policies
SELECT pg_temp.az('', '[]');
SELECT pg_temp.az('@id("first") forbid(principal, action, resource); @id("second") permit(principal, action, resource);', '[]');
-- ids sort as strings of the reference's ids
SELECT pg_temp.az(repeat('permit(principal, action, resource);', 12), '[]');

-- ---------- schema: implicit forms, conformance, request validation ----------
CREATE TEMP TABLE sch AS SELECT $$
entity Group in [Group];
entity User in [Group] = { name: String, age: Long, ip: ipaddr, level: decimal, boss?: User, friends?: Set<User> } tags String;
entity Photo = { owner: User };
entity Color enum ["red", "blue"];
action view appliesTo { principal: [User], resource: [Photo, Color], context: { ip: ipaddr, at: datetime, n?: Long } };
action edit in [view] appliesTo { principal: [User], resource: [Photo], context: {} };
$$::text AS s;
CREATE TEMP TABLE sents AS SELECT $$[
 {"uid": {"type": "User", "id": "alice"}, "parents": [{"type": "Group", "id": "eng"}],
  "attrs": {"name": "Alice", "age": 30, "ip": "192.168.0.1", "level": "1.5", "boss": {"type": "User", "id": "bob"},
            "friends": [{"type": "User", "id": "bob"}]},
  "tags": {"dept": "eng"}},
 {"uid": {"type": "Photo", "id": "p1"}, "attrs": {"owner": {"type": "User", "id": "alice"}}, "parents": []}
]$$::jsonb AS e;
CREATE FUNCTION pg_temp.sz(policies text, entities jsonb DEFAULT NULL, context jsonb DEFAULT NULL,
	validate boolean DEFAULT NULL,
	principal jsonb DEFAULT '{"type": "User", "id": "alice"}',
	action jsonb DEFAULT '{"type": "Action", "id": "view"}',
	resource jsonb DEFAULT '{"type": "Photo", "id": "p1"}') RETURNS jsonb
LANGUAGE sql AS $$
	SELECT pg_temp.az(policies, coalesce(entities, (SELECT e FROM sents)),
		coalesce(context, '{"ip": "10.0.0.1", "at": "2024-06-01T12:00:00Z"}'),
		(SELECT s FROM sch), validate, principal, action, resource)
$$;
-- implicit extension and entity forms are parsed by the schema
SELECT pg_temp.sz($$permit(principal, action, resource) when {
	context.ip.isInRange(ip("10.0.0.0/8")) && context.at > datetime("2024-01-01") &&
	principal.ip.isIpv4() && principal.level.lessThan(decimal("2.0")) &&
	principal.boss == User::"bob" && principal.friends.contains(User::"bob") &&
	resource.owner == principal && principal.getTag("dept") == "eng" };$$);
-- without a schema the same {"type", "id"} is a record and "10.0.0.1" a string
SELECT pg_temp.az('permit(principal, action, resource) when { principal.boss.id == "bob" && context.ip == "10.0.0.1" };',
	(SELECT e FROM sents), '{"ip": "10.0.0.1"}');
SELECT pg_temp.az('permit(principal, action, resource) when { principal.boss == User::"bob" };', (SELECT e FROM sents));
-- the schema's actions and their hierarchy join the entities
SELECT pg_temp.sz('permit(principal, action in Action::"view", resource);', action => '{"type": "Action", "id": "edit"}',
	context => '{}');
SELECT pg_temp.az('permit(principal, action in Action::"view", resource);', '[]', action => '{"type": "Action", "id": "edit"}');
-- a listed action must carry its declared ancestors
SELECT pg_temp.sz('permit(principal, action, resource);',
	(SELECT e FROM sents) || '[{"uid": {"type": "Action", "id": "edit"}, "attrs": {}, "parents": [{"type": "Action", "id": "view"}]}]');
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	(SELECT e FROM sents) || '[{"uid": {"type": "Action", "id": "edit"}, "attrs": {}, "parents": []}]')$$);
-- an enum entity: declared choices only
SELECT pg_temp.sz('permit(principal, action, resource is Color);', resource => '{"type": "Color", "id": "red"}');
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);', resource => '{"type": "Color", "id": "green"}')$$);
-- entities that do not conform
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	jsonb_set((SELECT e FROM sents), '{0,attrs,age}', '"30"'))$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	(SELECT e FROM sents) #- '{0,attrs,name}')$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	jsonb_set((SELECT e FROM sents), '{0,attrs,extra}', '1'))$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	jsonb_set((SELECT e FROM sents), '{0,attrs,ip}', '"10.0.0.300"'))$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	jsonb_set((SELECT e FROM sents), '{0,attrs,boss}', '{"type": "Photo", "id": "p1"}'))$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	jsonb_set((SELECT e FROM sents), '{0,tags,dept}', '1'))$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	jsonb_set((SELECT e FROM sents), '{1,tags}', '{"x": "y"}'))$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	jsonb_set((SELECT e FROM sents), '{1,parents}', '[{"type": "Group", "id": "g"}]'))$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	(SELECT e FROM sents) || '[{"uid": {"type": "Robot", "id": "r"}, "attrs": {}, "parents": []}]')$$);
-- a context that does not conform; the request checked against the action
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);', context => '{"ip": "10.0.0.1"}')$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	context => '{"ip": "10.0.0.1", "at": "2024-01-01", "zzz": 1}')$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);',
	context => '{"ip": "10.0.0.1", "at": "2024-01-01", "n": "1"}')$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);', principal => '{"type": "Photo", "id": "p1"}')$$);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);', action => '{"type": "Action", "id": "delete"}')$$);
-- validateRequest false skips only the request check
SELECT pg_temp.sz('permit(principal, action, resource);', principal => '{"type": "Photo", "id": "p1"}', validate => false);
SELECT pg_temp.try($$SELECT pg_temp.sz('permit(principal, action, resource);', context => '{"ip": 1}', validate => false)$$);

-- ---------- whole-call errors ----------
SELECT pg_temp.try($$SELECT keycard.cedar_is_authorized('[]')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_is_authorized('{"principal": {"type": "User", "id": "a"}}')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_is_authorized(pg_temp.az('', '[]') || '{}')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_is_authorized('{"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "v"},
	"resource": {"type": "R", "id": "r"}, "context": {}, "policies": {"staticPolicies": ""}, "entities": [], "extra": 1}')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource) when { 1 + };', '[]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal == ?principal, action, resource);', '[]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]', principal => '{"type": "Us er", "id": "a"}')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]', principal => '{"id": "a"}')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]', '[]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]', '{"x": 1.5}')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]', '{"x": 9223372036854775808}')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]', '{"x": null}')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]', '{"x": {"__expr": "1"}}')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]',
	'{"x": {"__extn": {"fn": "ip", "arg": "nope"}}}')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '{}')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[{"uid": {"type": "A", "id": "a"}, "attrs": {}}]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);',
	'[{"uid": {"type": "A", "id": "a"}, "attrs": {}, "parents": {}}]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);',
	'[{"uid": {"type": "A", "id": "a"}, "attrs": {}, "parents": []}, {"uid": {"type": "A", "id": "a"}, "attrs": {}, "parents": []}]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);',
	'[{"uid": {"type": "A", "id": "a"}, "attrs": {}, "parents": [{"type": "A", "id": "b"}]},
	  {"uid": {"type": "A", "id": "b"}, "attrs": {}, "parents": [{"type": "A", "id": "a"}]}]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);',
	'[{"uid": {"type": "A", "id": "a"}, "attrs": {}, "parents": [{"type": "A", "id": "a"}]}]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);',
	'[{"uid": {"type": "Action", "id": "a"}, "attrs": {}, "parents": [{"type": "A", "id": "a"}]}]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]', schema => 'entity User = {')$$);
-- an entity listed twice must be listed the same
SELECT pg_temp.az('permit(principal, action, resource) when { A::"a".x == 1 };',
	'[{"uid": {"type": "A", "id": "a"}, "attrs": {"x": 1}, "parents": [{"type": "B", "id": "b"}, {"type": "B", "id": "c"}]},
	  {"uid": {"type": "A", "id": "a"}, "attrs": {"x": 1}, "parents": [{"type": "B", "id": "c"}, {"type": "B", "id": "b"}]}]');
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);',
	'[{"uid": {"type": "A", "id": "a"}, "attrs": {"x": 1}, "parents": []}, {"uid": {"type": "A", "id": "a"}, "attrs": {"x": 2}, "parents": []}]')$$);
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);',
	'[{"uid": {"type": "A", "id": "a"}, "attrs": {}, "parents": []}, {"uid": {"type": "A", "id": "a"}, "attrs": {}, "parents": [{"type": "B", "id": "b"}]}]')$$);
-- static policies by id; templates are not supported
SELECT keycard.cedar_is_authorized(pg_temp.call('{"staticPolicies": {"p1": "permit(principal, action, resource);",
	"f2": "forbid(principal, action, resource) when { context.deny };"}}', '{"deny": true}'));
SELECT keycard.cedar_is_authorized(pg_temp.call('{"staticPolicies": {"p1": "permit(principal, action, resource);",
	"f2": "forbid(principal, action, resource) when { context.deny };"}, "templates": {}, "templateLinks": []}', '{"deny": false}'));
SELECT pg_temp.try($$SELECT keycard.cedar_is_authorized(pg_temp.call('{"staticPolicies": {"p1": "permit(principal, action, resource); permit(principal, action, resource);"}}', '{}'))$$);
-- an array of policies: text ones are all named policy0, EST ones "JSON policy", as the reference names them
SELECT keycard.cedar_is_authorized(pg_temp.call('{"staticPolicies": ["permit(principal, action, resource);",
	{"effect": "forbid", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}]}', '{}'));
SELECT keycard.cedar_is_authorized(pg_temp.call('{"staticPolicies": {"by id": {"effect": "permit", "principal": {"op": "All"},
	"action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}}}', '{}'));
SELECT pg_temp.try($$SELECT keycard.cedar_is_authorized(pg_temp.call('{"staticPolicies": ["permit(principal, action, resource);",
	"forbid(principal, action, resource);"]}', '{}'))$$);
SELECT keycard.cedar_is_authorized(pg_temp.call('{"staticPolicies": []}', '{}'));
SELECT pg_temp.try($$SELECT keycard.cedar_is_authorized(pg_temp.call('{"templates": {"t": "permit(principal == ?principal, action, resource);"}}', '{}'))$$);
SELECT pg_temp.try($$SELECT keycard.cedar_is_authorized(pg_temp.call('{"staticPolicies": "", "other": 1}', '{}'))$$);
-- an entity uid: the __entity escape wins over type and id beside it; other members are ignored
SELECT pg_temp.az('permit(principal == User::"alice", action, resource == Photo::"p1");', '[]',
	principal => '{"__entity": {"type": "User", "id": "alice"}, "type": "User", "id": "bob"}',
	resource => '{"type": "Photo", "id": "p1", "note": 1}');
SELECT pg_temp.az('permit(principal == User::"bob", action, resource);', '[]',
	principal => '{"__entity": "nope", "type": "User", "id": "bob"}');
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', '[]',
	principal => '{"__expr": "User::\"bob\"", "type": "User", "id": "bob"}')$$);
-- a parent absent from the set is fine; unknown members of an entity are ignored
SELECT pg_temp.az('permit(principal in A::"nowhere", action, resource);',
	'[{"uid": {"type": "User", "id": "alice"}, "attrs": {}, "parents": [{"type": "A", "id": "nowhere"}], "note": 1}]');

-- ---------- hostile sizes (each well within the timeout) ----------
-- the big inputs are built first, outside the timeout
RESET statement_timeout;
-- 100,000 entities in a chain (alice in g1 in g2 ... in g100000), the same
-- chain closed into a cycle, and 100,000 flat entities
CREATE TEMP TABLE big AS SELECT
	('[' || (SELECT string_agg(format('{"uid": {"type": "G", "id": "g%s"}, "attrs": {}, "parents": [{"type": "G", "id": "g%s"}]}', i, i + 1), ',')
			 FROM generate_series(1, 99999) i)
	 || ', {"uid": {"type": "User", "id": "alice"}, "attrs": {}, "parents": [{"type": "G", "id": "g1"}]}]')::jsonb AS chain,
	('[' || (SELECT string_agg(format('{"uid": {"type": "G", "id": "g%s"}, "attrs": {}, "parents": [{"type": "G", "id": "g%s"}]}', i, i % 100000 + 1), ',')
			 FROM generate_series(1, 100000) i) || ']')::jsonb AS cycle,
	('[' || (SELECT string_agg(format('{"uid": {"type": "User", "id": "u%s"}, "attrs": {"n": %s}, "parents": []}', i, i), ',')
			 FROM generate_series(1, 100000) i) || ']')::jsonb AS flat,
	('{"s": [' || (SELECT string_agg(i::text, ',') FROM generate_series(1, 100000) i) || '], "t": ['
	 || (SELECT string_agg(i::text, ',' ORDER BY -i) FROM generate_series(1, 100000) i) || ']}')::jsonb AS sets,
	'entity U; entity R; action a0 appliesTo { principal: U, resource: R };'
	 || (SELECT string_agg(format('action a%s in [a%s] appliesTo { principal: U, resource: R };', i, i - 1), ' ')
		 FROM generate_series(1, 3000) i) AS action_chain_schema,
	('[{"uid": {"type": "Action", "id": "a0"}, "attrs": {}, "parents": []}, '
	 || (SELECT string_agg(format('{"uid": {"type": "Action", "id": "a%s"}, "attrs": {}, "parents": [{"type": "Action", "id": "a%s"}]}', i, i - 1), ',')
		 FROM generate_series(1, 3000) i) || ']')::jsonb AS action_chain,
	('{"a": ' || repeat('[', 125) || repeat(']', 125) || '}')::jsonb AS deep,
	('{"a": ' || repeat('[', 126) || repeat(']', 126) || '}')::jsonb AS deeper,
	('{"a": ' || repeat('[', 2000) || repeat(']', 2000) || '}')::jsonb AS deepest,
	('[{"uid": {"type": "A", "id": "a"}, "parents": [], "attrs": {"x": ' || repeat('[', 123) || repeat(']', 123) || '}}]')::jsonb AS deep_attr,
	('[{"uid": {"type": "A", "id": "a"}, "parents": [], "attrs": {"x": ' || repeat('[', 124) || repeat(']', 124) || '}}]')::jsonb AS deeper_attr;
SET statement_timeout = '10s';
-- deep nesting: the reference reads at most 127 levels of arrays and objects
-- in the call (the call is level 1, its context level 2, an entity's attrs
-- level 4); a policy of 400 parentheses is fine
SELECT pg_temp.ev('context.a == context.a', (SELECT deep FROM big));
SELECT pg_temp.try($$SELECT pg_temp.ev('true', (SELECT deeper FROM big))$$);
SELECT pg_temp.try($$SELECT pg_temp.ev('true', (SELECT deepest FROM big))$$);
SELECT pg_temp.az('permit(principal, action, resource) when { A::"a".x != [] };', (SELECT deep_attr FROM big));
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', (SELECT deeper_attr FROM big))$$);
SELECT pg_temp.ev(repeat('(', 400) || 'true' || repeat(')', 400));
SELECT pg_temp.az('permit(principal in G::"g100000", action, resource) when { principal in G::"g100000" };',
	(SELECT chain FROM big));
-- the same hierarchy questions in 5,000 conditions over the chain: each entity is walked once
SELECT pg_temp.az(repeat('permit(principal in G::"g100000", action, resource) when { principal in G::"none" || resource in [G::"none"] };', 5000)
	|| 'permit(principal, action, resource) when { resource in G::"g100000" };',
	(SELECT chain FROM big), resource => '{"type": "G", "id": "g2"}')->'reasons';
SELECT pg_temp.az('permit(principal, action, resource) when { User::"u99999".n == 99999 && principal in [G::"x", G::"y"] };',
	(SELECT flat FROM big));
SELECT pg_temp.try($$SELECT pg_temp.az('permit(principal, action, resource);', (SELECT cycle FROM big))$$);
-- operator chains nest to the left without limit: 25,000 ||, +, attribute accesses
SELECT pg_temp.az('permit(principal, action, resource) when { '
	|| (SELECT string_agg(format('principal in G::"g%s"', i), ' || ') FROM generate_series(1, 25000) i) || ' || true };
permit(principal, action, resource) when { ' || (SELECT string_agg('1', ' + ') FROM generate_series(1, 25000) i) || ' == 25000 };
permit(principal, action, resource) when { context' || repeat('.a', 25000) || ' == 1 };
permit(principal, action, resource) when { 9223372036854775807' || repeat(' + 1 - 1', 12500) || ' == 0 };',
	'[]', jsonb_build_object('a', 1));
-- 3,001 actions listed along a chain of 3,000 declarations, each checked against its declaration
SELECT pg_temp.az('permit(principal, action in Action::"a0", resource);', action_chain, '{}', action_chain_schema,
	principal => '{"type": "U", "id": "u"}', action => '{"type": "Action", "id": "a3000"}', resource => '{"type": "R", "id": "r"}')
FROM big;
-- like: 100,000 characters against 20,000 wildcards that nearly match, and a long literal pattern
SELECT pg_temp.ev('context.s like "' || repeat('*a', 20000) || '*b"', jsonb_build_object('s', repeat('a', 100000)));
SELECT pg_temp.ev('context.s like "' || repeat('*a', 20000) || '*"', jsonb_build_object('s', repeat('a', 100000)));
SELECT pg_temp.ev('context.s like "*' || repeat('a', 50000) || 'b*"', jsonb_build_object('s', repeat('a', 200000)));
-- sets of 100,000 elements: membership and equality
SELECT pg_temp.ev('context.s.contains(99999) && context.s == context.t && context.s.containsAll(context.t)',
	(SELECT sets FROM big));
-- 20,000 policies
SELECT jsonb_array_length(r->'reasons'), jsonb_array_length(r->'errored_policies')
FROM (SELECT pg_temp.az(repeat('permit(principal, action, resource) when { principal.nope };
permit(principal in Group::"all", action, resource);', 10000), (SELECT e FROM ents)) AS r) x;
RESET statement_timeout;

-- A context the request check will not look at (validateRequest false) is
-- read by the schema's shape only, as the reference reads it: a Long given a
-- string, an enum id outside its choices and an entity of another type are
-- decided; a record or set given a scalar is refused either way.
SELECT keycard.cedar_is_authorized(jsonb_build_object(
	'principal', '{"type": "User", "id": "a"}'::jsonb, 'action', '{"type": "Action", "id": "read"}'::jsonb,
	'resource', '{"type": "Doc", "id": "d"}'::jsonb, 'entities', '[]'::jsonb,
	'schema', 'entity User; entity Doc; entity Folder; entity Color enum ["red"]; action read appliesTo { principal: User, resource: Doc, context: { n: Long, c: Color, f: Folder, r: {a: Long} } };',
	'policies', jsonb_build_object('staticPolicies', 'permit (principal, action, resource) when { context.n == "x" && context.c == Color::"green" && context.f == Color::"red" };'),
	'validateRequest', v, 'context', '{"n": "x", "c": {"type": "Color", "id": "green"}, "f": {"type": "Color", "id": "red"}, "r": {"a": 1}}'::jsonb)) ->> 'decision' AS decided
FROM (VALUES (false)) x(v);
SELECT pg_temp.try(format('SELECT keycard.cedar_is_authorized(%L)', jsonb_build_object(
	'principal', '{"type": "User", "id": "a"}'::jsonb, 'action', '{"type": "Action", "id": "read"}'::jsonb,
	'resource', '{"type": "Doc", "id": "d"}'::jsonb, 'entities', '[]'::jsonb,
	'schema', 'entity User; entity Doc; action read appliesTo { principal: User, resource: Doc, context: { n: Long, r: {a: Long} } };',
	'policies', jsonb_build_object('staticPolicies', 'permit (principal, action, resource);'),
	'validateRequest', v, 'context', c))) AS refused
FROM (VALUES (true, '{"n": "x", "r": {"a": 1}}'::jsonb), (false, '{"n": 1, "r": 7}'::jsonb)) x(v, c);
