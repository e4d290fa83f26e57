/*-------------------------------------------------------------------------
 *
 * registry_set_version.c
 *	  keycard.create_policy_set_version: a policy set's next version from a
 *	  manifest of policy versions, with its manifest_sha and an attestation
 *	  signed by the zone's current key; and keycard.attest, which signs an
 *	  existing version again (key rotation).
 *
 * Order of work, all in the caller's transaction (nothing is written unless
 * everything succeeds):
 *   1. the zone (locked FOR KEY SHARE: a key rotation takes it FOR UPDATE, so
 *	    no version is signed with a key that a concurrent rotation retires),
 *	    the policy set and the schema version's status;
 *   2. the manifest's shape, entry by entry;
 *   3. every referenced policy version with its policy, locked FOR SHARE (an
 *	    archive of either waits for us, and we see an archive that committed
 *	    first);
 *   4. the next number under the policy set's row lock (the UPDATE of its
 *	    latest_version), and the zone's current key;
 *   5. manifest, manifest_sha and the signed statement, in C;
 *   6. the version, its entry rows, the attestation and the audit record,
 *	    written directly (direct_write.c).
 *
 * Steps 1 and 3 read by index and lock rows as their statements (Q_SET,
 * Q_ENTRIES) would (direct_read.c), step 4 updates the set's row as Q_BUMP
 * would (direct_write.c); the statements run instead when row-level
 * security, privileges or the tables' triggers need them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "canon.h"
#include "direct_write.h"
#include "direct_read.h"
#include "jws.h"
#include "keycard.h"
#include "registry.h"
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
	NUM_QUERIES
};

static RegistryQuery queries[NUM_QUERIES] = {
	/* No row: unknown zone.  NULL set columns: unknown policy set. */
	[Q_SET] = {"SELECT s.owner_type, s.name, "
		"(SELECT st.status FROM keycard.schema_version_states st WHERE st.version = $3) "
		"FROM keycard.zones z LEFT JOIN keycard.policy_sets s "
		"ON s.zone_id = z.zone_id AND s.policy_set_id = $2 "
		"WHERE z.zone_id = $1 FOR KEY SHARE OF z",
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

	/* The zone's current key, when current_kid cannot read it directly. */
	[Q_CURRENT_KEY] = {"SELECT k.kid FROM keycard.zone_keys k WHERE k.zone_id = $1 AND k.status = 'current'",
	1, {TEXTOID}},
};

/* The set's bump (registry_bump): the columns it sets. */
static const char *const bump_cols[] = {"latest_version", "latest_version_id"};
static const Oid bump_types[] = {INT4OID, TEXTOID};
static DirectWriteTarget bump_target = {"policy_sets", lengthof(bump_cols), bump_cols, bump_types};

/* The rows written, directly. */
static const char *const set_version_cols[] = {
	"zone_id", "policy_set_id", "version_id", "version", "schema_version", "manifest",
	"manifest_sha", "owner_type", "created_at", "created_by", "request_id"
};
static const Oid set_version_types[] = {
	TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, JSONBOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID,
	TEXTOID
};
static DirectWriteTarget set_version_target = {"policy_set_versions", lengthof(set_version_cols),
set_version_cols, set_version_types};
static const char *const entry_cols[] = {
	"zone_id", "version_id", "position", "policy_id", "policy_version_id", "sha"
};
static const Oid entry_types[] = {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID};
static DirectWriteTarget entry_target = {"policy_set_version_entries", lengthof(entry_cols), entry_cols,
entry_types};
static const char *const attestation_cols[] = {
	"zone_id", "attestation_id", "version_id", "kid", "status", "statement", "jws", "attested_at",
	"attested_by", "request_id"
};
static const Oid attestation_types[] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID, TIMESTAMPTZOID, TEXTOID, TEXTOID
};
static DirectWriteTarget attestation_target = {"attestations", lengthof(attestation_cols),
attestation_cols, attestation_types};

static const char *const set_key[] = {"zone_id", "policy_set_id"};

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
			malformed_entry(i + 1);
		obj = e->val.binary.data;
		pid = getKeyJsonValueFromContainer(obj, "policy_id", 9, NULL);
		vid = getKeyJsonValueFromContainer(obj, "policy_version_id", 17, NULL);
		sha = getKeyJsonValueFromContainer(obj, "sha", 3, NULL);
		members = (pid != NULL) + (vid != NULL) + (sha != NULL);
		if (pid == NULL || pid->type != jbvString || vid == NULL || vid->type != jbvString ||
			(sha != NULL && sha->type != jbvString && sha->type != jbvNull) ||
			JsonContainerSize(obj) != members)
			malformed_entry(i + 1);
		out[i].policy_id = string_of(pid);
		out[i].version_id = string_of(vid);
		out[i].client_sha = (sha != NULL && sha->type == jbvString) ? string_of(sha) : NULL;
		for (int j = 0; j < i; j++)
			if (strcmp(out[j].policy_id, out[i].policy_id) == 0)
				registry_error("invalid_manifest",
							   "A policy set version holds at most one version of each policy.", NULL,
							   "manifest entry %d repeats policy \"%s\"", i + 1, out[i].policy_id);
	}
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
 * Opens the tables for direct reads (direct_read_open with lockmode), or
 * opens none and returns false when a statement must read one of them.
 */
static bool
open_tables(int n, const char *const *names, LOCKMODE lockmode, Relation *rels)
{
	for (int i = 0; i < n; i++)
	{
		rels[i] = direct_read_open(names[i], lockmode);
		if (rels[i] == NULL)
		{
			while (--i >= 0)
				table_close(rels[i], lockmode);
			return false;
		}
	}
	return true;
}

static void
close_tables(int n, Relation *rels, LOCKMODE lockmode)
{
	for (int i = 0; i < n; i++)
		table_close(rels[i], lockmode);
}

/*
 * What Q_SET reads, read by index as that statement would: the zone locked
 * FOR KEY SHARE, the policy set and the schema version's status under a
 * snapshot taken now.  False if a statement must read it; else *zone_found
 * and, for a known set, its owner_type and name (NULL for an unknown set),
 * and the status (NULL: unknown schema version).
 */
static bool
read_set(text *zone_id, text *policy_set_id, Datum schema_version, bool schema_null,
		 bool *zone_found, char **owner_type, char **name, char **status)
{
	static const char *const tables[] = {"zones", "policy_sets"};
	static const char *const zone_key[] = {"zone_id"};
	Relation	rels[2];
	Datum		vals[2] = {PointerGetDatum(zone_id), PointerGetDatum(policy_set_id)};
	HeapTuple	zone;
	HeapTuple	set = NULL;
	bool		ok = true;

	if (!open_tables(2, tables, RowShareLock, rels))
		return false;
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	*status = NULL;
	*owner_type = *name = NULL;
	if (!schema_null)
		ok = registry_schema_status(schema_version, status);
	zone = ok ? direct_fetch(rels[0], RelationGetPrimaryKeyIndex(rels[0]), GetActiveSnapshot(),
							 ForwardScanDirection, 1, zone_key, vals) : NULL;
	if (zone != NULL)
		zone = direct_lock(rels[0], zone, LockTupleKeyShare);
	if (zone != NULL && policy_set_id != NULL)
		set = direct_fetch(rels[1], RelationGetPrimaryKeyIndex(rels[1]), GetActiveSnapshot(),
						   ForwardScanDirection, 2, set_key, vals);
	PopActiveSnapshot();
	*zone_found = zone != NULL;
	if (set != NULL)
	{
		*owner_type = direct_gettext(rels[1], set, "owner_type");
		*name = direct_gettext(rels[1], set, "name");
	}
	close_tables(2, rels, RowShareLock);
	return ok;
}

/*
 * What Q_ENTRIES reads, read by index as that statement would: per entry,
 * in manifest order, the policy version and its policy, each locked FOR
 * SHARE (their columns read from the versions locked).  False if a
 * statement must read them.
 */
static bool
read_entries(text *zone_id, ManifestEntry *entries, int n)
{
	static const char *const tables[] = {"policy_versions", "policies"};
	static const char *const version_key[] = {"zone_id", "version_id"};
	static const char *const policy_key[] = {"zone_id", "policy_id"};
	Relation	rels[2];
	Relation	pv;
	Relation	p;

	if (!open_tables(2, tables, RowShareLock, rels))
		return false;
	pv = rels[0];
	p = rels[1];
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	for (int i = 0; i < n; i++)
	{
		ManifestEntry *e = &entries[i];
		Datum		vals[2] = {PointerGetDatum(zone_id), CStringGetTextDatum(e->version_id)};
		HeapTuple	vt;
		HeapTuple	pt = NULL;
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		vt = direct_fetch(pv, RelationGetPrimaryKeyIndex(pv), GetActiveSnapshot(), ForwardScanDirection,
						  2, version_key, vals);
		if (vt != NULL)
		{
			vals[1] = direct_getattr(pv, vt, "policy_id", &isnull);
			pt = direct_fetch(p, RelationGetPrimaryKeyIndex(p), GetActiveSnapshot(), ForwardScanDirection,
							  2, policy_key, vals);
		}
		if (pt != NULL)
		{
			vt = direct_lock(pv, vt, LockTupleShare);
			pt = vt ? direct_lock(p, pt, LockTupleShare) : NULL;
		}
		if (vt == NULL || pt == NULL)
			continue;
		e->found = true;
		e->actual_policy_id = direct_gettext(pv, vt, "policy_id");
		e->version = DatumGetInt32(direct_getattr(pv, vt, "version", &isnull));
		e->sha = direct_gettext(pv, vt, "sha");
		e->schema_version = direct_gettext(pv, vt, "schema_version");
		(void) direct_getattr(pv, vt, "archived_at", &isnull);
		e->version_archived = !isnull;
		e->policy_name = direct_gettext(p, pt, "name");
		(void) direct_getattr(p, pt, "archived_at", &isnull);
		e->policy_archived = !isnull;
	}
	PopActiveSnapshot();
	close_tables(2, rels, RowShareLock);
	return true;
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

	if (read_entries(zone_id, entries, n))
		rows = 0;
	else
	{
		for (int i = 0; i < n; i++)
			vids[i] = entries[i].version_id;
		values[0] = PointerGetDatum(zone_id);
		values[1] = text_array(vids, n);
		rows = n > 0 ? registry_run(&queries[Q_ENTRIES], values, NULL, 0) : 0;
	}
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
 * The zone's current signing key, by its index of one current key per zone
 * (Q_CURRENT_KEY when a statement must read it), under a snapshot taken
 * now.  Callers hold the zone locked, so no rotation retires it before they
 * commit.  SPI connected.
 */
static char *
current_kid(text *zone_id)
{
	static const char *const key[] = {"zone_id"};
	Relation	rel = direct_read_open("zone_keys", AccessShareLock);
	Datum		val = PointerGetDatum(zone_id);
	HeapTuple	tup;
	char	   *kid;

	if (rel == NULL)
		return registry_run(&queries[Q_CURRENT_KEY], &val, NULL, 1) ? registry_result_text(1) : NULL;
	PushActiveSnapshot(GetTransactionSnapshot());
	tup = direct_fetch(rel, direct_relid("zone_keys_one_current"), GetActiveSnapshot(),
					   ForwardScanDirection, 1, key, &val);
	PopActiveSnapshot();
	kid = tup ? direct_gettext(rel, tup, "kid") : NULL;
	table_close(rel, AccessShareLock);
	return kid;
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

static void
append_member(StringInfo buf, const char *key, const char *value)
{
	appendStringInfo(buf, ",\"%s\":", key);
	jcs_append_string(buf, value, strlen(value));
}

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

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"attested_at\":");
	jcs_append_string(&buf, when, strlen(when));
	append_member(&buf, "attested_by", actor);
	append_member(&buf, "key_id", kid);
	append_member(&buf, "manifest_sha", manifest_sha);
	append_member(&buf, "policy_set_id", policy_set_id);
	appendStringInfo(&buf, ",\"policy_set_version\":%d", version);
	append_member(&buf, "status", status);
	appendStringInfoString(&buf, ",\"type\":\"policy_set_attestation\",\"v\":1");
	append_member(&buf, "zone_id", zone_id);
	appendStringInfoChar(&buf, '}');

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
 * Appends the attestation to the signature history (SPI connected); returns
 * the row when flags ask for it.  attestations has no foreign key.
 */
static Datum
record_attestation(const Attestation *a, text *zone_id, text *version_id, const char *kid,
				   const char *status, text *actor, text *request_id, int flags)
{
	Datum		values[lengthof(attestation_cols)];
	bool		nulls[lengthof(attestation_cols)] = {false};

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
	nulls[9] = request_id == NULL;
	return direct_insert(&attestation_target, values, nulls, flags);
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
	bool		vnulls[lengthof(set_version_cols)];
	text	   *version_id;
	RegistryDetail detail[3];
	bool		zone_found;
	Datum		result;

	SPI_connect();

	/* Unknown zones and other callers' zones look alike. */
	memset(nulls, ' ', sizeof(nulls));
	values[0] = PointerGetDatum(zone_id);
	values[1] = PointerGetDatum(policy_set_id);
	values[2] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[1] = policy_set_id ? ' ' : 'n';
	nulls[2] = PG_ARGISNULL(3) ? 'n' : ' ';
	if (zone_id == NULL || !registry_zone_visible(VARDATA_ANY(zone_id), VARSIZE_ANY_EXHDR(zone_id)))
		zone_found = false;
	else if (!read_set(zone_id, policy_set_id, values[2], PG_ARGISNULL(3), &zone_found, &owner_type,
					   &set_name, &status))
	{
		zone_found = registry_run(&queries[Q_SET], values, nulls, 1) > 0;
		if (zone_found)
		{
			owner_type = registry_result_text(1);
			set_name = registry_result_text(2);
			status = registry_result_text(3);
		}
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
	version = registry_bump(&bump_target, set_key, &queries[Q_BUMP], values, "policy set", set_name);
	kid = current_kid(zone_id);
	if (kid == NULL)
		elog(ERROR, "zone \"%s\" has no current signing key", zone_str);

	initStringInfo(&buf);
	append_manifest(&buf, entries, n);
	sha256_hex(buf.data, buf.len, manifest_sha);
	attest_version(&att, zone_str, text_to_cstring(policy_set_id), version, manifest_sha,
				   "created", kid, text_to_cstring(actor));

	memset(vnulls, false, sizeof(vnulls));
	values[3] = Int32GetDatum(version);
	values[4] = CStringGetTextDatum(schema_version);
	values[5] = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	values[6] = CStringGetTextDatum(manifest_sha);
	values[7] = CStringGetTextDatum(owner_type);
	values[8] = TimestampTzGetDatum(created_at);
	values[9] = PointerGetDatum(actor);
	values[10] = PointerGetDatum(request_id);
	vnulls[10] = request_id == NULL;

	/*
	 * The foreign key's row (the policy set) is locked FOR UPDATE by the bump
	 * above until this transaction ends, and its key is the version's.
	 */
	result = direct_insert(&set_version_target, values, vnulls,
						   DIRECT_INSERT_FK_LOCKED | DIRECT_INSERT_RETURN);

	/* policy_set_version_entries has no foreign key. */
	memset(vnulls, false, sizeof(vnulls));
	values[1] = values[2];
	for (int i = 0; i < n; i++)
	{
		values[2] = Int32GetDatum(i);
		values[3] = CStringGetTextDatum(entries[i].actual_policy_id);
		values[4] = CStringGetTextDatum(entries[i].version_id);
		values[5] = CStringGetTextDatum(entries[i].sha);
		direct_insert(&entry_target, values, vnulls, 0);
	}
	version_id = DatumGetTextPP(values[1]);

	record_attestation(&att, zone_id, version_id, kid, "created", actor, request_id, 0);
	detail[0] = (RegistryDetail) {.key = "policy_set_id", .str = text_to_cstring(policy_set_id)};
	detail[1] = (RegistryDetail) {.key = "version", .is_int = true, .num = version};
	detail[2] = (RegistryDetail) {.key = "manifest_sha", .str = manifest_sha};
	registry_audit(zone_id, actor, request_id, "create", "policy_set_version", id,
				   detail, 3);

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

	result = record_attestation(&att, zone_id, version_id, kid, status, actor, request_id,
								DIRECT_INSERT_RETURN);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
