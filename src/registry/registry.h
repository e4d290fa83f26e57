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

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"

#include "utils/jsonb.h"

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

/*
 * Writes a new time-ordered id (UUIDv7 layout) into buf[REGISTRY_ID_LEN + 1]
 * and returns the time it encodes (millisecond precision): created_at of the
 * object the id names, equal to keycard.id_time(id).
 */
extern TimestampTz registry_new_id(char *buf);

/* Caller identity (caller.c) ---------------------------------------- */

/* The database role acting: SET ROLE's role, else the session user. */
extern Oid	registry_caller_role(void);

/* True for the platform operator (JWT role claim, superuser, keycard_platform member). */
extern bool registry_caller_is_platform(void);

/* True if the caller may use the zone (unknown zones are not checked here). */
extern bool registry_zone_visible(const char *zone_id, int len);

/* created_by and friends: the JWT sub under PostgREST, else the role name. */
extern text *registry_current_actor(void);

/* A request header (lower-case name) from PostgREST's request.headers; NULL when absent or empty. */
extern char *registry_request_header(const char *name);

/* X-Client-Request-ID of the request (header under PostgREST's API roles, else setting), or NULL. */
extern text *registry_client_request_id(void);

/* Statements run through SPI (registry.c) ---------------------------------------- */

/*
 * A statement prepared once per backend as a generic plan: the registry's
 * statements are tiny, so planning them per call would dominate.
 */
typedef struct RegistryQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[20];
	SPIPlanPtr	plan;			/* kept for the life of the backend */
} RegistryQuery;

/* q's plan, prepared on first use and kept for the life of the backend (a generic plan). */
extern SPIPlanPtr registry_plan(RegistryQuery *q);

/* Runs q (SPI connected) and returns SPI_processed; nulls as for SPI_execute_plan. */
extern uint64 registry_run(RegistryQuery *q, Datum *values, const char *nulls, long count);

/*
 * Runs q as registry_run does, but reading with the latest snapshot (what
 * has committed by now) instead of the transaction's: the REPEATABLE READ
 * cross-checks of bindings.c, and the zone log's appends at commit.
 */
extern uint64 registry_run_latest(RegistryQuery *q, Datum *values, const char *nulls, long count);

/*
 * Row 0 of the last result as the composite result of the function called
 * by fcinfo: the result's columns, then extra[0..nextra), matched in order
 * to the row type's columns; allocated in the SPI caller's context.
 */
extern Datum registry_result_row(FunctionCallInfo fcinfo, int nextra, const Datum *extra,
								 const bool *extra_nulls);

/* Column col (1-based) of row 0 of the last result. */
extern Datum registry_result(int col, bool *isnull);
extern char *registry_result_text(int col);

/*
 * Raises SQLSTATE 25006 naming the function in a read-only transaction
 * (READ ONLY, default_transaction_read_only, a hot standby), before a
 * writing function does any work.
 */
extern void registry_require_writable(const char *function);

/* Version numbers (registry.c) ------------------------------------------------ */

/*
 * A new version's bump of its policy's or policy set's row: statement is an
 * UPDATE of latest_version (and friends) by primary key, returning the new
 * number and archived_at IS NOT NULL.  The UPDATE takes the row lock that
 * orders concurrent creators: each re-reads the number its predecessor
 * committed.  An archived row is refused (kind names it in the error:
 * "policy" or "policy set").  Returns the new number; SPI connected.
 */
extern int32 registry_bump(RegistryQuery *statement, Datum *values, const char *kind, const char *name);

/* The audit trail (registry.c) -------------------------------------------------- */

/*
 * A JSON value of an audit record's detail: a string (str, or JSON null when
 * NULL) or, with str NULL and is_int set, the integer num.
 */
typedef struct RegistryDetail
{
	const char *key;
	const char *str;
	bool		is_int;
	int64		num;
} RegistryDetail;

/*
 * Appends an audit_log row (SPI connected) for an action of the caller
 * (registry_current_actor, registry_client_request_id) on the object:
 * event_id is a fresh id, occurred_at now, detail the object of the n
 * members given (in any order; jsonb orders them), or the jsonb given.
 */
extern void registry_audit(text *zone_id, const char *action, const char *object_type,
						   const char *object_id, const RegistryDetail *detail, int n);
extern void registry_audit_jsonb(text *zone_id, const char *action, const char *object_type,
								 const char *object_id, Jsonb *detail);

/* The zone's transparency log (zone_log.c) ---------------------------------------- */

/*
 * Appends a leaf (canonical JSON, len bytes) to the zone's log when the
 * transaction commits (dropped if the subtransaction that wrote it aborts).
 * Every registry event passes through here: audit records
 * (registry_audit_jsonb), binding changes and attestations.
 */
extern void keycard_zone_log_init(void);
extern void registry_log_append(text *zone_id, const char *event_id, const char *object_type,
								const char *object_id, const char *leaf, int len);

#endif							/* KEYCARD_REGISTRY_H */
