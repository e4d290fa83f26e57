-- Strict-mode validation (keycard.cedar_validate): success cases, each kind
-- of validation error, then the errors raised for bad input.
CREATE TEMP TABLE s AS SELECT keycard.cedar_schema_to_json($$
type Ctx = { authenticated: Bool, ip: ipaddr, budget?: decimal };
entity Group in [Group] = { name: String };
entity User in [Group] = { name: String, age: Long, email?: String, manager?: User,
  address: { city: String, zip?: String } } tags String;
entity Photo = { owner: User, labels: Set<String>, taken?: datetime };
entity Status enum ["active", "suspended"];
action view, edit appliesTo { principal: [User, Group], resource: [Photo], context: Ctx };
action delete in [edit] appliesTo { principal: User, resource: Photo, context: Ctx };
$$) AS j;

-- valid
SELECT keycard.cedar_validate($$
permit(principal is User, action in [Action::"view", Action::"edit"], resource)
  when { resource.owner == principal || principal in Group::"admins" };
permit(principal, action == Action::"delete", resource)
  when { principal has email && principal.email like "*@example.com" };
forbid(principal, action, resource)
  when { context has budget && context.budget.lessThan(decimal("1.5")) }
  unless { context.ip.isInRange(ip("10.0.0.0/8")) };
permit(principal is User, action, resource)
  when { principal.hasTag("dept") && principal.getTag("dept") == "eng" && principal.address has zip && principal.address.zip != "" };
permit(principal, action, resource)
  when { if resource has taken then resource.taken < datetime("2024-01-01T00:00:00Z") else true };
$$, j) FROM s;
-- one EST policy
SELECT keycard.cedar_validate(keycard.cedar_policy_to_json(
  'permit(principal, action == Action::"view", resource) when { resource.labels.contains("x") };'), j) FROM s;
-- warnings do not make a policy invalid
SELECT keycard.cedar_validate('permit(principal is Group, action == Action::"delete", resource);', j) FROM s;

-- each kind of validation error
SELECT keycard.cedar_validate('permit(principal is Robot, action, resource);', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action == Action::"fly", resource);', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { principal == Status::"gone" };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal is User, action, resource) when { principal.age == "x" };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal is User, action, resource) when { principal.age };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal is User, action, resource) when { principal.height > 1 };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal is User, action, resource) when { principal.email == "a" };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { context.budget == decimal("1.0") };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal is User, action, resource) when { principal.getTag("x") == "y" };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { ip("1.2.3.4", "x").isIpv4() };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { ip("999.1.1.1").isIpv4() };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { decimal(resource.owner.name).lessThan(decimal("1.0")) };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { [].isEmpty() };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { if context.authenticated then 1 else "a" };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { duration("1d2x") == duration("1d") && datetime("2024-02-30") == datetime("2024-01-01") };', j) FROM s;

-- as the reference types them: && and || of boolean literals fold into one
-- literal (false here: the rest is not checked, the policy is impossible;
-- true there: the error after it is reported)
SELECT keycard.cedar_validate('permit(principal is User, action, resource) when { (true || false) == false && principal.height > 1 };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal is User, action, resource) when { (false || true && true) == true && principal.height > 1 };', j) FROM s;
-- a folded literal is a literal argument (wrong type, not non-literal)
SELECT keycard.cedar_validate('permit(principal, action, resource) when { decimal(true && false) == decimal("1.0") };', j) FROM s;
-- getTag with a key of the wrong type: both errors; on an entity type without tags
SELECT keycard.cedar_validate('permit(principal is User, action, resource) when { principal.getTag(1) == "a" };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { resource.getTag("a") == "a" };', j) FROM s;
-- hasTag on an entity type without tags is false even with a bad key (the
-- rest is not checked); with tags it is not, and the rest is checked
SELECT keycard.cedar_validate('permit(principal, action, resource) when { resource.hasTag(1) && resource.height > 1 };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal is User, action, resource) when { principal.hasTag(1) && principal.height > 1 };', j) FROM s;
-- hasTag on a record has no type: nothing more to report about its use
SELECT keycard.cedar_validate('permit(principal, action, resource) when { {}.hasTag("a") == action };', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource) when { if {}.hasTag("a") then 1 else "a" };', j) FROM s;

-- bad input
SELECT keycard.cedar_validate('permit(principal, action, resource', j) FROM s;
SELECT keycard.cedar_validate('permit(principal, action, resource);', '{"": {}}');
SELECT keycard.cedar_validate('{"effect": "permit"}'::jsonb, j) FROM s;
SELECT keycard.cedar_validate_with_schema_text('permit(principal, action, resource);', 'entity E = { "\0": Long };');
SELECT keycard.cedar_validate_with_schema_text('permit(principal, action, resource);', 'entity E');
