/*-------------------------------------------------------------------------
 *
 * policy_version.c
 *	  keycard.create_policy_version: one Cedar policy, given as text or as
 *	  EST JSON, parsed, validated against the pinned schema version,
 *	  normalized, hashed and stored as the policy's next version.
 *
 * The content work (parse, validate, normalize, print, hash) runs in C over
 * one AST; the database work is three statements with saved plans: the
 * policy and the schema version's status (Q_POLICY), the bump of the
 * policy's latest_version (Q_BUMP), the version row (Q_INSERT), then the
 * audit record.  Gapless numbering comes from the bump, which takes the
 * policy row lock: concurrent creators of one policy queue there and each
 * reads the number its predecessor committed.
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
#include "registry/registry.h"
#include "sha.h"

PG_FUNCTION_INFO_V1(keycard_create_policy_version);

/* Statements, prepared once per backend. */
enum
{
	Q_POLICY,
	Q_SCHEMA_JSON,
	Q_BUMP,
	Q_INSERT,
	NUM_QUERIES
};

static RegistryQuery queries[NUM_QUERIES] = {
	/* The policy, and the status of the schema version (NULL: unknown). */
	[Q_POLICY] = {"SELECT p.owner_type, p.name, "
		"(SELECT s.status FROM keycard.schema_version_states s WHERE s.version = $3) "
		"FROM keycard.policies p WHERE p.zone_id = $1 AND p.policy_id = $2",
	3, {TEXTOID, TEXTOID, TEXTOID}},
	[Q_SCHEMA_JSON] = {"SELECT s.cedar_schema_json FROM keycard.schema_versions s WHERE s.version = $1",
	1, {TEXTOID}},

	/*
	 * The UPDATE takes the policy row lock and the next number together:
	 * concurrent creators queue on the row and each re-reads the number its
	 * predecessor committed (READ COMMITTED re-evaluates the SET on the
	 * newest row version).  Its WHERE clause names only the primary key, so
	 * the plan cannot wander to the partial index of non-archived names.  An
	 * archived policy is refused by the caller (which undoes the bump).
	 */
	[Q_BUMP] = {"UPDATE keycard.policies SET latest_version = coalesce(latest_version, 0) + 1, "
		"latest_version_id = $3, latest_schema_version = $4 "
		"WHERE zone_id = $1 AND policy_id = $2 RETURNING latest_version, archived_at IS NOT NULL",
	4, {TEXTOID, TEXTOID, TEXTOID, TEXTOID}},
	[Q_INSERT] = {"INSERT INTO keycard.policy_versions (zone_id, policy_id, version_id, version, "
		"schema_version, sha, owner_type, cedar_json, cedar_raw, created_at, created_by, request_id) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *",
	12, {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID,
	TIMESTAMPTZOID, TEXTOID, TEXTOID}},
};

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

/*
 * The loaded schema of a version, from the cache or from its JSON form (read
 * only on a miss: the JSON is large, and detoasting it per call would cost
 * more than the rest of a version's content work).  SPI connected.
 */
static CedarSchema *
schema_for(const char *version, text *version_text)
{
	MemoryContext old;
	SchemaCacheEntry *e;
	Datum		arg = PointerGetDatum(version_text);
	Jsonb	   *schema_json;
	bool		isnull;

	for (int i = 0; i < schema_cache_used; i++)
		if (strcmp(schema_cache[i].version, version) == 0)
			return schema_cache[i].schema;

	if (registry_run(&queries[Q_SCHEMA_JSON], &arg, NULL, 1) != 1)
		elog(ERROR, "schema version \"%s\" has no row", version);
	schema_json = DatumGetJsonbP(registry_result(1, &isnull));

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
	CedarSchema *schema;
	CedarPolicy *policy;
	Jsonb	   *est;
	CedarValidationResult vres;
	StringInfoData buf;
	char		sha[PG_SHA256_DIGEST_LENGTH * 2 + 1];
	text	   *raw_out;
	char		id[REGISTRY_ID_LEN + 1];
	char	   *status;
	TimestampTz created_at;
	text	   *actor;
	text	   *request_id;
	Datum		values[12];
	char		nulls[12];
	bool		found;
	int32		version;
	RegistryDetail detail[3];
	Datum		result;

	registry_require_writable("keycard.create_policy_version()");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		registry_error("invalid_request", NULL, NULL, "zone_id and policy_id are required");
	zone_id = PG_GETARG_TEXT_PP(0);
	policy_id = PG_GETARG_TEXT_PP(1);

	SPI_connect();

	/* A zone outside the caller's zones looks exactly like an unknown policy. */
	values[0] = PointerGetDatum(zone_id);
	values[1] = PointerGetDatum(policy_id);
	values[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	memset(nulls, ' ', sizeof(nulls));
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	found = registry_zone_visible(VARDATA_ANY(zone_id), VARSIZE_ANY_EXHDR(zone_id)) &&
		registry_run(&queries[Q_POLICY], values, nulls, 1) > 0;
	if (found)
	{
		owner_type = registry_result_text(1);
		policy_name = registry_result_text(2);
		status = registry_result_text(3);
	}
	if (!found)
		registry_error("not_found", NULL, NULL, "policy \"%s\" not found", text_to_cstring(policy_id));
	if (strcmp(owner_type, "platform") == 0 && !registry_caller_is_platform())
		registry_error("platform_owned",
					   "Platform-owned policies can be read but not changed by customers.", NULL,
					   "policy \"%s\" is owned by the platform", policy_name);

	if ((cedar_json == NULL) == (cedar_raw == NULL))
		registry_error("invalid_request",
					   cedar_json ? "Both were given." : "Neither was given.",
					   "Send the policy either as Cedar text (cedar_raw) or as Cedar JSON (cedar_json).",
					   "exactly one of cedar_json and cedar_raw is required");
	if (PG_ARGISNULL(2))
		registry_error("invalid_request", NULL, NULL, "schema_version is required");
	schema_version = PG_GETARG_TEXT_PP(2);
	version_str = text_to_cstring(schema_version);
	if (status == NULL)
		registry_error("unknown_schema_version", NULL,
					   "List the zone's policy schemas to see the available versions.",
					   "unknown schema version \"%s\"", version_str);
	if (strcmp(status, "archived") == 0)
		registry_error("schema_version_archived",
					   "An archived schema version accepts no new policy versions.",
					   "Use an active schema version.",
					   "schema version \"%s\" is archived", version_str);

	/* Content: one AST for validation, the normalized EST and the text. */
	schema = schema_for(version_str, schema_version);
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
	jcs_sha256_hex(est, sha);
	initStringInfo(&buf);
	if (cedar_raw)
		raw_out = cedar_raw;
	else
	{
		resetStringInfo(&buf);
		cedar_policy_append_text(&buf, policy);
		raw_out = cstring_to_text_with_len(buf.data, buf.len);
	}

	created_at = registry_new_id(id);
	actor = registry_current_actor();
	request_id = registry_client_request_id();

	values[0] = PointerGetDatum(zone_id);
	values[1] = PointerGetDatum(policy_id);
	values[2] = CStringGetTextDatum(id);
	values[3] = PointerGetDatum(schema_version);
	version = registry_bump(&queries[Q_BUMP], values, "policy", policy_name);

	values[3] = Int32GetDatum(version);
	values[4] = PointerGetDatum(schema_version);
	values[5] = CStringGetTextDatum(sha);
	values[6] = CStringGetTextDatum(owner_type);
	values[7] = JsonbPGetDatum(est);
	values[8] = PointerGetDatum(raw_out);
	values[9] = TimestampTzGetDatum(created_at);
	values[10] = PointerGetDatum(actor);
	values[11] = PointerGetDatum(request_id);
	nulls[11] = request_id == NULL ? 'n' : ' ';
	registry_run(&queries[Q_INSERT], values, nulls, 1);
	result = registry_result_row(fcinfo, 0, NULL, NULL);
	detail[0] = (RegistryDetail) {.key = "policy_id", .str = text_to_cstring(policy_id)};
	detail[1] = (RegistryDetail) {.key = "version", .is_int = true, .num = version};
	detail[2] = (RegistryDetail) {.key = "sha", .str = sha};
	registry_audit(zone_id, "create", "policy_version", id, detail, 3);

	SPI_finish();
	PG_RETURN_DATUM(result);
}
