/*-------------------------------------------------------------------------
 *
 * jcs.c
 *	  SQL functions for RFC 8785 canonical JSON and its SHA-256 digest.
 *
 * The canonical text is built straight into the result varlena (room for
 * the header is reserved up front), so jcs() copies nothing; jcs_sha256()
 * builds it in a scratch context that is deleted before returning.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "canon.h"
#include "sha.h"

PG_FUNCTION_INFO_V1(keycard_jcs_json);
PG_FUNCTION_INFO_V1(keycard_jcs_jsonb);
PG_FUNCTION_INFO_V1(keycard_jcs_sha256_json);
PG_FUNCTION_INFO_V1(keycard_jcs_sha256_jsonb);

/*
 * Canonicalizes argument 0 (json when is_jsonb is false) into out.  The
 * output is about as long as the input, so size the buffer for it once.
 */
static void
canonicalize_arg(FunctionCallInfo fcinfo, bool is_jsonb, StringInfo out)
{
	if (is_jsonb)
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(0);

		enlargeStringInfo(out, VARSIZE(jb));
		jcs_append_jsonb(out, jb);
		PG_FREE_IF_COPY(jb, 0);
	}
	else
	{
		text	   *json = PG_GETARG_TEXT_PP(0);

		enlargeStringInfo(out, VARSIZE_ANY_EXHDR(json));
		jcs_append_json_text_verified(out, VARDATA_ANY(json), VARSIZE_ANY_EXHDR(json));
		PG_FREE_IF_COPY(json, 0);
	}
}

static Datum
jcs_text_result(FunctionCallInfo fcinfo, bool is_jsonb)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	canonicalize_arg(fcinfo, is_jsonb, &buf);
	SET_VARSIZE(buf.data, buf.len);
	PG_RETURN_TEXT_P((text *) buf.data);
}

static Datum
jcs_sha256_result(FunctionCallInfo fcinfo, bool is_jsonb)
{
	MemoryContext scratch;
	MemoryContext old;
	StringInfoData buf;
	char		hex[PG_SHA256_DIGEST_LENGTH * 2 + 1];

	scratch = AllocSetContextCreate(CurrentMemoryContext, "jcs_sha256", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);
	initStringInfo(&buf);
	canonicalize_arg(fcinfo, is_jsonb, &buf);
	sha256_hex(buf.data, buf.len, hex);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(hex, PG_SHA256_DIGEST_LENGTH * 2));
}

/* SQL function: jcs(json) returns text */
Datum
keycard_jcs_json(PG_FUNCTION_ARGS)
{
	return jcs_text_result(fcinfo, false);
}

/* SQL function: jcs(jsonb) returns text */
Datum
keycard_jcs_jsonb(PG_FUNCTION_ARGS)
{
	return jcs_text_result(fcinfo, true);
}

/* SQL function: jcs_sha256(json) returns text */
Datum
keycard_jcs_sha256_json(PG_FUNCTION_ARGS)
{
	return jcs_sha256_result(fcinfo, false);
}

/* SQL function: jcs_sha256(jsonb) returns text */
Datum
keycard_jcs_sha256_jsonb(PG_FUNCTION_ARGS)
{
	return jcs_sha256_result(fcinfo, true);
}
