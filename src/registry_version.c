/*-------------------------------------------------------------------------
 *
 * registry_version.c
 *	  keycard.create_policy_version: one Cedar policy, given as text or as
 *	  EST JSON, parsed, validated against the pinned schema version,
 *	  normalized, hashed and stored as the policy's next version.
 *
 * The content work (parse, validate, normalize, print, hash) runs in C over
 * one AST; the reads and writes go through SPI with plans kept for the life
 * of the backend.  Gapless numbering comes from the policy row lock (FOR NO
 * KEY UPDATE) taken just before the insert: concurrent creators of one
 * policy queue there and each reads the number its predecessor committed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "canon.h"
#include "cedar/cedar.h"
#include "cedar/schema.h"
#include "cedar/validate.h"
#include "keycard.h"
#include "registry.h"
#include "sha.h"

PG_FUNCTION_INFO_V1(keycard_create_policy_version);

/* Statements, prepared once per backend. */
enum
{
	Q_POLICY,
	Q_IS_PLATFORM,
	Q_SCHEMA,
	Q_LOCK,
	Q_INSERT,
	Q_UPDATE,
	Q_AUDIT,
	NUM_QUERIES
};

typedef struct RegistryQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[12];
} RegistryQuery;

static const RegistryQuery queries[NUM_QUERIES] = {
	/* A zone outside the caller's zones looks exactly like an unknown policy. */
	[Q_POLICY] = {"SELECT p.owner_type, p.name FROM keycard.policies p "
		"WHERE p.zone_id = $1 AND p.policy_id = $2 AND keycard.zone_visible($1)",
	2, {TEXTOID, TEXTOID}},
	[Q_IS_PLATFORM] = {"SELECT keycard.caller_is_platform()", 0, {0}},
	[Q_SCHEMA] = {"SELECT s.status, s.cedar_schema_json FROM keycard.schema_version_states s "
	"WHERE s.version = $1", 1, {TEXTOID}},
	[Q_LOCK] = {"SELECT p.latest_version, p.archived_at IS NOT NULL, p.owner_type, p.name "
		"FROM keycard.policies p WHERE p.zone_id = $1 AND p.policy_id = $2 FOR NO KEY UPDATE",
	2, {TEXTOID, TEXTOID}},
	[Q_INSERT] = {"INSERT INTO keycard.policy_versions (zone_id, policy_id, version_id, version, "
		"schema_version, sha, owner_type, cedar_json, cedar_raw, created_at, created_by, request_id) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, keycard.id_time($3), keycard.current_actor(), "
		"keycard.client_request_id()) RETURNING *",
		9, {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID}},
	[Q_UPDATE] = {"UPDATE keycard.policies SET latest_version = $3, latest_version_id = $4, "
		"latest_schema_version = $5 WHERE zone_id = $1 AND policy_id = $2",
	5, {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID}},
	[Q_AUDIT] = {"INSERT INTO keycard.audit_log (zone_id, event_id, occurred_at, actor, request_id, "
		"action, object_type, object_id, detail) VALUES ($1, keycard.new_id(), clock_timestamp(), "
		"keycard.current_actor(), keycard.client_request_id(), 'create', 'policy_version', $2, $3)",
	3, {TEXTOID, TEXTOID, JSONBOID}},
};

static SPIPlanPtr plans[NUM_QUERIES];

/* Loaded schemas by version; schema_versions rows never change. */
typedef struct SchemaCacheEntry
{
	char		version[NAMEDATALEN];
	CedarSchema *schema;
} SchemaCacheEntry;

#define SCHEMA_CACHE_SIZE 8
static SchemaCacheEntry schema_cache[SCHEMA_CACHE_SIZE];
static int	schema_cache_used = 0;
static MemoryContext schema_cache_cxt = NULL;

/* Runs query q (SPI connected); returns SPI_processed. */
static uint64
run(int q, Datum *values, const char *nulls, long count)
{
	int			rc;

	if (plans[q] == NULL)
	{
		/* Generic plans: the statements are tiny, replanning would dominate. */
		SPIPlanPtr	p = SPI_prepare_cursor(queries[q].sql, queries[q].nargs,
										   (Oid *) queries[q].argtypes,
										   CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", queries[q].sql,
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		plans[q] = p;
	}
	rc = SPI_execute_plan(plans[q], values, nulls, false, count);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s", queries[q].sql,
			 SPI_result_code_string(rc));
	return SPI_processed;
}

static Datum
result_datum(int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);
}

static char *
result_text(int col)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
}

/* The loaded schema of a version, from the cache or from its JSON form. */
static CedarSchema *
schema_for(const char *version, Jsonb *schema_json)
{
	MemoryContext old;
	SchemaCacheEntry *e;

	for (int i = 0; i < schema_cache_used; i++)
		if (strcmp(schema_cache[i].version, version) == 0)
			return schema_cache[i].schema;

	if (schema_cache_cxt == NULL)
		schema_cache_cxt = AllocSetContextCreate(TopMemoryContext, "keycard schema cache",
												 ALLOCSET_DEFAULT_SIZES);
	if (schema_cache_used == SCHEMA_CACHE_SIZE)
	{
		/* Rare (more versions than slots): start over. */
		MemoryContextReset(schema_cache_cxt);
		schema_cache_used = 0;
	}
	e = &schema_cache[schema_cache_used];
	old = MemoryContextSwitchTo(schema_cache_cxt);
	e->schema = cedar_schema_load_jsonb(schema_json);
	MemoryContextSwitchTo(old);
	strlcpy(e->version, version, sizeof(e->version));
	schema_cache_used++;
	return e->schema;
}

/*
 * Parses the policy (text or EST) into an AST; a parse error becomes the
 * registry's invalid_cedar error, with the parser's message and detail.
 */
static CedarPolicy *
parse_policy(text *raw, Jsonb *est)
{
	MemoryContext cxt = CurrentMemoryContext;
	CedarPolicy *volatile policy = NULL;

	PG_TRY();
	{
		if (raw)
			policy = cedar_parse_policy(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));
		else
			policy = cedar_policy_from_est(est);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_DATA_EXCEPTION ||
			edata->sqlerrcode == ERRCODE_SYNTAX_ERROR ||
			edata->sqlerrcode == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
		{
			FlushErrorState();
			registry_error("invalid_cedar", edata->detail,
						   raw ? NULL : "cedar_json must be one policy in Cedar's JSON policy format.",
						   "%s", edata->message);
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	return policy;
}

/*
 * SQL function: keycard.create_policy_version(zone_id text, policy_id text,
 *   schema_version text, cedar_json jsonb, cedar_raw text) returns keycard.policy_versions
 */
Datum
keycard_create_policy_version(PG_FUNCTION_ARGS)
{
	text	   *zone_id;
	text	   *policy_id;
	text	   *schema_version;
	Jsonb	   *cedar_json = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	text	   *cedar_raw = PG_ARGISNULL(4) ? NULL : PG_GETARG_TEXT_PP(4);
	char	   *version_str;
	char	   *owner_type;
	char	   *policy_name;
	char	   *status;
	bool		isnull;
	Jsonb	   *schema_json;
	CedarSchema *schema;
	CedarPolicy *policy;
	Jsonb	   *est;
	CedarValidationResult vres;
	StringInfoData buf;
	char		sha[PG_SHA256_DIGEST_LENGTH * 2 + 1];
	text	   *raw_out;
	char		id[REGISTRY_ID_LEN + 1];
	int32		next_version;
	Datum		values[9];
	HeapTupleHeader result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		registry_error("invalid_request", NULL, NULL, "zone_id and policy_id are required");
	zone_id = PG_GETARG_TEXT_PP(0);
	policy_id = PG_GETARG_TEXT_PP(1);

	SPI_connect();

	values[0] = PointerGetDatum(zone_id);
	values[1] = PointerGetDatum(policy_id);
	if (run(Q_POLICY, values, NULL, 1) == 0)
		registry_error("not_found", NULL, NULL, "policy \"%s\" not found", text_to_cstring(policy_id));
	owner_type = result_text(1);
	policy_name = result_text(2);
	if (strcmp(owner_type, "platform") == 0)
	{
		run(Q_IS_PLATFORM, NULL, NULL, 1);
		if (!DatumGetBool(result_datum(1, &isnull)))
			registry_error("platform_owned",
						   "Platform-owned policies can be read but not changed by customers.", NULL,
						   "policy \"%s\" is owned by the platform", policy_name);
	}

	if ((cedar_json == NULL) == (cedar_raw == NULL))
		registry_error("invalid_request",
					   cedar_json ? "Both were given." : "Neither was given.",
					   "Send the policy either as Cedar text (cedar_raw) or as Cedar JSON (cedar_json).",
					   "exactly one of cedar_json and cedar_raw is required");
	if (PG_ARGISNULL(2))
		registry_error("invalid_request", NULL, NULL, "schema_version is required");
	schema_version = PG_GETARG_TEXT_PP(2);
	version_str = text_to_cstring(schema_version);

	values[0] = PointerGetDatum(schema_version);
	if (run(Q_SCHEMA, values, NULL, 1) == 0)
		registry_error("unknown_schema_version", NULL,
					   "List the zone's policy schemas to see the available versions.",
					   "unknown schema version \"%s\"", version_str);
	status = result_text(1);
	if (strcmp(status, "archived") == 0)
		registry_error("schema_version_archived",
					   "An archived schema version accepts no new policy versions.",
					   "Use an active schema version.",
					   "schema version \"%s\" is archived", version_str);
	schema_json = DatumGetJsonbP(result_datum(2, &isnull));

	/* Content: one AST for validation, the normalized EST and the text. */
	schema = schema_for(version_str, schema_json);
	policy = parse_policy(cedar_raw, cedar_json);
	cedar_validation_result_init(&vres);
	cedar_validate_policy(schema, policy, policy_name, &vres);
	if (vres.nerrors > 0)
	{
		StringInfoData detail;

		initStringInfo(&detail);
		/* The validator's messages start lower case; errdetail wants sentences. */
		for (int i = 0; i < vres.nerrors; i++)
			appendStringInfo(&detail, "%s%c%s (%s).", i ? " " : "",
							 pg_toupper((unsigned char) vres.errors[i].message[0]),
							 vres.errors[i].message + 1, vres.errors[i].code);
		registry_error("cedar_validation_failed", detail.data, NULL,
					   "policy does not validate against schema version \"%s\"", version_str);
	}
	est = cedar_policy_to_est(policy);
	initStringInfo(&buf);
	jcs_append_jsonb(&buf, est);
	sha256_hex(buf.data, buf.len, sha);
	if (cedar_raw)
		raw_out = cedar_raw;
	else
	{
		resetStringInfo(&buf);
		cedar_policy_append_text(&buf, policy);
		raw_out = cstring_to_text_with_len(buf.data, buf.len);
	}

	/* Gapless numbering under the policy row lock. */
	values[0] = PointerGetDatum(zone_id);
	values[1] = PointerGetDatum(policy_id);
	run(Q_LOCK, values, NULL, 1);
	next_version = 1;
	{
		Datum		latest = result_datum(1, &isnull);

		if (!isnull)
			next_version = DatumGetInt32(latest) + 1;
	}
	if (DatumGetBool(result_datum(2, &isnull)))
		registry_error("archived", "An archived policy accepts no new versions.", NULL,
					   "policy \"%s\" is archived", result_text(4));
	owner_type = result_text(3);

	registry_new_id(id);
	values[2] = CStringGetTextDatum(id);
	values[3] = Int32GetDatum(next_version);
	values[4] = PointerGetDatum(schema_version);
	values[5] = CStringGetTextDatum(sha);
	values[6] = CStringGetTextDatum(owner_type);
	values[7] = JsonbPGetDatum(est);
	values[8] = PointerGetDatum(raw_out);
	if (run(Q_INSERT, values, NULL, 1) != 1)
		elog(ERROR, "policy version insert returned no row");
	result = SPI_returntuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc);

	values[2] = Int32GetDatum(next_version);
	values[3] = CStringGetTextDatum(id);
	values[4] = PointerGetDatum(schema_version);
	run(Q_UPDATE, values, NULL, 0);

	resetStringInfo(&buf);
	appendStringInfo(&buf, "{\"policy_id\": ");
	escape_json(&buf, text_to_cstring(policy_id));
	appendStringInfo(&buf, ", \"version\": %d, \"sha\": \"%s\"}", next_version, sha);
	values[1] = CStringGetTextDatum(id);
	values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	run(Q_AUDIT, values, NULL, 0);

	SPI_finish();
	PG_RETURN_DATUM(PointerGetDatum(result));
}
