/*-------------------------------------------------------------------------
 *
 * canon.h
 *	  RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CANON_H
#define KEYCARD_CANON_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* Appends the canonical form of a jsonb value to out. */
extern void jcs_append_jsonb(StringInfo out, Jsonb *jb);

/* The hex SHA-256 of a jsonb value's canonical form (hex: 65 bytes). */
extern void jcs_sha256_hex(Jsonb *jb, char *hex);

/*
 * Parses JSON text under I-JSON rules (no duplicate member names, no lone
 * surrogates, numbers within double range) and appends its canonical form to
 * out.  Violations raise an error naming the offending JSON path.
 */
extern void jcs_append_json_text(StringInfo out, const char *json, int len);

/*
 * As jcs_append_json_text, for text already verified as UTF-8 (any text or
 * json datum of a UTF8 database): skips the encoding check.
 */
extern void jcs_append_json_text_verified(StringInfo out, const char *json, int len);

/* Appends s (len bytes of UTF-8, NUL allowed) as a JCS string literal. */
extern void jcs_append_string(StringInfo out, const char *s, int len);

/* Appends a finite double in the JCS (ECMAScript Number::toString) form. */
extern void jcs_append_double(StringInfo out, double d);

/*
 * A canonical JSON object written member by member into a fresh buffer:
 * begin, then the members in JCS order (for ASCII keys, byte order), then
 * end.  A NULL string or jsonb value is written as null.
 */
extern void jcs_object_begin(StringInfo buf);
extern void jcs_object_str(StringInfo buf, const char *key, const char *value);
extern void jcs_object_int(StringInfo buf, const char *key, int64 value);
extern void jcs_object_jsonb(StringInfo buf, const char *key, Jsonb *value);
extern void jcs_object_end(StringInfo buf);

#endif							/* KEYCARD_CANON_H */
