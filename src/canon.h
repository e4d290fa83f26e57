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

/*
 * Parses JSON text under I-JSON rules (no duplicate member names, no lone
 * surrogates, numbers within double range) and appends its canonical form to
 * out.  Violations raise an error naming the offending JSON path.
 */
extern void jcs_append_json_text(StringInfo out, const char *json, int len);

#endif							/* KEYCARD_CANON_H */
