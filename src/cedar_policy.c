/*-------------------------------------------------------------------------
 *
 * cedar_policy.c
 *	  SQL-callable wrappers of the Cedar policy front end (src/cedar/):
 *	  keycard.cedar_policy_to_json(text), keycard.cedar_policy_to_text(jsonb)
 *	  and keycard.cedar_policy_normalize(text | jsonb), plus the C helpers
 *	  that normalize in a private memory context and the scratch-context
 *	  helpers of every Cedar SQL wrapper (CedarScratch, cedar.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "cedar/cedar.h"

void
cedar_scratch_begin(CedarScratch *sc, const char *name)
{
	/* a context's name must be a literal; what the call does goes in its ident */
	sc->scratch = AllocSetContextCreate(CurrentMemoryContext, "cedar scratch",
										ALLOCSET_DEFAULT_SIZES);
	MemoryContextSetIdentifier(sc->scratch, name);
	sc->caller = MemoryContextSwitchTo(sc->scratch);
	initStringInfo(&sc->out);
}

text *
cedar_scratch_end_text(CedarScratch *sc)
{
	text	   *result;

	MemoryContextSwitchTo(sc->caller);
	result = cstring_to_text_with_len(sc->out.data, sc->out.len);
	MemoryContextDelete(sc->scratch);
	return result;
}

Jsonb *
cedar_scratch_end_json(CedarScratch *sc)
{
	Jsonb	   *result;

	MemoryContextSwitchTo(sc->caller);
	result = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(sc->out.data)));
	MemoryContextDelete(sc->scratch);
	return result;
}

Jsonb *
cedar_scratch_end_jsonb(CedarScratch *sc, const Jsonb *jb)
{
	Jsonb	   *result;

	MemoryContextSwitchTo(sc->caller);
	result = palloc(VARSIZE(jb));
	memcpy(result, jb, VARSIZE(jb));
	MemoryContextDelete(sc->scratch);
	return result;
}

/*
 * Runs the parser over text in a scratch context; returns the EST copied
 * into the caller's context.
 */
Jsonb *
cedar_text_normalize(const char *text, int len)
{
	CedarScratch sc;
	Jsonb	   *est;

	cedar_scratch_begin(&sc, "cedar policy parse");
	est = cedar_policy_to_est(cedar_parse_policy(text, len));
	return cedar_scratch_end_jsonb(&sc, est);
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

/*
 * SQL function: keycard.cedar_policy_normalize(policy text) returns jsonb
 * (the same as cedar_policy_to_json)
 */
Datum
keycard_cedar_policy_normalize_text(PG_FUNCTION_ARGS)
{
	return keycard_cedar_policy_to_json(fcinfo);
}

/*
 * Reads an EST document in a scratch context and returns its normalized
 * form (EST -> AST -> EST) in the caller's context.
 */
Jsonb *
cedar_est_normalize(Jsonb *est)
{
	CedarScratch sc;
	Jsonb	   *norm;

	cedar_scratch_begin(&sc, "cedar policy EST");
	norm = cedar_policy_to_est(cedar_policy_from_est(est));
	return cedar_scratch_end_jsonb(&sc, norm);
}

PG_FUNCTION_INFO_V1(keycard_cedar_policy_to_text);

/* SQL function: keycard.cedar_policy_to_text(policy jsonb) returns text */
Datum
keycard_cedar_policy_to_text(PG_FUNCTION_ARGS)
{
	Jsonb	   *est = PG_GETARG_JSONB_P(0);
	CedarScratch sc;

	cedar_scratch_begin(&sc, "cedar policy print");
	cedar_policy_append_text(&sc.out, cedar_policy_from_est(est));
	PG_RETURN_TEXT_P(cedar_scratch_end_text(&sc));
}

PG_FUNCTION_INFO_V1(keycard_cedar_policy_normalize_jsonb);

/* SQL function: keycard.cedar_policy_normalize(policy jsonb) returns jsonb */
Datum
keycard_cedar_policy_normalize_jsonb(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(cedar_est_normalize(PG_GETARG_JSONB_P(0)));
}
