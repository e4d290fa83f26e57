/*-------------------------------------------------------------------------
 *
 * cedar_schema.c
 *	  SQL wrappers for Cedar schemas and strict validation:
 *	  keycard.cedar_schema_to_json, keycard.cedar_schema_to_text and
 *	  keycard.cedar_validate (src/cedar/schema.h, src/cedar/validate.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/cedar.h"
#include "cedar/lexer.h"
#include "cedar/schema.h"
#include "cedar/validate.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

/* Schema text -> checked fragment, in the current memory context */
static CedarSchemaFragment *
fragment_from_text_arg(text *t)
{
	CedarSchemaFragment *frag;

	frag = cedar_schema_fragment_from_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	(void) cedar_schema_build(frag);
	return frag;
}

PG_FUNCTION_INFO_V1(keycard_cedar_schema_to_json);

/* SQL function: cedar_schema_to_json(schema text) returns jsonb */
Datum
keycard_cedar_schema_to_json(PG_FUNCTION_ARGS)
{
	text	   *src = PG_GETARG_TEXT_PP(0);
	CedarScratch sc;

	cedar_scratch_begin(&sc, "cedar schema");
	cedar_schema_fragment_to_json(&sc.out, fragment_from_text_arg(src));
	PG_RETURN_JSONB_P(cedar_scratch_end_json(&sc));
}

PG_FUNCTION_INFO_V1(keycard_cedar_schema_to_text);

/* SQL function: cedar_schema_to_text(schema jsonb) returns text */
Datum
keycard_cedar_schema_to_text(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	CedarScratch sc;
	CedarSchemaFragment *frag;

	cedar_scratch_begin(&sc, "cedar schema");
	frag = cedar_schema_fragment_from_jsonb(jb);
	cedar_schema_fragment_to_text(&sc.out, frag);
	(void) cedar_schema_build(frag);
	PG_RETURN_TEXT_P(cedar_scratch_end_text(&sc));
}

PG_FUNCTION_INFO_V1(keycard_cedar_schema_text_normalize);

/*
 * SQL function: cedar_schema_normalize(schema text) returns text
 * (= schemaToText(schemaToJson(schema)), without the detour through jsonb)
 */
Datum
keycard_cedar_schema_text_normalize(PG_FUNCTION_ARGS)
{
	text	   *src = PG_GETARG_TEXT_PP(0);
	CedarScratch sc;

	cedar_scratch_begin(&sc, "cedar schema");
	cedar_schema_fragment_to_text(&sc.out, fragment_from_text_arg(src));
	PG_RETURN_TEXT_P(cedar_scratch_end_text(&sc));
}

static void
append_issues(StringInfo out, const CedarValidationIssue *v, int n)
{
	appendStringInfoChar(out, '[');
	for (int i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoChar(out, ',');
		appendStringInfoString(out, "{\"policy_id\":");
		escape_json(out, v[i].policy_id);
		appendStringInfoString(out, ",\"code\":");
		escape_json(out, v[i].code);
		appendStringInfoString(out, ",\"message\":");
		escape_json(out, v[i].message);
		appendStringInfoChar(out, '}');
	}
	appendStringInfoChar(out, ']');
}

/* The SQL result of a validation */
static void
result_json(StringInfo out, const CedarValidationResult *res)
{
	appendStringInfo(out, "{\"valid\":%s,\"errors\":", res->nerrors == 0 ? "true" : "false");
	append_issues(out, res->errors, res->nerrors);
	appendStringInfoString(out, ",\"warnings\":");
	append_issues(out, res->warnings, res->nwarnings);
	appendStringInfoChar(out, '}');
}

/* Validates every policy of Cedar text; ids policy0, policy1, ... */
static void
validate_text(const CedarSchema *schema, const char *src, int len, StringInfo out)
{
	CedarValidationResult res;
	int			npolicies;
	CedarPolicy **policies = cedar_parse_policy_set(src, len, &npolicies);

	cedar_validation_result_init(&res);
	for (int i = 0; i < npolicies; i++)
		cedar_validate_policy(schema, policies[i], psprintf("policy%d", i), &res);
	result_json(out, &res);
}

PG_FUNCTION_INFO_V1(keycard_cedar_validate_text);

/* SQL function: cedar_validate(policies text, schema jsonb) returns jsonb */
Datum
keycard_cedar_validate_text(PG_FUNCTION_ARGS)
{
	text	   *pol = PG_GETARG_TEXT_PP(0);
	Jsonb	   *schema = PG_GETARG_JSONB_P(1);
	CedarScratch sc;

	cedar_scratch_begin(&sc, "cedar validate");
	validate_text(cedar_schema_load_jsonb(schema), VARDATA_ANY(pol), VARSIZE_ANY_EXHDR(pol),
				  &sc.out);
	PG_RETURN_JSONB_P(cedar_scratch_end_json(&sc));
}

PG_FUNCTION_INFO_V1(keycard_cedar_validate_est);

/* SQL function: cedar_validate(policy jsonb, schema jsonb) returns jsonb */
Datum
keycard_cedar_validate_est(PG_FUNCTION_ARGS)
{
	Jsonb	   *est = PG_GETARG_JSONB_P(0);
	Jsonb	   *schema = PG_GETARG_JSONB_P(1);
	CedarScratch sc;
	CedarValidationResult res;
	const CedarSchema *s;
	CedarPolicy *p;

	cedar_scratch_begin(&sc, "cedar validate");
	s = cedar_schema_load_jsonb(schema);
	p = cedar_policy_from_est(est);
	cedar_validation_result_init(&res);
	cedar_validate_policy(s, p, "policy0", &res);
	result_json(&sc.out, &res);
	PG_RETURN_JSONB_P(cedar_scratch_end_json(&sc));
}

PG_FUNCTION_INFO_V1(keycard_cedar_validate_schema_text);

/*
 * SQL function: cedar_validate_with_schema_text(policies text, schema text)
 * returns jsonb (the schema in Cedar schema text)
 */
Datum
keycard_cedar_validate_schema_text(PG_FUNCTION_ARGS)
{
	text	   *pol = PG_GETARG_TEXT_PP(0);
	text	   *schema = PG_GETARG_TEXT_PP(1);
	CedarScratch sc;

	cedar_scratch_begin(&sc, "cedar validate");
	validate_text(cedar_schema_build(fragment_from_text_arg(schema)),
				  VARDATA_ANY(pol), VARSIZE_ANY_EXHDR(pol), &sc.out);
	PG_RETURN_JSONB_P(cedar_scratch_end_json(&sc));
}
