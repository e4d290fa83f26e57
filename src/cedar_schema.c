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

#include "cedar/schema.h"
#include "cedar/validate.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

/* Parses JSON text into jsonb (the fragment writer's output) */
static Datum
json_text_to_jsonb(StringInfo s)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s->data));
}

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
	MemoryContext scratch,
				old;
	StringInfoData out;
	Datum		result;

	scratch = AllocSetContextCreate(CurrentMemoryContext, "cedar schema",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);
	initStringInfo(&out);
	cedar_schema_fragment_to_json(&out, fragment_from_text_arg(src));
	MemoryContextSwitchTo(old);
	result = json_text_to_jsonb(&out);
	MemoryContextDelete(scratch);
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(keycard_cedar_schema_to_text);

/* SQL function: cedar_schema_to_text(schema jsonb) returns text */
Datum
keycard_cedar_schema_to_text(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	MemoryContext scratch,
				old;
	StringInfoData out;
	CedarSchemaFragment *frag;
	text	   *result;

	scratch = AllocSetContextCreate(CurrentMemoryContext, "cedar schema",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);
	frag = cedar_schema_fragment_from_jsonb(jb);
	initStringInfo(&out);
	cedar_schema_fragment_to_text(&out, frag);
	(void) cedar_schema_build(frag);
	MemoryContextSwitchTo(old);
	result = cstring_to_text_with_len(out.data, out.len);
	MemoryContextDelete(scratch);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(keycard_cedar_schema_text_normalize);

/*
 * SQL function: cedar_schema_normalize(schema text) returns text
 * (= schemaToText(schemaToJson(schema)), also for schemas whose strings
 * hold characters jsonb cannot store, such as NUL)
 */
Datum
keycard_cedar_schema_text_normalize(PG_FUNCTION_ARGS)
{
	text	   *src = PG_GETARG_TEXT_PP(0);
	MemoryContext scratch,
				old;
	StringInfoData out;
	text	   *result;

	scratch = AllocSetContextCreate(CurrentMemoryContext, "cedar schema",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);
	initStringInfo(&out);
	cedar_schema_fragment_to_text(&out, fragment_from_text_arg(src));
	MemoryContextSwitchTo(old);
	result = cstring_to_text_with_len(out.data, out.len);
	MemoryContextDelete(scratch);
	PG_RETURN_TEXT_P(result);
}
