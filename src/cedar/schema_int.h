/*-------------------------------------------------------------------------
 *
 * schema_int.h
 *	  Internals shared by the schema files (schema.c, schema_build.c,
 *	  schema_parse.c) and the validator: name helpers and the resolved
 *	  schema's lookup tables (names.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_SCHEMA_INT_H
#define KEYCARD_CEDAR_SCHEMA_INT_H

#include "cedar/names.h"
#include "cedar/schema.h"

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

#endif							/* KEYCARD_CEDAR_SCHEMA_INT_H */
