/*-------------------------------------------------------------------------
 *
 * direct_insert.h
 *	  Inserting one row into a keycard table the way the executor would
 *	  (heap, indexes, NOT NULL and CHECK constraints), without planning or
 *	  starting a statement; an INSERT statement when the table needs more
 *	  than that.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_DIRECT_INSERT_H
#define KEYCARD_DIRECT_INSERT_H

#include "postgres.h"

#include "executor/spi.h"
#include "nodes/bitmapset.h"

/*
 * One kind of insert: a table of schema keycard and the columns the caller
 * supplies, in the order of its values, with the types of those values.
 * Callers declare one static target per kind (zero-initialized apart from
 * the first four members); the module fills the rest and keeps it current
 * across DDL.  Values go straight into the row only while each type is its
 * column's; otherwise the INSERT statement converts them as it would any
 * parameter.
 */
typedef struct DirectInsertTarget
{
	const char *table;
	int			ncols;
	const char *const *cols;
	const Oid  *types;

	/* Module state. */
	bool		registered;
	struct DirectInsertTarget *next;	/* every target ever used */
	Oid			relid;			/* InvalidOid: look the name up again */
	uint64		generation;		/* of the relation state attnums belong to */
	AttrNumber *attnums;		/* per column */
	bool		omitted_ok;		/* no default or generated column left out */
	bool		types_ok;		/* every value of its column's type */
	Bitmapset  *inserted_cols;	/* as in an INSERT's range table entry */
	SPIPlanPtr	plan;			/* the INSERT statement, when needed */
	bool		plan_returning;
} DirectInsertTarget;

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
extern Datum direct_insert(DirectInsertTarget *target, const Datum *values, const bool *nulls,
						   int flags);

#endif							/* KEYCARD_DIRECT_INSERT_H */
