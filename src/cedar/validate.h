/*-------------------------------------------------------------------------
 *
 * validate.h
 *	  Strict-mode validation of Cedar policies against a schema: the type
 *	  checker of the reference (cedar-policy 4.13, ValidationMode::Strict),
 *	  over the shared policy AST (ast.h) and a resolved schema (schema.h).
 *
 *	  Usage (the registry): load the schema once with
 *	  cedar_schema_load_jsonb(), then for each policy AST call
 *	  cedar_validate_policy(); the policy is valid iff no error was added.
 *	  Warnings (impossible policy, no applicable action) never make a policy
 *	  invalid.
 *
 *	  Error codes are the reference's validation error kinds:
 *	  unrecognized_entity_type, unrecognized_action_id, invalid_enum_entity,
 *	  unexpected_type, incompatible_types, unsafe_attribute_access,
 *	  unsafe_optional_attribute_access, unsafe_tag_access, no_tags_allowed,
 *	  undefined_function, wrong_number_arguments,
 *	  function_argument_validation, non_lit_ext_constructor,
 *	  empty_set_forbidden, internal_invariant_violation; warnings:
 *	  impossible_policy, invalid_action_application.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_VALIDATE_H
#define KEYCARD_CEDAR_VALIDATE_H

#include "cedar/ast.h"
#include "cedar/schema.h"

typedef struct CedarValidationIssue
{
	const char *policy_id;
	const char *code;			/* e.g. "unsafe_attribute_access" */
	char	   *message;
	int			start;			/* byte offsets into the policy source, or -1 */
	int			end;
} CedarValidationIssue;

typedef struct CedarValidationResult
{
	CedarValidationIssue *errors;
	int			nerrors;
	CedarValidationIssue *warnings;
	int			nwarnings;
	int			cap_errors;		/* private */
	int			cap_warnings;	/* private */
	int64		work;			/* private: type-checking steps so far */
	struct cedar_names_hash *seen;	/* private: the issues, for dedup */
	MemoryContext cxt;			/* private: where the issues live */
} CedarValidationResult;

/*
 * The most type-checking steps one result may take (over all policies
 * validated into it); beyond, validation fails with 54000.  Type-checking
 * runs once per request environment (action x principal type x resource
 * type), so a schema of a few hundred bytes can ask for billions of steps.
 * The limit is about a second of work.
 */
#define CEDAR_VALIDATION_MAX_WORK 5000000

/* Initializes an empty result, kept in the current memory context */
extern void cedar_validation_result_init(CedarValidationResult *res);

/*
 * Validates one static policy in strict mode, appending its errors and
 * warnings (each distinct issue once) to res.  Allocates in the current
 * memory context (issues in res's); SQLSTATE 54000 past
 * CEDAR_VALIDATION_MAX_WORK steps.
 */
extern void cedar_validate_policy(const CedarSchema *schema,
								  const CedarPolicy *policy,
								  const char *policy_id,
								  CedarValidationResult *res);

/*
 * Validates extension-constructor literals the way the reference parses
 * them at validation time: name is "ip", "decimal", "datetime" or
 * "duration".  Returns NULL if lit is valid, else a message.
 */
extern const char *cedar_check_extension_literal(const char *name,
												 const char *lit, int len);

#endif							/* KEYCARD_CEDAR_VALIDATE_H */
