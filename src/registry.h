/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  The policy registry: error codes, ids, caller identity, and the C
 *	  functions that create policy versions and policy set versions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_REGISTRY_H
#define KEYCARD_REGISTRY_H

#include "postgres.h"

/* Length of a registry id as text: 8-4-4-4-12 hex digits. */
#define REGISTRY_ID_LEN 36

/*
 * Raises the registry error named by code (one of the stable snake_case codes
 * listed by keycard.error_codes()).  message is an errmsg-style format;
 * detail and hint are complete sentences or NULL.
 *
 * Outside PostgREST the SQLSTATE is PT<status> (PostgREST turns PTxyz into
 * HTTP status xyz) and the code travels as the constraint name of the error
 * (the rule that was violated).  Under PostgREST (request.method is set) the
 * error is raised with SQLSTATE PGRST and PostgREST's JSON message/detail, so
 * the HTTP body is {"code","message","details","hint"} with the stable code
 * and the right status, and 409s carry x-should-retry: false.
 */
extern void registry_error(const char *code, const char *detail, const char *hint,
						   const char *fmt,...) pg_attribute_printf(4, 5) pg_attribute_noreturn();

/* HTTP status of a registry error code, or 0 if the code is unknown. */
extern int	registry_error_status(const char *code);

/* Writes a new time-ordered id (UUIDv7 layout) into buf[REGISTRY_ID_LEN + 1]. */
extern void registry_new_id(char *buf);

#endif							/* KEYCARD_REGISTRY_H */
