/*-------------------------------------------------------------------------
 *
 * direct_read.c
 *	  Reading and locking rows of keycard tables by index, the way a
 *	  one-row SELECT (... FOR SHARE) by key would, without the executor.
 *
 * The registry's write functions read a handful of rows by primary key
 * before they write; a statement per read costs planning-cache lookups,
 * executor start-up and a scan node for one index probe.  These helpers do
 * the probe (systable scans on the index, visibility by the caller's
 * snapshot) and the row lock (table_tuple_lock with the outcomes
 * ExecLockRows gives them).  They apply only where a statement would see
 * the same rows: no row-level security for the current user and SELECT
 * privilege on the table (direct_read_open), else callers run their
 * statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"

#include "direct_read.h"

/*
 * Names resolved once per backend: relation oids by name, attribute numbers
 * by (relation, column).  Both are forgotten on any relcache invalidation
 * (DDL, or the extension dropped and created again).
 */
#define NAME_CACHE_SIZE 128

typedef struct CachedName
{
	Oid			relid;			/* the relation (attributes), or InvalidOid (relations) */
	const char *key;			/* the caller's string (usually a literal) */
	char		name[NAMEDATALEN];	/* and its text */
	Oid			oid;			/* relation oid */
	AttrNumber	attnum;
} CachedName;

static CachedName name_cache[NAME_CACHE_SIZE];
static int	name_cache_used = 0;
static bool name_cache_registered = false;

static void
forget_names(Datum arg, Oid relid)
{
	name_cache_used = 0;
}

/*
 * The cache entry of (relid, name), or NULL.  Callers pass string literals,
 * so the same pointer usually comes back: that is tried first (and its text
 * verified), then the texts.
 */
static CachedName *
cached_name(Oid relid, const char *name)
{
	for (int i = 0; i < name_cache_used; i++)
	{
		CachedName *e = &name_cache[i];

		if (e->key == name && e->relid == relid && strcmp(e->name, name) == 0)
			return e;
	}
	for (int i = 0; i < name_cache_used; i++)
	{
		CachedName *e = &name_cache[i];

		if (e->relid == relid && strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

static void
remember_name(Oid relid, const char *name, Oid oid, AttrNumber att)
{
	if (!name_cache_registered)
	{
		CacheRegisterRelcacheCallback(forget_names, (Datum) 0);
		name_cache_registered = true;
	}
	if (name_cache_used < NAME_CACHE_SIZE && strlen(name) < NAMEDATALEN)
	{
		CachedName *e = &name_cache[name_cache_used++];

		e->relid = relid;
		e->key = name;
		strlcpy(e->name, name, NAMEDATALEN);
		e->oid = oid;
		e->attnum = att;
	}
}

Oid
direct_relid(const char *name)
{
	CachedName *e = cached_name(InvalidOid, name);
	Oid			relid;

	if (e)
		return e->oid;
	relid = get_relname_relid(name, get_namespace_oid("keycard", false));
	if (!OidIsValid(relid))
		elog(ERROR, "relation \"keycard.%s\" does not exist", name);
	remember_name(InvalidOid, name, relid, 0);
	return relid;
}

AttrNumber
direct_attnum(Relation rel, const char *col)
{
	CachedName *e = cached_name(RelationGetRelid(rel), col);
	TupleDesc	desc = RelationGetDescr(rel);

	if (e)
		return e->attnum;
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped &&
			strcmp(NameStr(TupleDescAttr(desc, i)->attname), col) == 0)
		{
			remember_name(RelationGetRelid(rel), col, InvalidOid, i + 1);
			return i + 1;
		}
	elog(ERROR, "column \"%s\" of relation \"%s\" does not exist", col, RelationGetRelationName(rel));
}

bool
direct_access_ok(Oid relid, AclMode modes)
{
	return pg_class_aclmask(relid, GetUserId(), modes, ACLMASK_ALL) == modes &&
		check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED;
}

Relation
direct_read_open(const char *table, LOCKMODE lockmode)
{
	Oid			relid = direct_relid(table);
	Relation	rel = table_open(relid, lockmode);

	if (!direct_access_ok(relid, ACL_SELECT))
	{
		table_close(rel, lockmode);
		elog(DEBUG1, "keycard: rows of %s read by a statement", table);
		return NULL;
	}
	return rel;
}

/*
 * Equality keys on the text columns cols[0..n-1] of rel, by table column
 * number (systable scans map them to the index's) and in each column's
 * collation (the index's, for an index on plain columns).
 */
static void
equality_keys(Relation rel, int n, const char *const *cols, const Datum *vals, ScanKeyData *keys)
{
	Assert(n <= INDEX_MAX_KEYS);
	for (int i = 0; i < n; i++)
	{
		AttrNumber	a = direct_attnum(rel, cols[i]);
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), a - 1);

		if (att->atttypid != TEXTOID)
			elog(ERROR, "column \"%s\" of relation \"%s\" is not text", cols[i],
				 RelationGetRelationName(rel));
		ScanKeyEntryInitialize(&keys[i], 0, a, BTEqualStrategyNumber, InvalidOid,
							   att->attcollation, F_TEXTEQ, vals[i]);
	}
}

SysScanDesc
direct_scan_begin(Relation rel, Oid index, Snapshot snap, int n, const char *const *cols,
				  const Datum *vals, ScanKeyData *keys)
{
	equality_keys(rel, n, cols, vals, keys);
	return systable_beginscan(rel, index, true, snap, n, keys);
}

HeapTuple
direct_fetch(Relation rel, Oid index, Snapshot snap, ScanDirection dir, int n,
			 const char *const *cols, const Datum *vals)
{
	ScanKeyData keys[INDEX_MAX_KEYS];
	Relation	irel = index_open(index, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tup;

	equality_keys(rel, n, cols, vals, keys);
	/* The order asked for is the index's only on its leading columns. */
	for (int i = 0; i < n; i++)
		if (irel->rd_index->indkey.values[i] != keys[i].sk_attno)
			elog(ERROR, "column \"%s\" is not column %d of index \"%s\"", cols[i], i + 1,
				 RelationGetRelationName(irel));
	scan = systable_beginscan_ordered(rel, irel, snap, n, keys);
	tup = systable_getnext_ordered(scan, dir);
	if (HeapTupleIsValid(tup))
		tup = heap_copytuple(tup);
	systable_endscan_ordered(scan);
	index_close(irel, AccessShareLock);
	return tup;
}

HeapTuple
direct_lock(Relation rel, HeapTuple tup, LockTupleMode mode)
{
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TM_FailureData tmfd;
	TM_Result	res;
	HeapTuple	locked = NULL;

	res = table_tuple_lock(rel, &tup->t_self, GetActiveSnapshot(), slot, GetCurrentCommandId(true),
						   mode, LockWaitBlock,
						   IsolationUsesXactSnapshot() ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
	switch (res)
	{
		case TM_Ok:
			locked = ExecCopySlotHeapTuple(slot);
			break;
		case TM_SelfModified:
			/* Changed by this transaction after the snapshot: as ExecLockRows, skipped. */
			break;
		case TM_Updated:
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
			if (res == TM_Updated)
				elog(ERROR, "unexpected table_tuple_lock status: %u", res);
			break;
		case TM_Invisible:
			elog(ERROR, "attempted to lock invisible tuple");
			break;
		default:
			elog(ERROR, "unrecognized table_tuple_lock status: %u", res);
	}
	ExecDropSingleTupleTableSlot(slot);
	return locked;
}

Datum
direct_getattr(Relation rel, HeapTuple tup, const char *col, bool *isnull)
{
	return heap_getattr(tup, direct_attnum(rel, col), RelationGetDescr(rel), isnull);
}

char *
direct_gettext(Relation rel, HeapTuple tup, const char *col)
{
	bool		isnull;
	Datum		d = direct_getattr(rel, tup, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}
