/*-------------------------------------------------------------------------
 *
 * eval_int.h
 *	  Internals shared by the evaluator's files: the entity store's layout
 *	  (entities.c), Cedar JSON values (json_value.c) and extension calls
 *	  (eval.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_EVAL_INT_H
#define KEYCARD_CEDAR_EVAL_INT_H

#include "cedar/authorize.h"
#include "cedar/error.h"
#include "lib/stringinfo.h"

struct CedarEntity
{
	CedarString type;
	CedarString id;
	const CedarValue *uid;		/* the entity's own uid as a value */
	bool		exists;			/* false: only named as a parent */
	const CedarValue *attrs;	/* a record (empty if !exists) */
	const CedarValue *tags;		/* a record (empty if none) */
	CedarEntity **parents;
	int			nparents;
	uint32		mark[2];		/* ancestor walks, two at a time (entities.c) */
	int			dfs_state;		/* cycle detection */
};

/* The ancestors of e (transitively) include target (by uid) */
extern bool cedar_entity_is_descendant(CedarEntityStore *store,
									   CedarEntity *e,
									   const CedarValue *target);

/*
 * The same for every entity of a set at once: true if any element is an
 * ancestor; every element must be an entity (the caller checked).
 */
extern bool cedar_entity_is_descendant_of_any(CedarEntityStore *store,
											  CedarEntity *e,
											  const CedarValue *set);

/*
 * A Cedar JSON value (entity attributes, tags, context) -> runtime value.
 * type NULL: no schema information (escapes must be explicit, {"type",
 * "id"} is a record); otherwise the value is parsed and checked by the
 * schema type (implicit entity and extension forms accepted).  schema is
 * used for entity uid checks (enum ids, declared actions); may be NULL.
 * Raises 22P02/22023 at path.
 */
extern const CedarValue *cedar_json_to_value(const JsonbValue *v,
											 const CedarType *type,
											 bool check_types,
											 const CedarSchema *schema,
											 StringInfo path, int level);

/*
 * level above: the nesting level of v in the whole call (the call object is
 * level 1, its context object level 2, an entity's attrs object level 4).
 * The reference reads the call with serde_json, which refuses more than
 * CEDAR_JSON_MAX_LEVEL levels of arrays and objects.
 */
#define CEDAR_JSON_MAX_LEVEL 127

/*
 * An entity uid in the JSON forms {"type", "id"} or {"__entity": {...}};
 * raises 22P02 at path.
 */
extern const CedarValue *cedar_json_to_uid(const JsonbValue *v, StringInfo path);

/* Schema checks of an entity reference (enum choices, declared actions) */
extern void cedar_check_uid_in_schema(const CedarSchema *schema,
									  const CedarValue *uid, StringInfo path);

/*
 * Calls the extension function or method name with args (a method's
 * receiver first); NULL on an evaluation error, with *why set.
 * Also used for the __extn escape of Cedar JSON.
 */
extern const CedarValue *cedar_ext_call(const char *name, int namelen,
										const CedarValue **args, int nargs,
										const char **why);

/* Error helper: "invalid Cedar authorization request: ..." at a JSON path */
#define authz_error_at(code, path, hint, ...) \
	cedar_error_at_path(CEDAR_INPUT_AUTHORIZATION, code, path, hint, __VA_ARGS__)

#endif							/* KEYCARD_CEDAR_EVAL_INT_H */
