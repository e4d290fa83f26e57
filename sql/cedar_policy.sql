-- Cedar policies: text <-> EST (keycard.cedar_policy_to_json / _to_text /
-- _normalize).  Success cases first, then every error, then hostile input.

-- text -> EST
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource);');
SELECT keycard.cedar_policy_to_json($$
// a comment
@id("p1") @advice
forbid (
  principal is NS::User in NS::Group::"admins",
  action in [Action::"read", NS::Action::"write"],
  resource == Doc::"a\"b\u{1F600}"
) when { context.ip.isInRange(ip("10.0.0.0/8")) && -1 < 2 }
unless { principal has profile.email && resource.owner like "*\*x" };
$$);
SELECT keycard.cedar_policy_to_json('permit(principal, action in [Action::"a"], resource) when { -9223372036854775808 == - -1 && {b: 1, a: [2, "s"]}.a.contains(2) && context["x y"] is T };');

-- EST -> text: one line, sorted annotations, reference parenthesization
SELECT keycard.cedar_policy_to_text(keycard.cedar_policy_to_json($$
@z("1") @a
permit(principal, action, resource)
when { if context.a || context.b then 1 + 2 * 3 else -(4) }
when { !(context has "x y") && [ip("1.2.3.4").isIpv4(), decimal("1.5")] != [] };
$$));

-- round trip and normalization: same policy as text and as EST
SELECT keycard.cedar_policy_to_json(keycard.cedar_policy_to_text(j)) = j AS roundtrip,
	keycard.cedar_policy_normalize('permit (principal , action,resource) // x
		when {true};') = keycard.cedar_policy_normalize(j) AS same_hash_input
FROM (SELECT '{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"},
	"resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"Value": true}}]}'::jsonb AS j) s;
-- EST spellings the reference also reads normalize to its policyToJson form
SELECT keycard.cedar_policy_normalize('{"effect": "forbid", "principal": {"op": "==", "entity": {"__entity": {"type": "U", "id": "x"}}},
	"action": {"op": "in", "entities": [{"type": "Action", "id": "a"}]}, "resource": {"op": "all"},
	"conditions": [{"kind": "when", "body": {"like": {"left": {"Var": "context"}, "pattern": [{"Literal": "ab"}, "Wildcard"]}}}]}'::jsonb);

-- a record written as an EST "Value" prints with every key quoted, as the reference does
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"},
	"conditions": [{"kind": "when", "body": {"Record": {"a": {"Value": {"y": 1, "b c": [{"__entity": {"type": "A", "id": "i"}}], "d": {"__extn": {"fn": "ip", "arg": "1.2.3.4"}}}}}}}]}');

-- errors: Cedar text (42601, with line and column)
\set VERBOSITY default
SELECT keycard.cedar_policy_to_json('');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource)');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource); forbid(principal, action, resource);');
SELECT keycard.cedar_policy_to_json('permit(principal == ?principal, action, resource);');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { foo(1) };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context.foo() };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { [].contains(1, 2) };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { isIpv4(context) };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { "\q" };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { "\u{110000}" };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context.if };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { 9223372036854775808 };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { 18446744073709551616 };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { !!!!!false };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { 1 < 2 < 3 };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { 4 / 2 };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { x };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { principal = 1 };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { {a: 1, "a": 2} };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context like context };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context has a::b };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context is "T" };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { __cedar::ip("1") };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { };');
SELECT keycard.cedar_policy_to_json('permit(principal in [User::"a"], action, resource);');
SELECT keycard.cedar_policy_to_json('permit(principal, action == User::"a", resource);');
SELECT keycard.cedar_policy_to_json('permit(principal is User == User::"a", action, resource);');
SELECT keycard.cedar_policy_to_json('permit(action, principal, resource);');
SELECT keycard.cedar_policy_to_json('permit(principal, action);');
SELECT keycard.cedar_policy_to_json('allow(principal, action, resource);');
SELECT keycard.cedar_policy_to_json('@a("1") @a("2") permit(principal, action, resource);');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { "unterminated };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { 1 # 2 };');

-- errors: EST (22P02, with the JSON path)
SELECT keycard.cedar_policy_to_text('[]');
SELECT keycard.cedar_policy_to_text('{"effect": "permit"}');
SELECT keycard.cedar_policy_to_text('{"effect": "allow", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [], "extra": 1}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "==", "slot": "?principal"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "==", "entity": {"type": "a b", "id": "x"}}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "==", "entity": {"type": "User", "id": "x"}}, "resource": {"op": "All"}, "conditions": []}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"foo": []}}]}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"Value": 1.5}}]}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"Value": 9223372036854775808}}]}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"Value": null}}]}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"Var": "principal", "Value": 1}}]}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"isInRange": []}}]}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"has": {"left": {"Var": "context"}, "attr": ["a", "b c"]}}}]}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"Slot": "?principal"}}]}');
SELECT keycard.cedar_policy_to_text('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [], "annotations": {"a b": "x"}}');
SELECT keycard.cedar_policy_normalize('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"like": {"left": {"Var": "context"}, "pattern": ["Any"]}}}]}'::jsonb);

-- hostile input: deep nesting, a 10 MB policy, long chains
\set VERBOSITY terse
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { ' || repeat('(', 10000) || '1' || repeat(')', 10000) || ' };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { ' || repeat('[', 10000) || repeat(']', 10000) || ' };');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { ' || repeat('!', 10000) || 'true };');
SELECT length(keycard.cedar_policy_to_text(('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": '
	|| repeat('{"!": {"arg": ', 5000) || '{"Value": true}' || repeat('}}', 5000) || '}]}')::jsonb));
SELECT length(keycard.cedar_policy_to_json('permit(principal, action, resource) when { "' || repeat('x', 10 * 1024 * 1024) || '" == "" };')::text);
SELECT length(keycard.cedar_policy_to_text(keycard.cedar_policy_to_json('permit(principal, action, resource) when { true' || repeat(' && true', 5000) || ' };')));
SELECT jsonb_array_length(keycard.cedar_policy_to_json('permit(principal, action, resource) when { [' || repeat('1, ', 200000) || '1] };')->'conditions'->0->'body'->'Set');
SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { ' || repeat('"', 3) || ' };');
