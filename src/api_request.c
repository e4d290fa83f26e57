/*-------------------------------------------------------------------------
 *
 * api_request.c
 *	  The per-request work of the HTTP API: PostgREST's pre-request check
 *	  (api.check_request), response headers (keycard.api_add_header) and the
 *	  accepted API versions (keycard.api_versions).
 *
 * These run on every request, before and around the endpoint's own work,
 * so they are C: as PL/pgSQL with a pinned search_path they cost about as
 * much as the registry read a GET endpoint exists for.  Request headers are
 * read through registry_request_header, which parses request.headers once
 * per distinct value.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "keycard.h"
#include "registry/registry.h"

PG_FUNCTION_INFO_V1(keycard_api_header);
PG_FUNCTION_INFO_V1(keycard_api_versions);
PG_FUNCTION_INFO_V1(keycard_api_add_header);
PG_FUNCTION_INFO_V1(keycard_api_check_request);

/* Accepted X-API-Version values, newest last; an absent header means the newest. */
static const char *const api_versions[] = {"2026-02-01"};

#define NEWEST_API_VERSION (api_versions[lengthof(api_versions) - 1])

/* Longest part of a rejected X-Client-Request-ID quoted back, in characters. */
#define QUOTED_REQUEST_ID_CHARS 100

static bool
api_version_accepted(const char *v)
{
	for (int i = 0; i < lengthof(api_versions); i++)
		if (strcmp(api_versions[i], v) == 0)
			return true;
	return false;
}

/* True for a UUID in its 8-4-4-4-12 hex form, either case. */
static bool
is_uuid_text(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		bool		dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? s[i] != '-' : !isxdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

/*
 * The response.headers text this backend set last.  When the setting still
 * holds it, a new header is appended to the text as it is: it is a JSON
 * array we built, so it need not be parsed again.
 */
static char *headers_set_last = NULL;

/*
 * Appends {name: value} to the response.headers setting (a JSON array of
 * one-member objects, which PostgREST turns into response headers), local
 * to the transaction; value NULL gives JSON null.  The text has jsonb's
 * output form, whichever way it is built.
 */
static void
add_response_header(const char *name, const char *value)
{
	const char *current = GetConfigOption("response.headers", true, false);
	StringInfoData header;
	StringInfoData headers;

	initStringInfo(&header);
	appendStringInfoChar(&header, '{');
	escape_json(&header, name);
	appendStringInfoString(&header, ": ");
	if (value)
		escape_json(&header, value);
	else
		appendStringInfoString(&header, "null");
	appendStringInfoChar(&header, '}');

	initStringInfo(&headers);
	if (current == NULL || current[0] == '\0')
		appendStringInfo(&headers, "[%s]", header.data);
	else if (headers_set_last != NULL && strcmp(current, headers_set_last) == 0)
		appendStringInfo(&headers, "%.*s, %s]", (int) strlen(current) - 1, current, header.data);
	else
	{
		/* Set by someone else: the jsonb || operator's result, whatever the value. */
		Datum		added = DirectFunctionCall1(jsonb_in, CStringGetDatum(psprintf("[%s]", header.data)));
		Datum		old = DirectFunctionCall1(jsonb_in, CStringGetDatum(current));

		appendStringInfoString(&headers,
							   DatumGetCString(DirectFunctionCall1(jsonb_out,
																   DirectFunctionCall2(jsonb_concat, old, added))));
	}
	(void) set_config_option("response.headers", headers.data,
							 superuser() ? PGC_SUSET : PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	if (headers_set_last != NULL)
		pfree(headers_set_last);
	headers_set_last = MemoryContextStrdup(TopMemoryContext, headers.data);
}

/* SQL function: keycard.api_header(name text) returns text */
Datum
keycard_api_header(PG_FUNCTION_ARGS)
{
	char	   *value = registry_request_header(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	if (value == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(value));
}

/* SQL function: keycard.api_versions() returns setof text */
Datum
keycard_api_versions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (int i = 0; i < lengthof(api_versions); i++)
	{
		Datum		value = CStringGetTextDatum(api_versions[i]);
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	return (Datum) 0;
}

/* SQL function: keycard.api_add_header(name text, value text) returns void */
Datum
keycard_api_add_header(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("response header name must not be null")));
	add_response_header(text_to_cstring(PG_GETARG_TEXT_PP(0)),
						PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

/*
 * SQL function: api.check_request() returns void
 *
 * PostgREST's db-pre-request, run as the request's role before every
 * request: X-API-Version must be accepted (and is echoed, the newest when
 * absent), X-Client-Request-ID must be a UUID, anonymous callers reach only
 * the JWKS, and key rotation is the platform operator's.
 */
Datum
keycard_api_check_request(PG_FUNCTION_ARGS)
{
	char	   *version = registry_request_header("x-api-version");
	char	   *request_id = registry_request_header("x-client-request-id");
	const char *role = GetConfigOption("role", true, false);
	const char *path = GetConfigOption("request.path", true, false);

	if (version != NULL && !api_version_accepted(version))
	{
		StringInfoData accepted;

		initStringInfo(&accepted);
		for (int i = 0; i < lengthof(api_versions); i++)
			appendStringInfo(&accepted, "%s%s", i ? ", " : "", api_versions[i]);
		registry_error("unknown_api_version", NULL,
					   psprintf("Accepted X-API-Version values: %s (absent means the newest).", accepted.data),
					   "unknown API version \"%s\"", version);
	}
	if (request_id != NULL && !is_uuid_text(request_id))
		registry_error("invalid_request",
					   psprintf("Got \"%.*s\".",
								pg_mbcharcliplen(request_id, strlen(request_id), QUOTED_REQUEST_ID_CHARS),
								request_id),
					   NULL, "X-Client-Request-ID must be a UUID");
	if (role != NULL && strcmp(role, "keycard_anon") == 0 &&
		(path == NULL || strcmp(path, "/rpc/zone_jwks") != 0))
		registry_error("unauthenticated", "Only the zone JWKS is public.",
					   "Send Authorization: Bearer <token>.", "authentication required");
	if (path != NULL && strcmp(path, "/rpc/rotate_signing_key") == 0 &&
		(role == NULL || strcmp(role, "keycard_platform") != 0))
		registry_error("platform_only", NULL, NULL,
					   "rotating a zone key is reserved for the platform operator");
	add_response_header("X-API-Version", version ? version : NEWEST_API_VERSION);
	PG_RETURN_VOID();
}
