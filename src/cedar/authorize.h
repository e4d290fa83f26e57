/*-------------------------------------------------------------------------
 *
 * authorize.h
 *	  Cedar authorization (the reference's isAuthorized, cedar-policy 4.13),
 *	  in three separate steps so that a caller can compile a policy set once
 *	  and answer many requests against it:
 *
 *	    1. cedar_policy_set_compile: policy set text -> CedarPolicySet
 *	       (parsed once; evaluation never changes it).
 *	    2. cedar_entities_build: entity JSON (+ optional schema) ->
 *	       CedarEntityStore, checked as the reference checks it (schema
 *	       conformance, duplicates, hierarchy cycles), with the schema's
 *	       actions joined.
 *	       cedar_request_build: principal/action/resource/context JSON ->
 *	       CedarRequest (context parsed by the schema, request validated
 *	       when asked).
 *	    3. cedar_authorize: one request against a policy set and a store ->
 *	       CedarDecision.
 *
 *	  Steps 1 and 2 raise ereport(ERROR) for input the reference refuses as
 *	  a whole (22P02 malformed, 22023 not conforming, 42601 policy syntax,
 *	  54000 JSON nested deeper than the reference reads); step 3 never
 *	  errors on data: a policy whose evaluation errs is only listed in the
 *	  decision's errored policies.  A store may serve many requests (its
 *	  walks of the hierarchy leave only marks behind).
 *
 *	  Memory: results live in the memory context current at the call;
 *	  cedar_authorize allocates its scratch there too (callers evaluating
 *	  many requests reset a per-request context).
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_AUTHORIZE_H
#define KEYCARD_CEDAR_AUTHORIZE_H

#include "cedar/ast.h"
#include "cedar/schema.h"
#include "cedar/value.h"
#include "utils/jsonb.h"

/* A parsed policy set: policies with their ids, in the order given */
typedef struct CedarPolicySet
{
	CedarPolicy **policies;
	const char **ids;
	int			n;
} CedarPolicySet;

/* Policy set text; ids policy0, policy1, ... in text order */
extern CedarPolicySet *cedar_policy_set_compile(const char *text, int len);

/*
 * The text of exactly one policy (a set of policies with their ids is then
 * built by the caller).
 */
extern CedarPolicy *cedar_policy_compile(const char *text, int len);

/*
 * Schema text for evaluation.  The compile functions accept strings
 * holding U+0000 (\0 escapes), as the reference does: evaluation keeps
 * them in counted strings, never in PostgreSQL text.
 */
extern const CedarSchema *cedar_schema_compile(const char *text, int len);

/* An entity of the store (entities.c) */
typedef struct CedarEntity CedarEntity;
typedef struct CedarEntityStore CedarEntityStore;

/*
 * entities: a JSON array of Cedar entity JSON objects; schema may be NULL
 * (no schema-directed parsing, no conformance checks, no schema actions).
 */
extern CedarEntityStore *cedar_entities_build(const JsonbValue *entities,
											  const CedarSchema *schema);

/* The entity with that uid, or NULL if absent from the set */
extern CedarEntity *cedar_entities_lookup(CedarEntityStore *store,
										  const CedarString *type,
										  const CedarString *id);

typedef struct CedarRequest
{
	const CedarValue *principal;	/* entity values */
	const CedarValue *action;
	const CedarValue *resource;
	const CedarValue *context;	/* a record */
} CedarRequest;

/*
 * principal/action/resource: {"type","id"} or {"__entity": {...}};
 * context: a JSON object.  With a schema, the context is parsed by the
 * action's context type; validate additionally checks the request against
 * the action's declaration (ignored without a schema).
 */
extern CedarRequest *cedar_request_build(const JsonbValue *principal,
										 const JsonbValue *action,
										 const JsonbValue *resource,
										 const JsonbValue *context,
										 const CedarSchema *schema,
										 bool validate);

typedef struct CedarDecision
{
	bool		allow;
	const char **reasons;		/* ids: satisfied permits (allow) or forbids */
	int			nreasons;
	const char **errored;		/* ids of policies whose evaluation erred */
	int			nerrored;
} CedarDecision;

extern void cedar_authorize(const CedarPolicySet *policies,
							CedarEntityStore *store,
							const CedarRequest *request,
							CedarDecision *decision);

#endif							/* KEYCARD_CEDAR_AUTHORIZE_H */
