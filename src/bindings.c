/*-------------------------------------------------------------------------
 *
 * bindings.c
 *	  Registry part 2 in C: binding a policy set version in its slot
 *	  (keycard.bind_policy_set_version, activate_policy_set_version,
 *	  shadow_policy_set_version), clearing a shadow binding, and the
 *	  bindings_guard trigger that lets binding rows change only through them.
 *
 * A slot is (zone, scope type, scope target) and holds at most one active and
 * one shadow binding.  A binding change takes transaction advisory locks on
 * its slot and then on its policy set; only then does it read what it
 * checks (set and version not archived, no archived manifest entry, the
 * slot's bindings, the set bound nowhere else).  The archive guards take the
 * locks of every set concerned (keycard.lock_policy_set_bindings) before
 * they read the bindings.  Under READ COMMITTED the later side waits and
 * then reads, with a snapshot taken after the lock, what the other
 * committed.  Under REPEATABLE READ its snapshot may predate the other's
 * commit, so each side also reads with the latest snapshot and fails with a
 * serialization error where the two readings differ.  (The locks write
 * nothing.  A row lock would not serve: one taken by a transaction that has
 * committed is no conflict for a REPEATABLE READ snapshot.)
 *
 * Reads are direct index lookups (primary keys and bindings_policy_set_key,
 * direct_read.c); the binding row is written through SPI with generic plans
 * kept for the life of the backend, so its constraints, foreign keys and
 * triggers apply; the append-only history row goes straight into the heap
 * and its indexes when an INSERT would do no more (direct_write.c), else
 * through INSERT.  The functions run as SECURITY DEFINER with search_path
 * pinned to pg_catalog, so the statements resolve only the extension's
 * objects and built-ins.
 *
 * The guard: while the binding functions write, a backend-local counter is
 * raised (and lowered again on any exit, error included); the trigger lets a
 * row change only then, or when COPY loads it (pg_restore), in which case it
 * checks the row against its policy set version.  A C function pointer on
 * the error context stack cannot be faked by SQL text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/heapam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "commands/copyfrom_internal.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/rls.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "direct_read.h"
#include "direct_write.h"
#include "keycard.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(keycard_bind_policy_set_version);
PG_FUNCTION_INFO_V1(keycard_activate_policy_set_version);
PG_FUNCTION_INFO_V1(keycard_shadow_policy_set_version);
PG_FUNCTION_INFO_V1(keycard_clear_shadow_binding);
PG_FUNCTION_INFO_V1(keycard_bindings_guard);
PG_FUNCTION_INFO_V1(keycard_binding_row_check);
PG_FUNCTION_INFO_V1(keycard_binding_history_row_check);
PG_FUNCTION_INFO_V1(keycard_lock_policy_set_bindings);

/* First keys of the slot's and the set's advisory locks (the second is a hash of the name). */
#define SLOT_LOCK_CLASS 1801675527
#define SET_LOCK_CLASS 1801675528

/* Longest scope target, in characters (the bindings table's CHECK). */
#define MAX_TARGET_CHARS 255

/* > 0 while a binding function writes keycard.bindings. */
static int	bindings_writing = 0;

/* Statements, prepared once per backend. */
enum
{
	Q_ARCHIVED_ENTRIES,
	Q_DELETE_SHADOW,
	Q_UPDATE_BINDING,
	Q_INSERT_BINDING,
	Q_DELETE_SHADOW_OF_SET,
	Q_SET_WITH_BINDING,
	Q_GUARD_ROW,
	NUM_QUERIES
};

typedef struct BindingQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[15];
} BindingQuery;

#define CHANGE_ARGTYPES \
	{TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID, TEXTOID, TEXTOID}

static const BindingQuery queries[NUM_QUERIES] = {
	/* The error path only: which entries are archived. */
	[Q_ARCHIVED_ENTRIES] = {"SELECT format('Archived: %s.', string_agg(format('version %s of policy \"%s\"', pv.version, p.name), ', ' ORDER BY e.position)) "
		"FROM keycard.policy_set_version_entries e "
		"JOIN keycard.policy_versions pv ON pv.zone_id = e.zone_id AND pv.version_id = e.policy_version_id "
		"JOIN keycard.policies p ON p.zone_id = e.zone_id AND p.policy_id = e.policy_id "
		"WHERE e.zone_id = $1 AND e.version_id = $2 AND pv.archived_at IS NOT NULL",
	2, {TEXTOID, TEXTOID}},
	[Q_DELETE_SHADOW] = {"DELETE FROM keycard.bindings b "
		"WHERE b.zone_id = $1 AND b.scope_type = $2 AND b.scope_target_id = $3 AND b.mode = 'shadow'",
	3, {TEXTOID, TEXTOID, TEXTOID}},
	/*
	 * The slot's row by the tid read under the slot's lock: no writer can
	 * have moved it since (under REPEATABLE READ one that committed before
	 * the lock makes the update fail with a serialization error).
	 */
	[Q_UPDATE_BINDING] = {"UPDATE keycard.bindings x SET policy_set_id = $5, version_id = $6, version = $7, "
		"bound_at = $8, bound_by = $9, request_id = $10 "
		"WHERE x.ctid = $11 AND x.zone_id = $1 AND x.scope_type = $2 AND x.scope_target_id = $3 AND x.mode = $4",
	11, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TIDOID}},
	[Q_INSERT_BINDING] = {"INSERT INTO keycard.bindings (zone_id, scope_type, scope_target_id, mode, "
		"policy_set_id, version_id, version, bound_at, bound_by, request_id) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
	10, CHANGE_ARGTYPES},
	[Q_DELETE_SHADOW_OF_SET] = {"DELETE FROM keycard.bindings b "
		"WHERE b.zone_id = $1 AND b.policy_set_id = $2 AND b.mode = 'shadow' "
		"RETURNING b.scope_type, b.scope_target_id, b.version_id, b.version",
	2, {TEXTOID, TEXTOID}},
	[Q_SET_WITH_BINDING] = {"SELECT * FROM keycard.policy_sets_with_binding x "
		"WHERE x.zone_id = $1 AND x.policy_set_id = $2",
	2, {TEXTOID, TEXTOID}},

	/*
	 * A row loaded by COPY: its version belongs to its set, in the set's
	 * scope; neither is archived; the set is bound in no other slot.  The
	 * trigger runs with the loader's search_path, hence the qualified
	 * operators.
	 */
	[Q_GUARD_ROW] = {"SELECT x.policy_set_id OPERATOR(pg_catalog.=) $4 AND x.version OPERATOR(pg_catalog.=) $5 "
		"       AND s.scope_type OPERATOR(pg_catalog.=) $6, "
		"   s.archived_at IS NOT NULL, x.archived_at IS NOT NULL, x.version, s.name, "
		"   o.scope_type, o.scope_target_id, o.version, o.mode "
		"FROM (SELECT) one "
		"LEFT JOIN keycard.policy_set_versions x ON x.zone_id OPERATOR(pg_catalog.=) $1 AND x.version_id OPERATOR(pg_catalog.=) $2 "
		"LEFT JOIN keycard.policy_sets s ON s.zone_id OPERATOR(pg_catalog.=) x.zone_id AND s.policy_set_id OPERATOR(pg_catalog.=) x.policy_set_id "
		"LEFT JOIN LATERAL (SELECT b.scope_type, b.scope_target_id, b.version, b.mode FROM keycard.bindings b "
		"                   WHERE b.zone_id OPERATOR(pg_catalog.=) $1 AND b.policy_set_id OPERATOR(pg_catalog.=) $4 "
		"                   AND ($6 IS NULL OR $3 IS NULL OR NOT (b.scope_type OPERATOR(pg_catalog.=) $6 "
		"                        AND b.scope_target_id OPERATOR(pg_catalog.=) $3)) LIMIT 1) o ON true",
	6, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID}},
};

static SPIPlanPtr plans[NUM_QUERIES];

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

/* Column col (1-based) of row 0 of the last result. */
static Datum
col_datum(int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);
}

static char *
col_cstring(int col)
{
	bool		isnull;
	Datum		d = col_datum(col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Column col of row 0 in its text output form, NULL for null. */
static char *
col_out(int col)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
}

static bool
col_bool(int col)
{
	bool		isnull;
	Datum		d = col_datum(col, &isnull);

	return !isnull && DatumGetBool(d);
}

static Datum
text_datum(const char *s)
{
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* Direct reads ------------------------------------------------------------------ */

/* A table of the extension, opened for reading. */
static Relation
open_table(const char *name)
{
	return table_open(direct_relid(name), AccessShareLock);
}

static bool
is_null(Relation rel, HeapTuple tup, const char *col)
{
	bool		isnull;

	(void) direct_getattr(rel, tup, col, &isnull);
	return isnull;
}

static int32
get_int(Relation rel, HeapTuple tup, const char *col)
{
	bool		isnull;
	Datum		d = direct_getattr(rel, tup, col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

/*
 * Pushes the snapshot the checks read with: taken now (after the locks) under
 * READ COMMITTED, the transaction's under REPEATABLE READ, seeing this
 * transaction's earlier commands either way (as a statement would).
 */
static Snapshot
push_read_snapshot(void)
{
	PushCopiedSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	return GetActiveSnapshot();
}

/* Pushes the latest snapshot (what has committed by now), for cross-checks. */
static Snapshot
push_latest_snapshot(void)
{
	PushCopiedSnapshot(GetLatestSnapshot());
	UpdateActiveSnapshotCommandId();
	return GetActiveSnapshot();
}

/* The error REPEATABLE READ raises when a row it would act on changed since its snapshot. */
static void
serialization_failure(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent update")));
}

/* -------------------------------------------------------------------------------- */

/* Words for a slot in messages: "the zone", or user "u-1". */
static char *
slot_text(const char *scope_type, const char *target)
{
	if (strcmp(scope_type, "zone") == 0)
		return pstrdup("the zone");
	return psprintf("%s \"%s\"", scope_type, target);
}

/* The slot's transaction advisory lock (same keys as every binding change). */
static void
lock_slot(const char *zone_id, const char *scope_type, const char *target)
{
	char	   *key = psprintf("%s/%s/%s", zone_id, scope_type, target);
	int32		h = DatumGetInt32(hash_any((const unsigned char *) key, strlen(key)));

	DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(SLOT_LOCK_CLASS), Int32GetDatum(h));
}

/*
 * The set's transaction advisory lock: every binding change of the set and
 * every archive guard that concerns it takes it before reading, so they
 * serialize (see the file header).
 */
static void
lock_set(const char *zone_id, const char *set_id)
{
	char	   *key = psprintf("%s/%s", zone_id, set_id);
	int32		h = DatumGetInt32(hash_any((const unsigned char *) key, strlen(key)));

	DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(SET_LOCK_CLASS), Int32GetDatum(h));
}

/* The policy set as a binding change needs it. */
typedef struct SetRow
{
	char	   *owner_type;
	char	   *scope_type;
	char	   *name;
	bool		archived;
} SetRow;

/* The set's row (NULL: none), under snap. */
static HeapTuple
read_set_row(Relation rel, const char *zone_id, const char *set_id, Snapshot snap, SetRow *set)
{
	static const char *const set_cols[2] = {"zone_id", "policy_set_id"};
	Datum		key[2] = {CStringGetTextDatum(zone_id), CStringGetTextDatum(set_id)};
	HeapTuple	tup = direct_fetch(rel, RelationGetPrimaryKeyIndex(rel), snap, ForwardScanDirection, 2,
								   set_cols, key);

	if (HeapTupleIsValid(tup))
		set->archived = !is_null(rel, tup, "archived_at");
	return tup;
}

/*
 * Raises not_found unless the zone exists and the caller may use it; checks
 * the mode (NULL: not a bind), then reads the policy set (not_found), and
 * refuses a platform-owned set to customers.  In that order, as the errors
 * are ordered.
 */
static void
read_set(const char *zone_id, const char *set_id, const char *mode, SetRow *set)
{
	static const char *const zone_cols[1] = {"zone_id"};
	Snapshot	snap = push_read_snapshot();
	Relation	rel = open_table("policy_sets");
	HeapTuple	tup = NULL;
	bool		zone_found;

	if (zone_id != NULL && set_id != NULL)
		tup = read_set_row(rel, zone_id, set_id, snap, set);
	/* A set's zone exists (foreign key); look the zone up only when there is no set. */
	zone_found = HeapTupleIsValid(tup);
	if (zone_id != NULL && !zone_found)
	{
		Relation	zones = open_table("zones");

		Datum		key = CStringGetTextDatum(zone_id);

		zone_found = HeapTupleIsValid(direct_fetch(zones, RelationGetPrimaryKeyIndex(zones), snap,
												   ForwardScanDirection, 1, zone_cols, &key));
		table_close(zones, AccessShareLock);
	}
	if (zone_id == NULL || !zone_found || !registry_zone_visible(zone_id, strlen(zone_id)))
		registry_error("not_found", "No zone with that id is visible to the caller.", NULL,
					   "zone \"%s\" not found", zone_id ? zone_id : "");
	if (mode != NULL && strcmp(mode, "active") != 0 && strcmp(mode, "shadow") != 0)
		registry_error("invalid_request", "A version is bound with mode active or shadow; there is no deactivation.",
					   "Activate another version instead.", "invalid binding mode \"%s\"", mode);
	if (!HeapTupleIsValid(tup))
		registry_error("not_found", NULL, NULL, "policy set \"%s\" not found", set_id ? set_id : "");
	set->owner_type = direct_gettext(rel, tup, "owner_type");
	set->scope_type = direct_gettext(rel, tup, "scope_type");
	set->name = direct_gettext(rel, tup, "name");
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	if (strcmp(set->owner_type, "platform") == 0 && !registry_caller_is_platform())
		registry_error("platform_owned", "Platform-owned policy sets can be read but not bound by customers.", NULL,
					   "policy set \"%s\" is owned by the platform", set->name);
}

/* What a slot holds in one mode, or where else a set is bound. */
typedef struct Held
{
	char	   *set_id;			/* NULL: nothing */
	char	   *version_id;
	int32		version;
	char	   *scope_type;
	char	   *target;
	char	   *mode;
	ItemPointerData tid;		/* the binding row (read_slot only) */
} Held;

static void
read_held(Relation rel, HeapTuple tup, Held *h)
{
	h->set_id = direct_gettext(rel, tup, "policy_set_id");
	h->version_id = direct_gettext(rel, tup, "version_id");
	h->version = get_int(rel, tup, "version");
	h->scope_type = direct_gettext(rel, tup, "scope_type");
	h->target = direct_gettext(rel, tup, "scope_target_id");
	h->mode = direct_gettext(rel, tup, "mode");
}

/*
 * Where the set is bound, through bindings_policy_set_key (zone_id,
 * policy_set_id, mode): its first binding in mode (NULL: either), leaving
 * out the slot (scope_type, target) when scope_type is given.  found->mode
 * is NULL when there is none.
 */
static void
find_set_binding(const char *zone_id, const char *set_id, const char *mode,
				 const char *scope_type, const char *target, Snapshot snap, Held *found)
{
	static const char *const cols[3] = {"zone_id", "policy_set_id", "mode"};
	Datum		key[3] = {CStringGetTextDatum(zone_id), CStringGetTextDatum(set_id),
	mode ? CStringGetTextDatum(mode) : (Datum) 0};
	Relation	rel = open_table("bindings");
	Oid			index = direct_relid("bindings_policy_set_key");
	ScanKeyData keys[3];
	SysScanDesc scan;
	HeapTuple	tup;

	memset(found, 0, sizeof(Held));
	scan = direct_scan_begin(rel, index, snap, mode ? 3 : 2, cols, key, keys);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Held		h;

		read_held(rel, tup, &h);
		if (scope_type == NULL || strcmp(h.scope_type, scope_type) != 0 || strcmp(h.target, target) != 0)
		{
			*found = h;
			break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* A binding_history row; from and to may each be absent (set id NULL). */
typedef struct HistoryRow
{
	const char *zone_id;
	const char *event_id;
	TimestampTz occurred_at;
	text	   *actor;
	text	   *request_id;		/* may be NULL */
	const char *action;
	const char *scope_type;
	const char *target;
	const char *mode;
	const char *from_set;
	const char *from_id;
	int32		from_version;
	const char *to_set;
	const char *to_id;
	int32		to_version;
} HistoryRow;

/* binding_history's columns, in the order of record_history's values. */
static const char *const history_cols[] = {
	"zone_id", "event_id", "occurred_at", "actor", "request_id", "action", "scope_type",
	"scope_target_id", "mode", "from_policy_set_id", "from_version_id", "from_version",
	"to_policy_set_id", "to_version_id", "to_version"
};
static const Oid history_types[] = {
	TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, INT4OID, TEXTOID, TEXTOID, INT4OID
};
static DirectWriteTarget history_target = {"binding_history", lengthof(history_cols), history_cols,
history_types};

static bool history_row_ok(text *action, text *mode, text *from, text *to);

/*
 * Appends a binding_history row (SPI connected), straight into the heap and
 * its indexes when that is all an INSERT would do (direct_write.c).  The
 * table has no foreign key.
 */
static void
record_history(const HistoryRow *h)
{
	Datum		v[lengthof(history_cols)];
	bool		n[lengthof(history_cols)] = {false};

	v[0] = CStringGetTextDatum(h->zone_id);
	v[1] = CStringGetTextDatum(h->event_id);
	v[2] = TimestampTzGetDatum(h->occurred_at);
	v[3] = PointerGetDatum(h->actor);
	v[4] = PointerGetDatum(h->request_id);
	n[4] = h->request_id == NULL;
	v[5] = CStringGetTextDatum(h->action);
	v[6] = CStringGetTextDatum(h->scope_type);
	v[7] = CStringGetTextDatum(h->target);
	v[8] = CStringGetTextDatum(h->mode);
	v[9] = text_datum(h->from_set);
	v[10] = text_datum(h->from_id);
	v[11] = Int32GetDatum(h->from_version);
	if (h->from_set == NULL)
		n[9] = n[10] = n[11] = true;
	v[12] = text_datum(h->to_set);
	v[13] = text_datum(h->to_id);
	v[14] = Int32GetDatum(h->to_version);
	if (h->to_set == NULL)
		n[12] = n[13] = n[14] = true;
	direct_insert(&history_target, v, n, 0);
}

/*
 * Runs fn(arg) as a binding function's write: the guard lets binding rows
 * change only meanwhile.
 */
static void
as_writer(void (*fn) (void *), void *arg)
{
	bindings_writing++;
	PG_TRY();
	{
		fn(arg);
	}
	PG_FINALLY();
	{
		bindings_writing--;
	}
	PG_END_TRY();
}

/* A binding change, checked and ready to be written. */
typedef struct BindingChange
{
	const char *zone_id;
	const char *set_id;
	const char *set_name;
	const char *version_id;
	int32		version;
	const char *scope_type;
	const char *target;
	const char *mode;
	Held		active;			/* what the slot holds now */
	Held		shadow;
} BindingChange;

/*
 * Writes a binding change (under as_writer): the slot's row in its mode
 * (inserted, or updated from the previous binding, which is so demoted) with
 * its history row; a promotion first empties the shadow slot, recorded too.
 */
static void
write_binding(void *arg)
{
	BindingChange *c = (BindingChange *) arg;
	bool		is_active = strcmp(c->mode, "active") == 0;
	Held	   *prev = is_active ? &c->active : &c->shadow;
	char		event_id[REGISTRY_ID_LEN + 1];
	HistoryRow	h;
	Datum		w[11];
	char		wn[11];

	memset(&h, 0, sizeof(h));
	h.zone_id = c->zone_id;
	h.event_id = event_id;
	h.occurred_at = registry_new_id(event_id);
	h.actor = registry_current_actor();
	h.request_id = registry_client_request_id();
	h.action = is_active ? "activate" : "bind_shadow";
	h.scope_type = c->scope_type;
	h.target = c->target;

	memset(wn, ' ', sizeof(wn));
	w[0] = CStringGetTextDatum(c->zone_id);
	w[1] = CStringGetTextDatum(c->scope_type);
	w[2] = CStringGetTextDatum(c->target);
	w[3] = CStringGetTextDatum(c->mode);
	w[4] = CStringGetTextDatum(c->set_id);
	w[5] = CStringGetTextDatum(c->version_id);
	w[6] = Int32GetDatum(c->version);
	w[7] = TimestampTzGetDatum(h.occurred_at);	/* bound_at: the first event's time */
	w[8] = PointerGetDatum(h.actor);
	w[9] = PointerGetDatum(h.request_id);
	wn[9] = h.request_id ? ' ' : 'n';
	w[10] = PointerGetDatum(&prev->tid);

	if (is_active && c->shadow.version_id && strcmp(c->version_id, c->shadow.version_id) == 0)
	{
		/* Promotion: the shadow slot empties and the version becomes active. */
		h.action = "promote";
		h.mode = "shadow";
		h.from_set = c->set_id;
		h.from_id = c->version_id;
		h.from_version = c->version;
		run(Q_DELETE_SHADOW, w, NULL, 0);
		record_history(&h);
		/* The removal took the first id (bound_at is its time); the change gets the next. */
		h.occurred_at = registry_new_id(event_id);
	}
	if (run(prev->version_id == NULL ? Q_INSERT_BINDING : Q_UPDATE_BINDING, w, wn, 0) != 1)
	{
		if (prev->version_id == NULL)
		{
			/*
			 * Only a REPEATABLE READ caller that read the empty slot before a
			 * concurrent binding committed gets here.
			 */
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not bind version %d of policy set \"%s\": the slot changed concurrently",
							c->version, c->set_name),
					 errhint("Retry the transaction.")));
		}
		elog(ERROR, "binding of the slot vanished while its lock was held");
	}
	h.mode = c->mode;
	h.from_set = prev->set_id;
	h.from_id = prev->version_id;
	h.from_version = prev->version;
	h.to_set = c->set_id;
	h.to_id = c->version_id;
	h.to_version = c->version;
	record_history(&h);
}

/* The index column of rel's attribute att in index (1-based). */
static int
index_column(Relation index, AttrNumber att)
{
	for (int j = 0; j < IndexRelationGetNumberOfKeyAttributes(index); j++)
		if (index->rd_index->indkey.values[j] == att)
			return j + 1;
	elog(ERROR, "column %d is not in index \"%s\"", att, RelationGetRelationName(index));
	return 0;					/* keep the compiler quiet */
}

/*
 * True if a policy version the set version's manifest references is
 * archived: the entries through their primary key prefix, then each policy
 * version through its primary key, one index scan rescanned per entry.
 */
static bool
has_archived_entries(const char *zone_id, const char *version_id, Snapshot snap)
{
	static const char *const entry_cols[2] = {"zone_id", "version_id"};
	Datum		entry_key[2] = {CStringGetTextDatum(zone_id), CStringGetTextDatum(version_id)};
	Relation	entries = open_table("policy_set_version_entries");
	Relation	versions = open_table("policy_versions");
	Relation	pkey = index_open(RelationGetPrimaryKeyIndex(versions), AccessShareLock);
	AttrNumber	pv_attnum = direct_attnum(entries, "policy_version_id");
	AttrNumber	archived_attnum = direct_attnum(versions, "archived_at");
	int			zone_col = index_column(pkey, direct_attnum(versions, "zone_id"));
	int			id_col = index_column(pkey, direct_attnum(versions, "version_id"));
	IndexScanDesc pv_scan = index_beginscan(versions, pkey, snap, 2, 0);
	TupleTableSlot *pv = table_slot_create(versions, NULL);
	ScanKeyData keys[2];
	ScanKeyData pv_keys[2];
	SysScanDesc scan = direct_scan_begin(entries, RelationGetPrimaryKeyIndex(entries), snap, 2,
										 entry_cols, entry_key, keys);
	HeapTuple	tup;
	bool		found = false;

	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, pv_attnum, RelationGetDescr(entries), &isnull);

		if (isnull)
			continue;
		ScanKeyInit(&pv_keys[0], zone_col, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(zone_id));
		pv_keys[0].sk_collation = pkey->rd_indcollation[zone_col - 1];
		ScanKeyInit(&pv_keys[1], id_col, BTEqualStrategyNumber, F_TEXTEQ, d);
		pv_keys[1].sk_collation = pkey->rd_indcollation[id_col - 1];
		index_rescan(pv_scan, pv_keys, 2, NULL, 0);
		if (index_getnext_slot(pv_scan, ForwardScanDirection, pv))
		{
			(void) slot_getattr(pv, archived_attnum, &isnull);
			found = !isnull;
		}
	}
	systable_endscan(scan);
	index_endscan(pv_scan);
	ExecDropSingleTupleTableSlot(pv);
	index_close(pkey, AccessShareLock);
	table_close(versions, AccessShareLock);
	table_close(entries, AccessShareLock);
	return found;
}

/* The slot's active and shadow bindings (bindings' primary key prefix). */
static void
read_slot(const char *zone_id, const char *scope_type, const char *target, Snapshot snap,
		  Held *active, Held *shadow)
{
	static const char *const cols[3] = {"zone_id", "scope_type", "scope_target_id"};
	Datum		key[3] = {CStringGetTextDatum(zone_id), CStringGetTextDatum(scope_type),
	CStringGetTextDatum(target)};
	Relation	rel = open_table("bindings");
	ScanKeyData keys[3];
	SysScanDesc scan = direct_scan_begin(rel, RelationGetPrimaryKeyIndex(rel), snap, 3, cols, key, keys);
	HeapTuple	tup;

	memset(active, 0, sizeof(Held));
	memset(shadow, 0, sizeof(Held));
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Held		h;

		read_held(rel, tup, &h);
		h.tid = tup->t_self;
		if (strcmp(h.mode, "active") == 0)
			*active = h;
		else
			*shadow = h;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * The version as keycard.policy_set_versions_with_binding: its columns, then
 * active, mode and scope_target_id.
 */
static HeapTuple
version_with_binding(Relation rel, HeapTuple version, TupleDesc result_desc, bool active,
					 const char *mode, const char *target)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			n = result_desc->natts;
	Datum	   *row = palloc(desc->natts * sizeof(Datum));
	bool	   *row_nulls = palloc(desc->natts * sizeof(bool));
	Datum	   *values = palloc(n * sizeof(Datum));
	bool	   *nulls = palloc(n * sizeof(bool));
	int			j = 0;

	heap_deform_tuple(version, desc, row, row_nulls);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (a->attisdropped)
			continue;
		if (j >= n - 3 || TupleDescAttr(result_desc, j)->atttypid != a->atttypid)
			elog(ERROR, "keycard.policy_set_versions_with_binding does not match keycard.policy_set_versions");
		values[j] = row[i];
		nulls[j] = row_nulls[i];
		j++;
	}
	if (j != n - 3)
		elog(ERROR, "keycard.policy_set_versions_with_binding does not match keycard.policy_set_versions");
	values[j] = BoolGetDatum(active);
	values[j + 1] = CStringGetTextDatum(mode);
	values[j + 2] = CStringGetTextDatum(target);
	nulls[j] = nulls[j + 1] = nulls[j + 2] = false;
	return heap_form_tuple(result_desc, values, nulls);
}

/* What a binding change checks, read under one snapshot. */
typedef struct BindState
{
	bool		set_archived;
	HeapTuple	result;			/* the version as the function returns it; NULL: no such version */
	int32		version;
	bool		version_archived;
	bool		archived_entries;
	Held		active;			/* the slot's bindings */
	Held		shadow;
	Held		other;			/* a binding of the set in another slot */
} BindState;

/*
 * Reads what a binding change checks (the result tuple in result_cxt), under
 * the snapshot a statement would read with now, or with latest the latest
 * snapshot (the REPEATABLE READ cross-check).
 */
static void
read_state(const BindingChange *c, MemoryContext result_cxt, TupleDesc result_desc, bool latest,
		   BindState *st)
{
	static const char *const version_cols[2] = {"zone_id", "version_id"};
	Snapshot	snap = latest ? push_latest_snapshot() : push_read_snapshot();
	Relation	rel;
	HeapTuple	tup;
	SetRow		now;

	memset(st, 0, sizeof(BindState));
	memset(&now, 0, sizeof(now));
	rel = open_table("policy_sets");
	if (read_set_row(rel, c->zone_id, c->set_id, snap, &now) == NULL)
		elog(ERROR, "policy set \"%s\" vanished", c->set_id);
	table_close(rel, AccessShareLock);
	st->set_archived = now.archived;

	rel = open_table("policy_set_versions");
	tup = NULL;
	if (c->version_id != NULL)
	{
		Datum		key[2] = {CStringGetTextDatum(c->zone_id), CStringGetTextDatum(c->version_id)};

		tup = direct_fetch(rel, RelationGetPrimaryKeyIndex(rel), snap, ForwardScanDirection, 2,
						   version_cols, key);
	}
	if (HeapTupleIsValid(tup))
	{
		char	   *owner = direct_gettext(rel, tup, "policy_set_id");

		if (owner != NULL && strcmp(owner, c->set_id) == 0)
		{
			MemoryContext old = MemoryContextSwitchTo(result_cxt);

			st->version = get_int(rel, tup, "version");
			st->version_archived = !is_null(rel, tup, "archived_at");
			st->result = version_with_binding(rel, tup, result_desc, strcmp(c->mode, "active") == 0,
											  c->mode, c->target);
			MemoryContextSwitchTo(old);
		}
	}
	table_close(rel, AccessShareLock);

	if (st->result != NULL)
	{
		st->archived_entries = has_archived_entries(c->zone_id, c->version_id, snap);
		read_slot(c->zone_id, c->scope_type, c->target, snap, &st->active, &st->shadow);
		/*
		 * A zone-scope set has one slot: its scope type never changes and
		 * its bindings' target is the zone (the CHECK).
		 */
		if (strcmp(c->scope_type, "zone") == 0)
			memset(&st->other, 0, sizeof(Held));
		else
			find_set_binding(c->zone_id, c->set_id, NULL, c->scope_type, c->target, snap, &st->other);
	}
	PopActiveSnapshot();
}

/* NULL-safe string equality. */
static bool
same_text(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

/* True if two readings agree on everything a binding change checks. */
static bool
same_state(const BindState *a, const BindState *b)
{
	return a->set_archived == b->set_archived &&
		(a->result == NULL) == (b->result == NULL) &&
		a->version_archived == b->version_archived &&
		a->archived_entries == b->archived_entries &&
		same_text(a->active.version_id, b->active.version_id) &&
		same_text(a->shadow.version_id, b->shadow.version_id) &&
		same_text(a->other.mode, b->other.mode) &&
		same_text(a->other.version_id, b->other.version_id);
}

/*
 * Raises the error a binding change meets, in the order the checks are
 * documented; returns true if the version is already bound so (nothing to
 * do).
 */
static bool
check_state(const BindingChange *c, const BindState *st)
{
	bool		is_active = strcmp(c->mode, "active") == 0;

	if (st->result == NULL)
		registry_error("not_found", NULL, NULL, "policy set version \"%s\" not found",
					   c->version_id ? c->version_id : "");
	if (st->set_archived)
		registry_error("archived", "An archived policy set cannot be bound.", NULL,
					   "policy set \"%s\" is archived", c->set_name);
	if (st->version_archived)
		registry_error("archived", "An archived version cannot be bound.", "Bind a version that is not archived.",
					   "version %d of policy set \"%s\" is archived", st->version, c->set_name);
	if (st->archived_entries)
	{
		Datum		args[2] = {CStringGetTextDatum(c->zone_id), CStringGetTextDatum(c->version_id)};

		run(Q_ARCHIVED_ENTRIES, args, NULL, 1);
		registry_error("archived", col_cstring(1), "Create a policy set version without them and bind that one.",
					   "version %d of policy set \"%s\" references archived policy versions",
					   st->version, c->set_name);
	}
	{
		const Held *same = is_active ? &st->active : &st->shadow;

		if (same->version_id && strcmp(c->version_id, same->version_id) == 0)
			return true;
		if (!is_active && st->active.version_id && strcmp(c->version_id, st->active.version_id) == 0)
			registry_error("bound", "A version is never active and shadow at once.", NULL,
						   "version %d of policy set \"%s\" is active", st->version, c->set_name);
	}
	/* A set lives in one slot: PolicySetWithBinding has one scope_target_id. */
	if (st->other.mode)
		registry_error("bound", psprintf("Its version %d is bound %s there; a policy set is bound in one slot at a time.",
										 st->other.version, st->other.mode),
					   "Bind another policy set to this slot.",
					   "policy set \"%s\" is bound to %s", c->set_name, slot_text(st->other.scope_type, st->other.target));
	return false;
}

/*
 * Binds a policy set version in its slot; the result is the version as
 * keycard.policy_set_versions_with_binding.
 *
 * The checks read after the slot's and the set's advisory locks: under READ
 * COMMITTED with a snapshot taken then, which sees whatever a binding change
 * or archive that held the locks before committed; under REPEATABLE READ
 * with the transaction's snapshot, cross-checked against the latest one, so
 * that a change committed since the snapshot is a serialization error rather
 * than missed.
 */
static Datum
bind_version(FunctionCallInfo fcinfo, const char *zone_id, const char *set_id,
			 const char *version_id, const char *mode, const char *target)
{
	MemoryContext caller_cxt = CurrentMemoryContext;
	TupleDesc	result_desc;
	SetRow		set;
	BindingChange c;
	BindState	st;

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (mode == NULL)
		mode = "null";			/* refused by read_set, as the message says */
	read_set(zone_id, set_id, mode, &set);

	/* The slot: the zone itself, else the given target, else where the set is bound. */
	if (strcmp(set.scope_type, "zone") == 0)
	{
		if (target != NULL && strcmp(target, zone_id) != 0)
			registry_error("invalid_request", psprintf("Policy set \"%s\" has scope zone.", set.name),
						   "Omit scope_target_id.",
						   "scope_target_id of a zone-scope policy set is the zone id");
		target = zone_id;
	}
	else if (target == NULL)
	{
		Held		bound;

		find_set_binding(zone_id, set_id, NULL, NULL, NULL, push_read_snapshot(), &bound);
		PopActiveSnapshot();
		target = bound.target;
		if (target == NULL)
			registry_error("invalid_request",
						   psprintf("Policy set \"%s\" has scope %s and is not bound yet.", set.name, set.scope_type),
						   psprintf("Name the %s the version is bound for.", set.scope_type),
						   "scope_target_id is required for scope %s", set.scope_type);
	}
	else
	{
		int			chars = pg_mbstrlen_with_len(target, strlen(target));

		if (chars < 1 || chars > MAX_TARGET_CHARS)
			registry_error("invalid_request", NULL, NULL, "scope_target_id must have 1 to %d characters",
						   MAX_TARGET_CHARS);
	}

	c.zone_id = zone_id;
	c.set_id = set_id;
	c.set_name = set.name;
	c.version_id = version_id;
	c.scope_type = set.scope_type;
	c.target = target;
	c.mode = mode;

	lock_slot(zone_id, set.scope_type, target);
	lock_set(zone_id, set_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	read_state(&c, caller_cxt, result_desc, false, &st);
	if (IsolationUsesXactSnapshot())
	{
		BindState	now;

		read_state(&c, caller_cxt, result_desc, true, &now);
		if (!same_state(&st, &now))
			serialization_failure();
	}
	if (!check_state(&c, &st))
	{
		c.version = st.version;
		c.active = st.active;
		c.shadow = st.shadow;
		as_writer(write_binding, &c);
	}
	/* (else already so: nothing changes, nothing is recorded) */
	SPI_finish();
	return HeapTupleGetDatum(st.result);
}

static const char *
arg_cstring(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* SQL function: keycard.bind_policy_set_version(zone_id, policy_set_id, version_id, mode, scope_target_id) */
Datum
keycard_bind_policy_set_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(bind_version(fcinfo, arg_cstring(fcinfo, 0), arg_cstring(fcinfo, 1),
								 arg_cstring(fcinfo, 2), arg_cstring(fcinfo, 3),
								 arg_cstring(fcinfo, 4)));
}

/* SQL function: keycard.activate_policy_set_version(zone_id, policy_set_id, version_id, scope_target_id) */
Datum
keycard_activate_policy_set_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(bind_version(fcinfo, arg_cstring(fcinfo, 0), arg_cstring(fcinfo, 1),
								 arg_cstring(fcinfo, 2), "active", arg_cstring(fcinfo, 3)));
}

/* SQL function: keycard.shadow_policy_set_version(zone_id, policy_set_id, version_id, scope_target_id) */
Datum
keycard_shadow_policy_set_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(bind_version(fcinfo, arg_cstring(fcinfo, 0), arg_cstring(fcinfo, 1),
								 arg_cstring(fcinfo, 2), "shadow", arg_cstring(fcinfo, 3)));
}

/* The set's shadow binding, as it is once the locks are held, removed and recorded (under as_writer). */
static void
clear_shadow(void *arg)
{
	Datum	   *args = (Datum *) arg;

	if (run(Q_DELETE_SHADOW_OF_SET, args, NULL, 0) == 1)
	{
		char	   *scope_type = col_cstring(1);
		char	   *target = col_cstring(2);
		char	   *version_id = col_cstring(3);
		bool		isnull;
		int32		version = DatumGetInt32(col_datum(4, &isnull));
		char		event_id[REGISTRY_ID_LEN + 1];
		TimestampTz ts = registry_new_id(event_id);

		HistoryRow	h;

		memset(&h, 0, sizeof(h));
		h.zone_id = TextDatumGetCString(args[0]);
		h.event_id = event_id;
		h.occurred_at = ts;
		h.actor = registry_current_actor();
		h.request_id = registry_client_request_id();
		h.action = "clear_shadow";
		h.scope_type = scope_type;
		h.target = target;
		h.mode = "shadow";
		h.from_set = TextDatumGetCString(args[1]);
		h.from_id = version_id;
		h.from_version = version;
		record_history(&h);
	}
}

/* SQL function: keycard.clear_shadow_binding(zone_id, policy_set_id) returns keycard.policy_sets_with_binding */
Datum
keycard_clear_shadow_binding(PG_FUNCTION_ARGS)
{
	const char *zone_id = arg_cstring(fcinfo, 0);
	const char *set_id = arg_cstring(fcinfo, 1);
	SetRow		set;
	Held		shadow;
	Datum		args[2];
	Datum		d;

	read_set(zone_id, set_id, NULL, &set);
	find_set_binding(zone_id, set_id, "shadow", NULL, NULL, push_read_snapshot(), &shadow);
	PopActiveSnapshot();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = CStringGetTextDatum(zone_id);
	args[1] = CStringGetTextDatum(set_id);
	if (shadow.mode)
	{
		lock_slot(zone_id, shadow.scope_type, shadow.target);
		lock_set(zone_id, set_id);
		as_writer(clear_shadow, args);
	}
	run(Q_SET_WITH_BINDING, args, NULL, 1);
	d = PointerGetDatum(SPI_returntuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc));
	SPI_finish();
	PG_RETURN_DATUM(d);
}

/* The tids of the set's bindings under snap, in index order (n set to their count). */
static ItemPointerData *
set_binding_tids(Relation rel, Oid index, const char *zone_id, const char *set_id, Snapshot snap, int *n)
{
	static const char *const cols[2] = {"zone_id", "policy_set_id"};
	Datum		key[2] = {CStringGetTextDatum(zone_id), CStringGetTextDatum(set_id)};
	ScanKeyData keys[2];
	SysScanDesc scan = direct_scan_begin(rel, index, snap, 2, cols, key, keys);
	HeapTuple	tup;
	int			size = 4;
	ItemPointerData *tids = palloc(size * sizeof(ItemPointerData));

	*n = 0;
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		if (*n == size)
			tids = repalloc(tids, (size *= 2) * sizeof(ItemPointerData));
		tids[(*n)++] = tup->t_self;
	}
	systable_endscan(scan);
	return tids;
}

static int
compare_cstrings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * SQL function: keycard.lock_policy_set_bindings(zone_id, policy_set_ids) returns void
 *
 * What an archive guard does before it looks at bindings: takes the advisory
 * lock of each set (in id order), so a binding change of those sets finishes
 * first; under REPEATABLE READ it then fails with a serialization error if
 * the sets' bindings changed since the transaction's snapshot, which the
 * guard's reads would otherwise miss.
 */
Datum
keycard_lock_policy_set_bindings(PG_FUNCTION_ARGS)
{
	char	   *zone_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *ids = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	  **sets;
	int			nsets = 0;

	deconstruct_array(ids, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	sets = palloc(Max(n, 1) * sizeof(char *));
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			sets[nsets++] = TextDatumGetCString(elems[i]);
	qsort(sets, nsets, sizeof(char *), compare_cstrings);
	for (int i = 0; i < nsets; i++)
		if (i == 0 || strcmp(sets[i], sets[i - 1]) != 0)
			lock_set(zone_id, sets[i]);

	if (IsolationUsesXactSnapshot())
	{
		Relation	rel = open_table("bindings");
		Oid			index = direct_relid("bindings_policy_set_key");

		for (int i = 0; i < nsets; i++)
		{
			int			na;
			int			nb;
			ItemPointerData *a = set_binding_tids(rel, index, zone_id, sets[i], push_read_snapshot(), &na);
			ItemPointerData *b;

			PopActiveSnapshot();
			b = set_binding_tids(rel, index, zone_id, sets[i], push_latest_snapshot(), &nb);
			PopActiveSnapshot();
			if (na != nb || memcmp(a, b, na * sizeof(ItemPointerData)) != 0)
				serialization_failure();
		}
		table_close(rel, AccessShareLock);
	}
	PG_RETURN_VOID();
}

/* True when the trigger fires for a row that COPY FROM is loading. */
static bool
loading_by_copy(Relation rel)
{
	ErrorContextCallback *e = error_context_stack;

	return e != NULL && e->callback == CopyFromErrorCallback &&
		((CopyFromState) e->arg)->rel == rel;
}

/* Checks a row that COPY loads, as the binding functions check theirs. */
static void
check_loaded_row(Relation rel, HeapTuple row, const char *rule)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	static const char *const cols[6] = {"zone_id", "version_id", "scope_target_id", "policy_set_id", "version", "scope_type"};
	char	   *other_mode;

	for (int i = 0; i < 6; i++)
	{
		bool		isnull;
		int			n = SPI_fnumber(desc, cols[i]);

		if (n <= 0)
			elog(ERROR, "column \"%s\" missing from keycard.bindings", cols[i]);
		args[i] = heap_getattr(row, n, desc, &isnull);
		nulls[i] = isnull ? 'n' : ' ';
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run(Q_GUARD_ROW, args, nulls, 1);
	if (!col_bool(1))
		registry_error("invalid_request",
					   psprintf("Rule %s: policy_set_id, version and scope_type must be those of the bound version and its set.", rule),
					   NULL, "binding does not match its policy set version");
	if (col_bool(2))
		registry_error("archived", "An archived policy set cannot be bound.", NULL,
					   "policy set \"%s\" is archived", col_cstring(5));
	if (col_bool(3))
		registry_error("archived", "An archived version cannot be bound.", "Bind a version that is not archived.",
					   "version %s of policy set \"%s\" is archived", col_out(4), col_cstring(5));
	other_mode = col_cstring(9);
	if (other_mode)
		registry_error("bound", psprintf("Its version %s is bound %s there; a policy set is bound in one slot at a time.",
										 col_out(8), other_mode),
					   "Bind another policy set to this slot.",
					   "policy set \"%s\" is bound to %s", col_cstring(5), slot_text(col_cstring(6), col_cstring(7)));
	SPI_finish();
}

/* Text of a column of a binding row. */
static char *
row_text(Relation rel, HeapTuple row, const char *col)
{
	bool		isnull;
	Datum		d = heap_getattr(row, SPI_fnumber(RelationGetDescr(rel), col), RelationGetDescr(rel), &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * SQL function: keycard.bindings_guard() returns trigger
 *
 * Binding rows change only inside the binding functions (or are loaded by
 * COPY, checked); an active binding is never removed; a row's slot and mode
 * never change; the table is never truncated.
 */
Datum
keycard_bindings_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	const char *rule;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "keycard.bindings_guard() must be called as a trigger");
	rule = td->tg_trigger->tgname;
	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		registry_error("immutable",
					   psprintf("Rule %s: bindings change only through the binding functions, and a slot that had an active binding keeps one.", rule),
					   NULL, "keycard.bindings cannot be truncated");
	if (!TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BEFORE(td->tg_event))
		elog(ERROR, "keycard.bindings_guard() must fire before each row or before truncate");

	if (bindings_writing == 0)
	{
		if (TRIGGER_FIRED_BY_INSERT(td->tg_event) && loading_by_copy(td->tg_relation))
			check_loaded_row(td->tg_relation, td->tg_trigtuple, rule);
		else
			registry_error("immutable",
						   psprintf("Rule %s: every binding change is checked and recorded in keycard.binding_history.", rule),
						   "Use keycard.activate_policy_set_version, keycard.shadow_policy_set_version or keycard.clear_shadow_binding.",
						   "rows of keycard.bindings change only through the binding functions");
	}
	if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		char	   *mode = row_text(td->tg_relation, td->tg_trigtuple, "mode");

		if (mode && strcmp(mode, "active") == 0)
			registry_error("invalid_request", psprintf("Rule %s: a slot that had an active binding always keeps one.", rule),
						   "Activate another version instead.", "an active binding cannot be removed");
		return PointerGetDatum(td->tg_trigtuple);
	}
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		static const char *const slot_cols[4] = {"zone_id", "scope_type", "scope_target_id", "mode"};

		for (int i = 0; i < 4; i++)
		{
			char	   *o = row_text(td->tg_relation, td->tg_trigtuple, slot_cols[i]);
			char	   *n = row_text(td->tg_relation, td->tg_newtuple, slot_cols[i]);

			if ((o == NULL) != (n == NULL) || (o && strcmp(o, n) != 0))
				registry_error("immutable",
							   psprintf("Rule %s: zone_id, scope_type, scope_target_id and mode are fixed when the row is created.", rule),
							   NULL, "the slot and mode of a binding cannot change");
		}
		return PointerGetDatum(td->tg_newtuple);
	}
	return PointerGetDatum(td->tg_trigtuple);
}

/* True if the text datum equals the C string s (bytes: the column collations are deterministic). */
static bool
text_is(text *t, const char *s)
{
	size_t		len = strlen(s);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

/*
 * SQL function: keycard.binding_row_check(zone_id, scope_type, scope_target_id, mode) returns boolean
 *
 * The CHECK of keycard.bindings: scope_type is zone, resource, user or
 * session; scope_target_id has 1 to 255 characters and is the zone id for
 * zone scope; mode is active or shadow.  One C call instead of four
 * expressions, because PostgreSQL rebuilds every CHECK expression from its
 * stored form at the start of each statement that writes the table.
 */
Datum
keycard_binding_row_check(PG_FUNCTION_ARGS)
{
	text	   *zone_id = PG_GETARG_TEXT_PP(0);
	text	   *scope_type = PG_GETARG_TEXT_PP(1);
	text	   *target = PG_GETARG_TEXT_PP(2);
	text	   *mode = PG_GETARG_TEXT_PP(3);
	int			chars = pg_mbstrlen_with_len(VARDATA_ANY(target), VARSIZE_ANY_EXHDR(target));
	bool		zone = text_is(scope_type, "zone");

	PG_RETURN_BOOL((zone || text_is(scope_type, "resource") || text_is(scope_type, "user") ||
					text_is(scope_type, "session")) &&
				   chars >= 1 && chars <= MAX_TARGET_CHARS &&
				   (text_is(mode, "active") || text_is(mode, "shadow")) &&
				   (!zone || (VARSIZE_ANY_EXHDR(target) == VARSIZE_ANY_EXHDR(zone_id) &&
							  memcmp(VARDATA_ANY(target), VARDATA_ANY(zone_id), VARSIZE_ANY_EXHDR(target)) == 0)));
}

/*
 * SQL function: keycard.binding_history_row_check(action, mode, from_version_id, to_version_id) returns boolean
 *
 * The CHECK of keycard.binding_history: action is activate, promote,
 * bind_shadow or clear_shadow; mode is active or shadow; a change has a from
 * or a to version, and they differ.  Null action or mode passes, as a CHECK
 * does (the columns are NOT NULL).
 */
Datum
keycard_binding_history_row_check(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(history_row_ok(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0),
								  PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1),
								  PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2),
								  PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3)));
}

/* The rules of keycard.binding_history_row_check (NULL: SQL null). */
static bool
history_row_ok(text *action, text *mode, text *from, text *to)
{
	if (action && !(text_is(action, "activate") || text_is(action, "promote") ||
					text_is(action, "bind_shadow") || text_is(action, "clear_shadow")))
		return false;
	if (mode && !(text_is(mode, "active") || text_is(mode, "shadow")))
		return false;
	if (from == NULL && to == NULL)
		return false;
	if (from && to && VARSIZE_ANY_EXHDR(from) == VARSIZE_ANY_EXHDR(to) &&
		memcmp(VARDATA_ANY(from), VARDATA_ANY(to), VARSIZE_ANY_EXHDR(from)) == 0)
		return false;
	return true;
}
