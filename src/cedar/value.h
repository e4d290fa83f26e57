/*-------------------------------------------------------------------------
 *
 * value.h
 *	  Runtime values of the Cedar evaluator (eval.c) and the entity store
 *	  (entities.c): booleans, longs, strings, entity references, sets,
 *	  records and the four extension types.
 *
 *	  Values are immutable once built and shared freely (a record attribute
 *	  is the same value every time it is read).  Sets are kept sorted by
 *	  cedar_value_cmp and without duplicates, records sorted by key, so
 *	  structural equality, `contains` and set inclusion need no hashing.
 *
 *	  Memory: palloc'd in the current memory context; never freed one by
 *	  one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_VALUE_H
#define KEYCARD_CEDAR_VALUE_H

#include "cedar/ast.h"
#include "cedar/extension.h"

typedef enum CedarValueKind
{
	CEDAR_V_BOOL,
	CEDAR_V_LONG,
	CEDAR_V_STRING,
	CEDAR_V_ENTITY,
	CEDAR_V_SET,
	CEDAR_V_RECORD,
	CEDAR_V_DECIMAL,			/* u.l: the decimal times 10^4 */
	CEDAR_V_IPADDR,				/* u.ip */
	CEDAR_V_DATETIME,			/* u.l: ms since the epoch */
	CEDAR_V_DURATION			/* u.l: ms */
} CedarValueKind;

typedef struct CedarValue CedarValue;

struct CedarValue
{
	CedarValueKind kind;
	union
	{
		bool		b;
		int64		l;
		CedarString str;
		CedarEntityUid uid;		/* start/end unused */
		struct
		{
			const CedarValue **items;	/* sorted, distinct */
			int			n;
		}			set;
		struct
		{
			const CedarString *keys;	/* sorted by bytes, distinct */
			const CedarValue **vals;
			int			n;
		}			rec;
		CedarIpAddr ip;
	}			u;
};

/* Constructors (the value is allocated in CurrentMemoryContext) */
extern const CedarValue *cedar_value_bool(bool b);
extern CedarValue *cedar_value_new(CedarValueKind kind);
extern CedarValue *cedar_value_entity(CedarString type, CedarString id);

/*
 * A set from items[0..n) (any order, duplicates allowed); the array is
 * sorted and deduplicated in place and kept by the value.
 */
extern const CedarValue *cedar_value_set(const CedarValue **items, int n);

/*
 * A record from keys/vals[0..n); the arrays are kept by the value.  Sorts
 * them by key if not already sorted; returns NULL if a key repeats.
 */
extern const CedarValue *cedar_value_record(CedarString *keys,
											const CedarValue **vals, int n);

/* A total order (kind first): the order of sets; 0 = structurally equal */
extern int	cedar_value_cmp(const CedarValue *a, const CedarValue *b);

static inline bool
cedar_value_equal(const CedarValue *a, const CedarValue *b)
{
	return a == b || cedar_value_cmp(a, b) == 0;
}

/* Set membership and record lookup by binary search */
extern bool cedar_set_contains(const CedarValue *set, const CedarValue *v);
extern const CedarValue *cedar_record_get(const CedarValue *rec,
										  const char *key, int keylen);

/* Byte order of counted strings */
extern int	cedar_string_bytes_cmp(const CedarString *a, const CedarString *b);

/* "bool", "long", "string", "entity", "set", "record", "decimal", ... */
extern const char *cedar_value_kind_name(CedarValueKind kind);

#endif							/* KEYCARD_CEDAR_VALUE_H */
