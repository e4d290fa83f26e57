-- Cedar schemas: text <-> JSON (keycard.cedar_schema_to_json / _to_text /
-- _normalize) and the shipped platform schemas; success cases, then errors.

-- text -> JSON: namespaces, entities with parents, optional attributes,
-- tags, enums, common types, actions with groups and appliesTo, annotations
SELECT jsonb_pretty(keycard.cedar_schema_to_json($$
// a comment
@doc("the app")
namespace App {
  type Ctx = { ip: ipaddr, reason?: String };
  entity Group in [Group];
  @doc("a user")
  entity User in [Group] = { name: String, "e-mail"?: String, roles: Set<String> } tags Long;
  entity Status enum ["on", "off"];
  action read, write appliesTo { principal: User, resource: [Group], context: Ctx };
  action admin in [read] appliesTo { principal: [User], resource: Group, context: {} };
}
action "top";
$$));

-- JSON -> text, byte-equal to schemaToText (sorted, quoted action names)
SELECT keycard.cedar_schema_to_text(keycard.cedar_schema_to_json($$
namespace App {
  type Ctx = { ip: ipaddr, reason?: String };
  entity User in [Group] = { name: String, "e-mail"?: String } tags Long;
  entity Group;
  entity Status enum ["on", "off"];
  action read, write appliesTo { principal: User, resource: [Group], context: Ctx };
  action admin in [read];
}
$$));

-- JSON-only forms: Entity / Extension / primitive types, memberOf with type
SELECT keycard.cedar_schema_to_text('{"NS": {"entityTypes": {"A": {"shape": {"type": "Record",
  "attributes": {"b": {"type": "Boolean"}, "l": {"type": "Long", "required": false},
  "d": {"type": "Extension", "name": "decimal"}, "s": {"type": "Set", "element": {"type": "Entity", "name": "NS::A"}}}}}},
  "actions": {"x": {"appliesTo": {"principalTypes": ["A"], "resourceTypes": ["A"]}, "memberOf": [{"id": "y", "type": "NS::Action"}]},
  "y": {"annotations": {"k": null}}}}}'::jsonb);

-- text -> text layout
SELECT keycard.cedar_schema_normalize('entity A = {}; entity B { "if": Long }; type T = {};');

-- the shipped schema versions agree with the converters
SELECT version, keycard.cedar_schema_to_json(cedar_schema) = cedar_schema_json AS json_ok,
       keycard.cedar_schema_to_text(cedar_schema_json) = keycard.cedar_schema_normalize(cedar_schema) AS text_ok
FROM keycard.cedar_platform_schemas() ORDER BY version;

-- attributes of an action entity type: `Action` is the type of the actions
-- declared in the namespace where it is written (else the empty
-- namespace's), `N::Action` that of namespace N's; both formats, and a
-- policy using such an attribute validates as in the reference
SELECT keycard.cedar_schema_to_json($$
entity User { a: Action, b: N::Action, s: Set<Action> };
action view appliesTo { principal: User, resource: User };
namespace N { entity Admin { a: Action }; action manage; }
$$);
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"U": {"shape": {"type": "Record", "attributes": {"a": {"type": "Entity", "name": "Action"}}}}}, "actions": {"v": {}}}}');
SELECT keycard.cedar_validate_with_schema_text(p, $$
entity User { a: Action, b: N::Action };
action view appliesTo { principal: User, resource: User };
namespace N { entity Admin { a: Action }; action manage appliesTo { principal: Admin, resource: User }; }
$$)
FROM (VALUES ('permit(principal, action, resource) when { principal.a == Action::"view" };'),
             ('permit(principal is User, action, resource) when { principal.b in N::Action::"manage" };'),
             ('permit(principal is N::Admin, action, resource) when { principal.a == N::Action::"manage" };'),
             ('permit(principal, action, resource) when { principal.a.name == "view" };'),
             ('permit(principal, action, resource) when { principal.a == Action::"edit" };')) AS t(p);

-- errors: syntax (42601)
SELECT keycard.cedar_schema_to_json('entity User = { name: String;');
SELECT keycard.cedar_schema_to_json('entity E enum [];');
SELECT keycard.cedar_schema_to_json('entity if;');
SELECT keycard.cedar_schema_to_json('entity __cedar;');
SELECT keycard.cedar_schema_to_json('type Long = String;');
SELECT keycard.cedar_schema_to_json('@doc("a") @doc("b") entity E;');
SELECT keycard.cedar_schema_to_json('namespace A { entity E; } namespace A { entity F; }');
SELECT keycard.cedar_schema_to_json('entity E; action a appliesTo { principal: [], resource: E };');
SELECT keycard.cedar_schema_to_json('entity E; action a appliesTo { principal: E, principal: E, resource: E };');
SELECT keycard.cedar_schema_to_json('entity E; action a appliesTo { principal: E };');
SELECT keycard.cedar_schema_to_json('entity E; action "a\q";');
SELECT keycard.cedar_schema_to_json('entity E = { x: Long');
SELECT keycard.cedar_schema_to_json('type T = ' || repeat('Set<', 300) || 'Long' || repeat('>', 300) || ';');
-- errors: invalid schemas (42P17)
SELECT keycard.cedar_schema_to_json('entity E; entity E;');
SELECT keycard.cedar_schema_to_json('entity E; action a in b;');
SELECT keycard.cedar_schema_to_json('type T = T; entity E;');
SELECT keycard.cedar_schema_to_json('entity E = { x: Undeclared };');
SELECT keycard.cedar_schema_to_json('entity E in [Nope];');
SELECT keycard.cedar_schema_to_json('entity E; action a appliesTo { principal: E, resource: Nope };');
SELECT keycard.cedar_schema_to_json('entity E; action a in [b]; action b in [a];');
SELECT keycard.cedar_schema_to_json('entity E; namespace N { entity E; }');
SELECT keycard.cedar_schema_to_json('type C = Long; entity E; action a appliesTo { principal: E, resource: E, context: C };');
SELECT keycard.cedar_schema_to_json('entity U { a: Action };');
SELECT keycard.cedar_schema_to_json('namespace N { entity U { a: N::Action }; } action a;');
SELECT keycard.cedar_schema_to_json('entity U in [Action]; action a;');
SELECT keycard.cedar_schema_to_json('action a appliesTo { principal: Action, resource: Action };');
SELECT keycard.cedar_schema_to_json('namespace N { entity Action; action a; }');
SELECT keycard.cedar_schema_to_text('{"N": {"commonTypes": {"E": {"type": "Long"}}, "entityTypes": {"E": {}}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"commonTypes": {"R": {"type": "Record", "attributes": {}}}, "entityTypes": {"E": {"shape": {"type": "R"}}}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"E": {"shape": {"type": "Record", "attributes": {"x": {"type": "Extension", "name": "money"}}}}}, "actions": {}}}');
-- errors: JSON shape (22P02), with the JSON path
SELECT keycard.cedar_schema_to_text('[]');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {}, "actions": {}, "extra": 1}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"E": {"shape": {"type": "Record"}}}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"E": {"shape": {"type": "Set", "element": {"type": "Long", "name": "x"}}}}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"E": {"enum": ["a"], "memberOfTypes": []}}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"E": {"enum": []}}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"E": {"memberOfTypes": null}}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"if": {}}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"__cedar": {"entityTypes": {}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {}, "actions": {}, "annotations": {"a": "b"}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {}, "actions": {"a": {"appliesTo": {"principalTypes": []}}}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {}, "actions": {"a": {"memberOf": [{"type": "Action"}]}}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {}, "actions": {"a": {"attributes": {"x": 1}}}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"E": {"shape": {"type": "Record", "attributes": {}, "additionalAttributes": true}}}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"commonTypes": {"Set": {"type": "Long"}}, "entityTypes": {}, "actions": {}}}');
SELECT keycard.cedar_schema_to_text('{"": {"entityTypes": {"E": {"shape": {"type": "Record", "attributes": {"a": {"type": "Long", "required": "no"}}}}}, "actions": {}}}');
-- U+0000 cannot be stored in jsonb
SELECT keycard.cedar_schema_to_json('entity E = { "\0": Long };');
SELECT keycard.cedar_schema_normalize('entity E = { "\0": Long };');
