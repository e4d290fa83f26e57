/*-------------------------------------------------------------------------
 *
 * authorize.c
 *	  The registry decides: keycard.authorize(zone_id, request) answers a
 *	  Cedar request with the union of the policy set versions bound (mode
 *	  active) to the zone's slot and to the slots of the scope targets the
 *	  request names ({"resource", "user", "session": id}, as in
 *	  keycard.policy_bundle), under Cedar's rules: a satisfied forbid of any
 *	  set denies, else a satisfied permit of any set allows, else deny; a
 *	  policy whose evaluation errs is skipped and listed.  Beside it, each
 *	  shadow-bound version is evaluated in place of its slot's active one,
 *	  and the answer says whether that decision differs.
 *	  keycard.authorize_and_record does the same and keeps each differing
 *	  shadow decision in keycard.shadow_decisions.
 *
 *	  Only attested content is evaluated.  When a set version is first
 *	  loaded, its manifest must hash to its manifest_sha, its newest
 *	  attestation must verify against the zone's keys and name that
 *	  manifest_sha, and each entry's policy version content (cedar_json, the
 *	  normalized EST) must hash to the entry's sha, with the registry's own
 *	  hash (jcs_sha256_hex, as policy_version.c and
 *	  keycard.jcs_sha256 compute it); anything else raises XX001.
 *
 *	  Set versions never change, so each backend keeps them compiled, keyed
 *	  by version id, in a bounded cache (least recently used out first) that
 *	  is never stale.  Bindings are read on every call (a direct scan of
 *	  their primary key, as caller.c reads zone_members: a row-level
 *	  security policy calls this once per row), so a binding change is seen
 *	  by the next call.  Nothing is written (authorize_and_record
 *	  excepted): standbys and READ ONLY transactions answer too.
 *
 *	  Entities and context are read as explicit Cedar JSON, without a schema
 *	  (the sets of one answer may pin different schema versions, and each
 *	  policy was validated against its own when it was created).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "canon.h"
#include "cedar/authorize.h"
#include "cedar/cedar.h"
#include "cedar/jsonb_read.h"
#include "registry/registry.h"
#include "sha.h"

PG_FUNCTION_INFO_V1(keycard_authorize);
PG_FUNCTION_INFO_V1(keycard_authorize_and_record);
PG_FUNCTION_INFO_V1(keycard_authorize_cache);

/* keycard.jws_verify(jws, jwks) (jws.c): the verified payload, or an error */
extern Datum keycard_jws_verify(PG_FUNCTION_ARGS);

#define SHA_HEX_LEN (PG_SHA256_DIGEST_LENGTH * 2)

/* The cache's bounds: compiled set versions, and the memory they hold */
#define CACHE_MAX_ENTRIES 256
#define CACHE_MAX_BYTES ((Size) 64 * 1024 * 1024)
/* Longest version id kept in the cache (registry ids have 36 characters) */
#define CACHE_KEY_LEN 64

/* The slots an answer reads, in the order answers list them */
#define NSLOTS 4
static const char *const slot_types[NSLOTS] = {"zone", "resource", "user", "session"};

static const char *const request_hint =
"The request is {\"principal\", \"action\", \"resource\": {\"type\", \"id\"}, \"context\"?: {...}, \"entities\"?: [...], \"targets\"?: {\"resource\", \"user\", \"session\": \"<id>\"}}.";

enum
{
	Q_ZONE,
	Q_BINDINGS,
	Q_VERSION,
	Q_POLICIES,
	Q_RECORD,
	NQUERIES
};

static RegistryQuery queries[NQUERIES] = {
	[Q_ZONE] = {"SELECT 1 FROM keycard.zones z WHERE z.zone_id = $1", 1, {TEXTOID}},
	/* The bindings of the named slots: (scope_type, scope_target_id) pairs */
	[Q_BINDINGS] = {"SELECT b.scope_type, b.mode, b.version_id FROM keycard.bindings b "
		"JOIN unnest($2, $3) t (scope_type, scope_target_id) "
		"ON b.scope_type = t.scope_type AND b.scope_target_id = t.scope_target_id "
		"WHERE b.zone_id = $1", 3, {TEXTOID, TEXTARRAYOID, TEXTARRAYOID}},
	[Q_VERSION] = {"SELECT v.policy_set_id, v.version, v.manifest, v.manifest_sha, a.jws, keycard.zone_jwks(v.zone_id) "
		"FROM keycard.policy_set_versions v "
		"LEFT JOIN LATERAL (SELECT x.jws FROM keycard.attestations x "
		"WHERE x.zone_id = v.zone_id AND x.version_id = v.version_id "
		"ORDER BY x.attestation_id DESC LIMIT 1) a ON true "
		"WHERE v.zone_id = $1 AND v.version_id = $2",
	2, {TEXTOID, TEXTOID}},
	[Q_POLICIES] = {"SELECT pv.version_id, pv.policy_id, pv.cedar_json FROM keycard.policy_versions pv "
		"WHERE pv.zone_id = $1 AND pv.version_id = ANY ($2)",
	2, {TEXTOID, TEXTARRAYOID}},
	[Q_RECORD] = {"INSERT INTO keycard.shadow_decisions (zone_id, event_id, occurred_at, actor, request_id, "
		"scope_type, scope_target_id, policy_set_id, active_version_id, shadow_version_id, decision, "
		"shadow_decision, request, answer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
		14, {TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID}},
};

/* A set version compiled from its attested content */
typedef struct CompiledVersion
{
	char		version_id[CACHE_KEY_LEN];	/* the cache's key */
	char	   *zone_id;
	char	   *policy_set_id;
	int32		version;
	CedarPolicySet *policies;	/* ids "0", "1", ...: manifest positions */
	char	  **policy_ids;		/* by manifest position */
	char	  **policy_version_ids;
	MemoryContext cxt;			/* holds all of the above */
	Size		bytes;
	uint64		last_used;
} CompiledVersion;

static HTAB *cache;
static MemoryContext cache_cxt;
static Size cache_bytes;
static uint64 cache_clock;
/* What the cache did in this backend (keycard.authorize_cache()) */
static uint64 cache_hits;
static uint64 cache_loads;
static uint64 cache_evictions;

/* What one call reads from its request */
typedef struct AuthzRequest
{
	const JsonbValue *principal;
	const JsonbValue *action;
	const JsonbValue *resource;
	const JsonbValue *context;
	const JsonbValue *entities;
	const char *targets[NSLOTS];	/* [0] the zone id; NULL when not named */
} AuthzRequest;

/* One set version's decision in an answer */
typedef struct SetOutcome
{
	CompiledVersion *cv;
	CedarDecision d;
} SetOutcome;

/*
 * Connects to SPI on first use in a call (*connected tracks it; the call
 * finishes SPI if it connected).
 */
static void
spi_connect_once(bool *connected)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (*connected)
		return;
	SPI_connect();
	*connected = true;
	MemoryContextSwitchTo(cxt);
}

/*
 * Reads of this file run with the caller's snapshot, as a STABLE function's
 * should.  SPI returns in its procedure context, which SPI_finish frees: the
 * call's own context is current again afterwards (results are copied there).
 */
static uint64
run_read(bool *connected, RegistryQuery *q, Datum *values, const char *nulls)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc;

	spi_connect_once(connected);
	rc = SPI_execute_plan(registry_plan(q), values, nulls, true, 0);
	MemoryContextSwitchTo(cxt);

	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s", q->sql, SPI_result_code_string(rc));
	return SPI_processed;
}

static void corrupted(const char *version_id, const char *fmt,...) pg_attribute_printf(2, 3) pg_attribute_noreturn();

static void
corrupted(const char *version_id, const char *fmt,...)
{
	va_list		args;
	char	   *detail;
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	detail = buf.data;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("policy set version \"%s\" does not match its attested content", version_id),
			 errdetail("%s", detail),
			 errhint("Run keycard.verify_zone() for the zone; the version is not evaluated until its rows are restored.")));
}

/* Request ---------------------------------------------------------------------------- */

static const JsonbValue *
empty_json(const char *text)
{
	JsonbValue *v = palloc(sizeof(JsonbValue));

	cedar_jsonb_root(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text))), v);
	return v;
}

static void
read_targets(const JsonbValue *v, AuthzRequest *r)
{
	CedarJsonbMember *m;
	int			n;

	if (!cedar_jsonb_is_object(v))
		registry_error("invalid_request", NULL, request_hint, "targets must be a JSON object");
	m = cedar_jsonb_members(v, &n);
	for (int i = 0; i < n; i++)
	{
		int			slot = 0;

		for (int s = 1; s < NSLOTS; s++)
			if (strcmp(m[i].key.data, slot_types[s]) == 0)
				slot = s;
		if (slot == 0)
			registry_error("invalid_request", NULL,
						   "The targets are named by scope type: resource, user, session (the zone scope is always included).",
						   "unknown scope type \"%.40s\" in targets", m[i].key.data);
		if (m[i].val.type != jbvString || m[i].val.val.string.len == 0)
			registry_error("invalid_request", NULL, NULL,
						   "the %s target must be a non-empty string id", slot_types[slot]);
		r->targets[slot] = pnstrdup(m[i].val.val.string.val, m[i].val.val.string.len);
	}
}

static void
read_request(Jsonb *jb, AuthzRequest *r)
{
	JsonbValue	root;
	CedarJsonbMember *m;
	int			n;

	memset(r, 0, sizeof(*r));
	cedar_jsonb_root(jb, &root);
	if (!cedar_jsonb_is_object(&root))
		registry_error("invalid_request", NULL, request_hint, "the request must be a JSON object");
	m = cedar_jsonb_members(&root, &n);
	for (int i = 0; i < n; i++)
	{
		const char *k = m[i].key.data;
		const JsonbValue *v = &m[i].val;

		if (strcmp(k, "principal") == 0)
			r->principal = v;
		else if (strcmp(k, "action") == 0)
			r->action = v;
		else if (strcmp(k, "resource") == 0)
			r->resource = v;
		else if (strcmp(k, "context") == 0)
			r->context = v;
		else if (strcmp(k, "entities") == 0)
			r->entities = v;
		else if (strcmp(k, "targets") == 0)
			read_targets(v, r);
		else
			registry_error("invalid_request", NULL, request_hint, "unknown field \"%.40s\" in the request", k);
	}
	if (!r->principal || !r->action || !r->resource)
		registry_error("invalid_request", NULL, request_hint,
					   "the request needs \"principal\", \"action\" and \"resource\"");
	if (r->context == NULL)
		r->context = empty_json("{}");
	if (r->entities == NULL)
		r->entities = empty_json("[]");
	else if (!cedar_jsonb_is_array(r->entities))
		registry_error("invalid_request", NULL, request_hint,
					   "entities must be an array of Cedar entities, not %s", cedar_jsonb_kind(r->entities));
}

/* Loading a set version ---------------------------------------------------------------- */

static char *
member_text(JsonbContainer *obj, const char *key)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(obj, key, strlen(key), &v) == NULL || v.type != jbvString)
		return NULL;
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/* The newest attestation verifies against the zone's keys and names this version. */
static void
check_attestation(const char *zone_id, const char *version_id, const char *policy_set_id,
				  int32 version, const char *manifest_sha, Datum jws, Datum jwks)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *payload = NULL;
	char	   *s;
	JsonbValue	v;

	PG_TRY();
	{
		payload = DatumGetJsonbP(DirectFunctionCall2(keycard_jws_verify, jws, jwks));
	}
	PG_CATCH();
	{
		ErrorData  *e;

		/*
		 * A JWS that does not verify (a data exception or an unsupported
		 * algorithm) is the version's error, raised at once (nothing else runs
		 * meanwhile); anything else (a cancel, out of memory) goes on as it is.
		 */
		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(e->sqlerrcode) != ERRCODE_DATA_EXCEPTION &&
			e->sqlerrcode != ERRCODE_FEATURE_NOT_SUPPORTED)
		{
			FreeErrorData(e);
			PG_RE_THROW();
		}
		FlushErrorState();
		corrupted(version_id, "Its newest attestation does not verify against the zone's keys: %s", e->message);
	}
	PG_END_TRY();

	s = member_text(&payload->root, "manifest_sha");
	if (s == NULL || strcmp(s, manifest_sha) != 0)
		corrupted(version_id, "Its attestation signs manifest_sha %s, the version has %s.",
				  s ? s : "(none)", manifest_sha);
	s = member_text(&payload->root, "zone_id");
	if (s == NULL || strcmp(s, zone_id) != 0)
		corrupted(version_id, "Its attestation names zone \"%s\".", s ? s : "(none)");
	s = member_text(&payload->root, "policy_set_id");
	if (s == NULL || strcmp(s, policy_set_id) != 0)
		corrupted(version_id, "Its attestation names policy set \"%s\".", s ? s : "(none)");
	if (getKeyJsonValueFromContainer(&payload->root, "policy_set_version", 18, &v) == NULL ||
		v.type != jbvNumeric ||
		DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(v.val.numeric))) != version)
		corrupted(version_id, "Its attestation names another version number than %d.", version);
}

/* A row of Q_POLICIES, sorted by version id for the lookups */
typedef struct PolicyRow
{
	char	   *version_id;
	char	   *policy_id;
	Jsonb	   *cedar_json;
} PolicyRow;

static int
policy_row_cmp(const void *a, const void *b)
{
	return strcmp(((const PolicyRow *) a)->version_id, ((const PolicyRow *) b)->version_id);
}

/*
 * Loads and checks a set version and compiles it into cv, in a new memory
 * context under the current one (the caller moves it into the cache).
 */
static void
load_version(bool *spi, const char *zone_id, const char *version_id, CompiledVersion *cv)
{
	Datum		values[2];
	bool		isnull;
	Jsonb	   *manifest;
	char	   *manifest_sha;
	char		hex[SHA_HEX_LEN + 1];
	Datum		jws;
	bool		jws_null;
	JsonbValue	entries;
	int			n;
	JsonbValue *elems;
	char	  **shas;
	Datum	   *ids;
	PolicyRow  *rows;
	int			nrows;
	MemoryContext old;
	const char **cedar_ids;

	memset(cv, 0, sizeof(*cv));
	values[0] = CStringGetTextDatum(zone_id);
	values[1] = CStringGetTextDatum(version_id);
	if (run_read(spi, &queries[Q_VERSION], values, NULL) != 1)
		elog(ERROR, "bound policy set version \"%s\" has no row", version_id);

	cv->cxt = AllocSetContextCreate(CurrentMemoryContext, "keycard authorize: policy set version",
									ALLOCSET_SMALL_SIZES);
	cv->zone_id = MemoryContextStrdup(cv->cxt, zone_id);
	cv->policy_set_id = MemoryContextStrdup(cv->cxt, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	cv->version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	manifest = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	manifest_sha = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);
	jws = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &jws_null);
	values[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6, &isnull);

	/* The manifest is what manifest_sha says, and the attestation signs that. */
	jcs_sha256_hex(manifest, hex);
	if (strcmp(hex, manifest_sha) != 0)
		corrupted(version_id, "Its manifest_sha is %s, its manifest hashes to %s.", manifest_sha, hex);
	if (jws_null)
		corrupted(version_id, "It has no attestation.");
	check_attestation(zone_id, version_id, cv->policy_set_id, cv->version, manifest_sha, jws, values[1]);

	/* Its entries, each a policy version whose content hashes to the entry's sha */
	if (getKeyJsonValueFromContainer(&manifest->root, "entries", 7, &entries) == NULL ||
		!cedar_jsonb_is_array(&entries))
		corrupted(version_id, "Its manifest has no entries array.");
	elems = cedar_jsonb_elems(&entries, &n);
	shas = palloc(sizeof(char *) * Max(n, 1));
	ids = palloc(sizeof(Datum) * Max(n, 1));
	cv->policy_ids = MemoryContextAlloc(cv->cxt, sizeof(char *) * Max(n, 1));
	cv->policy_version_ids = MemoryContextAlloc(cv->cxt, sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		JsonbContainer *e = cedar_jsonb_is_object(&elems[i]) ? elems[i].val.binary.data : NULL;
		char	   *pid = e ? member_text(e, "policy_id") : NULL;
		char	   *pvid = e ? member_text(e, "policy_version_id") : NULL;

		shas[i] = e ? member_text(e, "sha") : NULL;
		if (pid == NULL || pvid == NULL || shas[i] == NULL)
			corrupted(version_id, "Its manifest entry %d is malformed.", i);
		cv->policy_ids[i] = MemoryContextStrdup(cv->cxt, pid);
		cv->policy_version_ids[i] = MemoryContextStrdup(cv->cxt, pvid);
		ids[i] = CStringGetTextDatum(pvid);
	}
	values[1] = PointerGetDatum(construct_array(ids, n, TEXTOID, -1, false, TYPALIGN_INT));
	nrows = (int) run_read(spi, &queries[Q_POLICIES], values, NULL);
	rows = palloc(sizeof(PolicyRow) * Max(nrows, 1));
	for (int i = 0; i < nrows; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;

		rows[i].version_id = SPI_getvalue(t, d, 1);
		rows[i].policy_id = SPI_getvalue(t, d, 2);
		rows[i].cedar_json = DatumGetJsonbPCopy(SPI_getbinval(t, d, 3, &isnull));
	}
	qsort(rows, nrows, sizeof(PolicyRow), policy_row_cmp);

	cv->policies = MemoryContextAlloc(cv->cxt, sizeof(CedarPolicySet));
	cv->policies->n = n;
	cv->policies->policies = MemoryContextAlloc(cv->cxt, sizeof(CedarPolicy *) * Max(n, 1));
	cedar_ids = MemoryContextAlloc(cv->cxt, sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		PolicyRow	key = {.version_id = cv->policy_version_ids[i]};
		PolicyRow  *row = bsearch(&key, rows, nrows, sizeof(PolicyRow), policy_row_cmp);

		if (row == NULL)
			corrupted(version_id, "Policy version \"%s\" of its manifest has no row.", key.version_id);
		if (strcmp(row->policy_id, cv->policy_ids[i]) != 0)
			corrupted(version_id, "Policy version \"%s\" belongs to policy \"%s\", its manifest says \"%s\".",
					  key.version_id, row->policy_id, cv->policy_ids[i]);
		jcs_sha256_hex(row->cedar_json, hex);
		if (strcmp(hex, shas[i]) != 0)
			corrupted(version_id, "Policy version \"%s\" hashes to %s, its manifest entry says %s.",
					  key.version_id, hex, shas[i]);
		old = MemoryContextSwitchTo(cv->cxt);
		cv->policies->policies[i] = cedar_policy_from_est(row->cedar_json);
		cedar_ids[i] = psprintf("%d", i);
		MemoryContextSwitchTo(old);
	}
	cv->policies->ids = cedar_ids;
	strlcpy(cv->version_id, version_id, CACHE_KEY_LEN);
	cv->bytes = MemoryContextMemAllocated(cv->cxt, true);
}

/* The cache ------------------------------------------------------------------------------ */

/*
 * Drops the least recently used entry not used since pinned_from (those are
 * in use by the current call); false if there is none.
 */
static bool
evict_one(uint64 pinned_from)
{
	HASH_SEQ_STATUS seq;
	CompiledVersion *e;
	CompiledVersion *victim = NULL;

	hash_seq_init(&seq, cache);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (e->last_used < pinned_from && (victim == NULL || e->last_used < victim->last_used))
			victim = e;
	if (victim == NULL)
		return false;
	cache_bytes -= victim->bytes;
	MemoryContextDelete(victim->cxt);
	hash_search(cache, victim->version_id, HASH_REMOVE, NULL);
	cache_evictions++;
	return true;
}

/* The compiled set version, from the cache or loaded (and then kept if it fits). */
static CompiledVersion *
compiled_version(bool *spi, const char *zone_id, const char *version_id, uint64 pinned_from)
{
	CompiledVersion loaded;
	CompiledVersion *cv;
	bool		found;
	bool		fits;

	if (cache == NULL)
	{
		HASHCTL		ctl;

		cache_cxt = AllocSetContextCreate(TopMemoryContext, "keycard authorize cache", ALLOCSET_DEFAULT_SIZES);
		ctl.keysize = CACHE_KEY_LEN;
		ctl.entrysize = sizeof(CompiledVersion);
		ctl.hcxt = cache_cxt;
		cache = hash_create("keycard authorize cache", 64, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	if (strlen(version_id) < CACHE_KEY_LEN)
	{
		cv = hash_search(cache, version_id, HASH_FIND, NULL);
		if (cv != NULL && strcmp(cv->zone_id, zone_id) == 0)
		{
			cv->last_used = ++cache_clock;
			cache_hits++;
			return cv;
		}
	}

	load_version(spi, zone_id, version_id, &loaded);
	cache_loads++;
	fits = strlen(version_id) < CACHE_KEY_LEN;
	while (fits && (hash_get_num_entries(cache) >= CACHE_MAX_ENTRIES ||
					cache_bytes + loaded.bytes > CACHE_MAX_BYTES))
		fits = evict_one(pinned_from);
	if (!fits)
	{
		/* Used by this call only: freed with its memory. */
		cv = palloc(sizeof(CompiledVersion));
		*cv = loaded;
		return cv;
	}
	cv = hash_search(cache, loaded.version_id, HASH_ENTER, &found);
	if (found)
	{
		/* the same id in another zone (ids are unique, but rows can be written by hand) */
		cache_bytes -= cv->bytes;
		MemoryContextDelete(cv->cxt);
	}
	*cv = loaded;
	MemoryContextSetParent(cv->cxt, cache_cxt);
	cache_bytes += cv->bytes;
	cv->last_used = ++cache_clock;
	return cv;
}

/* Bindings ------------------------------------------------------------------------------- */

/*
 * The version ids bound to each named slot, [0] active and [1] shadow, read
 * with one statement.  Returns the number of bindings found.
 */
static int
read_bindings(bool *spi, const char *zone_id, const char *const *targets, char *bound[2][NSLOTS])
{
	Datum		types[NSLOTS];
	Datum		ids[NSLOTS];
	int			n = 0;
	Datum		values[3];
	uint64		rows;

	for (int s = 0; s < NSLOTS; s++)
		if (targets[s] != NULL)
		{
			types[n] = CStringGetTextDatum(slot_types[s]);
			ids[n++] = CStringGetTextDatum(targets[s]);
		}
	values[0] = CStringGetTextDatum(zone_id);
	values[1] = PointerGetDatum(construct_array(types, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(ids, n, TEXTOID, -1, false, TYPALIGN_INT));
	rows = run_read(spi, &queries[Q_BINDINGS], values, NULL);
	for (uint64 r = 0; r < rows; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		char	   *type = SPI_getvalue(t, SPI_tuptable->tupdesc, 1);
		char	   *mode = SPI_getvalue(t, SPI_tuptable->tupdesc, 2);
		int			s = 0;

		while (strcmp(slot_types[s], type) != 0)
			s++;
		bound[strcmp(mode, "active") == 0 ? 0 : 1][s] = SPI_getvalue(t, SPI_tuptable->tupdesc, 3);
	}
	return (int) rows;
}

/* The answer ----------------------------------------------------------------------------- */

static int
int_cmp(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return (x > y) - (x < y);
}

/*
 * The answer is built as a jsonb value directly (a row-level security policy
 * asks once per row: no JSON text to parse back).
 */
static void
push_string(JsonbParseState **st, JsonbIteratorToken token, const char *str)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) str;
	v.val.string.len = strlen(str);
	pushJsonbValue(st, token, &v);
}

static void
push_member(JsonbParseState **st, const char *key, const char *str)
{
	push_string(st, WJB_KEY, key);
	push_string(st, WJB_VALUE, str);
}

static void
push_bool_member(JsonbParseState **st, const char *key, bool b)
{
	JsonbValue	v;

	push_string(st, WJB_KEY, key);
	v.type = jbvBool;
	v.val.boolean = b;
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Policies named by ids of the set's decision, in manifest order */
static void
push_policies(JsonbParseState **st, CompiledVersion *cv, const char **ids, int n)
{
	int		   *pos = palloc(sizeof(int) * Max(n, 1));

	for (int i = 0; i < n; i++)
		pos[i] = atoi(ids[i]);
	qsort(pos, n, sizeof(int), int_cmp);
	for (int i = 0; i < n; i++)
	{
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		push_member(st, "policy_set_id", cv->policy_set_id);
		push_member(st, "policy_set_version_id", cv->version_id);
		push_member(st, "policy_id", cv->policy_ids[pos[i]]);
		push_member(st, "policy_version_id", cv->policy_version_ids[pos[i]]);
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pfree(pos);
}

/*
 * The union of the sets' decisions (NULL entries skipped): a set that denies
 * with reasons has a satisfied forbid, one that allows a satisfied permit
 * and none satisfied forbid.  Pushes "decision", "reasons" and
 * "errored_policies"; returns the decision.
 */
static bool
push_union(JsonbParseState **st, SetOutcome **sets, int n)
{
	bool		forbid = false;
	bool		permit = false;

	for (int i = 0; i < n; i++)
		if (sets[i] != NULL)
		{
			forbid |= !sets[i]->d.allow && sets[i]->d.nreasons > 0;
			permit |= sets[i]->d.allow;
		}
	push_member(st, "decision", !forbid && permit ? "allow" : "deny");
	push_string(st, WJB_KEY, "reasons");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
		if (sets[i] != NULL && (forbid ? !sets[i]->d.allow : sets[i]->d.allow))
			push_policies(st, sets[i]->cv, sets[i]->d.reasons, sets[i]->d.nreasons);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
	push_string(st, WJB_KEY, "errored_policies");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
		if (sets[i] != NULL)
			push_policies(st, sets[i]->cv, sets[i]->d.errored, sets[i]->d.nerrored);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
	return !forbid && permit;
}

static void
push_binding(JsonbParseState **st, int slot, const char *target, CompiledVersion *cv)
{
	JsonbValue	v;

	push_member(st, "scope_type", slot_types[slot]);
	push_member(st, "scope_target_id", target);
	push_member(st, "policy_set_id", cv->policy_set_id);
	push_member(st, "policy_set_version_id", cv->version_id);
	push_string(st, WJB_KEY, "version");
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(cv->version);
	pushJsonbValue(st, WJB_VALUE, &v);
}

static void
record_difference(bool *spi, const char *zone_id, int slot, const char *target, CompiledVersion *active,
				  CompiledVersion *shadow, bool allow, bool shadow_allow, Jsonb *request, Jsonb *answer)
{
	MemoryContext cxt = CurrentMemoryContext;
	char		id[REGISTRY_ID_LEN + 1];
	TimestampTz at = registry_new_id(id);
	text	   *request_id = registry_client_request_id();
	Datum		values[14];
	char		nulls[14];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(zone_id);
	values[1] = CStringGetTextDatum(id);
	values[2] = TimestampTzGetDatum(at);
	values[3] = PointerGetDatum(registry_current_actor());
	values[4] = PointerGetDatum(request_id);
	nulls[4] = request_id ? ' ' : 'n';
	values[5] = CStringGetTextDatum(slot_types[slot]);
	values[6] = CStringGetTextDatum(target);
	values[7] = CStringGetTextDatum(shadow->policy_set_id);
	values[8] = active ? CStringGetTextDatum(active->version_id) : (Datum) 0;
	nulls[8] = active ? ' ' : 'n';
	values[9] = CStringGetTextDatum(shadow->version_id);
	values[10] = CStringGetTextDatum(allow ? "allow" : "deny");
	values[11] = CStringGetTextDatum(shadow_allow ? "allow" : "deny");
	values[12] = JsonbPGetDatum(request);
	values[13] = JsonbPGetDatum(answer);
	spi_connect_once(spi);
	registry_run(&queries[Q_RECORD], values, nulls, 0);
	MemoryContextSwitchTo(cxt);
}

static Datum
authorize(FunctionCallInfo fcinfo, bool record)
{
	text	   *zone_text = PG_GETARG_TEXT_PP(0);
	Jsonb	   *request = PG_GETARG_JSONB_P(1);
	CedarScratch sc;
	AuthzRequest req;
	char	   *zone_id;
	Datum		values[1];
	bool		spi = false;	/* connected to SPI (spi_connect_once) */
	char	   *bound[2][NSLOTS] = {{0}};	/* [0] active, [1] shadow version ids */
	SetOutcome	outcomes[2][NSLOTS] = {{{0}}};
	SetOutcome *sets[NSLOTS];
	uint64		pinned_from;
	CedarEntityStore *store;
	CedarRequest *creq;
	bool		allow;
	bool		any_shadow = false;
	bool		any_difference = false;
	bool		shadow_allow[NSLOTS] = {0};
	JsonbParseState *st = NULL;
	Jsonb	   *answer;

	if (record)
		registry_require_writable("keycard.authorize_and_record()");
	cedar_scratch_begin(&sc, "keycard authorize");
	zone_id = text_to_cstring(zone_text);
	read_request(request, &req);
	req.targets[0] = zone_id;

	/* Unknown zones and other callers' zones look alike. */
	if (!registry_zone_visible(zone_id, strlen(zone_id)))
		registry_error("not_found", "No zone with that id is visible to the caller.", NULL,
					   "zone \"%s\" not found", zone_id);
	if (read_bindings(&spi, zone_id, req.targets, bound) == 0)
	{
		values[0] = CStringGetTextDatum(zone_id);
		if (run_read(&spi, &queries[Q_ZONE], values, NULL) == 0)
			registry_error("not_found", "No zone with that id is visible to the caller.", NULL,
						   "zone \"%s\" not found", zone_id);
	}

	/* Entries used by this call stay in the cache until it ends. */
	pinned_from = cache_clock + 1;
	for (int m = 0; m < 2; m++)
		for (int s = 0; s < NSLOTS; s++)
			if (bound[m][s] != NULL)
				outcomes[m][s].cv = compiled_version(&spi, zone_id, bound[m][s], pinned_from);

	creq = cedar_request_build(req.principal, req.action, req.resource, req.context, NULL, false);
	store = cedar_entities_build(req.entities, NULL);
	for (int m = 0; m < 2; m++)
		for (int s = 0; s < NSLOTS; s++)
			if (outcomes[m][s].cv != NULL)
				cedar_authorize(outcomes[m][s].cv->policies, store, creq, &outcomes[m][s].d);

	for (int s = 0; s < NSLOTS; s++)
	{
		sets[s] = outcomes[0][s].cv ? &outcomes[0][s] : NULL;
		any_shadow |= outcomes[1][s].cv != NULL;
	}
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	allow = push_union(&st, sets, NSLOTS);
	push_string(&st, WJB_KEY, "policy_set_versions");
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int s = 0; s < NSLOTS; s++)
		if (sets[s] != NULL)
		{
			pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
			push_binding(&st, s, req.targets[s], sets[s]->cv);
			pushJsonbValue(&st, WJB_END_OBJECT, NULL);
		}
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);

	/* Each shadow version in place of its slot's active one */
	if (any_shadow)
	{
		push_string(&st, WJB_KEY, "shadow");
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		for (int s = 0; s < NSLOTS; s++)
		{
			SetOutcome *active = sets[s];

			if (outcomes[1][s].cv == NULL)
				continue;
			pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
			push_binding(&st, s, req.targets[s], outcomes[1][s].cv);
			sets[s] = &outcomes[1][s];
			shadow_allow[s] = push_union(&st, sets, NSLOTS);
			sets[s] = active;
			any_difference |= shadow_allow[s] != allow;
			push_bool_member(&st, "differs", shadow_allow[s] != allow);
			pushJsonbValue(&st, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	}
	answer = JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));

	if (record && any_difference)
	{
		for (int s = 0; s < NSLOTS; s++)
			if (outcomes[1][s].cv != NULL && shadow_allow[s] != allow)
				record_difference(&spi, zone_id, s, req.targets[s], outcomes[0][s].cv, outcomes[1][s].cv,
								  allow, shadow_allow[s], request, answer);
	}
	if (spi)
		SPI_finish();
	PG_RETURN_JSONB_P(cedar_scratch_end_jsonb(&sc, answer));
}

/* SQL function: authorize(zone_id text, request jsonb) returns jsonb */
Datum
keycard_authorize(PG_FUNCTION_ARGS)
{
	return authorize(fcinfo, false);
}

/* SQL function: authorize_and_record(zone_id text, request jsonb) returns jsonb */
Datum
keycard_authorize_and_record(PG_FUNCTION_ARGS)
{
	return authorize(fcinfo, true);
}

/* SQL function: authorize_cache() returns jsonb */
Datum
keycard_authorize_cache(PG_FUNCTION_ARGS)
{
	char	   *json = psprintf("{\"entries\": %ld, \"bytes\": " UINT64_FORMAT ", \"hits\": " UINT64_FORMAT
								", \"loads\": " UINT64_FORMAT ", \"evictions\": " UINT64_FORMAT
								", \"max_entries\": %d, \"max_bytes\": " UINT64_FORMAT "}",
								cache ? hash_get_num_entries(cache) : 0L, (uint64) cache_bytes, cache_hits,
								cache_loads, cache_evictions, CACHE_MAX_ENTRIES, (uint64) CACHE_MAX_BYTES);

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}
