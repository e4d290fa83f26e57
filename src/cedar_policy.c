/*-------------------------------------------------------------------------
 *
 * cedar_policy.c
 *	  SQL-callable wrappers of the Cedar policy front end (src/cedar/):
 *	  keycard.cedar_policy_to_json(text), keycard.cedar_policy_to_text(jsonb)
 *	  and keycard.cedar_policy_normalize(text | jsonb), plus the C helpers
 *	  that normalize in a private memory context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "cedar/cedar.h"

/*
 * Runs the parser over text in a scratch context; returns the EST copied
 * into the caller's context.
 */
Jsonb *
cedar_text_normalize(const char *text, int len)
{
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext,
												  "cedar policy parse",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scratch);
	Jsonb	   *est;
	Jsonb	   *result;

	est = cedar_policy_to_est(cedar_parse_policy(text, len));
	MemoryContextSwitchTo(old);
	result = palloc(VARSIZE(est));
	memcpy(result, est, VARSIZE(est));
	MemoryContextDelete(scratch);
	return result;
}

PG_FUNCTION_INFO_V1(keycard_cedar_policy_to_json);

/* SQL function: keycard.cedar_policy_to_json(policy text) returns jsonb */
Datum
keycard_cedar_policy_to_json(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_JSONB_P(cedar_text_normalize(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

PG_FUNCTION_INFO_V1(keycard_cedar_policy_normalize_text);

/* SQL function: keycard.cedar_policy_normalize(policy text) returns jsonb */
Datum
keycard_cedar_policy_normalize_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_JSONB_P(cedar_text_normalize(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

/*
 * Reads an EST document in a scratch context and returns its normalized
 * form (EST -> AST -> EST) in the caller's context.
 */
Jsonb *
cedar_est_normalize(Jsonb *est)
{
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext,
												  "cedar policy EST",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scratch);
	Jsonb	   *norm;
	Jsonb	   *result;

	norm = cedar_policy_to_est(cedar_policy_from_est(est));
	MemoryContextSwitchTo(old);
	result = palloc(VARSIZE(norm));
	memcpy(result, norm, VARSIZE(norm));
	MemoryContextDelete(scratch);
	return result;
}

PG_FUNCTION_INFO_V1(keycard_cedar_policy_to_text);

/* SQL function: keycard.cedar_policy_to_text(policy jsonb) returns text */
Datum
keycard_cedar_policy_to_text(PG_FUNCTION_ARGS)
{
	Jsonb	   *est = PG_GETARG_JSONB_P(0);
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext,
												  "cedar policy print",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scratch);
	StringInfoData out;
	text	   *result;

	initStringInfo(&out);
	cedar_policy_append_text(&out, cedar_policy_from_est(est));
	MemoryContextSwitchTo(old);
	result = cstring_to_text_with_len(out.data, out.len);
	MemoryContextDelete(scratch);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(keycard_cedar_policy_normalize_jsonb);

/* SQL function: keycard.cedar_policy_normalize(policy jsonb) returns jsonb */
Datum
keycard_cedar_policy_normalize_jsonb(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(cedar_est_normalize(PG_GETARG_JSONB_P(0)));
}
