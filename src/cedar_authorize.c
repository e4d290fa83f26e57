/*-------------------------------------------------------------------------
 *
 * cedar_authorize.c
 *	  SQL wrapper of Cedar authorization: keycard.cedar_is_authorized(call
 *	  jsonb), whose argument is exactly the reference's isAuthorized call
 *	  (cedar-wasm 4.13 AuthorizationCall) and whose result is its decision
 *	  (src/cedar/authorize.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/authorize.h"
#include "cedar/cedar.h"
#include "cedar/error.h"
#include "cedar/jsonb_read.h"
#include "cedar/schema.h"
#include "fmgr.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#define MALFORMED ERRCODE_INVALID_TEXT_REPRESENTATION

static const char *const call_hint =
"The call is {\"principal\", \"action\", \"resource\", \"context\", \"policies\": {\"staticPolicies\": \"...\"}, \"entities\": [...]} with optional \"schema\" and \"validateRequest\".";

/* The members of the call, by name */
typedef struct AuthorizationCall
{
	const JsonbValue *principal;
	const JsonbValue *action;
	const JsonbValue *resource;
	const JsonbValue *context;
	const JsonbValue *schema;
	const JsonbValue *validate;
	const JsonbValue *policies;
	const JsonbValue *entities;
} AuthorizationCall;

static void
read_call(Jsonb *jb, AuthorizationCall *call)
{
	JsonbValue	root;
	CedarJsonbMember *m;
	int			n;
	StringInfoData path;

	initStringInfo(&path);
	memset(call, 0, sizeof(*call));
	cedar_jsonb_root(jb, &root);
	if (!cedar_jsonb_is_object(&root))
		cedar_error(CEDAR_INPUT_AUTHORIZATION, MALFORMED, NULL, call_hint,
					"the call must be a JSON object, not %s", cedar_jsonb_kind(&root));
	m = cedar_jsonb_members(&root, &n);
	for (int i = 0; i < n; i++)
	{
		const char *k = m[i].key.data;
		const JsonbValue *v = &m[i].val;

		if (strcmp(k, "principal") == 0)
			call->principal = v;
		else if (strcmp(k, "action") == 0)
			call->action = v;
		else if (strcmp(k, "resource") == 0)
			call->resource = v;
		else if (strcmp(k, "context") == 0)
			call->context = v;
		else if (strcmp(k, "schema") == 0)
			call->schema = v->type == jbvNull ? NULL : v;
		else if (strcmp(k, "validateRequest") == 0)
			call->validate = v;
		else if (strcmp(k, "policies") == 0)
			call->policies = v;
		else if (strcmp(k, "entities") == 0)
			call->entities = v;
		else
		{
			cedar_jsonb_push_key(&path, k, m[i].key.len);
			cedar_error_at_path(CEDAR_INPUT_AUTHORIZATION, MALFORMED, &path, call_hint,
								"unknown member \"%s\"", k);
		}
	}
	if (!call->principal || !call->action || !call->resource || !call->context ||
		!call->policies || !call->entities)
		cedar_error(CEDAR_INPUT_AUTHORIZATION, MALFORMED, NULL, call_hint,
					"the call needs members \"principal\", \"action\", \"resource\", \"context\", \"policies\" and \"entities\"");
	if (call->validate && call->validate->type != jbvBool)
	{
		cedar_jsonb_push_key(&path, "validateRequest", 15);
		cedar_error_at_path(CEDAR_INPUT_AUTHORIZATION, MALFORMED, &path, call_hint,
							"validateRequest must be a boolean");
	}
}

/* The schema member: Cedar schema text, or a Cedar JSON schema */
static const CedarSchema *
read_schema(const JsonbValue *v)
{
	if (v == NULL)
		return NULL;
	if (v->type == jbvString)
		return cedar_schema_compile(pnstrdup(v->val.string.val, v->val.string.len),
									v->val.string.len);
	if (cedar_jsonb_is_object(v))
		return cedar_schema_load_jsonb(JsonbValueToJsonb((JsonbValue *) v));
	cedar_error(CEDAR_INPUT_AUTHORIZATION, MALFORMED, "The error is at JSON path $.schema.", call_hint,
				"the schema must be Cedar schema text or a Cedar JSON schema, not %s",
				cedar_jsonb_kind(v));
}

/* True if v is absent, an empty object or an empty array */
static bool
is_empty_json(const JsonbValue *v)
{
	int			n = 1;

	if (cedar_jsonb_is_object(v))
		(void) cedar_jsonb_members(v, &n);
	else if (cedar_jsonb_is_array(v))
		(void) cedar_jsonb_elems(v, &n);
	return n == 0;
}

/* One policy given as text or as EST (a JSON object) */
static CedarPolicy *
read_one_policy(const JsonbValue *v, StringInfo path)
{
	if (v->type == jbvString)
		return cedar_policy_compile(pnstrdup(v->val.string.val, v->val.string.len),
									v->val.string.len);
	if (cedar_jsonb_is_object(v))
		return cedar_policy_from_est(JsonbValueToJsonb((JsonbValue *) v));
	cedar_error_at_path(CEDAR_INPUT_AUTHORIZATION, MALFORMED, path, call_hint,
						"a static policy must be policy text or EST, not %s",
						cedar_jsonb_kind(v));
}

/*
 * policies: {"staticPolicies": S} where S is policy set text (ids policy0,
 * policy1, ...), an object of policies by id, or an array of policies (the
 * reference names each one of these policy0 if text, "JSON policy" if EST,
 * so two of a kind collide); templates and links are not supported.
 */
static CedarPolicySet *
read_policies(const JsonbValue *v)
{
	CedarJsonbMember *m;
	int			n;
	const JsonbValue *sp = NULL;
	StringInfoData path;
	CedarPolicySet *ps;

	initStringInfo(&path);
	cedar_jsonb_push_key(&path, "policies", 8);
	if (!cedar_jsonb_is_object(v))
		cedar_error_at_path(CEDAR_INPUT_AUTHORIZATION, MALFORMED, &path, call_hint,
							"policies must be an object, not %s", cedar_jsonb_kind(v));
	m = cedar_jsonb_members(v, &n);
	for (int i = 0; i < n; i++)
	{
		const char *k = m[i].key.data;

		if (strcmp(k, "staticPolicies") == 0)
			sp = &m[i].val;
		else if (strcmp(k, "templates") == 0 || strcmp(k, "templateLinks") == 0)
		{
			if (!is_empty_json(&m[i].val))
			{
				cedar_jsonb_push_key(&path, k, m[i].key.len);
				cedar_error_at_path(CEDAR_INPUT_AUTHORIZATION, ERRCODE_FEATURE_NOT_SUPPORTED, &path,
									"Write the policies as static policies.",
									"policy templates are not supported");
			}
		}
		else
		{
			cedar_jsonb_push_key(&path, k, m[i].key.len);
			cedar_error_at_path(CEDAR_INPUT_AUTHORIZATION, MALFORMED, &path,
								"policies has members \"staticPolicies\", \"templates\" and \"templateLinks\".",
								"unknown member \"%s\"", k);
		}
	}
	if (sp == NULL)
		return cedar_policy_set_compile("", 0);
	cedar_jsonb_push_key(&path, "staticPolicies", 14);
	if (sp->type == jbvString)
		return cedar_policy_set_compile(pnstrdup(sp->val.string.val, sp->val.string.len),
										sp->val.string.len);
	ps = palloc(sizeof(CedarPolicySet));
	if (cedar_jsonb_is_object(sp))
	{
		m = cedar_jsonb_members(sp, &n);
		ps->n = n;
		ps->ids = palloc(sizeof(char *) * Max(n, 1));
		ps->policies = palloc(sizeof(CedarPolicy *) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			int			saved = cedar_jsonb_push_key(&path, m[i].key.data, m[i].key.len);

			ps->ids[i] = m[i].key.data;
			ps->policies[i] = read_one_policy(&m[i].val, &path);
			cedar_jsonb_pop(&path, saved);
		}
		return ps;
	}
	if (cedar_jsonb_is_array(sp))
	{
		JsonbValue *elems = cedar_jsonb_elems(sp, &n);
		bool		text_seen = false,
					est_seen = false;

		ps->n = n;
		ps->ids = palloc(sizeof(char *) * Max(n, 1));
		ps->policies = palloc(sizeof(CedarPolicy *) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			int			saved = cedar_jsonb_push_index(&path, i);
			bool	   *seen = elems[i].type == jbvString ? &text_seen : &est_seen;

			ps->policies[i] = read_one_policy(&elems[i], &path);
			ps->ids[i] = elems[i].type == jbvString ? "policy0" : "JSON policy";
			if (*seen)
				cedar_error_at_path(CEDAR_INPUT_AUTHORIZATION, ERRCODE_INVALID_PARAMETER_VALUE, &path,
									"Give the policies as an object by id, or as one policy set text.",
									"duplicate policy id \"%s\"", ps->ids[i]);
			*seen = true;
			cedar_jsonb_pop(&path, saved);
		}
		return ps;
	}
	cedar_error_at_path(CEDAR_INPUT_AUTHORIZATION, MALFORMED, &path, call_hint,
						"staticPolicies must be policy set text, an object or an array of policies, not %s",
						cedar_jsonb_kind(sp));
}

static void
append_ids(StringInfo out, const char **ids, int n)
{
	appendStringInfoChar(out, '[');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(out, ',');
		escape_json(out, ids[i]);
	}
	appendStringInfoChar(out, ']');
}

PG_FUNCTION_INFO_V1(keycard_cedar_is_authorized);

/* SQL function: cedar_is_authorized(call jsonb) returns jsonb */
Datum
keycard_cedar_is_authorized(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	CedarScratch sc;
	AuthorizationCall call;
	const CedarSchema *schema;
	CedarPolicySet *policies;
	CedarEntityStore *store;
	CedarRequest *req;
	CedarDecision d;

	cedar_scratch_begin(&sc, "cedar is_authorized");
	read_call(jb, &call);
	schema = read_schema(call.schema);
	policies = read_policies(call.policies);
	req = cedar_request_build(call.principal, call.action, call.resource, call.context,
							  schema, call.validate ? call.validate->val.boolean : true);
	store = cedar_entities_build(call.entities, schema);
	cedar_authorize(policies, store, req, &d);

	appendStringInfo(&sc.out, "{\"decision\":\"%s\",\"reasons\":", d.allow ? "allow" : "deny");
	append_ids(&sc.out, d.reasons, d.nreasons);
	appendStringInfoString(&sc.out, ",\"errored_policies\":");
	append_ids(&sc.out, d.errored, d.nerrored);
	appendStringInfoChar(&sc.out, '}');
	PG_RETURN_JSONB_P(cedar_scratch_end_json(&sc));
}
