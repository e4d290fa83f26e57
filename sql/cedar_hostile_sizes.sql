-- Inputs of about 1 MB shaped to make a quadratic (or worse) step slow:
-- each must give its result or a clear error well within the statement
-- timeout (cedar_schema_hostile.sql has deep nesting and long hierarchies).
-- Only stable results are shown: counts, and SQLSTATE with the message.
\getenv repo KC_REPO
\i :repo/test/regress_try.sql
SET statement_timeout = '10s';

-- policy text: 80,000 distinct annotations, then one repeated at the end
SELECT count(*) FROM jsonb_object_keys(keycard.cedar_policy_to_json(
  (SELECT string_agg('@a' || i || '("x")', ' ') FROM generate_series(1, 80000) i)
  || ' permit(principal, action, resource);')->'annotations');
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json(
  (SELECT string_agg('@a' || i, ' ') FROM generate_series(1, 80000) i) || ' @a1 permit(principal, action, resource);')$$);
-- record literals: 100,000 keys, or one key 150,000 times
SELECT count(*) FROM jsonb_object_keys(keycard.cedar_policy_to_json('permit(principal, action, resource) when { {'
  || (SELECT string_agg('a' || i || ': 1', ', ') FROM generate_series(1, 100000) i)
  || '} == {} };')#>'{conditions,0,body,==,left,Record}');
SELECT pg_temp.try($$SELECT keycard.cedar_policy_to_json('permit(principal, action, resource) when { {'
  || (SELECT string_agg('a: 1', ', ') FROM generate_series(1, 150000) i) || '} == {} };')$$);
-- long lists: 50,000 actions in the scope, 50,000 entities in a condition
SELECT jsonb_array_length(keycard.cedar_policy_to_json('permit(principal, action in ['
  || (SELECT string_agg('Action::"a' || i || '"', ', ') FROM generate_series(1, 50000) i)
  || '], resource);')#>'{action,entities}');
SELECT jsonb_array_length(keycard.cedar_policy_to_json('permit(principal, action, resource) when { principal in ['
  || (SELECT string_agg('E::"a' || i || '"', ', ') FROM generate_series(1, 50000) i)
  || '] };')#>'{conditions,0,body,in,right,Set}');
-- a string of 240,000 escapes; a like pattern of 500,000 wildcards, and printed back
SELECT length(keycard.cedar_policy_to_json('permit(principal == User::"' || repeat('\u{1F600}\n\"', 80000)
  || '", action, resource);')#>>'{principal,entity,id}');
SELECT jsonb_array_length(keycard.cedar_policy_to_json('permit(principal, action, resource) when { context.s like "'
  || repeat('*a', 250000) || '" };')#>'{conditions,0,body,like,pattern}');
SELECT length(keycard.cedar_policy_to_text(keycard.cedar_policy_to_json('permit(principal, action, resource) when { context.s like "'
  || repeat('*\*\u{300}', 100000) || '" };')));
-- a has path of 100,000 attributes
SELECT jsonb_array_length(keycard.cedar_policy_to_json('permit(principal, action, resource) when { context has '
  || (SELECT string_agg('a' || i, '.') FROM generate_series(1, 100000) i) || ' };')#>'{conditions,0,body,has,attr}');

-- EST: a record value of 100,000 keys, 80,000 annotations
SELECT count(*) FROM jsonb_object_keys(keycard.cedar_policy_normalize(('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"Value": {'
  || (SELECT string_agg('"a' || i || '": 1', ', ') FROM generate_series(1, 100000) i) || '}}}]}')::jsonb)#>'{conditions,0,body,Record}');
SELECT count(*) FROM jsonb_object_keys(keycard.cedar_policy_normalize(('{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [], "annotations": {'
  || (SELECT string_agg('"a' || i || '": "x"', ', ') FROM generate_series(1, 80000) i) || '}}')::jsonb)->'annotations');

-- policy sets: 20,000 impossible policies, each warned about once
SELECT jsonb_array_length(keycard.cedar_validate_with_schema_text(
  (SELECT string_agg('permit(principal, action, resource) when { false };', ' ') FROM generate_series(1, 20000) i),
  'entity E; action a appliesTo { principal: E, resource: E };')->'warnings');

-- schema text: 80,000 annotations on one declaration, then one repeated
SELECT count(*) FROM jsonb_object_keys(keycard.cedar_schema_to_json(
  (SELECT string_agg('@a' || i || '("x")', ' ') FROM generate_series(1, 80000) i) || ' entity E;')#>'{"",entityTypes,E,annotations}');
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json((SELECT string_agg('@a' || i, ' ') FROM generate_series(1, 80000) i) || ' @a7 entity E;')$$);
-- 60,000 namespaces, then one repeated
SELECT count(*) FROM jsonb_object_keys(keycard.cedar_schema_to_json(
  (SELECT string_agg('namespace N' || i || ' { entity E; }', ' ') FROM generate_series(1, 60000) i)));
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json((SELECT string_agg('namespace N' || i || ' {}', ' ') FROM generate_series(1, 60000) i) || ' namespace N9 {}')$$);
-- duplicate declarations and attributes
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json((SELECT string_agg('entity E' || i || ';', ' ') FROM generate_series(1, 80000) i) || ' entity E1;')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json((SELECT string_agg('type T' || i || ' = Long;', ' ') FROM generate_series(1, 60000) i) || ' type T1 = Long;')$$);
SELECT pg_temp.try($$SELECT keycard.cedar_schema_to_json((SELECT string_agg('action a' || i || ';', ' ') FROM generate_series(1, 80000) i) || ' action a1;')$$);
SELECT keycard.cedar_schema_to_json('entity E = {' || (SELECT string_agg('a: Long', ', ') FROM generate_series(1, 100000) i) || '};');
-- a parent listed 300,000 times, an action parent 150,000 times, a principal type 150,000 times
SELECT jsonb_array_length(keycard.cedar_schema_to_json('entity B; entity A in ['
  || (SELECT string_agg('B', ', ') FROM generate_series(1, 300000) i) || '];')#>'{"",entityTypes,A,memberOfTypes}');
SELECT jsonb_array_length(keycard.cedar_schema_to_json('action b; action a in ['
  || (SELECT string_agg('"b"', ', ') FROM generate_series(1, 150000) i) || '];')#>'{"",actions,a,memberOf}');
SELECT jsonb_array_length(keycard.cedar_schema_to_json('entity E; action a appliesTo { principal: ['
  || (SELECT string_agg('E', ', ') FROM generate_series(1, 150000) i) || '], resource: E };')#>'{"",actions,a,appliesTo,principalTypes}');

-- JSON schemas: 30,000 entity types and 30,000 common types printed as
-- text, with different names, then with the same
SELECT length(keycard.cedar_schema_to_text(('{"N": {"commonTypes": {'
  || (SELECT string_agg('"T' || i || '": {"type": "Long"}', ', ') FROM generate_series(1, 30000) i) || '}, "entityTypes": {'
  || (SELECT string_agg('"E' || i || '": {}', ', ') FROM generate_series(1, 30000) i) || '}, "actions": {}}}')::jsonb));
SELECT left(pg_temp.try($$SELECT keycard.cedar_schema_to_text(('{"N": {"commonTypes": {'
  || (SELECT string_agg('"E' || i || '": {"type": "Long"}', ', ') FROM generate_series(1, 30000) i) || '}, "entityTypes": {'
  || (SELECT string_agg('"E' || i || '": {}', ', ') FROM generate_series(1, 30000) i) || '}, "actions": {}}}')::jsonb)$$), 90);
-- a parent listed 150,000 times, an action parent 80,000 times
SELECT length(keycard.cedar_schema_to_text(('{"": {"entityTypes": {"B": {}, "E": {"memberOfTypes": ['
  || (SELECT string_agg('"B"', ', ') FROM generate_series(1, 150000) i) || ']}}, "actions": {}}}')::jsonb));
SELECT length(keycard.cedar_schema_to_text(('{"": {"entityTypes": {}, "actions": {"b": {}, "a": {"memberOf": ['
  || (SELECT string_agg('{"id": "b"}', ', ') FROM generate_series(1, 80000) i) || ']}}}}')::jsonb));

-- validation: request environments are action x principal type x resource
-- type, so small schemas ask for much work.  150,000 x 150,000 repeated
-- types (one environment), 1,000 x 1,000 distinct types for a policy that
-- uses neither, 3,000 x 3,000 for one that uses both (over the limit)
SELECT keycard.cedar_validate_with_schema_text('permit(principal, action, resource);',
  'entity E; action a appliesTo { principal: [' || (SELECT string_agg('E', ', ') FROM generate_series(1, 150000) i)
  || '], resource: [' || (SELECT string_agg('E', ', ') FROM generate_series(1, 150000) i) || '] };')->'valid';
SELECT keycard.cedar_validate_with_schema_text('permit(principal, action, resource) when { context.n > 1 };',
  (SELECT string_agg('entity E' || i || ';', ' ') FROM generate_series(1, 1000) i) || ' action a appliesTo { principal: ['
  || (SELECT string_agg('E' || i, ', ') FROM generate_series(1, 1000) i) || '], resource: ['
  || (SELECT string_agg('E' || i, ', ') FROM generate_series(1, 1000) i) || '], context: { n: Long } };')->'valid';
SELECT pg_temp.try($$SELECT keycard.cedar_validate_with_schema_text('permit(principal, action, resource) when { principal.a == resource.a };',
  (SELECT string_agg('entity E' || i || ' = { a: Long };', ' ') FROM generate_series(1, 3000) i) || ' action a appliesTo { principal: ['
  || (SELECT string_agg('E' || i, ', ') FROM generate_series(1, 3000) i) || '], resource: ['
  || (SELECT string_agg('E' || i, ', ') FROM generate_series(1, 3000) i) || '] };')$$);
-- 15,000 actions under one group, checked against `action in` that group
SELECT keycard.cedar_validate_with_schema_text('permit(principal, action in Action::"all", resource);',
  'entity E; action all; ' || (SELECT string_agg('action a' || i || ' in all appliesTo { principal: E, resource: E };', ' ')
  FROM generate_series(1, 15000) i))->'valid';
-- 40,000 actions listed in the scope, checked in 5,000 environments
SELECT jsonb_array_length(keycard.cedar_validate_with_schema_text('permit(principal, action in ['
  || (SELECT string_agg('Action::"a' || i || '"', ', ') FROM generate_series(1, 40000) i) || '], resource);',
  'entity E; ' || (SELECT string_agg('action a' || i || ' appliesTo { principal: E, resource: E };', ' ')
  FROM generate_series(1, 5000) i))->'errors');
-- 20,000 uids of an enum of 50,000 choices
SELECT keycard.cedar_validate_with_schema_text('permit(principal, action, resource) when { principal in ['
  || (SELECT string_agg('E::"c' || i || '"', ', ') FROM generate_series(1, 20000) i) || '] };',
  'entity E enum [' || (SELECT string_agg('"c' || i || '"', ', ') FROM generate_series(1, 50000) i)
  || ']; action a appliesTo { principal: E, resource: E };')->'valid';
-- 5,000 `in` tests against the end of a chain of 10,000 entity types
SELECT keycard.cedar_validate_with_schema_text('permit(principal, action, resource) when { ['
  || (SELECT string_agg('principal in E10001::"x' || i || '"', ', ') FROM generate_series(1, 5000) i) || '].contains(true) };',
  (SELECT string_agg('entity E' || i || ' in [E' || (i + 1) || '];', ' ') FROM generate_series(1, 10000) i)
  || ' entity E10001; action a appliesTo { principal: [E1], resource: [E1] };')->'valid';
-- 60,000 distinct errors in one policy
SELECT jsonb_array_length(keycard.cedar_validate_with_schema_text('permit(principal, action, resource) when { ['
  || (SELECT string_agg('context.b' || i, ', ') FROM generate_series(1, 60000) i) || '].contains(1) };',
  'entity E; action a appliesTo { principal: E, resource: E };')->'errors');
-- common types that share parts: T40 has 2^40 paths to a Long, so its text
-- is cut, and comparing it with the same shape declared again is over the limit
SELECT length(keycard.cedar_validate_with_schema_text('permit(principal, action, resource) when { context.x + 1 == 2 };',
  'type T0 = Long; ' || (SELECT string_agg('type T' || i || ' = { a: T' || (i - 1) || ', b: T' || (i - 1) || ' };', ' ')
  FROM generate_series(1, 40) i) || ' entity E; action a appliesTo { principal: E, resource: E, context: { x: T40 } };')#>>'{errors,0,message}') < 4500 AS cut;
SELECT pg_temp.try($$SELECT keycard.cedar_validate_with_schema_text('permit(principal, action, resource) when { context.x == context.y };',
  'type T0 = Long; type U0 = Long; ' || (SELECT string_agg('type T' || i || ' = { a: T' || (i - 1) || ', b: T' || (i - 1)
  || ' }; type U' || i || ' = { a: U' || (i - 1) || ', b: U' || (i - 1) || ' };', ' ') FROM generate_series(1, 40) i)
  || ' entity E; action a appliesTo { principal: E, resource: E, context: { x: T40, y: U40 } };')$$);
RESET statement_timeout;
