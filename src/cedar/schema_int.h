/*-------------------------------------------------------------------------
 *
 * schema_int.h
 *	  Internals shared by the schema files (schema.c, schema_build.c,
 *	  schema_parse.c) and the validator: name helpers and the hash table
 *	  type used for every schema lookup.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_SCHEMA_INT_H
#define KEYCARD_CEDAR_SCHEMA_INT_H

#include "cedar/schema.h"
#include "common/hashfn.h"

/* A hash table from counted strings to pointers (PostgreSQL simplehash) */
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

struct CedarSchema
{
	cedar_names_hash *entity_types; /* name -> CedarEntityTypeDef */
	cedar_names_hash *actions;	/* type + "::" + id -> CedarActionDef */
	cedar_names_hash *action_types; /* action type names -> (non-NULL) */
	CedarEntityTypeDef **entity_list;
	int			nentity;
	CedarActionDef **action_list;
	int			naction;
};

extern bool cedar_is_any_ident(const char *s, int len);
extern bool cedar_is_reserved_word(const char *s, int len);
extern bool cedar_is_normalized_ident(const char *s, int len);
extern bool cedar_is_valid_name(const char *s, int len, bool allow_cedar);
extern bool cedar_is_reserved_type_name(const char *s);
extern int	cedar_string_cmp(const char *a, int alen, const char *b, int blen);
extern void cedar_sort_attrs(CedarSAttr *attrs, int *nattrs);
extern void cedar_sort_annotations(CedarSAnnotations *a);
extern void cedar_fragment_sort(CedarSchemaFragment *frag);

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

#endif							/* KEYCARD_CEDAR_SCHEMA_INT_H */
