-- Hostile schemas: deep nesting, self-referencing common types, 100,000
-- entity types, validation against 10,000 entity types.  Each must give a
-- clear error or a result within the statement timeout.
SET statement_timeout = '60s';
SELECT keycard.cedar_schema_to_json('type T = ' || repeat('Set<', 5000) || 'Long' || repeat('>', 5000) || ';');
SELECT keycard.cedar_schema_to_json('type T = ' || repeat('{a: ', 100000) || 'Long' || repeat('}', 100000) || ';');
SELECT keycard.cedar_schema_to_text(('{"": {"commonTypes": {"T": ' || repeat('{"type": "Set", "element": ', 1000)
  || '{"type": "Long"}' || repeat('}', 1000) || '}, "entityTypes": {}, "actions": {}}}')::jsonb);
SELECT keycard.cedar_schema_to_json('type A = {a: A}; entity E;');
SELECT keycard.cedar_schema_to_json('type A = Set<B>; type B = {b: A}; entity E;');
SELECT keycard.cedar_schema_to_json('namespace N { type A = N::B; type B = A; } entity E;');
-- 100,000 entity types in a chain, both directions
SELECT jsonb_array_length(jsonb_path_query_array(keycard.cedar_schema_to_json(
  (SELECT string_agg('entity E' || i || ' in [E' || (i + 1) || '] = {a: Long};', ' ') FROM generate_series(1, 100000) i)
  || ' entity E100001;'), '$."".entityTypes.*'));
SELECT length(keycard.cedar_schema_to_text(keycard.cedar_schema_to_json(
  (SELECT string_agg('entity E' || i || ';', ' ') FROM generate_series(1, 100000) i))));
-- validation against 10,000 entity types
CREATE TEMP TABLE big AS SELECT keycard.cedar_schema_to_json(
  (SELECT string_agg('entity E' || i || ' in [E' || (i + 1) || '] = {a: Long};', ' ') FROM generate_series(1, 10000) i)
  || ' entity E10001; action a appliesTo { principal: [E1, E5000], resource: [E10001] };') AS s;
SELECT keycard.cedar_validate('permit(principal in E10001::"x", action, resource) when { principal.a > 1 };', s)->'valid' FROM big;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { principal in E9999::"x" && resource.a == 1 };', s)->'errors' FROM big;
-- a cycle through 1,000 actions
SELECT keycard.cedar_schema_to_json('entity E; ' ||
  (SELECT string_agg('action a' || i || ' in [a' || (i % 1000 + 1) || '];', ' ') FROM generate_series(1, 1000) i));
