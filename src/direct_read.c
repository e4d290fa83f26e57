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
#include "utils/snapmgr.h"

#include "direct_read.h"

Relation
direct_read_open(const char *table, LOCKMODE lockmode)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid("keycard", false));
	Relation	rel;

	if (!OidIsValid(relid))
		elog(ERROR, "relation \"keycard.%s\" does not exist", table);
	rel = table_open(relid, lockmode);
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED ||
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
	{
		table_close(rel, lockmode);
		elog(DEBUG1, "keycard: rows of %s read by a statement", table);
		return NULL;
	}
	return rel;
}

static AttrNumber
column(Relation rel, const char *col)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped &&
			strcmp(NameStr(TupleDescAttr(desc, i)->attname), col) == 0)
			return i + 1;
	elog(ERROR, "column \"%s\" of relation \"%s\" does not exist", col, RelationGetRelationName(rel));
}

HeapTuple
direct_fetch(Relation rel, Oid index, Snapshot snap, ScanDirection dir, int n,
			 const char *const *cols, const Datum *vals)
{
	ScanKeyData keys[INDEX_MAX_KEYS];
	Relation	irel = index_open(index, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tup;

	Assert(n <= INDEX_MAX_KEYS);
	for (int i = 0; i < n; i++)
	{
		AttrNumber	a = column(rel, cols[i]);

		if (irel->rd_index->indkey.values[i] != a ||
			TupleDescAttr(RelationGetDescr(rel), a - 1)->atttypid != TEXTOID)
			elog(ERROR, "column \"%s\" is not text column %d of index \"%s\"", cols[i], i + 1,
				 RelationGetRelationName(irel));
		/* Table column numbers (systable scans map them); the index's collation. */
		ScanKeyEntryInitialize(&keys[i], 0, a, BTEqualStrategyNumber, InvalidOid,
							   irel->rd_indcollation[i], F_TEXTEQ, vals[i]);
	}
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
	return heap_getattr(tup, column(rel, col), RelationGetDescr(rel), isnull);
}

char *
direct_gettext(Relation rel, HeapTuple tup, const char *col)
{
	bool		isnull;
	Datum		d = direct_getattr(rel, tup, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}
