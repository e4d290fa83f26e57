/*-------------------------------------------------------------------------
 *
 * caller.c
 *	  Who is calling: the acting role, the verified JWT claims PostgREST
 *	  passes in request.jwt.claims, the zones the caller may use, the actor
 *	  recorded in created_by, and the X-Client-Request-ID of the request.
 *
 * Identity comes from what PostgreSQL vouches for: the acting role.
 * request.jwt.claims and request.headers are placeholders any role can set,
 * so they are honoured only while the acting role is one of the API roles
 * (keycard_anon, keycard_api, keycard_platform) and is the role the claims
 * name: PostgREST switches to the role of a verified JWT (keycard_anon
 * without one) before it sets them, and only the roles granted an API role
 * (the authenticator PostgREST connects as) can switch to one.  Every other
 * caller is a SQL caller: its zones are the zone_members rows of the roles
 * whose privileges it has, it is recorded as itself, it is the platform
 * operator only as a superuser or a member of keycard_platform, and its
 * request id comes from the keycard.client_request_id setting alone.
 *
 * Every registry write asks these questions, and so does every row-level
 * security check (through keycard.caller_zones()), so they are answered in C
 * from the settings themselves.  The JSON settings are parsed once per
 * distinct value: the parsed form is kept with a copy of the text it came
 * from, and reused while the setting holds the same text.
 *
 * Zone membership of SQL callers is read from keycard.zone_members with a
 * direct index scan, not a query: caller_zones() runs inside the row-level
 * security policy of zone_members itself, where a query would recurse.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "keycard.h"
#include "registry/registry.h"

PG_FUNCTION_INFO_V1(keycard_caller_role);
PG_FUNCTION_INFO_V1(keycard_caller_is_platform);
PG_FUNCTION_INFO_V1(keycard_caller_zones);
PG_FUNCTION_INFO_V1(keycard_zone_visible);
PG_FUNCTION_INFO_V1(keycard_current_actor);
PG_FUNCTION_INFO_V1(keycard_client_request_id);
PG_FUNCTION_INFO_V1(keycard_jwt_claims);

/* The API roles PostgREST switches to; the platform operator's role is also
 * the one SQL callers are granted for platform actions. */
#define ANON_ROLE "keycard_anon"
#define API_ROLE "keycard_api"
#define PLATFORM_ROLE "keycard_platform"

/* The longest X-Client-Request-ID recorded, in characters. */
#define MAX_REQUEST_ID_CHARS 255

/* What the registry reads from one value of request.jwt.claims. */
typedef struct Claims
{
	char	   *source;			/* the setting's text these were read from */
	char	   *sub;			/* claims ->> 'sub', NULL when absent or empty */
	char	   *role;			/* claims ->> 'role' when a string, else NULL */
	int			nzones;			/* zones claim elements; -1: not an array */
	char	  **zones;			/* as jsonb_array_elements_text, NULL for null */
} Claims;

/* One value of request.headers, parsed. */
typedef struct Headers
{
	char	   *source;
	JsonbContainer *obj;		/* NULL when the value is not a JSON object */
} Headers;

static MemoryContext claims_cxt = NULL;
static MemoryContext headers_cxt = NULL;
static Claims claims_cache;
static Headers headers_cache;

/* A setting's text, or NULL when unset or empty (as nullif(current_setting(...), '')). */
static const char *
setting_text(const char *name)
{
	const char *v = GetConfigOption(name, true, false);

	return (v != NULL && v[0] != '\0') ? v : NULL;
}

/*
 * The text of a JSON value as the ->> operator gives it: strings unquoted,
 * other scalars and containers as JSON, NULL for null.
 */
static char *
value_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBinary:
			return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return NULL;
}

/* The parsed JSON of a setting, or NULL when it is not an object. */
static JsonbContainer *
parse_object(const char *json)
{
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));

	return JB_ROOT_IS_OBJECT(jb) ? &jb->root : NULL;
}

static JsonbValue *
member(JsonbContainer *obj, const char *key)
{
	return obj ? getKeyJsonValueFromContainer(obj, key, strlen(key), NULL) : NULL;
}

/* The parsed request.jwt.claims, or NULL when unset; not yet trusted. */
static Claims *
parsed_claims(void)
{
	const char *src = setting_text("request.jwt.claims");
	MemoryContext cxt;
	MemoryContext old;
	JsonbContainer *obj;
	JsonbValue *v;

	if (src == NULL)
		return NULL;
	if (claims_cache.source != NULL && strcmp(claims_cache.source, src) == 0)
		return &claims_cache;

	/* Forget the old value first: the parse below may fail. */
	if (claims_cxt == NULL)
		claims_cxt = AllocSetContextCreate(TopMemoryContext, "keycard JWT claims",
										   ALLOCSET_SMALL_SIZES);
	cxt = claims_cxt;
	MemoryContextReset(cxt);
	memset(&claims_cache, 0, sizeof(claims_cache));
	src = pstrdup(src);			/* the setting may change while we work */
	obj = parse_object(src);

	old = MemoryContextSwitchTo(cxt);
	v = member(obj, "sub");
	claims_cache.sub = v ? value_text(v) : NULL;
	if (claims_cache.sub != NULL && claims_cache.sub[0] == '\0')
		claims_cache.sub = NULL;
	v = member(obj, "role");
	claims_cache.role = (v != NULL && v->type == jbvString) ?
		pnstrdup(v->val.string.val, v->val.string.len) : NULL;
	v = member(obj, "zones");
	claims_cache.nzones = -1;
	if (v != NULL && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
	{
		JsonbContainer *arr = v->val.binary.data;
		int			n = JsonContainerSize(arr);

		claims_cache.zones = palloc(sizeof(char *) * Max(n, 1));
		for (int i = 0; i < n; i++)
			claims_cache.zones[i] = value_text(getIthJsonbValueFromContainer(arr, i));
		claims_cache.nzones = n;
	}
	claims_cache.source = pstrdup(src);
	MemoryContextSwitchTo(old);
	return &claims_cache;
}

Oid
registry_caller_role(void)
{
	Oid			role = GetCurrentRoleId();

	return OidIsValid(role) ? role : GetSessionUserId();
}

/*
 * The name of the acting role when it is one of the API roles, else NULL.
 * Exactly these roles: a role that merely inherits one is a SQL caller.
 */
static const char *
acting_api_role(void)
{
	static const char *const api_roles[] = {ANON_ROLE, API_ROLE, PLATFORM_ROLE};
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(registry_caller_role()));
	const char *found = NULL;

	if (!HeapTupleIsValid(tup))
		return NULL;
	for (int i = 0; i < lengthof(api_roles) && found == NULL; i++)
		if (strcmp(NameStr(((Form_pg_authid) GETSTRUCT(tup))->rolname), api_roles[i]) == 0)
			found = api_roles[i];
	ReleaseSysCache(tup);
	return found;
}

/*
 * The claims of the current request when they are to be believed: the
 * acting role is an API role and the claims' role is that role (a token
 * without a role claim gets PostgREST's anonymous role).  NULL for SQL
 * callers, whatever request.jwt.claims holds.
 */
static Claims *
current_claims(void)
{
	const char *api = acting_api_role();
	Claims	   *claims;

	if (api == NULL || (claims = parsed_claims()) == NULL)
		return NULL;
	if (strcmp(claims->role != NULL ? claims->role : ANON_ROLE, api) != 0)
		return NULL;
	return claims;
}

bool
registry_caller_is_platform(void)
{
	Claims	   *claims = current_claims();
	Oid			role;
	Oid			platform;

	/* The claims' role is the acting role: platform powers only as keycard_platform. */
	if (claims != NULL)
		return strcmp(claims->role != NULL ? claims->role : ANON_ROLE, PLATFORM_ROLE) == 0;
	role = registry_caller_role();
	if (superuser_arg(role))
		return true;
	platform = get_role_oid(PLATFORM_ROLE, true);
	return OidIsValid(platform) && is_member_of_role(role, platform);
}

/* Snapshot for the direct scans: the one the calling statement reads with. */
static Snapshot
scan_snapshot(void)
{
	return ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
}

static Relation
open_zone_members(void)
{
	Oid			nsp = get_namespace_oid("keycard", false);
	Oid			relid = get_relname_relid("zone_members", nsp);

	if (!OidIsValid(relid))
		elog(ERROR, "relation keycard.zone_members does not exist");
	return table_open(relid, AccessShareLock);
}

/* zone_members columns (see its CREATE TABLE). */
#define Anum_zone_members_zone_id 1
#define Anum_zone_members_role_name 2

/* True if the caller has the privileges of the member role named in tup. */
static bool
caller_has_member_role(HeapTuple tup, TupleDesc desc, Oid caller)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, Anum_zone_members_role_name, desc, &isnull);
	Oid			member;

	if (isnull)
		return false;
	member = get_role_oid(TextDatumGetCString(d), true);
	return OidIsValid(member) && has_privs_of_role(caller, member);
}

/* True if a zone_members row of zone names a role the caller has the privileges of. */
static bool
member_of_zone(const char *zone_id, int len)
{
	Relation	rel = open_zone_members();
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			caller = registry_caller_role();
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	ScanKeyInit(&key, Anum_zone_members_zone_id, BTEqualStrategyNumber, F_TEXTEQ,
				PointerGetDatum(cstring_to_text_with_len(zone_id, len)));
	/* The index orders by the column's collation; ScanKeyInit assumes C. */
	key.sk_collation = TupleDescAttr(desc, Anum_zone_members_zone_id - 1)->attcollation;
	scan = systable_beginscan(rel, RelationGetPrimaryKeyIndex(rel), true,
							  scan_snapshot(), 1, &key);
	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
		found = caller_has_member_role(tup, desc, caller);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

bool
registry_zone_visible(const char *zone_id, int len)
{
	Claims	   *claims = current_claims();

	if (claims != NULL)
	{
		if (registry_caller_is_platform())
			return true;
		for (int i = 0; i < claims->nzones; i++)
			if (claims->zones[i] != NULL && strlen(claims->zones[i]) == len &&
				memcmp(claims->zones[i], zone_id, len) == 0)
				return true;
		return false;
	}
	if (registry_caller_is_platform())
		return true;
	return member_of_zone(zone_id, len);
}

text *
registry_current_actor(void)
{
	Claims	   *claims = current_claims();

	if (claims != NULL && claims->sub != NULL)
		return cstring_to_text(claims->sub);
	return cstring_to_text(GetUserNameFromId(registry_caller_role(), false));
}

/*
 * A header of the current request (lower-case name) as the ->> operator
 * gives it, or NULL when absent, empty or outside PostgREST.  The setting is
 * parsed once per distinct value.
 */
char *
registry_request_header(const char *name)
{
	const char *headers = setting_text("request.headers");
	JsonbValue *v;
	char	   *value;

	if (headers == NULL)
		return NULL;
	if (headers_cache.source == NULL || strcmp(headers_cache.source, headers) != 0)
	{
		MemoryContext old;

		if (headers_cxt == NULL)
			headers_cxt = AllocSetContextCreate(TopMemoryContext, "keycard request headers",
												ALLOCSET_SMALL_SIZES);
		/* Forget the old value first: the parse below may fail. */
		MemoryContextReset(headers_cxt);
		memset(&headers_cache, 0, sizeof(headers_cache));
		old = MemoryContextSwitchTo(headers_cxt);
		headers_cache.obj = parse_object(headers);
		headers_cache.source = pstrdup(headers);
		MemoryContextSwitchTo(old);
	}
	v = member(headers_cache.obj, name);
	value = v ? value_text(v) : NULL;
	return (value && value[0]) ? value : NULL;
}

text *
registry_client_request_id(void)
{
	/* The header only under PostgREST: SQL callers name theirs in the setting. */
	const char *id = current_claims() != NULL ? registry_request_header("x-client-request-id") : NULL;

	if (id == NULL)
		id = setting_text("keycard.client_request_id");
	if (id == NULL)
		return NULL;
	{
		int			len = strlen(id);
		int			chars = pg_mbstrlen_with_len(id, len);

		if (chars > MAX_REQUEST_ID_CHARS)
			registry_error("invalid_request",
						   psprintf("The X-Client-Request-ID has %d characters; at most %d are accepted.",
									chars, MAX_REQUEST_ID_CHARS),
						   NULL, "client request id is too long");
		return cstring_to_text_with_len(id, len);
	}
}

/* SQL function: keycard.caller_role() returns text */
Datum
keycard_caller_role(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(GetUserNameFromId(registry_caller_role(), false)));
}

/* SQL function: keycard.caller_is_platform() returns boolean */
Datum
keycard_caller_is_platform(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(registry_caller_is_platform());
}

/* SQL function: keycard.caller_zones() returns text[] (NULL: every zone) */
Datum
keycard_caller_zones(PG_FUNCTION_ARGS)
{
	Claims	   *claims = current_claims();
	ArrayBuildState *astate;

	if (registry_caller_is_platform())
		PG_RETURN_NULL();
	astate = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	if (claims != NULL)
	{
		for (int i = 0; i < claims->nzones; i++)
			accumArrayResult(astate,
							 claims->zones[i] ? CStringGetTextDatum(claims->zones[i]) : (Datum) 0,
							 claims->zones[i] == NULL, TEXTOID, CurrentMemoryContext);
	}
	else
	{
		Relation	rel = open_zone_members();
		TupleDesc	desc = RelationGetDescr(rel);
		Oid			caller = registry_caller_role();
		SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, scan_snapshot(), 0, NULL);
		HeapTuple	tup;

		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			bool		isnull;
			Datum		zone;

			if (!caller_has_member_role(tup, desc, caller))
				continue;
			zone = heap_getattr(tup, Anum_zone_members_zone_id, desc, &isnull);
			if (!isnull)
				accumArrayResult(astate, datumCopy(zone, false, -1), false, TEXTOID,
								 CurrentMemoryContext);
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	PG_RETURN_DATUM(makeArrayResult(astate, CurrentMemoryContext));
}

/* SQL function: keycard.zone_visible(zone_id text) returns boolean */
Datum
keycard_zone_visible(PG_FUNCTION_ARGS)
{
	text	   *zone = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(registry_zone_visible(VARDATA_ANY(zone), VARSIZE_ANY_EXHDR(zone)));
}

/* SQL function: keycard.current_actor() returns text */
Datum
keycard_current_actor(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(registry_current_actor());
}

/* SQL function: keycard.client_request_id() returns text */
Datum
keycard_client_request_id(PG_FUNCTION_ARGS)
{
	text	   *id = registry_client_request_id();

	if (id == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(id);
}

/* SQL function: keycard.jwt_claims() returns jsonb (NULL for SQL callers) */
Datum
keycard_jwt_claims(PG_FUNCTION_ARGS)
{
	Claims	   *claims = current_claims();

	if (claims == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(claims->source)));
}
