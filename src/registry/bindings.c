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
 * commit, so each side also reads with the latest snapshot
 * (SPI_execute_snapshot) and fails with a serialization error where the two
 * readings differ.  (The locks write nothing.  A row lock would not serve:
 * one taken by a transaction that has committed is no conflict for a
 * REPEATABLE READ snapshot, and an empty slot has no row to lock.)
 *
 * Every read and write is a statement with a plan kept for the life of the
 * backend, run by the executor, so constraints, foreign keys, triggers,
 * row-level security, publications and read-only transactions apply.  The
 * functions run as SECURITY DEFINER with search_path pinned to pg_catalog,
 * so the statements resolve only the extension's objects and built-ins.
 *
 * The guard: while the binding functions write, a backend-local counter is
 * raised (and lowered again on any exit, error included); the trigger lets a
 * row change only then, in a logical replication apply worker (the
 * publisher checked the change), or when COPY loads it (pg_restore), in
 * which case it checks the row against its policy set version.  A C
 * function pointer on the error context stack cannot be faked by SQL text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "replication/logicalworker.h"
#include "storage/itemptr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "canon.h"
#include "keycard.h"
#include "registry/registry.h"

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
	Q_ZONE,
	Q_SET,
	Q_SET_BINDING,
	Q_STATE,
	Q_VERSION_ROW,
	Q_ARCHIVED_ENTRIES,
	Q_DELETE_SHADOW,
	Q_UPDATE_BINDING,
	Q_INSERT_BINDING,
	Q_INSERT_HISTORY,
	Q_DELETE_SHADOW_OF_SET,
	Q_SET_WITH_BINDING,
	Q_SET_BINDING_TIDS,
	Q_GUARD_ROW,
	NUM_QUERIES
};

static RegistryQuery queries[NUM_QUERIES] = {
	[Q_ZONE] = {"SELECT 1 FROM keycard.zones z WHERE z.zone_id = $1", 1, {TEXTOID}},
	[Q_SET] = {"SELECT s.owner_type, s.scope_type, s.name FROM keycard.policy_sets s "
		"WHERE s.zone_id = $1 AND s.policy_set_id = $2",
	2, {TEXTOID, TEXTOID}},

	/*
	 * Where the set is bound: its first binding (active before shadow) in
	 * mode $3 (NULL: either), leaving out the slot ($4, $5) when $4 is given.
	 */
	[Q_SET_BINDING] = {"SELECT b.policy_set_id, b.version_id, b.version, b.scope_type, b.scope_target_id, b.mode "
		"FROM keycard.bindings b WHERE b.zone_id = $1 AND b.policy_set_id = $2 "
		"AND ($3::text IS NULL OR b.mode = $3) "
		"AND ($4::text IS NULL OR NOT (b.scope_type = $4 AND b.scope_target_id = $5)) "
		"ORDER BY b.mode LIMIT 1",
	5, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}},

	/*
	 * What a binding change of version $3 of set $2 in slot ($4, $5) checks:
	 * the set archived; the version (of this set), its number, archived, any
	 * archived entry; the slot's active and shadow bindings; a binding of
	 * the set in another slot (none for zone scope: one slot).
	 */
	[Q_STATE] = {"SELECT s.archived_at IS NOT NULL, "
		"v.version_id IS NOT NULL, v.version, v.archived_at IS NOT NULL, "
		"v.version_id IS NOT NULL AND EXISTS (SELECT 1 FROM keycard.policy_set_version_entries e "
		"  JOIN keycard.policy_versions pv ON pv.zone_id = e.zone_id AND pv.version_id = e.policy_version_id "
		"  WHERE e.zone_id = $1 AND e.version_id = $3 AND pv.archived_at IS NOT NULL), "
		"a.policy_set_id, a.version_id, a.version, a.ctid, "
		"h.policy_set_id, h.version_id, h.version, h.ctid, "
		"o.policy_set_id, o.version_id, o.version, o.scope_type, o.scope_target_id, o.mode "
		"FROM keycard.policy_sets s "
		"LEFT JOIN keycard.policy_set_versions v "
		"  ON v.zone_id = s.zone_id AND v.version_id = $3 AND v.policy_set_id = s.policy_set_id "
		"LEFT JOIN keycard.bindings a ON a.zone_id = s.zone_id AND a.scope_type = $4 "
		"  AND a.scope_target_id = $5 AND a.mode = 'active' "
		"LEFT JOIN keycard.bindings h ON h.zone_id = s.zone_id AND h.scope_type = $4 "
		"  AND h.scope_target_id = $5 AND h.mode = 'shadow' "
		"LEFT JOIN LATERAL (SELECT b.policy_set_id, b.version_id, b.version, b.scope_type, b.scope_target_id, b.mode "
		"  FROM keycard.bindings b WHERE b.zone_id = s.zone_id AND b.policy_set_id = s.policy_set_id "
		"  AND $4 <> 'zone' AND NOT (b.scope_type = $4 AND b.scope_target_id = $5) "
		"  ORDER BY b.mode LIMIT 1) o ON true "
		"WHERE s.zone_id = $1 AND s.policy_set_id = $2",
	5, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}},
	[Q_VERSION_ROW] = {"SELECT v.* FROM keycard.policy_set_versions v WHERE v.zone_id = $1 AND v.version_id = $2",
	2, {TEXTOID, TEXTOID}},

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
	10, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID, TEXTOID, TEXTOID}},
	[Q_INSERT_HISTORY] = {"INSERT INTO keycard.binding_history (zone_id, event_id, occurred_at, actor, "
		"request_id, action, scope_type, scope_target_id, mode, from_policy_set_id, from_version_id, "
		"from_version, to_policy_set_id, to_version_id, to_version) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
	15, {TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, INT4OID, TEXTOID, TEXTOID, INT4OID}},
	[Q_DELETE_SHADOW_OF_SET] = {"DELETE FROM keycard.bindings b "
		"WHERE b.zone_id = $1 AND b.policy_set_id = $2 AND b.mode = 'shadow' "
		"RETURNING b.scope_type, b.scope_target_id, b.version_id, b.version",
	2, {TEXTOID, TEXTOID}},
	[Q_SET_WITH_BINDING] = {"SELECT * FROM keycard.policy_sets_with_binding x "
		"WHERE x.zone_id = $1 AND x.policy_set_id = $2",
	2, {TEXTOID, TEXTOID}},
	/* The set's binding rows (versions of rows, by tid): what the cross-check compares. */
	[Q_SET_BINDING_TIDS] = {"SELECT pg_catalog.array_agg(b.ctid ORDER BY b.ctid)::text FROM keycard.bindings b "
		"WHERE b.zone_id = $1 AND b.policy_set_id = $2",
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

/* Runs query q (SPI connected); returns SPI_processed. */
static uint64
run(int q, Datum *values, const char *nulls, long count)
{
	return registry_run(&queries[q], values, nulls, count);
}

static bool
col_bool(int col)
{
	bool		isnull;
	Datum		d = registry_result(col, &isnull);

	return !isnull && DatumGetBool(d);
}

static int32
col_int(int col)
{
	bool		isnull;
	Datum		d = registry_result(col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

static Datum
text_datum(const char *s)
{
	return s ? CStringGetTextDatum(s) : (Datum) 0;
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
} SetRow;

/*
 * Raises not_found unless the zone exists and the caller may use it; checks
 * the mode (NULL: not a bind), then reads the policy set (not_found), and
 * refuses a platform-owned set to customers.  In that order, as the errors
 * are ordered.  SPI connected.
 */
static void
read_set(const char *zone_id, const char *set_id, const char *mode, SetRow *set)
{
	Datum		key[2] = {text_datum(zone_id), text_datum(set_id)};
	bool		found = false;
	bool		zone_found;

	if (zone_id != NULL && set_id != NULL)
		found = run(Q_SET, key, NULL, 1) == 1;
	if (found)
	{
		set->owner_type = registry_result_text(1);
		set->scope_type = registry_result_text(2);
		set->name = registry_result_text(3);
	}
	/* A set's zone exists (foreign key); look the zone up only when there is no set. */
	zone_found = found || (zone_id != NULL && run(Q_ZONE, key, NULL, 1) == 1);
	if (!zone_found || !registry_zone_visible(zone_id, strlen(zone_id)))
		registry_error("not_found", "No zone with that id is visible to the caller.", NULL,
					   "zone \"%s\" not found", zone_id ? zone_id : "");
	if (mode != NULL && strcmp(mode, "active") != 0 && strcmp(mode, "shadow") != 0)
		registry_error("invalid_request", "A version is bound with mode active or shadow; there is no deactivation.",
					   "Activate another version instead.", "invalid binding mode \"%s\"", mode);
	if (!found)
		registry_error("not_found", NULL, NULL, "policy set \"%s\" not found", set_id ? set_id : "");
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
	ItemPointerData tid;		/* the binding row (the slot's bindings only) */
} Held;

/*
 * Where the set is bound: its first binding in mode (NULL: either), leaving
 * out the slot (scope_type, target) when scope_type is given.  found->mode
 * is NULL when there is none.  SPI connected.
 */
static void
find_set_binding(const char *zone_id, const char *set_id, const char *mode,
				 const char *scope_type, const char *target, Held *found)
{
	Datum		key[5] = {text_datum(zone_id), text_datum(set_id), text_datum(mode),
	text_datum(scope_type), text_datum(target)};
	char		nulls[5] = {' ', ' ', mode ? ' ' : 'n', scope_type ? ' ' : 'n', target ? ' ' : 'n'};

	memset(found, 0, sizeof(Held));
	if (run(Q_SET_BINDING, key, nulls, 1) == 1)
	{
		found->set_id = registry_result_text(1);
		found->version_id = registry_result_text(2);
		found->version = col_int(3);
		found->scope_type = registry_result_text(4);
		found->target = registry_result_text(5);
		found->mode = registry_result_text(6);
	}
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

static bool history_row_ok(text *action, text *mode, text *from, text *to);

/* Appends a binding_history row (SPI connected). */
static void
record_history(const HistoryRow *h)
{
	Datum		v[15];
	char		n[15];

	memset(n, ' ', sizeof(n));
	v[0] = CStringGetTextDatum(h->zone_id);
	v[1] = CStringGetTextDatum(h->event_id);
	v[2] = TimestampTzGetDatum(h->occurred_at);
	v[3] = PointerGetDatum(h->actor);
	v[4] = PointerGetDatum(h->request_id);
	n[4] = h->request_id == NULL ? 'n' : ' ';
	v[5] = CStringGetTextDatum(h->action);
	v[6] = CStringGetTextDatum(h->scope_type);
	v[7] = CStringGetTextDatum(h->target);
	v[8] = CStringGetTextDatum(h->mode);
	v[9] = text_datum(h->from_set);
	v[10] = text_datum(h->from_id);
	v[11] = Int32GetDatum(h->from_version);
	if (h->from_set == NULL)
		n[9] = n[10] = n[11] = 'n';
	v[12] = text_datum(h->to_set);
	v[13] = text_datum(h->to_id);
	v[14] = Int32GetDatum(h->to_version);
	if (h->to_set == NULL)
		n[12] = n[13] = n[14] = 'n';
	run(Q_INSERT_HISTORY, v, n, 0);

	/* The change's leaf in the zone's log (keycard.zone_log_expected() recomputes it). */
	{
		StringInfoData leaf;

		jcs_object_begin(&leaf);
		jcs_object_str(&leaf, "action", h->action);
		jcs_object_str(&leaf, "actor", text_to_cstring(h->actor));
		jcs_object_str(&leaf, "event_id", h->event_id);
		jcs_object_str(&leaf, "from_version_id", h->from_set ? h->from_id : NULL);
		jcs_object_str(&leaf, "mode", h->mode);
		jcs_object_str(&leaf, "scope_target_id", h->target);
		jcs_object_str(&leaf, "scope_type", h->scope_type);
		jcs_object_str(&leaf, "to_version_id", h->to_set ? h->to_id : NULL);
		jcs_object_str(&leaf, "type", "binding_change");
		jcs_object_str(&leaf, "zone_id", h->zone_id);
		jcs_object_end(&leaf);
		registry_log_append((text *) DatumGetPointer(v[0]), h->event_id, "binding_change", h->event_id,
							leaf.data, leaf.len);
	}
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

/* What a binding change checks, read under one snapshot. */
typedef struct BindState
{
	bool		set_archived;
	bool		version_found;	/* false: no such version of the set */
	int32		version;
	bool		version_archived;
	bool		archived_entries;
	Held		active;			/* the slot's bindings */
	Held		shadow;
	Held		other;			/* a binding of the set in another slot */
} BindState;

/* Columns first.. of Q_STATE's row: a binding's set, version id, number (and tid). */
static void
state_held(int first, bool with_tid, Held *h)
{
	bool		isnull;
	Datum		tid;

	memset(h, 0, sizeof(Held));
	h->set_id = registry_result_text(first);
	h->version_id = registry_result_text(first + 1);
	h->version = col_int(first + 2);
	if (with_tid && h->set_id != NULL)
	{
		tid = registry_result(first + 3, &isnull);
		ItemPointerCopy((ItemPointer) DatumGetPointer(tid), &h->tid);
	}
}

/*
 * Reads what a binding change checks (Q_STATE), with the snapshot a
 * statement takes now, or with latest the latest snapshot (the REPEATABLE
 * READ cross-check).  SPI connected.
 */
static void
read_state(const BindingChange *c, bool latest, BindState *st)
{
	Datum		key[5] = {text_datum(c->zone_id), text_datum(c->set_id), text_datum(c->version_id),
	text_datum(c->scope_type), text_datum(c->target)};
	char		nulls[5] = {' ', ' ', c->version_id ? ' ' : 'n', ' ', ' '};
	uint64		rows = latest ? registry_run_latest(&queries[Q_STATE], key, nulls, 1)
		: run(Q_STATE, key, nulls, 1);

	if (rows != 1)
		elog(ERROR, "policy set \"%s\" vanished", c->set_id);
	memset(st, 0, sizeof(BindState));
	st->set_archived = col_bool(1);
	st->version_found = col_bool(2);
	st->version = col_int(3);
	st->version_archived = col_bool(4);
	st->archived_entries = col_bool(5);
	state_held(6, true, &st->active);
	state_held(10, true, &st->shadow);
	state_held(14, false, &st->other);
	st->other.scope_type = registry_result_text(17);
	st->other.target = registry_result_text(18);
	st->other.mode = registry_result_text(19);
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
		a->version_found == b->version_found &&
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

	if (!st->version_found)
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
		registry_error("archived", registry_result_text(1), "Create a policy set version without them and bind that one.",
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
bind_version(FunctionCallInfo fcinfo, const char *function, const char *zone_id, const char *set_id,
			 const char *version_id, const char *mode, const char *target)
{
	SetRow		set;
	BindingChange c;
	BindState	st;
	Datum		extra[3];
	bool		extra_nulls[3] = {false, false, false};
	Datum		result;

	registry_require_writable(function);
	if (mode == NULL)
		mode = "null";			/* refused by read_set, as the message says */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
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

		find_set_binding(zone_id, set_id, NULL, NULL, NULL, &bound);
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
	read_state(&c, false, &st);
	if (IsolationUsesXactSnapshot())
	{
		BindState	now;

		read_state(&c, true, &now);
		if (!same_state(&st, &now))
			serialization_failure();
	}

	/* The version as keycard.policy_set_versions_with_binding, as read now. */
	if (st.version_found)
	{
		Datum		key[2] = {CStringGetTextDatum(zone_id), CStringGetTextDatum(version_id)};

		if (run(Q_VERSION_ROW, key, NULL, 1) != 1)
			elog(ERROR, "policy set version \"%s\" vanished", version_id);
		extra[0] = BoolGetDatum(strcmp(mode, "active") == 0);
		extra[1] = CStringGetTextDatum(mode);
		extra[2] = CStringGetTextDatum(target);
		result = registry_result_row(fcinfo, 3, extra, extra_nulls);
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
	return result;
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
	PG_RETURN_DATUM(bind_version(fcinfo, "keycard.bind_policy_set_version()",
								 arg_cstring(fcinfo, 0), arg_cstring(fcinfo, 1),
								 arg_cstring(fcinfo, 2), arg_cstring(fcinfo, 3),
								 arg_cstring(fcinfo, 4)));
}

/* SQL function: keycard.activate_policy_set_version(zone_id, policy_set_id, version_id, scope_target_id) */
Datum
keycard_activate_policy_set_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(bind_version(fcinfo, "keycard.activate_policy_set_version()",
								 arg_cstring(fcinfo, 0), arg_cstring(fcinfo, 1),
								 arg_cstring(fcinfo, 2), "active", arg_cstring(fcinfo, 3)));
}

/* SQL function: keycard.shadow_policy_set_version(zone_id, policy_set_id, version_id, scope_target_id) */
Datum
keycard_shadow_policy_set_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(bind_version(fcinfo, "keycard.shadow_policy_set_version()",
								 arg_cstring(fcinfo, 0), arg_cstring(fcinfo, 1),
								 arg_cstring(fcinfo, 2), "shadow", arg_cstring(fcinfo, 3)));
}

/* The set's shadow binding, as it is once the locks are held, removed and recorded (under as_writer). */
static void
clear_shadow(void *arg)
{
	Datum	   *args = (Datum *) arg;

	if (run(Q_DELETE_SHADOW_OF_SET, args, NULL, 0) == 1)
	{
		char	   *scope_type = registry_result_text(1);
		char	   *target = registry_result_text(2);
		char	   *version_id = registry_result_text(3);
		bool		isnull;
		int32		version = DatumGetInt32(registry_result(4, &isnull));
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

	registry_require_writable("keycard.clear_shadow_binding()");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	read_set(zone_id, set_id, NULL, &set);
	find_set_binding(zone_id, set_id, "shadow", NULL, NULL, &shadow);
	args[0] = CStringGetTextDatum(zone_id);
	args[1] = CStringGetTextDatum(set_id);
	if (shadow.mode)
	{
		lock_slot(zone_id, shadow.scope_type, shadow.target);
		lock_set(zone_id, set_id);
		as_writer(clear_shadow, args);
	}
	run(Q_SET_WITH_BINDING, args, NULL, 1);
	d = registry_result_row(fcinfo, 0, NULL, NULL);
	SPI_finish();
	PG_RETURN_DATUM(d);
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
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		for (int i = 0; i < nsets; i++)
		{
			Datum		key[2] = {CStringGetTextDatum(zone_id), CStringGetTextDatum(sets[i])};
			char	   *seen;

			run(Q_SET_BINDING_TIDS, key, NULL, 1);
			seen = registry_result_text(1);
			registry_run_latest(&queries[Q_SET_BINDING_TIDS], key, NULL, 1);
			if (!same_text(seen, registry_result_text(1)))
				serialization_failure();
		}
		SPI_finish();
	}
	PG_RETURN_VOID();
}

/*
 * True when the trigger fires for a row that COPY FROM is loading: COPY's
 * error context is the innermost one only while it fires the triggers of
 * the table it loads (a function or statement run by any trigger pushes its
 * own).
 */
static bool
loading_by_copy(void)
{
	ErrorContextCallback *e = error_context_stack;

	return e != NULL && e->callback == CopyFromErrorCallback;
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
					   "policy set \"%s\" is archived", registry_result_text(5));
	if (col_bool(3))
		registry_error("archived", "An archived version cannot be bound.", "Bind a version that is not archived.",
					   "version %s of policy set \"%s\" is archived", registry_result_text(4), registry_result_text(5));
	other_mode = registry_result_text(9);
	if (other_mode)
		registry_error("bound", psprintf("Its version %s is bound %s there; a policy set is bound in one slot at a time.",
										 registry_result_text(8), other_mode),
					   "Bind another policy set to this slot.",
					   "policy set \"%s\" is bound to %s", registry_result_text(5), slot_text(registry_result_text(6), registry_result_text(7)));
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

	/* A logical replication apply worker applies what the publisher checked. */
	if (bindings_writing == 0 && !IsLogicalWorker())
	{
		if (TRIGGER_FIRED_BY_INSERT(td->tg_event) && loading_by_copy())
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
