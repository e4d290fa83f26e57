/*-------------------------------------------------------------------------
 *
 * error.c
 *	  The registry's one error helper and its table of stable error codes.
 *
 * Every registry error has a stable snake_case code (the machine-readable
 * identifier clients branch on) and an HTTP status.  The SQLSTATE is chosen
 * so that PostgREST maps it to that status without any wrapper: PTxyz gives
 * status xyz, and a PGRST raise gives the full JSON body.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"

#include "keycard.h"
#include "registry/registry.h"

PG_FUNCTION_INFO_V1(keycard_raise_error);
PG_FUNCTION_INFO_V1(keycard_error_codes);

typedef struct RegistryErrorCode
{
	const char *code;
	int			status;
	const char *description;
} RegistryErrorCode;

/* The one list of error codes; keycard.error_codes() and README.md echo it. */
static const RegistryErrorCode error_codes[] = {
	{"invalid_request", 400, "The request is malformed: a missing, unknown or ill-typed field."},
	{"invalid_cedar", 400, "The Cedar policy text or JSON does not parse."},
	{"cedar_validation_failed", 400, "The policy does not validate against the pinned schema version."},
	{"schema_version_archived", 400, "The schema version is archived and accepts no new versions."},
	{"unknown_schema_version", 400, "No schema version has that name."},
	{"invalid_manifest", 400, "A policy set manifest entry is malformed, unknown, duplicated or pinned to another schema version."},
	{"sha_mismatch", 400, "A client-supplied sha differs from the stored one."},
	{"unknown_api_version", 400, "The X-API-Version header names no accepted API version."},
	{"invalid_cursor", 400, "A pagination cursor is malformed or combined with another cursor."},
	{"invalid_filter", 400, "A filter value is unknown, comma-joined or out of limits."},
	{"unauthenticated", 401, "The request carries no valid credentials."},
	{"platform_owned", 403, "The object is owned by the platform and cannot be changed by customers."},
	{"platform_only", 403, "The operation is reserved for the platform operator."},
	{"immutable", 403, "Registry history cannot be updated, deleted or truncated."},
	{"not_found", 404, "No such object in the caller's zones."},
	{"name_taken", 409, "Another non-archived object in the zone has that name."},
	{"archived", 409, "The object is archived."},
	{"bound", 409, "The object is held by an active or shadow binding."},
	{"etag_mismatch", 412, "The If-Match ETag is stale."},
};

static const RegistryErrorCode *
find_code(const char *code)
{
	for (int i = 0; i < lengthof(error_codes); i++)
		if (strcmp(error_codes[i].code, code) == 0)
			return &error_codes[i];
	return NULL;
}

int
registry_error_status(const char *code)
{
	const RegistryErrorCode *c = find_code(code);

	return c ? c->status : 0;
}

static const char *
status_text(int status)
{
	switch (status)
	{
		case 400:
			return "Bad Request";
		case 401:
			return "Unauthorized";
		case 403:
			return "Forbidden";
		case 404:
			return "Not Found";
		case 409:
			return "Conflict";
		case 412:
			return "Precondition Failed";
	}
	return "Error";
}

/* True when the current transaction is a PostgREST request. */
static bool
under_postgrest(void)
{
	const char *method = GetConfigOption("request.method", true, false);

	return method != NULL && method[0] != '\0';
}

static void
append_json_member(StringInfo buf, const char *key, const char *value, bool first)
{
	if (!first)
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

static void
raise_registry_error(const RegistryErrorCode *c, const char *message,
					 const char *detail, const char *hint) pg_attribute_noreturn();

static void
raise_registry_error(const RegistryErrorCode *c, const char *message,
					 const char *detail, const char *hint)
{
	int			s = c->status;

	if (under_postgrest())
	{
		StringInfoData body;
		StringInfoData resp;

		initStringInfo(&body);
		appendStringInfoChar(&body, '{');
		append_json_member(&body, "code", c->code, true);
		append_json_member(&body, "message", message, false);
		append_json_member(&body, "details", detail, false);
		append_json_member(&body, "hint", hint, false);
		appendStringInfoChar(&body, '}');

		initStringInfo(&resp);
		appendStringInfo(&resp, "{\"status\":%d,", s);
		append_json_member(&resp, "status_text", status_text(s), true);
		/*
		 * SDKs retry 409 unless told not to; no registry conflict heals
		 * itself.  A 401 names the scheme to authenticate with (RFC 6750
		 * section 3): PostgREST adds it only to 401s it derives from a
		 * SQLSTATE, never to those raised with SQLSTATE PGRST.
		 */
		appendStringInfo(&resp, ",\"headers\":{%s}}",
						 s == 409 ? "\"x-should-retry\":\"false\"" :
						 s == 401 ? "\"WWW-Authenticate\":\"Bearer\"" : "");

		ereport(ERROR,
				(errcode(MAKE_SQLSTATE('P', 'G', 'R', 'S', 'T')),
				 errmsg_internal("%s", body.data),
				 errdetail_internal("%s", resp.data)));
	}

	ereport(ERROR,
			(errcode(MAKE_SQLSTATE('P', 'T', '0' + s / 100, '0' + s / 10 % 10, '0' + s % 10)),
			 errmsg_internal("%s", message),
			 detail ? errdetail_internal("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0,
			 err_generic_string(PG_DIAG_SCHEMA_NAME, "keycard"),
			 err_generic_string(PG_DIAG_CONSTRAINT_NAME, c->code)));
	pg_unreachable();
}

void
registry_error(const char *code, const char *detail, const char *hint, const char *fmt,...)
{
	const RegistryErrorCode *c = find_code(code);
	va_list		args;
	char	   *message;

	if (c == NULL)
		elog(ERROR, "unknown registry error code \"%s\"", code);

	va_start(args, fmt);
	message = keycard_vpsprintf(fmt, args);
	va_end(args);
	raise_registry_error(c, message, detail, hint);
}

/* SQL function: keycard.raise_error(code text, message text, detail text, hint text) returns void */
Datum
keycard_raise_error(PG_FUNCTION_ARGS)
{
	const RegistryErrorCode *c;
	char	   *code;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "keycard.raise_error needs a code and a message");
	code = text_to_cstring(PG_GETARG_TEXT_PP(0));
	c = find_code(code);
	if (c == NULL)
		elog(ERROR, "unknown registry error code \"%s\"", code);
	raise_registry_error(c, text_to_cstring(PG_GETARG_TEXT_PP(1)),
						 PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
						 PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)));
	PG_RETURN_VOID();
}

/* SQL function: keycard.error_codes() returns table(code, http_status, sqlstate, description) */
Datum
keycard_error_codes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < lengthof(error_codes); i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		char		sqlstate[6];

		snprintf(sqlstate, sizeof(sqlstate), "PT%03d", error_codes[i].status);
		values[0] = CStringGetTextDatum(error_codes[i].code);
		values[1] = Int32GetDatum(error_codes[i].status);
		values[2] = CStringGetTextDatum(sqlstate);
		values[3] = CStringGetTextDatum(error_codes[i].description);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
