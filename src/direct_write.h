/*-------------------------------------------------------------------------
 *
 * direct_write.h
 *	  Inserting or updating one row of a keycard table the way the executor
 *	  would (triggers, generated columns, NOT NULL and CHECK constraints,
 *	  heap, indexes), without planning or starting a statement; a statement
 *	  when the table needs more than that.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_DIRECT_WRITE_H
#define KEYCARD_DIRECT_WRITE_H

#include "postgres.h"

#include "executor/spi.h"
#include "access/htup.h"
#include "utils/relcache.h"
#include "nodes/bitmapset.h"

/*
 * One kind of insert or update: a table of schema keycard and the columns
 * the caller supplies (or sets), in the order of its values, with the types
 * of those values.
 * Callers declare one static target per kind (zero-initialized apart from
 * the first four members); the module fills the rest and keeps it current
 * across DDL.  Values go straight into the row only while each type is its
 * column's; otherwise the INSERT statement converts them as it would any
 * parameter.
 */
typedef struct DirectWriteTarget
{
	const char *table;
	int			ncols;
	const char *const *cols;
	const Oid  *types;

	/* Module state. */
	uint64		generation;		/* of the relation state attnums belong to */
	AttrNumber *attnums;		/* per column */
	bool		omitted_ok;		/* no default or generated column left out */
	bool		types_ok;		/* every value of its column's type */
	Bitmapset  *given_cols;		/* a range table entry's inserted or updated columns */
	bool		settable;		/* no generated or GENERATED ALWAYS identity column */
	SPIPlanPtr	plan;			/* the INSERT statement, when needed */
	bool		plan_returning;
} DirectWriteTarget;

/*
 * The rows referenced by every foreign key of the table are locked by this
 * transaction (FOR KEY SHARE or stronger, held to its end), so the foreign
 * key's insert check (which would take that lock and find the row) may be
 * skipped.  Without this flag a table with a foreign key gets an INSERT.
 */
#define DIRECT_INSERT_FK_LOCKED	0x01
/* Return the inserted row as a composite Datum (else (Datum) 0). */
#define DIRECT_INSERT_RETURN	0x02

/*
 * Inserts one row: values[i] / nulls[i] for column cols[i], each a Datum of
 * that column's type.  SPI must be connected (the fallback runs a statement);
 * the returned row is allocated in the SPI caller's context (SPI_palloc), as
 * SPI_returntuple does, so it survives SPI_finish.
 */
extern Datum direct_insert(DirectWriteTarget *target, const Datum *values, const bool *nulls,
						   int flags);

/*
 * Computes an update's values (values[i] / nulls[i] for the target's column
 * cols[i], of its type) from the row it updates, as an UPDATE's SET list
 * would: row is the newest version, locked.  May raise an error.
 */
typedef void (*DirectUpdateCompute) (Relation rel, HeapTuple row, Datum *values, bool *nulls,
									 void *arg);

/*
 * Updates the row of target's table whose text key columns keys[0..n-1]
 * (the leading columns of its primary key) equal keyvals[0..n-1], as an
 * UPDATE ... SET <target's columns> WHERE <keys> does under a snapshot
 * taken now: the row locked as that UPDATE locks it (under READ COMMITTED
 * the newest version, after waiting for a concurrent writer), compute's
 * values, BEFORE ROW triggers, stored generated columns, NOT NULL and CHECK
 * constraints, the new version (heap-only when it can be) and its index
 * entries, AFTER ROW triggers (foreign keys) fired before returning.
 * *row is the new row as a composite Datum, or 0 when there is no such row
 * or a BEFORE trigger skipped it.
 *
 * Returns false, having done nothing, when only the statement would do
 * what the update must (statement or AFTER triggers other than foreign
 * keys, a rule, row-level security or missing privilege for the current
 * user, a generated or domain column set, values of other types): the
 * caller runs its UPDATE statement then.
 */
extern bool direct_update(DirectWriteTarget *target, int nkeys, const char *const *keys,
						  const Datum *keyvals, DirectUpdateCompute compute, void *arg, Datum *row);

#endif							/* KEYCARD_DIRECT_WRITE_H */
