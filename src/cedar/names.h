/*-------------------------------------------------------------------------
 *
 * names.h
 *	  A hash table from counted strings to pointers (PostgreSQL's
 *	  lib/simplehash.h), used wherever the Cedar front end looks names up
 *	  or checks them for duplicates: schema lookups, duplicate annotations
 *	  and declarations, validation issues.  Keys are not copied: they must
 *	  live as long as the table, which lives in the memory context given to
 *	  cedar_names_create.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_NAMES_H
#define KEYCARD_CEDAR_NAMES_H

#include "cedar/ast.h"
#include "common/hashfn.h"

typedef struct CedarNameEntry
{
	CedarString key;
	void	   *value;
	uint32		hash;
	char		status;
} CedarNameEntry;

#define SH_PREFIX cedar_names
#define SH_ELEMENT_TYPE CedarNameEntry
#define SH_KEY_TYPE CedarString
#define SH_KEY key
#define SH_HASH_KEY(tb, k) hash_bytes((const unsigned char *) (k).data, (k).len)
#define SH_EQUAL(tb, a, b) ((a).len == (b).len && memcmp((a).data, (b).data, (a).len) == 0)
#define SH_SCOPE static inline
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Lookup helper: NULL if absent */
static inline void *
cedar_names_get(cedar_names_hash *h, const char *s, int len)
{
	CedarString k;
	CedarNameEntry *e;

	k.data = s;
	k.len = len;
	e = cedar_names_lookup(h, k);
	return e ? e->value : NULL;
}

/* Insert helper: returns false if the key was already present */
static inline bool
cedar_names_put(cedar_names_hash *h, const char *s, int len, void *value)
{
	CedarString k;
	CedarNameEntry *e;
	bool		found;

	k.data = s;
	k.len = len;
	e = cedar_names_insert(h, k, &found);
	if (found)
		return false;
	e->value = value;
	return true;
}

#endif							/* KEYCARD_CEDAR_NAMES_H */
