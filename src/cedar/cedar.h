/*-------------------------------------------------------------------------
 *
 * cedar.h
 *	  Public C API of the Cedar policy front end (issue 4): Cedar text and
 *	  Cedar EST JSON ("JSON policy format") to and from the shared AST
 *	  (cedar/ast.h), with the same results as the Cedar 4.13 reference:
 *	  text -> EST = policyToJson, EST -> text = policyToText.
 *
 *	  All functions allocate their results in CurrentMemoryContext; callers
 *	  that parse untrusted input should run them in a scratch context and
 *	  copy out what they keep (the cedar_*_normalize helpers below do so).
 *
 *	  Errors are raised with ereport(ERROR) (error.h): SQLSTATE 42601 (syntax
 *	  error) for Cedar text, 22P02 (invalid text representation) for
 *	  malformed EST, 22P05 (untranslatable character) for a string holding
 *	  U+0000 in either (\0, \x00, \u{0}: the reference allows it, but
 *	  PostgreSQL text and jsonb cannot store it); errdetail gives the line,
 *	  column and offending text, or the JSON path.  Policy versions hold only
 *	  static policies, so templates (?principal / ?resource slots) are
 *	  rejected in both formats.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_H
#define KEYCARD_CEDAR_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "cedar/ast.h"

/*
 * Nesting limit of expressions (parentheses, operators, sets, records) in
 * both formats; deeper input is rejected with a clear error before the
 * stack-depth check could trip.
 */
#define CEDAR_MAX_NESTING 1000

/* Parses text[0..len) holding exactly one static Cedar policy. */
extern CedarPolicy *cedar_parse_policy(const char *text, int len);

/* Every policy of a policy set text, in text order (ids policy0, policy1, ...). */
extern CedarPolicy **cedar_parse_policy_set(const char *text, int len, int *npolicies);

/* Reads an EST policy (strict format check). */
extern CedarPolicy *cedar_policy_from_est(Jsonb *est);

/* The EST of a policy, exactly as policyToJson gives it. */
extern Jsonb *cedar_policy_to_est(const CedarPolicy *policy);

/* Appends the policy's Cedar text, exactly as policyToText gives it. */
extern void cedar_policy_append_text(StringInfo out, const CedarPolicy *policy);

/*
 * Normalized EST (what content hashes are taken over) of Cedar text or of
 * an EST document; the same policy in either format, with any layout or
 * comments, gives the same jsonb.  Parsing runs in a private memory
 * context; the result is allocated in the caller's.
 */
extern Jsonb *cedar_text_normalize(const char *text, int len);
extern Jsonb *cedar_est_normalize(Jsonb *est);

/*
 * The scratch context of one call (cedar_policy.c): begin creates it, makes
 * it current and starts an empty output buffer in it; each end function
 * switches back, converts or copies the result into the caller's context
 * and deletes the scratch context.
 */
typedef struct CedarScratch
{
	MemoryContext caller;
	MemoryContext scratch;
	StringInfoData out;			/* output built in the scratch context */
} CedarScratch;

/* name: a string literal, shown in memory context dumps */
extern void cedar_scratch_begin(CedarScratch *sc, const char *name);
/* out as text */
extern text *cedar_scratch_end_text(CedarScratch *sc);
/* out, which holds JSON text, as jsonb */
extern Jsonb *cedar_scratch_end_json(CedarScratch *sc);
/* a jsonb value built in the scratch context, copied out (out is unused) */
extern Jsonb *cedar_scratch_end_jsonb(CedarScratch *sc, const Jsonb *jb);

/* Extension functions and methods known to the parser and the printer */
typedef enum CedarExtStyle
{
	CEDAR_EXT_UNKNOWN,
	CEDAR_EXT_FUNCTION,			/* ip("..."), decimal("..."), ... */
	CEDAR_EXT_METHOD			/* a.isInRange(b), a.lessThan(b), ... */
} CedarExtStyle;

extern CedarExtStyle cedar_ext_style(const char *name, int len);

/*
 * Appends s as the reference quotes strings (Rust's str::escape_debug): in
 * policyToText, schemaToText and messages.  escape.c.
 */
extern void cedar_append_escape_debug(StringInfo out, const char *s, int len);

#endif							/* KEYCARD_CEDAR_H */
