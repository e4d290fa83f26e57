/*
 * pg_compat.h
 *		What differs between the PostgreSQL major versions keycard builds
 *		against (15 and 17), kept in this one place behind PG_VERSION_NUM.
 *		Included after postgres.h.
 */
#ifndef KEYCARD_PG_COMPAT_H
#define KEYCARD_PG_COMPAT_H

/* PostgreSQL 16 moved the varlena macros (VARDATA, VARSIZE ...) out of postgres.h. */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * The callbacks of the JSON parser (JsonSemAction) return a JsonParseErrorType
 * since PostgreSQL 16, nothing before.  A callback is declared
 * "static JSON_ACTION_RESULT f(...)" and ends with "return JSON_ACTION_DONE;".
 */
#if PG_VERSION_NUM >= 160000
#define JSON_ACTION_RESULT JsonParseErrorType
#define JSON_ACTION_DONE JSON_SUCCESS
#else
#define JSON_ACTION_RESULT void
#define JSON_ACTION_DONE
#endif

/*
 * A JSON lexer over a string: PostgreSQL 17 takes a context to fill in first
 * (NULL allocates one); before it the string was not const.
 */
#if PG_VERSION_NUM >= 170000
#define json_lexer_for_string(json, len, encoding, need_escapes) \
	makeJsonLexContextCstringLen(NULL, (json), (len), (encoding), (need_escapes))
#else
#define json_lexer_for_string(json, len, encoding, need_escapes) \
	makeJsonLexContextCstringLen((char *) (json), (len), (encoding), (need_escapes))
#endif

#endif							/* KEYCARD_PG_COMPAT_H */
