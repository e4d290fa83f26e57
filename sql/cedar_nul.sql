-- U+0000 in Cedar strings.  The reference accepts \0, \x00 and \u{0}, but
-- PostgreSQL text and jsonb cannot store U+0000 (jsonb refuses \u0000 the
-- same way), so keycard refuses every Cedar string holding it with 22P05,
-- the position and a hint: in policy text, in schema text, and in JSON.
\getenv repo KC_REPO
\i :repo/test/regress_try.sql

-- policy text: string literals, each escape that gives U+0000
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context.s == "a\0b" };')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context.s == "a\u{0}b" };')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context.s == "a\u{00_0}b" };')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context.s == "a\x00b" };')$$);
-- ... in an entity id (scope and condition)
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal == User::"al\0ice", action, resource);')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action in [Action::"read", Action::"\u{0}"], resource);')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { resource in Folder::"\0" };')$$);
-- ... in an annotation value
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('@id("p1") @note("x\0") permit(principal, action, resource);')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('@note("\u{0}") permit(principal, action, resource);')$$);
-- ... in a like pattern
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { resource.name like "*\0*" };')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { resource.name like "a\u{0}" };')$$);
-- ... in record keys written as strings, attribute names after has and in []
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { {"k\0": 1} == context };')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context has "a\0" };')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { context["\u{0}"] == 1 };')$$);
-- ... in extension function arguments
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { ip("10.0.0.1\0").isIpv4() };')$$);
-- a template is refused for its slot, a NUL before the slot for the NUL
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('@a("\0") permit(principal == ?principal, action, resource);')$$);
-- the other entry points that parse policy text: normalize, validation (policy sets)
SELECT pg_temp.try($$SELECT keycard.cedar_policy_normalize('permit(principal == User::"\0", action, resource);')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_validate('permit(principal, action, resource); forbid(principal, action, resource) when { context.s == "\0" };',
	keycard.cedar_schema_to_json('entity E; action a appliesTo { principal: E, resource: E, context: { s: String } };'))$$);
SELECT pg_temp.try($$SELECT keycard.cedar_validate_with_schema_text('permit(principal == E::"\0", action, resource);', 'entity E; action a appliesTo { principal: E, resource: E };')$$);
-- the escape itself is what is refused: an escaped backslash before 0 is fine
SELECT keycard.cedar_policy_to_json('permit(principal == User::"a\\0", action, resource);')->'principal';

-- EST: jsonb itself cannot hold U+0000, so the EST input is refused before
-- keycard reads it (the reader also checks every string of a jsonb built
-- in C, such as EST stored before 0.2.0); the text that would give it is
-- refused, so no EST holding it can be made
SELECT pg_temp.try($$SELECT keycard.cedar_policy_normalize('{"effect": "permit", "principal": {"op": "==", "entity": {"type": "User", "id": "a\u0000"}}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}'::jsonb)$$);
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_text(keycard.cedar_policy_to_json('permit(principal == User::"a\0", action, resource);'))$$);

-- schema text: attribute names, enum choices, action names and parents,
-- annotation values
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json('entity E = { "a\0": Long };')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json('entity E enum ["a", "\u{0}"];')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json('entity E; action "r\x00";')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json('action a in ["b\0"]; action "b";')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json('@doc("\0") entity E;')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_schema_normalize('entity E = { "\0": Long };')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_validate_with_schema_text('permit(principal, action, resource);', 'entity E = { "\0": Long };')$$);

-- schema JSON: as for EST, jsonb refuses \u0000 before keycard reads it
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"E": {"enum": ["\u0000"]}}, "actions": {}}}'::jsonb)$$);

