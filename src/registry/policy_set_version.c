/*-------------------------------------------------------------------------
 *
 * policy_set_version.c
 *	  keycard.create_policy_set_version: a policy set's next version from a
 *	  manifest of policy versions, with its manifest_sha and an attestation
 *	  signed by the zone's current key; and keycard.attest, which signs an
 *	  existing version again (key rotation).
 *
 * Order of work, all in the caller's transaction (nothing is written unless
 * everything succeeds):
 *   1. the zone (locked FOR SHARE: a key rotation takes it FOR NO KEY UPDATE, so
 *	    no version is signed with a key that a concurrent rotation retires),
 *	    the policy set and the schema version's status;
 *   2. the manifest's shape, entry by entry;
 *   3. every referenced policy version with its policy, locked FOR SHARE (an
 *	    archive of either waits for us, and we see an archive that committed
 *	    first);
 *   4. the next number under the policy set's row lock (the UPDATE of its
 *	    latest_version), and the zone's current key;
 *   5. manifest, manifest_sha and the signed statement, in C;
 *   6. the version, its entry rows (one statement for all of them), the
 *	    attestation and the audit record.
 *
 * Every step is a statement with a saved plan, run by the executor.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "canon.h"
#include "jws.h"
#include "keycard.h"
#include "registry/registry.h"
#include "sha.h"

PG_FUNCTION_INFO_V1(keycard_create_policy_set_version);
PG_FUNCTION_INFO_V1(keycard_attest);

#define SHA_HEX_LEN (PG_SHA256_DIGEST_LENGTH * 2)

enum
{
	Q_SET,
	Q_ENTRIES,
	Q_BUMP,
	Q_VERSION,
	Q_CURRENT_KEY,
	Q_INSERT_VERSION,
	Q_INSERT_ENTRIES,
	Q_INSERT_ATTESTATION,
	NUM_QUERIES
};

static RegistryQuery queries[NUM_QUERIES] = {
	/* No row: unknown zone.  NULL set columns: unknown policy set. */
	[Q_SET] = {"SELECT s.owner_type, s.name, "
		"(SELECT st.status FROM keycard.schema_version_states st WHERE st.version = $3) "
		"FROM keycard.zones z LEFT JOIN keycard.policy_sets s "
		"ON s.zone_id = z.zone_id AND s.policy_set_id = $2 "
		"WHERE z.zone_id = $1 FOR SHARE OF z",
	3, {TEXTOID, TEXTOID, TEXTOID}},

	/*
	 * Driven by the manifest: one primary-key probe per entry.  The probe is
	 * a LATERAL subquery (which, locking rows, is planned on its own), so no
	 * statistics can turn the plan around into a scan of every version of
	 * the zone's policies.
	 */
	[Q_ENTRIES] = {"SELECT u.n, x.* FROM unnest($2::text[]) WITH ORDINALITY u(version_id, n), "
		"LATERAL (SELECT pv.policy_id, pv.version, pv.sha, pv.schema_version, "
		"pv.archived_at IS NOT NULL, p.name, p.archived_at IS NOT NULL "
		"FROM keycard.policy_versions pv "
		"JOIN keycard.policies p ON p.zone_id = pv.zone_id AND p.policy_id = pv.policy_id "
		"WHERE pv.zone_id = $1 AND pv.version_id = u.version_id FOR SHARE OF pv, p) x "
		"ORDER BY u.n",
	2, {TEXTOID, TEXTARRAYOID}},

	/*
	 * The number, under the set's row lock: concurrent creators queue on the
	 * row and each re-reads the number its predecessor committed.  An
	 * archived set is refused by the caller (and the transaction with it);
	 * the WHERE clause names only the primary key, so the plan cannot wander
	 * to the partial index of non-archived names.
	 */
	[Q_BUMP] = {"UPDATE keycard.policy_sets SET latest_version = coalesce(latest_version, 0) + 1, "
		"latest_version_id = $3 WHERE zone_id = $1 AND policy_set_id = $2 "
		"RETURNING latest_version, archived_at IS NOT NULL",
	3, {TEXTOID, TEXTOID, TEXTOID}},

	/* keycard.attest */
	[Q_VERSION] = {"SELECT v.policy_set_id, v.version, v.manifest_sha FROM keycard.policy_set_versions v "
		"WHERE v.zone_id = $1 AND v.version_id = $2",
	2, {TEXTOID, TEXTOID}},

	/* The zone's current key (index zone_keys_one_current). */
	[Q_CURRENT_KEY] = {"SELECT k.kid FROM keycard.zone_keys k WHERE k.zone_id = $1 AND k.status = 'current'",
	1, {TEXTOID}},

	[Q_INSERT_VERSION] = {"INSERT INTO keycard.policy_set_versions (zone_id, policy_set_id, version_id, "
		"version, schema_version, manifest, manifest_sha, owner_type, created_at, created_by, request_id) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *",
	11, {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, JSONBOID, TEXTOID, TEXTOID, TIMESTAMPTZOID,
	TEXTOID, TEXTOID}},
	/* Every entry in one statement: position is the array index, from 0. */
	[Q_INSERT_ENTRIES] = {"INSERT INTO keycard.policy_set_version_entries (zone_id, version_id, position, "
		"policy_id, policy_version_id, sha) "
		"SELECT $1, $2, (u.n - 1)::integer, u.policy_id, u.policy_version_id, u.sha "
		"FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY u(policy_id, policy_version_id, sha, n)",
	5, {TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID}},
	[Q_INSERT_ATTESTATION] = {"INSERT INTO keycard.attestations (zone_id, attestation_id, version_id, kid, "
		"status, statement, jws, attested_at, attested_by, request_id) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
	10, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID, TIMESTAMPTZOID, TEXTOID,
	TEXTOID}},
};

/* One manifest entry: what the client sent, then what the registry holds. */
typedef struct ManifestEntry
{
	char	   *policy_id;
	char	   *version_id;
	char	   *client_sha;		/* NULL when absent or null */
	bool		found;
	char	   *actual_policy_id;
	int32		version;
	char	   *sha;
	char	   *schema_version;
	bool		version_archived;
	char	   *policy_name;
	bool		policy_archived;
} ManifestEntry;

static char *
string_of(JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static void
malformed_entry(int n)
{
	registry_error("invalid_manifest",
				   "An entry is {\"policy_id\": string, \"policy_version_id\": string, \"sha\"?: string}.",
				   NULL, "manifest entry %d is malformed", n);
}

static int
compare_by_policy(const void *a, const void *b)
{
	const ManifestEntry *x = *(ManifestEntry *const *) a;
	const ManifestEntry *y = *(ManifestEntry *const *) b;
	int			c = strcmp(x->policy_id, y->policy_id);

	/* Equal ids in entry order (the array is in entry order). */
	return c != 0 ? c : (x < y ? -1 : x > y);
}

/* The first entry (0-based) of entries[0..n) whose policy an earlier entry names, or -1. */
static int
first_repeat(ManifestEntry *entries, int n)
{
	ManifestEntry **sorted = palloc(sizeof(ManifestEntry *) * Max(n, 1));
	int			first = -1;

	for (int i = 0; i < n; i++)
		sorted[i] = &entries[i];
	qsort(sorted, n, sizeof(ManifestEntry *), compare_by_policy);
	for (int i = 1; i < n; i++)
		if (strcmp(sorted[i]->policy_id, sorted[i - 1]->policy_id) == 0 &&
			(first < 0 || sorted[i] - entries < first))
			first = sorted[i] - entries;
	pfree(sorted);
	return first;
}

/*
 * Checks the manifest's shape ({"entries": [...]}, each entry an object with
 * string policy_id and policy_version_id, an optional string or null sha and
 * nothing else, no policy twice) and returns its entries.
 */
static ManifestEntry *
parse_manifest(Jsonb *manifest, int *nentries)
{
	JsonbValue *entries;
	JsonbContainer *arr;
	ManifestEntry *out;
	int			n;
	int			malformed = -1;
	int			repeat;

	if (manifest == NULL || !JB_ROOT_IS_OBJECT(manifest) ||
		(entries = getKeyJsonValueFromContainer(&manifest->root, "entries", 7, NULL)) == NULL ||
		entries->type != jbvBinary || !JsonContainerIsArray(entries->val.binary.data))
		registry_error("invalid_manifest", NULL, NULL,
					   "manifest must be an object with an \"entries\" array");

	/* Members in jsonb's order (as jsonb_object_keys lists them). */
	{
		JsonbIterator *it = JsonbIteratorInit(&manifest->root);
		JsonbValue	v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_KEY &&
				!(v.val.string.len == 7 && memcmp(v.val.string.val, "entries", 7) == 0))
				registry_error("invalid_manifest", NULL, NULL, "unknown manifest field \"%s\"",
							   string_of(&v));
	}

	arr = entries->val.binary.data;
	n = JsonContainerSize(arr);
	out = palloc0(sizeof(ManifestEntry) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(arr, i);
		JsonbContainer *obj;
		JsonbValue *pid;
		JsonbValue *vid;
		JsonbValue *sha;
		int			members;

		CHECK_FOR_INTERRUPTS();
		if (e->type != jbvBinary || !JsonContainerIsObject(e->val.binary.data))
		{
			malformed = i;
			break;
		}
		obj = e->val.binary.data;
		pid = getKeyJsonValueFromContainer(obj, "policy_id", 9, NULL);
		vid = getKeyJsonValueFromContainer(obj, "policy_version_id", 17, NULL);
		sha = getKeyJsonValueFromContainer(obj, "sha", 3, NULL);
		members = (pid != NULL) + (vid != NULL) + (sha != NULL);
		if (pid == NULL || pid->type != jbvString || vid == NULL || vid->type != jbvString ||
			(sha != NULL && sha->type != jbvString && sha->type != jbvNull) ||
			JsonContainerSize(obj) != members)
		{
			malformed = i;
			break;
		}
		out[i].policy_id = string_of(pid);
		out[i].version_id = string_of(vid);
		out[i].client_sha = (sha != NULL && sha->type == jbvString) ? string_of(sha) : NULL;
	}

	/*
	 * Errors in entry order: a policy repeated before the first malformed
	 * entry comes first.  Sorting finds repeats in O(n log n).
	 */
	repeat = first_repeat(out, malformed < 0 ? n : malformed);
	if (repeat >= 0)
		registry_error("invalid_manifest",
					   "A policy set version holds at most one version of each policy.", NULL,
					   "manifest entry %d repeats policy \"%s\"", repeat + 1, out[repeat].policy_id);
	if (malformed >= 0)
		malformed_entry(malformed + 1);
	*nentries = n;
	return out;
}

static Datum
text_array(char **items, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * Reads every entry's policy version and policy (locking both FOR SHARE) and
 * applies the manifest rules in entry order.  SPI connected.
 */
static void
check_entries(text *zone_id, const char *schema_version, ManifestEntry *entries, int n)
{
	char	  **vids = palloc(sizeof(char *) * Max(n, 1));
	Datum		values[2];
	uint64		rows;

	for (int i = 0; i < n; i++)
		vids[i] = entries[i].version_id;
	values[0] = PointerGetDatum(zone_id);
	values[1] = text_array(vids, n);
	rows = n > 0 ? registry_run(&queries[Q_ENTRIES], values, NULL, 0) : 0;
	for (uint64 r = 0; r < rows; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		pos = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		ManifestEntry *e = &entries[pos - 1];

		e->found = true;
		e->actual_policy_id = SPI_getvalue(tup, desc, 2);
		e->version = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		e->sha = SPI_getvalue(tup, desc, 4);
		e->schema_version = SPI_getvalue(tup, desc, 5);
		e->version_archived = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		e->policy_name = SPI_getvalue(tup, desc, 7);
		e->policy_archived = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull));
	}
	for (int i = 0; i < n; i++)
		if (!entries[i].found)
			registry_error("invalid_manifest", NULL, NULL,
						   "manifest entry %d names unknown policy version \"%s\"",
						   i + 1, entries[i].version_id);
	for (int i = 0; i < n; i++)
	{
		ManifestEntry *e = &entries[i];

		if (strcmp(e->actual_policy_id, e->policy_id) != 0)
			registry_error("invalid_manifest", NULL, NULL,
						   "manifest entry %d: policy version \"%s\" does not belong to policy \"%s\"",
						   i + 1, e->version_id, e->policy_id);
		if (e->policy_archived)
			registry_error("archived", NULL, NULL, "manifest entry %d: policy \"%s\" is archived",
						   i + 1, e->policy_name);
		if (e->version_archived)
			registry_error("archived", NULL, NULL,
						   "manifest entry %d: version %d of policy \"%s\" is archived",
						   i + 1, e->version, e->policy_name);
		if (strcmp(e->schema_version, schema_version) != 0)
			registry_error("invalid_manifest",
						   psprintf("Every entry must be validated against schema version \"%s\".",
									schema_version),
						   NULL,
						   "manifest entry %d: version %d of policy \"%s\" was validated against schema version \"%s\"",
						   i + 1, e->version, e->policy_name, e->schema_version);
		if (e->client_sha != NULL && strcmp(e->client_sha, e->sha) != 0)
			registry_error("sha_mismatch",
						   psprintf("The entry says %s but the policy version's sha is %s.",
									e->client_sha, e->sha),
						   NULL, "manifest entry %d: sha does not match the policy version", i + 1);
	}
}

/*
 * The zone's current signing key, or NULL.  Callers hold the zone locked,
 * so no rotation retires it before they commit.  SPI connected.
 */
static char *
current_kid(text *zone_id)
{
	Datum		val = PointerGetDatum(zone_id);

	return registry_run(&queries[Q_CURRENT_KEY], &val, NULL, 1) ? registry_result_text(1) : NULL;
}

/* Appends the manifest {"entries": [...]} in canonical (JCS) form. */
static void
append_manifest(StringInfo buf, ManifestEntry *entries, int n)
{
	appendStringInfoString(buf, "{\"entries\":[");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		/* Members in JCS order: policy_id < policy_version_id < sha. */
		appendStringInfoString(buf, "{\"policy_id\":");
		jcs_append_string(buf, entries[i].actual_policy_id, strlen(entries[i].actual_policy_id));
		appendStringInfoString(buf, ",\"policy_version_id\":");
		jcs_append_string(buf, entries[i].version_id, strlen(entries[i].version_id));
		appendStringInfoString(buf, ",\"sha\":");
		jcs_append_string(buf, entries[i].sha, strlen(entries[i].sha));
		appendStringInfoChar(buf, '}');
	}
	appendStringInfoString(buf, "]}");
}

/* A signed attestation: the statement (canonical JSON) and its JWS. */
typedef struct Attestation
{
	char		id[REGISTRY_ID_LEN + 1];
	TimestampTz attested_at;
	Jsonb	   *statement;
	Jsonb	   *jws;
} Attestation;

/*
 * Builds and signs the AttestationStatement of a policy set version, in
 * canonical form (members in JCS order), attested now by actor with kid.
 */
static void
attest_version(Attestation *a, const char *zone_id, const char *policy_set_id, int32 version,
			   const char *manifest_sha, const char *status, const char *kid, const char *actor)
{
	StringInfoData buf;
	struct pg_tm tm;
	fsec_t		fsec;
	char		when[32];

	a->attested_at = registry_new_id(a->id);
	if (timestamp2tm(a->attested_at, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range");
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fsec / 1000);

	jcs_object_begin(&buf);
	jcs_object_str(&buf, "attested_at", when);
	jcs_object_str(&buf, "attested_by", actor);
	jcs_object_str(&buf, "key_id", kid);
	jcs_object_str(&buf, "manifest_sha", manifest_sha);
	jcs_object_str(&buf, "policy_set_id", policy_set_id);
	jcs_object_int(&buf, "policy_set_version", version);
	jcs_object_str(&buf, "status", status);
	jcs_object_str(&buf, "type", "policy_set_attestation");
	jcs_object_int(&buf, "v", 1);
	jcs_object_str(&buf, "zone_id", zone_id);
	jcs_object_end(&buf);

	/*
	 * The key is read with the active snapshot; take a new one, as a
	 * statement would: the caller's may predate the rotation that made kid
	 * current (READ COMMITTED, after waiting for the zone lock).
	 */
	PushActiveSnapshot(GetTransactionSnapshot());
	a->jws = jws_sign_payload(kid, buf.data, buf.len);
	PopActiveSnapshot();
	a->statement = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/*
 * Appends the attestation to the signature history (SPI connected); the
 * row is the last result.
 */
static void
record_attestation(const Attestation *a, text *zone_id, text *version_id, const char *kid,
				   const char *status, text *actor, text *request_id)
{
	Datum		values[10];
	char		nulls[10];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = PointerGetDatum(zone_id);
	values[1] = CStringGetTextDatum(a->id);
	values[2] = PointerGetDatum(version_id);
	values[3] = CStringGetTextDatum(kid);
	values[4] = CStringGetTextDatum(status);
	values[5] = JsonbPGetDatum(a->statement);
	values[6] = JsonbPGetDatum(a->jws);
	values[7] = TimestampTzGetDatum(a->attested_at);
	values[8] = PointerGetDatum(actor);
	values[9] = PointerGetDatum(request_id);
	nulls[9] = request_id == NULL ? 'n' : ' ';
	registry_run(&queries[Q_INSERT_ATTESTATION], values, nulls, 1);
}

/*
 * Appends the attestation's leaf to the zone's log (SPI connected; after
 * the caller has taken what it needs of the inserted row): it commits to the
 * JWS by the SHA-256 of its canonical form (keycard.zone_log_expected()
 * recomputes it).
 */
static void
log_attestation(const Attestation *a, text *zone_id, text *version_id, const char *kid,
				const char *status)
{
	StringInfoData jws;
	StringInfoData leaf;
	char		jws_sha[65];
	char	   *version = text_to_cstring(version_id);

	initStringInfo(&jws);
	jcs_append_jsonb(&jws, a->jws);
	sha256_hex(jws.data, jws.len, jws_sha);
	jcs_object_begin(&leaf);
	jcs_object_str(&leaf, "attestation_id", a->id);
	jcs_object_str(&leaf, "jws_sha", jws_sha);
	jcs_object_str(&leaf, "kid", kid);
	jcs_object_str(&leaf, "status", status);
	jcs_object_str(&leaf, "type", "attestation");
	jcs_object_str(&leaf, "version_id", version);
	jcs_object_str(&leaf, "zone_id", text_to_cstring(zone_id));
	jcs_object_end(&leaf);
	registry_log_append(zone_id, a->id, "attestation", version, leaf.data, leaf.len);
}

/*
 * SQL function: keycard.create_policy_set_version(zone_id text, policy_set_id text,
 *   manifest jsonb, schema_version text) returns keycard.policy_set_versions
 */
Datum
keycard_create_policy_set_version(PG_FUNCTION_ARGS)
{
	text	   *zone_id = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	text	   *policy_set_id = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	Jsonb	   *manifest = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	char	   *zone_str = zone_id ? text_to_cstring(zone_id) : NULL;
	char	   *schema_version;
	char	   *owner_type;
	char	   *set_name;
	char	   *status;
	char	   *kid;
	ManifestEntry *entries;
	int			n;
	int32		version;
	char		id[REGISTRY_ID_LEN + 1];
	TimestampTz created_at;
	text	   *actor;
	text	   *request_id;
	StringInfoData buf;
	char		manifest_sha[SHA_HEX_LEN + 1];
	Attestation att;
	Datum		values[20];
	char		nulls[20];
	RegistryDetail detail[3];
	bool		zone_found;
	Datum		result;
	char	  **column;

	registry_require_writable("keycard.create_policy_set_version()");
	SPI_connect();

	/* Unknown zones and other callers' zones look alike. */
	memset(nulls, ' ', sizeof(nulls));
	values[0] = PointerGetDatum(zone_id);
	values[1] = PointerGetDatum(policy_set_id);
	values[2] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[1] = policy_set_id ? ' ' : 'n';
	nulls[2] = PG_ARGISNULL(3) ? 'n' : ' ';
	zone_found = zone_id != NULL &&
		registry_zone_visible(VARDATA_ANY(zone_id), VARSIZE_ANY_EXHDR(zone_id)) &&
		registry_run(&queries[Q_SET], values, nulls, 1) > 0;
	if (zone_found)
	{
		owner_type = registry_result_text(1);
		set_name = registry_result_text(2);
		status = registry_result_text(3);
	}
	if (!zone_found)
		registry_error("not_found", "No zone with that id is visible to the caller.", NULL,
					   "zone \"%s\" not found", zone_str ? zone_str : "");
	if (owner_type == NULL)
		registry_error("not_found", NULL, NULL, "policy set \"%s\" not found",
					   policy_set_id ? text_to_cstring(policy_set_id) : "");
	if (strcmp(owner_type, "platform") == 0 && !registry_caller_is_platform())
		registry_error("platform_owned",
					   "Platform-owned policy sets can be read but not changed by customers.", NULL,
					   "policy set \"%s\" is owned by the platform", set_name);
	if (PG_ARGISNULL(3))
		registry_error("invalid_request", NULL, NULL, "schema_version is required");
	schema_version = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (status == NULL)
		registry_error("unknown_schema_version", NULL,
					   "List the zone's policy schemas to see the available versions.",
					   "unknown schema version \"%s\"", schema_version);
	if (strcmp(status, "archived") == 0)
		registry_error("schema_version_archived",
					   "An archived schema version accepts no new policy set versions.",
					   "Use an active schema version.",
					   "schema version \"%s\" is archived", schema_version);

	entries = parse_manifest(manifest, &n);
	check_entries(zone_id, schema_version, entries, n);

	created_at = registry_new_id(id);
	actor = registry_current_actor();
	request_id = registry_client_request_id();

	values[0] = PointerGetDatum(zone_id);
	values[1] = PointerGetDatum(policy_set_id);
	values[2] = CStringGetTextDatum(id);
	version = registry_bump(&queries[Q_BUMP], values, "policy set", set_name);
	kid = current_kid(zone_id);
	if (kid == NULL)
		elog(ERROR, "zone \"%s\" has no current signing key", zone_str);

	initStringInfo(&buf);
	append_manifest(&buf, entries, n);
	sha256_hex(buf.data, buf.len, manifest_sha);
	attest_version(&att, zone_str, text_to_cstring(policy_set_id), version, manifest_sha,
				   "created", kid, text_to_cstring(actor));

	values[3] = Int32GetDatum(version);
	values[4] = CStringGetTextDatum(schema_version);
	values[5] = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	values[6] = CStringGetTextDatum(manifest_sha);
	values[7] = CStringGetTextDatum(owner_type);
	values[8] = TimestampTzGetDatum(created_at);
	values[9] = PointerGetDatum(actor);
	values[10] = PointerGetDatum(request_id);
	memset(nulls, ' ', sizeof(nulls));
	nulls[10] = request_id == NULL ? 'n' : ' ';
	registry_run(&queries[Q_INSERT_VERSION], values, nulls, 1);
	result = registry_result_row(fcinfo, 0, NULL, NULL);

	/* The entries: ($1 zone, $2 version id, policy ids, version ids, shas). */
	values[1] = values[2];
	column = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		column[i] = entries[i].actual_policy_id;
	values[2] = text_array(column, n);
	for (int i = 0; i < n; i++)
		column[i] = entries[i].version_id;
	values[3] = text_array(column, n);
	for (int i = 0; i < n; i++)
		column[i] = entries[i].sha;
	values[4] = text_array(column, n);
	memset(nulls, ' ', sizeof(nulls));
	if (n > 0)
		registry_run(&queries[Q_INSERT_ENTRIES], values, nulls, 0);

	record_attestation(&att, zone_id, DatumGetTextPP(values[1]), kid, "created", actor, request_id);
	log_attestation(&att, zone_id, DatumGetTextPP(values[1]), kid, "created");
	detail[0] = (RegistryDetail) {.key = "policy_set_id", .str = text_to_cstring(policy_set_id)};
	detail[1] = (RegistryDetail) {.key = "version", .is_int = true, .num = version};
	detail[2] = (RegistryDetail) {.key = "manifest_sha", .str = manifest_sha};
	registry_audit(zone_id, "create", "policy_set_version", id, detail, 3);

	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * SQL function: keycard.attest(zone_id text, version_id text, status text)
 *   returns keycard.attestations
 *
 * Internal (key rotation): signs an existing policy set version's statement
 * with the zone's current key and appends it to the signature history.
 */
Datum
keycard_attest(PG_FUNCTION_ARGS)
{
	text	   *zone_id = PG_GETARG_TEXT_PP(0);
	text	   *version_id = PG_GETARG_TEXT_PP(1);
	char	   *status = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *policy_set_id;
	int32		version;
	char	   *manifest_sha;
	char	   *kid;
	bool		isnull;
	text	   *actor;
	text	   *request_id;
	Attestation att;
	Datum		values[2];
	Datum		result;

	registry_require_writable("keycard.attest()");
	SPI_connect();
	values[0] = PointerGetDatum(zone_id);
	values[1] = PointerGetDatum(version_id);
	if (registry_run(&queries[Q_VERSION], values, NULL, 1) == 0)
		elog(ERROR, "policy set version \"%s\" not found", text_to_cstring(version_id));
	policy_set_id = registry_result_text(1);
	version = DatumGetInt32(registry_result(2, &isnull));
	manifest_sha = registry_result_text(3);
	kid = current_kid(zone_id);
	if (kid == NULL)
		elog(ERROR, "zone \"%s\" has no current signing key", text_to_cstring(zone_id));

	actor = registry_current_actor();
	request_id = registry_client_request_id();
	attest_version(&att, text_to_cstring(zone_id), policy_set_id, version, manifest_sha, status,
				   kid, text_to_cstring(actor));

	record_attestation(&att, zone_id, version_id, kid, status, actor, request_id);
	result = registry_result_row(fcinfo, 0, NULL, NULL);
	log_attestation(&att, zone_id, version_id, kid, status);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
