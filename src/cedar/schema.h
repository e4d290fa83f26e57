/*-------------------------------------------------------------------------
 *
 * schema.h
 *	  Cedar schemas: the JSON schema format, the Cedar schema text format,
 *	  and the resolved schema the strict validator (validate.h) checks
 *	  policies against.
 *
 *	  Two levels, as in the reference (cedar-policy 4.13):
 *
 *	  - CedarSchemaFragment: a schema exactly as written, names unresolved
 *	    (`User`, `NS::User`, `__cedar::String` kept as spelled).  Read from
 *	    JSON (cedar_schema_fragment_from_jsonb) or text
 *	    (cedar_schema_fragment_from_text); written as JSON
 *	    (cedar_schema_fragment_to_json, = schemaToJson) or text
 *	    (cedar_schema_fragment_to_text, = schemaToText).  Every map is
 *	    sorted as the reference's BTreeMaps are.
 *
 *	  - CedarSchema: the fragment with every name resolved, common types
 *	    inlined, entity and action hierarchies linked, and hash tables for
 *	    lookups (cedar_schema_build).  Building rejects what the reference
 *	    rejects: undeclared types or actions, cycles among common types or
 *	    actions, shadowing (RFC 70), non-record shapes and contexts.
 *
 *	  Errors are raised with ereport (error.h): 42601 for schema text syntax,
 *	  22P02 for bad JSON shape (errdetail gives the JSON path), 22P05 for a
 *	  string holding U+0000 in either format, 42P17 for a schema that is
 *	  well-formed but not a valid schema.
 *
 *	  Memory: everything is palloc'd in the context current at the call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_SCHEMA_H
#define KEYCARD_CEDAR_SCHEMA_H

#include "cedar/cedar.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* Nesting limit for schema types (records, sets) in either format */
#define CEDAR_SCHEMA_MAX_DEPTH 256

/* ---------- fragment: the schema as written ---------- */

typedef enum CedarSTypeKind
{
	CEDAR_ST_STRING,			/* {"type": "String"} */
	CEDAR_ST_LONG,				/* {"type": "Long"} */
	CEDAR_ST_BOOL,				/* {"type": "Boolean"} */
	CEDAR_ST_SET,				/* {"type": "Set", "element": T} */
	CEDAR_ST_RECORD,			/* {"type": "Record", "attributes": {...}} */
	CEDAR_ST_ENTITY,			/* {"type": "Entity", "name": N} */
	CEDAR_ST_ENTITY_OR_COMMON,	/* {"type": "EntityOrCommon", "name": N} */
	CEDAR_ST_EXTENSION,			/* {"type": "Extension", "name": N} */
	CEDAR_ST_COMMON				/* {"type": N}: a common type reference */
} CedarSTypeKind;

typedef struct CedarSAnnotations
{
	CedarAnnotation *items;		/* sorted by key; has_value false = null */
	int			n;
} CedarSAnnotations;

typedef struct CedarSAttr CedarSAttr;

typedef struct CedarSType
{
	CedarSTypeKind kind;
	const char *name;			/* ENTITY, ENTITY_OR_COMMON, EXTENSION, COMMON */
	struct CedarSType *element; /* SET */
	CedarSAttr *attrs;			/* RECORD: sorted by name, unique */
	int			nattrs;
	int			start;			/* text offset of the type, or -1 */
} CedarSType;

struct CedarSAttr
{
	CedarString name;
	CedarSType *type;
	bool		required;
	CedarSAnnotations annotations;
};

typedef struct CedarSCommonType
{
	const char *name;
	CedarSType *type;
	CedarSAnnotations annotations;
} CedarSCommonType;

typedef struct CedarSEntityType
{
	const char *name;
	bool		is_enum;
	CedarString *choices;		/* enum entity ids, in written order */
	int			nchoices;
	const char **parents;		/* memberOfTypes as written */
	int			nparents;
	CedarSType *shape;			/* NULL: no shape (= empty record) */
	CedarSType *tags;			/* NULL: no tags */
	CedarSAnnotations annotations;
} CedarSEntityType;

typedef struct CedarSActionRef
{
	CedarString id;
	const char *type;			/* NULL: "type" absent (means Action) */
} CedarSActionRef;

typedef struct CedarSAction
{
	CedarString name;
	bool		has_applies_to;
	const char **principals;
	int			nprincipals;
	const char **resources;
	int			nresources;
	CedarSType *context;		/* NULL: no context (= empty record) */
	bool		has_member_of;
	CedarSActionRef *parents;
	int			nparents;
	CedarSAnnotations annotations;
} CedarSAction;

typedef struct CedarSNamespace
{
	const char *name;			/* "" for the empty namespace */
	CedarSAnnotations annotations;
	CedarSCommonType *commons;	/* each array sorted by name */
	int			ncommons;
	CedarSEntityType *entities;
	int			nentities;
	CedarSAction *actions;
	int			nactions;
} CedarSNamespace;

typedef struct CedarSchemaFragment
{
	CedarSNamespace *namespaces;	/* empty namespace first, then by name */
	int			nnamespaces;
} CedarSchemaFragment;

/* ---------- resolved schema ---------- */

typedef enum CedarTypeKind
{
	CEDAR_T_NEVER,
	CEDAR_T_TRUE,
	CEDAR_T_FALSE,
	CEDAR_T_BOOL,
	CEDAR_T_LONG,
	CEDAR_T_STRING,
	CEDAR_T_SET,
	CEDAR_T_RECORD,
	CEDAR_T_ENTITY,				/* one of the entity types in lub */
	CEDAR_T_ANY_ENTITY,
	CEDAR_T_EXT
} CedarTypeKind;

typedef struct CedarType CedarType;

typedef struct CedarAttrType
{
	CedarString name;
	const CedarType *type;
	bool		required;
} CedarAttrType;

struct CedarType
{
	CedarTypeKind kind;
	const CedarType *elem;		/* SET: NULL = element type unknown */
	const CedarAttrType *attrs; /* RECORD: sorted by name */
	int			nattrs;
	bool		open;			/* RECORD: more attributes may exist */
	const char **lub;			/* ENTITY: sorted names, >= 1 */
	int			nlub;
	const char *ext;			/* EXT: ipaddr, decimal, datetime, duration */
};

typedef struct CedarEntityTypeDef CedarEntityTypeDef;

struct CedarEntityTypeDef
{
	const char *name;			/* fully qualified */
	bool		is_enum;
	const CedarString *choices;
	int			nchoices;
	const CedarType *shape;		/* a closed RECORD */
	const CedarType *tags;		/* NULL: no tags */
	CedarEntityTypeDef **parents;
	int			nparents;
	CedarEntityTypeDef **children;	/* types declared `in` this one */
	int			nchildren;
	int			idx;			/* position in cedar_schema_entity_types() */
	struct cedar_names_hash *choice_set;	/* enums: the choices (names.h) */
};

typedef struct CedarActionDef CedarActionDef;

struct CedarActionDef
{
	const char *type;			/* "Action" or "NS::Action" */
	CedarString id;
	const char *display;		/* Action::"view" (for messages) */
	CedarEntityTypeDef **principals;	/* distinct, in declaration order */
	int			nprincipals;
	CedarEntityTypeDef **resources; /* distinct, in declaration order */
	int			nresources;
	const CedarType *context;	/* a closed RECORD */
	CedarActionDef **parents;
	int			nparents;
	CedarActionDef **children;
	int			nchildren;
	int			idx;			/* position in cedar_schema_actions() */
};

typedef struct CedarSchema CedarSchema;

/* ---------- API ---------- */

/* JSON schema (jsonb) -> fragment; strict shape checks, errors name a JSON path */
extern CedarSchemaFragment *cedar_schema_fragment_from_jsonb(Jsonb *jb);

/* Cedar schema text -> fragment (= the reference's parse, before checks) */
extern CedarSchemaFragment *cedar_schema_fragment_from_text(const char *src,
															int len);

/* Appends the fragment as JSON text (schemaToJson's value) */
extern void cedar_schema_fragment_to_json(StringInfo out,
										  const CedarSchemaFragment *frag);

/* Appends the fragment as Cedar schema text, byte-equal to schemaToText */
extern void cedar_schema_fragment_to_text(StringInfo out,
										  const CedarSchemaFragment *frag);

/* Resolves and checks a fragment */
extern CedarSchema *cedar_schema_build(const CedarSchemaFragment *frag);

/* Convenience: jsonb -> fragment -> resolved schema */
extern CedarSchema *cedar_schema_load_jsonb(Jsonb *jb);

/* Lookups (hash tables; NULL if unknown) */
extern CedarEntityTypeDef *cedar_schema_entity_type(const CedarSchema *schema,
													const char *name, int len);
extern CedarActionDef *cedar_schema_action(const CedarSchema *schema,
										   const char *type, int typelen,
										   const char *id, int idlen);
/* True if name is the type of some declared action ("Action", "NS::Action") */
extern bool cedar_schema_is_action_type(const CedarSchema *schema,
										const char *name, int len);

/* Every action, and every entity type (for iteration) */
extern CedarActionDef **cedar_schema_actions(const CedarSchema *schema, int *n);
extern CedarEntityTypeDef **cedar_schema_entity_types(const CedarSchema *schema,
													  int *n);

/*
 * Appends a type in the reference's notation (Long, Set<User>, {a: Long}),
 * cut to CEDAR_TYPE_TEXT_MAX bytes followed by "..." if longer.
 */
#define CEDAR_TYPE_TEXT_MAX 4096
extern void cedar_type_append(StringInfo out, const CedarType *t);

#endif							/* KEYCARD_CEDAR_SCHEMA_H */
