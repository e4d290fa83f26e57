/*-------------------------------------------------------------------------
 *
 * jsonb_read.h
 *	  Walking a jsonb document with the JSON path of the current value at
 *	  hand (for error details), shared by the two strict JSON readers: EST
 *	  policies (est_in.c) and JSON schemas (schema.c).  The functions only
 *	  read and describe, except cedar_jsonb_check_no_nul; each reader raises
 *	  its own errors.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_JSONB_READ_H
#define KEYCARD_CEDAR_JSONB_READ_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "cedar/ast.h"
#include "cedar/error.h"

/* An object member: its key (a NUL-terminated copy) and its value */
typedef struct CedarJsonbMember
{
	CedarString key;
	JsonbValue	val;
} CedarJsonbMember;

/*
 * The path is a StringInfo, empty at the root: "$" is written with the first
 * step, then ".key" for identifiers, ["key"] (JSON-quoted) for other keys
 * and [i] for array elements.  Push returns the length that pop restores.
 */
extern int	cedar_jsonb_push_key(StringInfo path, const char *key, int keylen);
extern int	cedar_jsonb_push_index(StringInfo path, int i);
extern void cedar_jsonb_pop(StringInfo path, int saved);

/* The whole document as a value (an object, array or scalar container) */
extern void cedar_jsonb_root(Jsonb *jb, JsonbValue *root);

/* "null", "a string", "a number", "a boolean", "an object" or "an array" */
extern const char *cedar_jsonb_kind(const JsonbValue *v);

/* Object or array values (a document's scalar root is neither) */
extern bool cedar_jsonb_is_object(const JsonbValue *v);
extern bool cedar_jsonb_is_array(const JsonbValue *v);

/*
 * The members of an object value in jsonb's order (keys unique and sorted),
 * or the elements of an array value; the caller has checked the kind.
 */
extern CedarJsonbMember *cedar_jsonb_members(const JsonbValue *v, int *n);

/* The value of member key among m[0..n), or NULL */
extern const JsonbValue *cedar_jsonb_member(const CedarJsonbMember *m, int n,
											const char *key);
extern JsonbValue *cedar_jsonb_elems(const JsonbValue *v, int *n);

/*
 * Raises 22P05 (error.c's cedar_error_nul_at_path) at the first string, key
 * or value, holding U+0000.  jsonb's own input refuses \u0000, but a jsonb
 * built in C (such as EST stored by keycard before 0.2.0) may hold it, and
 * Cedar strings must not: PostgreSQL text cannot show them.
 */
extern void cedar_jsonb_check_no_nul(Jsonb *jb, CedarInput input);

#endif							/* KEYCARD_CEDAR_JSONB_READ_H */
