/*-------------------------------------------------------------------------
 *
 * bindings.c
 *	  Registry part 2 in C: binding a policy set version in its slot
 *	  (keycard.bind_policy_set_version, activate_policy_set_version,
 *	  shadow_policy_set_version), clearing a shadow binding, and the
 *	  bindings_guard trigger that lets binding rows change only through them.
 *
 * A slot is (zone, scope type, scope target) and holds at most one active and
 * one shadow binding.  A binding change takes, in this order, a transaction
 * advisory lock on its slot and an update of its policy set's row in
 * keycard.binding_locks; only then does it read what it checks (set and
 * version not archived, no archived manifest entry, the slot's bindings).
 * The archive guards update the same binding_locks rows before they read the
 * bindings.  Because both sides update (not merely lock) that row, under
 * READ COMMITTED the later one waits and then reads what the other
 * committed, and under REPEATABLE READ it fails with a serialization error:
 * a row lock taken by a committed transaction is no conflict for a
 * REPEATABLE READ snapshot, an update is.
 *
 * The reads and writes go through SPI with generic plans kept for the life
 * of the backend.  The functions run as SECURITY DEFINER with search_path
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

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "commands/copyfrom_internal.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "keycard.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(keycard_bind_policy_set_version);
PG_FUNCTION_INFO_V1(keycard_activate_policy_set_version);
PG_FUNCTION_INFO_V1(keycard_shadow_policy_set_version);
PG_FUNCTION_INFO_V1(keycard_clear_shadow_binding);
PG_FUNCTION_INFO_V1(keycard_bindings_guard);

/* First key of the slot's advisory lock (the second is a hash of the slot). */
#define SLOT_LOCK_CLASS 1801675527

/* Longest scope target, in characters (the bindings table's CHECK). */
#define MAX_TARGET_CHARS 255

/* > 0 while a binding function writes keycard.bindings. */
static int	bindings_writing = 0;

/* Statements, prepared once per backend. */
enum
{
	Q_SET,
	Q_IS_PLATFORM,
	Q_TARGET,
	Q_LOCK_UPDATE,
	Q_LOCK_INSERT,
	Q_STATE,
	Q_ARCHIVED_ENTRIES,
	Q_ACTOR,
	Q_DELETE_SHADOW,
	Q_INSERT_BINDING,
	Q_UPDATE_BINDING,
	Q_HISTORY,
	Q_SHADOW_OF_SET,
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

static const BindingQuery queries[NUM_QUERIES] = {
	/* The zone check (exists, visible to the caller) and the set, in one go. */
	[Q_SET] = {"SELECT keycard.zone_visible($1) AND EXISTS (SELECT 1 FROM keycard.zones z WHERE z.zone_id = $1), "
		"s.owner_type, s.scope_type, s.name "
		"FROM (SELECT) one LEFT JOIN keycard.policy_sets s ON s.zone_id = $1 AND s.policy_set_id = $2",
	2, {TEXTOID, TEXTOID}},
	[Q_IS_PLATFORM] = {"SELECT keycard.caller_is_platform()", 0, {0}},
	[Q_TARGET] = {"SELECT b.scope_target_id FROM keycard.bindings b "
		"WHERE b.zone_id = $1 AND b.policy_set_id = $2 LIMIT 1",
	2, {TEXTOID, TEXTOID}},
	/* The set's binding_locks row: updated when it exists (one write), else inserted. */
	[Q_LOCK_UPDATE] = {"UPDATE keycard.binding_locks l SET changes = l.changes + 1 "
		"WHERE l.zone_id = $1 AND l.policy_set_id = $2",
	2, {TEXTOID, TEXTOID}},
	[Q_LOCK_INSERT] = {"INSERT INTO keycard.binding_locks AS l (zone_id, policy_set_id) VALUES ($1, $2) "
		"ON CONFLICT ON CONSTRAINT binding_locks_pkey DO UPDATE SET changes = l.changes + 1",
	2, {TEXTOID, TEXTOID}},

	/*
	 * Everything a binding change checks, read after the locks: the version
	 * row (whole, it is also the result), whether the set is archived,
	 * whether the manifest references archived policy versions, the slot's
	 * active and shadow bindings, and a binding of the set in another slot.
	 */
	[Q_STATE] = {"SELECT w.*, "
		"(SELECT y.archived_at FROM keycard.policy_sets y WHERE y.zone_id = $1 AND y.policy_set_id = $2) AS b_set_archived_at, "
		"EXISTS (SELECT 1 FROM keycard.policy_set_version_entries e "
		"        JOIN keycard.policy_versions pv ON pv.zone_id = e.zone_id AND pv.version_id = e.policy_version_id "
		"        WHERE e.zone_id = $1 AND e.version_id = $3 AND pv.archived_at IS NOT NULL) AS b_archived_entries, "
		"a.policy_set_id AS b_active_set, a.version_id AS b_active_id, a.version AS b_active_version, "
		"h.policy_set_id AS b_shadow_set, h.version_id AS b_shadow_id, h.version AS b_shadow_version, "
		"o.scope_type AS b_other_scope_type, o.scope_target_id AS b_other_target, o.version AS b_other_version, "
		"o.mode AS b_other_mode "
		"FROM keycard.policy_set_versions w "
		"LEFT JOIN keycard.bindings a ON a.zone_id = $1 AND a.scope_type = $4 AND a.scope_target_id = $5 AND a.mode = 'active' "
		"LEFT JOIN keycard.bindings h ON h.zone_id = $1 AND h.scope_type = $4 AND h.scope_target_id = $5 AND h.mode = 'shadow' "
		"LEFT JOIN LATERAL (SELECT * FROM keycard.bindings x WHERE x.zone_id = $1 AND x.policy_set_id = $2 "
		"                   AND (x.scope_type, x.scope_target_id) IS DISTINCT FROM ($4, $5) LIMIT 1) o ON true "
		"WHERE w.zone_id = $1 AND w.version_id = $3 AND w.policy_set_id = $2",
	5, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}},
	/* The error path only: which entries are archived. */
	[Q_ARCHIVED_ENTRIES] = {"SELECT format('Archived: %s.', string_agg(format('version %s of policy \"%s\"', pv.version, p.name), ', ' ORDER BY e.position)) "
		"FROM keycard.policy_set_version_entries e "
		"JOIN keycard.policy_versions pv ON pv.zone_id = e.zone_id AND pv.version_id = e.policy_version_id "
		"JOIN keycard.policies p ON p.zone_id = e.zone_id AND p.policy_id = e.policy_id "
		"WHERE e.zone_id = $1 AND e.version_id = $2 AND pv.archived_at IS NOT NULL",
	2, {TEXTOID, TEXTOID}},
	[Q_ACTOR] = {"SELECT keycard.current_actor(), keycard.client_request_id()", 0, {0}},
	[Q_DELETE_SHADOW] = {"DELETE FROM keycard.bindings b "
		"WHERE b.zone_id = $1 AND b.scope_type = $2 AND b.scope_target_id = $3 AND b.mode = 'shadow'",
	3, {TEXTOID, TEXTOID, TEXTOID}},
	[Q_INSERT_BINDING] = {"INSERT INTO keycard.bindings (zone_id, scope_type, scope_target_id, mode, policy_set_id, "
		"version_id, version, bound_at, bound_by, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
		"ON CONFLICT DO NOTHING",
	10, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID, TEXTOID, TEXTOID}},
	[Q_UPDATE_BINDING] = {"UPDATE keycard.bindings b SET policy_set_id = $5, version_id = $6, version = $7, "
		"bound_at = $8, bound_by = $9, request_id = $10 "
		"WHERE b.zone_id = $1 AND b.scope_type = $2 AND b.scope_target_id = $3 AND b.mode = $4",
	10, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID, TEXTOID, TEXTOID}},
	[Q_HISTORY] = {"INSERT INTO keycard.binding_history (zone_id, event_id, occurred_at, actor, request_id, action, "
		"scope_type, scope_target_id, mode, from_policy_set_id, from_version_id, from_version, "
		"to_policy_set_id, to_version_id, to_version) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
	15, {TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, INT4OID}},
	[Q_SHADOW_OF_SET] = {"SELECT b.scope_type, b.scope_target_id FROM keycard.bindings b "
		"WHERE b.zone_id = $1 AND b.policy_set_id = $2 AND b.mode = 'shadow'",
	2, {TEXTOID, TEXTOID}},
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
		"                   AND (b.scope_type, b.scope_target_id) IS DISTINCT FROM ($6, $3) LIMIT 1) o ON true",
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

/* Column col of row 0 as text, NULL for null. */
static text *
col_text(int col)
{
	bool		isnull;
	Datum		d = col_datum(col, &isnull);

	return isnull ? NULL : DatumGetTextPP(d);
}

static char *
col_cstring(int col)
{
	text	   *t = col_text(col);

	return t ? text_to_cstring(t) : NULL;
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

static int32
col_int(int col, bool *isnull)
{
	Datum		d = col_datum(col, isnull);

	return *isnull ? 0 : DatumGetInt32(d);
}

/* Column number of a named column of the last result. */
static int
col_number(const char *name)
{
	int			n = SPI_fnumber(SPI_tuptable->tupdesc, name);

	if (n <= 0)
		elog(ERROR, "column \"%s\" missing from a binding query", name);
	return n;
}

static Datum
text_datum(const char *s)
{
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * The creation time encoded in a registry id (its first 48 bits are Unix
 * milliseconds), equal to keycard.id_time(id).
 */
static TimestampTz
id_time(const char *id)
{
	int64		ms = 0;

	for (int i = 0; i < 13; i++)
	{
		char		c = id[i];

		if (i == 8)
			continue;			/* the dash */
		ms = ms * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return (ms - (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000) * 1000;
}

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

/* Updates (or creates) the set's binding_locks row, see the file header. */
static void
lock_set_bindings(const char *zone_id, const char *set_id)
{
	Datum		args[2] = {CStringGetTextDatum(zone_id), CStringGetTextDatum(set_id)};

	if (run(Q_LOCK_UPDATE, args, NULL, 0) == 0)
		run(Q_LOCK_INSERT, args, NULL, 0);
}

/* The zone exists and the caller may use it, and the policy set. */
typedef struct SetRow
{
	char	   *owner_type;
	char	   *scope_type;
	char	   *name;
} SetRow;

/*
 * Raises not_found unless the zone is visible and the set exists in it, and
 * checks the mode (between the two, as the errors are ordered).
 */
static void
read_set(const char *zone_id, const char *set_id, const char *mode, SetRow *set)
{
	Datum		args[2];
	char		nulls[2] = {' ', ' '};

	args[0] = text_datum(zone_id);
	nulls[0] = zone_id ? ' ' : 'n';
	args[1] = text_datum(set_id);
	nulls[1] = set_id ? ' ' : 'n';
	run(Q_SET, args, nulls, 1);
	if (zone_id == NULL || !col_bool(1))
		registry_error("not_found", "No zone with that id is visible to the caller.", NULL,
					   "zone \"%s\" not found", zone_id ? zone_id : "");
	set->owner_type = col_cstring(2);
	set->scope_type = col_cstring(3);
	set->name = col_cstring(4);
	if (mode != NULL && strcmp(mode, "active") != 0 && strcmp(mode, "shadow") != 0)
		registry_error("invalid_request", "A version is bound with mode active or shadow; there is no deactivation.",
					   "Activate another version instead.", "invalid binding mode \"%s\"", mode);
	if (set->owner_type == NULL)
		registry_error("not_found", NULL, NULL, "policy set \"%s\" not found", set_id ? set_id : "");
	if (strcmp(set->owner_type, "platform") == 0)
	{
		run(Q_IS_PLATFORM, NULL, NULL, 1);
		if (!col_bool(1))
			registry_error("platform_owned", "Platform-owned policy sets can be read but not bound by customers.", NULL,
						   "policy set \"%s\" is owned by the platform", set->name);
	}
}

/* The actor and request id recorded with a change (request id may be NULL). */
static void
read_actor(Datum *actor, Datum *request_id, bool *request_id_null)
{
	bool		isnull;

	run(Q_ACTOR, NULL, NULL, 1);
	*actor = col_datum(1, &isnull);
	if (isnull)
		elog(ERROR, "keycard.current_actor() returned null");
	*request_id = col_datum(2, request_id_null);
}

/* One binding_history row; from and to may each be absent (set id NULL). */
static void
record_history(const char *zone_id, const char *event_id, Datum actor, Datum request_id,
			   bool request_id_null, const char *action, const char *scope_type,
			   const char *target, const char *mode,
			   const char *from_set, const char *from_id, int32 from_version,
			   const char *to_set, const char *to_id, int32 to_version)
{
	Datum		v[15];
	char		n[15];

	memset(n, ' ', sizeof(n));
	v[0] = CStringGetTextDatum(zone_id);
	v[1] = CStringGetTextDatum(event_id);
	v[2] = TimestampTzGetDatum(id_time(event_id));
	v[3] = actor;
	v[4] = request_id;
	n[4] = request_id_null ? 'n' : ' ';
	v[5] = CStringGetTextDatum(action);
	v[6] = CStringGetTextDatum(scope_type);
	v[7] = CStringGetTextDatum(target);
	v[8] = CStringGetTextDatum(mode);
	v[9] = text_datum(from_set);
	v[10] = text_datum(from_id);
	v[11] = Int32GetDatum(from_version);
	if (from_set == NULL)
		n[9] = n[10] = n[11] = 'n';
	v[12] = text_datum(to_set);
	v[13] = text_datum(to_id);
	v[14] = Int32GetDatum(to_version);
	if (to_set == NULL)
		n[12] = n[13] = n[14] = 'n';
	run(Q_HISTORY, v, n, 0);
}

/* What the slot holds in one mode. */
typedef struct Held
{
	char	   *set_id;			/* NULL: nothing */
	char	   *version_id;
	int32		version;
} Held;

static void
read_held(Held *h, const char *prefix)
{
	bool		isnull;
	char		name[NAMEDATALEN];

	snprintf(name, sizeof(name), "b_%s_set", prefix);
	h->set_id = col_cstring(col_number(name));
	snprintf(name, sizeof(name), "b_%s_id", prefix);
	h->version_id = col_cstring(col_number(name));
	snprintf(name, sizeof(name), "b_%s_version", prefix);
	h->version = col_int(col_number(name), &isnull);
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
	const char *version_id;
	int32		version;
	const char *scope_type;
	const char *target;
	const char *mode;
	const char *set_name;
	Held		active;			/* what the slot holds now */
	Held		shadow;
	Datum		actor;
	Datum		request_id;
	bool		request_id_null;
} BindingChange;

/*
 * Writes a binding change (under as_writer): the slot's row in its mode
 * (inserted, or updated from the previous binding, which is so demoted) and
 * its history; a promotion first empties the shadow slot, recorded too.
 */
static void
write_binding(void *arg)
{
	BindingChange *c = (BindingChange *) arg;
	bool		is_active = strcmp(c->mode, "active") == 0;
	const char *action = is_active ? "activate" : "bind_shadow";
	Held	   *prev = is_active ? &c->active : &c->shadow;
	char		event_id[REGISTRY_ID_LEN + 1];
	TimestampTz bound_at;
	Datum		w[10];
	char		wn[10];

	registry_new_id(event_id);
	bound_at = id_time(event_id);
	memset(wn, ' ', sizeof(wn));
	w[0] = CStringGetTextDatum(c->zone_id);
	w[1] = CStringGetTextDatum(c->scope_type);
	w[2] = CStringGetTextDatum(c->target);
	w[3] = CStringGetTextDatum(c->mode);
	w[4] = CStringGetTextDatum(c->set_id);
	w[5] = CStringGetTextDatum(c->version_id);
	w[6] = Int32GetDatum(c->version);
	w[7] = TimestampTzGetDatum(bound_at);
	w[8] = c->actor;
	w[9] = c->request_id;
	wn[9] = c->request_id_null ? 'n' : ' ';

	if (is_active && c->shadow.version_id && strcmp(c->version_id, c->shadow.version_id) == 0)
	{
		/* Promotion: the shadow slot empties and the version becomes active. */
		action = "promote";
		run(Q_DELETE_SHADOW, w, NULL, 0);
		record_history(c->zone_id, event_id, c->actor, c->request_id, c->request_id_null, action,
					   c->scope_type, c->target, "shadow", c->set_id, c->version_id, c->version,
					   NULL, NULL, 0);
		registry_new_id(event_id);
	}
	if (prev->version_id == NULL)
	{
		if (run(Q_INSERT_BINDING, w, wn, 0) == 0)
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
	}
	else
		run(Q_UPDATE_BINDING, w, wn, 0);
	record_history(c->zone_id, event_id, c->actor, c->request_id, c->request_id_null, action,
				   c->scope_type, c->target, c->mode, prev->set_id, prev->version_id, prev->version,
				   c->set_id, c->version_id, c->version);
}

/* The set's shadow binding, if any, removed and recorded (under as_writer). */
static void
clear_shadow(void *arg)
{
	Datum	   *args = (Datum *) arg;

	/* The set's shadow as it is now that the locks are held. */
	if (run(Q_DELETE_SHADOW_OF_SET, args, NULL, 0) == 1)
	{
		char	   *scope_type = col_cstring(1);
		char	   *target = col_cstring(2);
		char	   *version_id = col_cstring(3);
		bool		isnull;
		int32		version = col_int(4, &isnull);
		Datum		actor;
		Datum		request_id;
		bool		request_id_null;
		char		event_id[REGISTRY_ID_LEN + 1];

		read_actor(&actor, &request_id, &request_id_null);
		registry_new_id(event_id);
		record_history(TextDatumGetCString(args[0]), event_id, actor, request_id, request_id_null,
					   "clear_shadow", scope_type, target, "shadow", TextDatumGetCString(args[1]),
					   version_id, version, NULL, NULL, 0);
	}
}

/*
 * Binds a policy set version in its slot; the result is the version as
 * keycard.policy_set_versions_with_binding.
 */
static Datum
bind_version(FunctionCallInfo fcinfo, const char *zone_id, const char *set_id,
			 const char *version_id, const char *mode, const char *target)
{
	TupleDesc	result_desc;
	SetRow		set;
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int			nversion_cols;
	int			nresult;
	HeapTuple	version_row;
	TupleDesc	version_desc;
	bool		set_archived;
	bool		version_archived;
	bool		archived_entries;
	int32		version;
	bool		isnull;
	Held		active;
	Held		shadow;
	char	   *other_mode;
	char	   *other_scope_type;
	char	   *other_target;
	int32		other_version;
	bool		is_active;
	Datum	   *values;
	bool	   *isnulls;
	HeapTuple	result;

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (mode == NULL)
		mode = "null";			/* refused by read_set, as the message says */
	read_set(zone_id, set_id, mode, &set);
	is_active = strcmp(mode, "active") == 0;

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
		Datum		targs[2] = {CStringGetTextDatum(zone_id), CStringGetTextDatum(set_id)};

		if (run(Q_TARGET, targs, NULL, 1) == 1)
			target = col_cstring(1);
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

	/* Lock order: the slot, then the set's binding_locks row; read after both. */
	lock_slot(zone_id, set.scope_type, target);
	lock_set_bindings(zone_id, set_id);

	args[0] = CStringGetTextDatum(zone_id);
	args[1] = CStringGetTextDatum(set_id);
	args[2] = text_datum(version_id);
	nulls[2] = version_id ? ' ' : 'n';
	args[3] = CStringGetTextDatum(set.scope_type);
	args[4] = CStringGetTextDatum(target);
	if (run(Q_STATE, args, nulls, 1) == 0)
		registry_error("not_found", NULL, NULL, "policy set version \"%s\" not found",
					   version_id ? version_id : "");

	/* The version row: the leading columns, as many as the result has before its binding columns. */
	nresult = result_desc->natts;
	nversion_cols = nresult - 3;
	version_desc = SPI_tuptable->tupdesc;
	version_row = SPI_tuptable->vals[0];
	if (nversion_cols <= 0 || version_desc->natts < nversion_cols)
		elog(ERROR, "unexpected row type of keycard.policy_set_versions_with_binding");
	version = col_int(col_number("version"), &isnull);
	(void) SPI_getbinval(version_row, version_desc, col_number("archived_at"), &isnull);
	version_archived = !isnull;
	(void) SPI_getbinval(version_row, version_desc, col_number("b_set_archived_at"), &isnull);
	set_archived = !isnull;
	archived_entries = col_bool(col_number("b_archived_entries"));
	read_held(&active, "active");
	read_held(&shadow, "shadow");
	other_mode = col_cstring(col_number("b_other_mode"));
	other_scope_type = col_cstring(col_number("b_other_scope_type"));
	other_target = col_cstring(col_number("b_other_target"));
	other_version = col_int(col_number("b_other_version"), &isnull);

	/* The result: the version row, then active, mode, scope_target_id. */
	values = palloc(nresult * sizeof(Datum));
	isnulls = palloc(nresult * sizeof(bool));
	for (int i = 0; i < nversion_cols; i++)
	{
		if (TupleDescAttr(version_desc, i)->atttypid != TupleDescAttr(result_desc, i)->atttypid)
			elog(ERROR, "unexpected row type of keycard.policy_set_versions_with_binding");
		values[i] = SPI_getbinval(version_row, version_desc, i + 1, &isnulls[i]);
	}
	values[nversion_cols] = BoolGetDatum(is_active);
	isnulls[nversion_cols] = false;
	values[nversion_cols + 1] = CStringGetTextDatum(mode);
	isnulls[nversion_cols + 1] = false;
	values[nversion_cols + 2] = CStringGetTextDatum(target);
	isnulls[nversion_cols + 2] = false;
	result = heap_form_tuple(result_desc, values, isnulls);

	if (set_archived)
		registry_error("archived", "An archived policy set cannot be bound.", NULL,
					   "policy set \"%s\" is archived", set.name);
	if (version_archived)
		registry_error("archived", "An archived version cannot be bound.", "Bind a version that is not archived.",
					   "version %d of policy set \"%s\" is archived", version, set.name);
	if (archived_entries)
	{
		Datum		eargs[2] = {args[0], args[2]};

		run(Q_ARCHIVED_ENTRIES, eargs, NULL, 1);
		registry_error("archived", col_cstring(1), "Create a policy set version without them and bind that one.",
					   "version %d of policy set \"%s\" references archived policy versions", version, set.name);
	}

	if (strcmp(version_id, is_active ? (active.version_id ? active.version_id : "") :
			   (shadow.version_id ? shadow.version_id : "")) == 0)
	{
		/* Already so: nothing changes, nothing is recorded. */
		Datum		d = PointerGetDatum(SPI_returntuple(result, result_desc));

		SPI_finish();
		return d;
	}
	if (!is_active && active.version_id && strcmp(version_id, active.version_id) == 0)
		registry_error("bound", "A version is never active and shadow at once.", NULL,
					   "version %d of policy set \"%s\" is active", version, set.name);
	/* A set lives in one slot: PolicySetWithBinding has one scope_target_id. */
	if (other_mode)
		registry_error("bound", psprintf("Its version %d is bound %s there; a policy set is bound in one slot at a time.",
										 other_version, other_mode),
					   "Bind another policy set to this slot.",
					   "policy set \"%s\" is bound to %s", set.name, slot_text(other_scope_type, other_target));

	{
		BindingChange c;

		c.zone_id = zone_id;
		c.set_id = set_id;
		c.version_id = version_id;
		c.version = version;
		c.scope_type = set.scope_type;
		c.target = target;
		c.mode = mode;
		c.set_name = set.name;
		c.active = active;
		c.shadow = shadow;
		read_actor(&c.actor, &c.request_id, &c.request_id_null);
		as_writer(write_binding, &c);
	}

	{
		Datum		d = PointerGetDatum(SPI_returntuple(result, result_desc));

		SPI_finish();
		return d;
	}
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

/* SQL function: keycard.clear_shadow_binding(zone_id, policy_set_id) returns keycard.policy_sets_with_binding */
Datum
keycard_clear_shadow_binding(PG_FUNCTION_ARGS)
{
	const char *zone_id = arg_cstring(fcinfo, 0);
	const char *set_id = arg_cstring(fcinfo, 1);
	SetRow		set;
	Datum		args[2];
	Datum		d;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	read_set(zone_id, set_id, NULL, &set);
	args[0] = CStringGetTextDatum(zone_id);
	args[1] = CStringGetTextDatum(set_id);
	if (run(Q_SHADOW_OF_SET, args, NULL, 1) == 1)
	{
		lock_slot(zone_id, col_cstring(1), col_cstring(2));
		lock_set_bindings(zone_id, set_id);
		as_writer(clear_shadow, args);
	}
	run(Q_SET_WITH_BINDING, args, NULL, 1);
	d = PointerGetDatum(SPI_returntuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc));
	SPI_finish();
	PG_RETURN_DATUM(d);
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
