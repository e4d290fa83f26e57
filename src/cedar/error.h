/*-------------------------------------------------------------------------
 *
 * error.h
 *	  The one way the Cedar front end raises errors (error.c): every
 *	  message names what was being read ("invalid Cedar policy: ...",
 *	  "invalid Cedar JSON schema: ..."), and errdetail says where, in one
 *	  format per kind of position:
 *
 *	    text:  The error is at line L, column C, at "<offending text>".
 *	    JSON:  The error is at JSON path $.a.b[2].
 *
 *	  Files keep a short local alias for their usual case (a syntax error
 *	  in parser.c, a shape error in est_in.c), defined as a call of these.
 *
 *	  SQLSTATEs used: 42601 syntax error (text), 22P02 malformed JSON
 *	  input, 22P05 a string holding U+0000 (cedar_error_nul_*: PostgreSQL
 *	  text and jsonb cannot store it), 42P17 a well-formed schema that is
 *	  not valid, 54000 a limit exceeded.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_ERROR_H
#define KEYCARD_CEDAR_ERROR_H

#include "lib/stringinfo.h"

/* What was being read; selects the start of the message */
typedef enum CedarInput
{
	CEDAR_INPUT_POLICY,			/* "invalid Cedar policy: " (text) */
	CEDAR_INPUT_EST,			/* "invalid Cedar EST policy: " */
	CEDAR_INPUT_SCHEMA,			/* "invalid Cedar schema: " (text, or resolved) */
	CEDAR_INPUT_JSON_SCHEMA,	/* "invalid Cedar JSON schema: " */
	CEDAR_INPUT_SCHEMA_TO_TEXT, /* "Cedar schema cannot be written as text: " */
	CEDAR_INPUT_VALIDATION,		/* "Cedar policies cannot be validated: " */
	CEDAR_INPUT_AUTHORIZATION	/* "invalid Cedar authorization request: " */
} CedarInput;

/* A text being parsed: the positions of its errors are byte offsets */
typedef struct CedarSource
{
	CedarInput	input;
	const char *text;
	int			len;
} CedarSource;

/* An error about the input as a whole (detail and hint may be NULL) */
extern void cedar_error(CedarInput input, int sqlerrcode, const char *detail,
						const char *hint, const char *fmt,...)
			pg_attribute_printf(5, 6) pg_attribute_noreturn();

/* An error at src->text[start..end) */
extern void cedar_error_at_text(const CedarSource *src, int sqlerrcode,
								int start, int end, const char *hint,
								const char *fmt,...)
			pg_attribute_printf(6, 7) pg_attribute_noreturn();

/* An error at a JSON path (jsonb_read.h's notation; empty = the root) */
extern void cedar_error_at_path(CedarInput input, int sqlerrcode,
								const StringInfoData *path, const char *hint,
								const char *fmt,...)
			pg_attribute_printf(5, 6) pg_attribute_noreturn();

/*
 * A string holding U+0000 (an escape such as \0 or \u{0} at
 * text[start..end), or a JSON string at path): 22P05, as jsonb refuses
 * \u0000.
 */
extern void cedar_error_nul_at_text(const CedarSource *src, int start, int end)
			pg_attribute_noreturn();
extern void cedar_error_nul_at_path(CedarInput input, const StringInfoData *path)
			pg_attribute_noreturn();

#endif							/* KEYCARD_CEDAR_ERROR_H */
