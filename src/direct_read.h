/*-------------------------------------------------------------------------
 *
 * direct_read.h
 *	  Reading (and locking) rows of keycard tables by index, without
 *	  planning or starting a statement.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_DIRECT_READ_H
#define KEYCARD_DIRECT_READ_H

#include "postgres.h"

#include "access/genam.h"
#include "access/htup.h"
#include "access/sdir.h"
#include "nodes/lockoptions.h"
#include "nodes/parsenodes.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

/* The oid of relation keycard.name (a table or an index), looked up once. */
extern Oid	direct_relid(const char *name);

/* The number of column col of rel, looked up once per relation. */
extern AttrNumber direct_attnum(Relation rel, const char *col);

/*
 * True if the current user holds every privilege of modes on the relation
 * and row-level security does not apply to it: what a statement would see
 * and do there, reads and writes without the executor may too.
 */
extern bool direct_access_ok(Oid relid, AclMode modes);

/*
 * keycard.table opened with lockmode, or NULL when a statement must read it
 * instead: row-level security applies to the current user, or it lacks
 * SELECT on the table (the registry's functions run as the extension's
 * owner, so neither happens unless the tables were changed).
 */
extern Relation direct_read_open(const char *table, LOCKMODE lockmode);

/*
 * The first row of rel (in index order, or the last with
 * BackwardScanDirection) visible to snap whose text columns cols[0..n-1]
 * (the leading columns of index) equal vals[0..n-1]; a copy, or NULL.
 */
extern HeapTuple direct_fetch(Relation rel, Oid index, Snapshot snap, ScanDirection dir, int n,
							  const char *const *cols, const Datum *vals);

/*
 * Starts a scan (systable_beginscan, in no particular order) of the rows of
 * rel visible to snap whose text columns cols[0..n-1] (the leading columns
 * of index) equal vals[0..n-1]; keys is the caller's, n long, for the scan's
 * life.  End it with systable_endscan.
 */
extern SysScanDesc direct_scan_begin(Relation rel, Oid index, Snapshot snap, int n,
									 const char *const *cols, const Datum *vals, ScanKeyData *keys);

/*
 * Locks the row as SELECT ... FOR <mode> does and returns the version locked
 * (under READ COMMITTED the newest one, after waiting for its writer), or
 * NULL if it was deleted; REPEATABLE READ gets the executor's serialization
 * failure when the row changed after its snapshot.  The caller checks the
 * newest version again where its columns matter.
 */
extern HeapTuple direct_lock(Relation rel, HeapTuple tup, LockTupleMode mode);

/* Column col of a row of rel. */
extern Datum direct_getattr(Relation rel, HeapTuple tup, const char *col, bool *isnull);
extern char *direct_gettext(Relation rel, HeapTuple tup, const char *col);	/* NULL for null */

#endif							/* KEYCARD_DIRECT_READ_H */
