/*-------------------------------------------------------------------------
 *
 * authorize.c
 *	  Policy sets and requests of Cedar authorization (authorize.h): the
 *	  policy set parsed once, the request's entities parsed and, with a
 *	  schema, its context parsed by the action's context type and the
 *	  request validated against the action's declaration, as the reference
 *	  does (cedar-policy ffi is_authorized.rs, Request::new).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/cedar.h"
#include "cedar/eval_int.h"
#include "cedar/jsonb_read.h"
#include "cedar/lexer.h"

#define MALFORMED ERRCODE_INVALID_TEXT_REPRESENTATION
#define NONCONFORMING ERRCODE_INVALID_PARAMETER_VALUE

static const char *const request_hint =
"The request must be one the schema declares for its action.";

/*
 * Runs a parse with U+0000 allowed in strings (lexer.h), resetting the
 * flag whatever happens.
 */
#define WITH_NUL_ALLOWED(stmt) \
	do { \
		cedar_lexer_allow_nul = true; \
		PG_TRY(); \
		{ \
			stmt; \
		} \
		PG_FINALLY(); \
		{ \
			cedar_lexer_allow_nul = false; \
		} \
		PG_END_TRY(); \
	} while (0)

CedarPolicySet *
cedar_policy_set_compile(const char *text, int len)
{
	CedarPolicySet *ps = palloc(sizeof(CedarPolicySet));

	WITH_NUL_ALLOWED(ps->policies = cedar_parse_policy_set(text, len, &ps->n));
	ps->ids = palloc(sizeof(char *) * Max(ps->n, 1));
	for (int i = 0; i < ps->n; i++)
		ps->ids[i] = psprintf("policy%d", i);
	return ps;
}

CedarPolicy *
cedar_policy_compile(const char *text, int len)
{
	CedarPolicy *p;

	WITH_NUL_ALLOWED(p = cedar_parse_policy(text, len));
	return p;
}

const CedarSchema *
cedar_schema_compile(const char *text, int len)
{
	const CedarSchema *schema;

	WITH_NUL_ALLOWED(schema = cedar_schema_build(cedar_schema_fragment_from_text(text, len)));
	return schema;
}

static bool
type_listed(CedarEntityTypeDef **types, int n, const CedarString *type)
{
	for (int i = 0; i < n; i++)
		if (strlen(types[i]->name) == type->len &&
			memcmp(types[i]->name, type->data, type->len) == 0)
			return true;
	return false;
}

/* Request validation: the action's declaration admits the request */
static void
validate_request(const CedarRequest *req, const CedarActionDef *act,
				 const CedarSchema *schema, StringInfo path)
{
	const CedarValue *p = req->principal;
	const CedarValue *r = req->resource;
	int			saved;

	saved = cedar_jsonb_push_key(path, "principal", 9);
	if (cedar_schema_entity_type(schema, p->u.uid.type.data, p->u.uid.type.len) == NULL)
		authz_error_at(NONCONFORMING, path, request_hint,
					   "principal type %s is not declared in the schema", p->u.uid.type.data);
	if (!type_listed(act->principals, act->nprincipals, &p->u.uid.type))
		authz_error_at(NONCONFORMING, path, request_hint,
					   "principal type %s is not valid for action %s",
					   p->u.uid.type.data, act->display);
	cedar_check_uid_in_schema(schema, p, path);
	cedar_jsonb_pop(path, saved);

	saved = cedar_jsonb_push_key(path, "resource", 8);
	if (cedar_schema_entity_type(schema, r->u.uid.type.data, r->u.uid.type.len) == NULL)
		authz_error_at(NONCONFORMING, path, request_hint,
					   "resource type %s is not declared in the schema", r->u.uid.type.data);
	if (!type_listed(act->resources, act->nresources, &r->u.uid.type))
		authz_error_at(NONCONFORMING, path, request_hint,
					   "resource type %s is not valid for action %s",
					   r->u.uid.type.data, act->display);
	cedar_check_uid_in_schema(schema, r, path);
	cedar_jsonb_pop(path, saved);
}

CedarRequest *
cedar_request_build(const JsonbValue *principal, const JsonbValue *action,
					const JsonbValue *resource, const JsonbValue *context,
					const CedarSchema *schema, bool validate)
{
	CedarRequest *req = palloc(sizeof(CedarRequest));
	StringInfoData path;
	const CedarActionDef *act = NULL;
	int			saved;

	initStringInfo(&path);
	saved = cedar_jsonb_push_key(&path, "principal", 9);
	req->principal = cedar_json_to_uid(principal, &path);
	cedar_jsonb_pop(&path, saved);
	saved = cedar_jsonb_push_key(&path, "action", 6);
	req->action = cedar_json_to_uid(action, &path);
	cedar_jsonb_pop(&path, saved);
	saved = cedar_jsonb_push_key(&path, "resource", 8);
	req->resource = cedar_json_to_uid(resource, &path);
	cedar_jsonb_pop(&path, saved);

	if (schema != NULL)
	{
		const CedarString *t = &req->action->u.uid.type;
		const CedarString *id = &req->action->u.uid.id;

		act = cedar_schema_action(schema, t->data, t->len, id->data, id->len);
		if (act == NULL)
		{
			saved = cedar_jsonb_push_key(&path, "action", 6);
			authz_error_at(NONCONFORMING, &path, request_hint,
						   "action %s::\"%s\" is not declared in the schema", t->data, id->data);
		}
	}

	saved = cedar_jsonb_push_key(&path, "context", 7);
	if (!cedar_jsonb_is_object(context))
		authz_error_at(MALFORMED, &path, "The context is a JSON object of Cedar values.", "context must be an object, not %s",
					   cedar_jsonb_kind(context));
	/* Unvalidated, the reference reads the context by its declared shape only. */
	req->context = cedar_json_to_value(context, act ? act->context : NULL, validate, schema, &path, 2);
	if (req->context->kind != CEDAR_V_RECORD)
		authz_error_at(MALFORMED, &path, "The context is a JSON object of Cedar values.", "context must be a record, not %s",
					   cedar_value_kind_name(req->context->kind));
	cedar_jsonb_pop(&path, saved);

	if (schema != NULL && validate)
		validate_request(req, act, schema, &path);
	return req;
}
