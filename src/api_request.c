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
 * The query string is the client's own text, so its cost must stay linear
 * in its length whatever its shape (many parameters, one long one, many
 * repeats of a name, many escapes): each component is decoded in one pass,
 * and the parameters are grouped by one sort instead of growing a jsonb
 * object one member at a time.
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
#include "utils/memutils.h"

#include "keycard.h"
#include "registry/registry.h"

PG_FUNCTION_INFO_V1(keycard_api_header);
PG_FUNCTION_INFO_V1(keycard_api_versions);
PG_FUNCTION_INFO_V1(keycard_api_add_header);
PG_FUNCTION_INFO_V1(keycard_api_check_request);
PG_FUNCTION_INFO_V1(keycard_api_urldecode);
PG_FUNCTION_INFO_V1(keycard_api_query);

/* Accepted X-API-Version values, newest last; an absent header means the newest. */
static const char *const api_versions[] = {"2026-02-01"};

#define NEWEST_API_VERSION (api_versions[lengthof(api_versions) - 1])

/* Longest part of a rejected X-Client-Request-ID or X-API-Version quoted back, in characters. */
#define QUOTED_HEADER_CHARS 100

/* One name=value pair of the query string, percent-decoded. */
typedef struct QueryParam
{
	char	   *name;
	int			namelen;
	char	   *value;
	int			valuelen;
	int			position;		/* among the pairs: repeats keep their order */
} QueryParam;

/*
 * jsonb's own member order (shorter names first, then bytes), then the
 * position: the object is built already sorted, and a name's values come
 * out in the order the client sent them.
 */
static inline int
query_param_cmp(const QueryParam *a, const QueryParam *b)
{
	int			c;

	if (a->namelen != b->namelen)
		return a->namelen < b->namelen ? -1 : 1;
	c = memcmp(a->name, b->name, a->namelen);
	if (c != 0)
		return c;
	return (a->position > b->position) - (a->position < b->position);
}

#define ST_SORT sort_query_params
#define ST_ELEMENT_TYPE QueryParam
#define ST_COMPARE(a, b) query_param_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

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
					   "unknown API version \"%.*s\"",
					   pg_mbcharcliplen(version, strlen(version), QUOTED_HEADER_CHARS), version);
	}
	if (request_id != NULL && !is_uuid_text(request_id))
		registry_error("invalid_request",
					   psprintf("Got \"%.*s\".",
								pg_mbcharcliplen(request_id, strlen(request_id), QUOTED_HEADER_CHARS),
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

/* Value of a hex digit already known to be one. */
static inline int
hex_value(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/*
 * Percent-decodes a query-string component of len bytes, as
 * application/x-www-form-urlencoded: + is a space, %XX a byte, and a % not
 * followed by two hex digits stays as it is.  The decoded bytes must be
 * UTF-8.  Returns a new NUL-terminated string in the server encoding, its
 * length in *outlen.
 */
static char *
query_decode(const char *s, int len, int *outlen)
{
	char	   *out;
	char	   *d;
	bool		escaped = false;
	bool		utf8_db = GetDatabaseEncoding() == PG_UTF8;
	const char *end;

	/* Literal characters are in the server encoding; escapes give UTF-8. */
	if (!utf8_db)
	{
		char	   *converted = pg_server_to_any(s, len, PG_UTF8);

		/* (the input itself when no conversion was needed) */
		if (converted != s)
		{
			s = converted;
			len = strlen(converted);
		}
	}
	end = s + len;
	out = palloc(len + 1);
	d = out;
	while (s < end)
	{
		char		c = *s++;

		if (c == '+')
			*d++ = ' ';
		else if (c == '%' && end - s >= 2 && isxdigit((unsigned char) s[0]) &&
				 isxdigit((unsigned char) s[1]))
		{
			*d++ = (char) ((hex_value(s[0]) << 4) | hex_value(s[1]));
			s += 2;
			escaped = true;
		}
		else
			*d++ = c;
	}
	*d = '\0';
	*outlen = d - out;

	/* Without an escape the bytes are the input's own, valid already. */
	if ((escaped || !utf8_db) && !pg_verify_mbstr(PG_UTF8, out, *outlen, true))
		registry_error("invalid_request", NULL, NULL,
					   "the query string is not UTF-8 once percent-decoded");
	if (!utf8_db)
	{
		char	   *converted = pg_any_to_server(out, *outlen, PG_UTF8);

		if (converted != out)
		{
			out = converted;
			*outlen = strlen(converted);
		}
	}
	return out;
}

/* SQL function: keycard.api_urldecode(s text) returns text */
Datum
keycard_api_urldecode(PG_FUNCTION_ARGS)
{
	text	   *s = PG_GETARG_TEXT_PP(0);
	int			len;
	char	   *decoded = query_decode(VARDATA_ANY(s), VARSIZE_ANY_EXHDR(s), &len);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(decoded, len));
}

static void
push_query_string(JsonbParseState **state, JsonbIteratorToken token, char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = s;
	v.val.string.len = len;
	pushJsonbValue(state, token, &v);
}

/*
 * SQL function: keycard.api_query() returns jsonb
 *
 * The client's query string (the X-Keycard-Query header the nginx site
 * sets) as {"name": ["value", ...]}: pairs split at '&' (empty ones
 * skipped), name and value at the first '=' (no '=': the value is empty),
 * both percent-decoded; a repeated name keeps its values in order.
 */
Datum
keycard_api_query(PG_FUNCTION_ARGS)
{
	const char *raw = registry_request_header("x-keycard-query");
	MemoryContext scratch;
	MemoryContext old;
	QueryParam *params;
	int			nparams = 0;
	int			maxparams;
	JsonbParseState *state = NULL;
	JsonbValue *object;
	Jsonb	   *result;
	const char *p;

	if (raw == NULL)
		raw = "";				/* absent or empty: {} */
	scratch = AllocSetContextCreate(CurrentMemoryContext, "keycard query string", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);

	/* One pair per '&' at most, plus one. */
	maxparams = 1;
	for (p = raw; *p; p++)
		maxparams += (*p == '&');
	params = MemoryContextAllocHuge(scratch, mul_size(maxparams, sizeof(QueryParam)));

	p = raw;
	for (;;)
	{
		const char *amp = strchr(p, '&');
		int			pairlen = amp ? amp - p : strlen(p);

		if (pairlen > 0)
		{
			const char *eq = memchr(p, '=', pairlen);
			QueryParam *q = &params[nparams];

			CHECK_FOR_INTERRUPTS();
			q->name = query_decode(p, eq ? eq - p : pairlen, &q->namelen);
			if (eq)
				q->value = query_decode(eq + 1, pairlen - (eq - p) - 1, &q->valuelen);
			else
			{
				q->value = "";
				q->valuelen = 0;
			}
			q->position = nparams++;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}

	if (nparams > 1)
		sort_query_params(params, nparams);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < nparams;)
	{
		int			j;

		push_query_string(&state, WJB_KEY, params[i].name, params[i].namelen);
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (j = i; j < nparams && params[j].namelen == params[i].namelen &&
			 memcmp(params[j].name, params[i].name, params[i].namelen) == 0; j++)
			push_query_string(&state, WJB_ELEM, params[j].value, params[j].valuelen);
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
		i = j;
	}
	object = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	MemoryContextSwitchTo(old);
	result = JsonbValueToJsonb(object);
	MemoryContextDelete(scratch);
	PG_RETURN_JSONB_P(result);
}
