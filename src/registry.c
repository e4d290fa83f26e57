/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The policy registry's settings, its id generator and the runner of
 *	  its prepared SPI statements.
 *
 * Ids are UUIDv7 (RFC 9562 §5.7) in text form: 48 bits of Unix milliseconds,
 * then 12 bits of sub-millisecond time (RFC 9562 §6.2, method 3), then
 * random bits.  Text order is creation order: within a backend strictly
 * (the 60-bit time is bumped when the clock has not moved), and across
 * backends to a fraction of a microsecond, so the history rows of two
 * transactions that follow each other sort in that order.  Keyset cursors
 * rely on it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "direct_write.h"
#include "direct_read.h"
#include "keycard.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(keycard_new_id);

/* keycard.client_request_id: X-Client-Request-ID for SQL callers. */
static char *client_request_id = NULL;

void
keycard_registry_init(void)
{
	DefineCustomStringVariable("keycard.client_request_id",
							   "Client request id recorded with every registry write.",
							   "SQL callers set it per transaction; under PostgREST the "
							   "X-Client-Request-ID header is used instead.",
							   &client_request_id,
							   NULL,
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
}

/*
 * Random bytes for ids, drawn from pg_strong_random in batches: one call per
 * id would cost more than the rest of the id.  The pool belongs to one
 * process (it is refilled, never inherited, after a fork).
 */
#define RANDOM_POOL_SIZE 512

static void
random_id_bytes(uint8 *dst, int n)
{
	static uint8 pool[RANDOM_POOL_SIZE];
	static int	used = RANDOM_POOL_SIZE;
	static int	pool_pid = 0;

	if (pool_pid != MyProcPid || used + n > RANDOM_POOL_SIZE)
	{
		if (!pg_strong_random(pool, sizeof(pool)))
			elog(ERROR, "could not generate random bytes");
		used = 0;
		pool_pid = MyProcPid;
	}
	memcpy(dst, pool + used, n);
	/* Used bytes are not kept around. */
	explicit_bzero(pool + used, n);
	used += n;
}

TimestampTz
registry_new_id(char *buf)
{
	static const char hex[] = "0123456789abcdef";
	static int64 last = 0;
	uint8		b[16];
	int64		us;
	int64		ms;
	int64		t;
	char	   *out = buf;

	us = GetCurrentTimestamp() +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC;

	/* Time in units of 1/4096 ms: milliseconds, then the 12-bit fraction. */
	t = (us / 1000) * 4096 + (us % 1000) * 4096 / 1000;
	if (t <= last)
		t = last + 1;			/* same tick: still after the previous id */
	last = t;
	ms = t >> 12;

	random_id_bytes(b + 8, 8);
	b[0] = (uint8) (ms >> 40);
	b[1] = (uint8) (ms >> 32);
	b[2] = (uint8) (ms >> 24);
	b[3] = (uint8) (ms >> 16);
	b[4] = (uint8) (ms >> 8);
	b[5] = (uint8) ms;
	b[6] = 0x70 | (uint8) ((t >> 8) & 0x0F);
	b[7] = (uint8) t;
	b[8] = 0x80 | (b[8] & 0x3F);

	/* 8-4-4-4-12 hex digits */
	for (int i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*out++ = '-';
		*out++ = hex[b[i] >> 4];
		*out++ = hex[b[i] & 0x0F];
	}
	*out = '\0';

	return (ms - (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000) * 1000;
}

uint64
registry_run(RegistryQuery *q, Datum *values, const char *nulls, long count)
{
	int			rc;

	if (q->plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare_cursor(q->sql, q->nargs, q->argtypes,
										   CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", q->sql,
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		q->plan = p;
	}
	rc = SPI_execute_plan(q->plan, values, nulls, false, count);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s", q->sql,
			 SPI_result_code_string(rc));
	return SPI_processed;
}

Datum
registry_result(int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);
}

char *
registry_result_text(int col)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
}

bool
registry_schema_status(Datum version, char **status)
{
	static const char *const key[] = {"version"};
	Relation	versions = direct_read_open("schema_versions", AccessShareLock);
	Relation	events;
	HeapTuple	tup;

	if (versions == NULL)
		return false;
	events = direct_read_open("schema_version_events", AccessShareLock);
	if (events == NULL)
	{
		table_close(versions, AccessShareLock);
		return false;
	}
	*status = NULL;
	tup = direct_fetch(versions, RelationGetPrimaryKeyIndex(versions), GetActiveSnapshot(),
					   ForwardScanDirection, 1, key, &version);
	if (tup != NULL)
	{
		/* The newest event: the primary key (version, event_id) backwards. */
		HeapTuple	event = direct_fetch(events, RelationGetPrimaryKeyIndex(events), GetActiveSnapshot(),
										 BackwardScanDirection, 1, key, &version);

		*status = event ? direct_gettext(events, event, "status")
			: direct_gettext(versions, tup, "initial_status");
	}
	table_close(events, AccessShareLock);
	table_close(versions, AccessShareLock);
	return true;
}

/* What a bump sets (bump_compute). */
typedef struct Bump
{
	const char *kind;
	const char *name;
	Datum		version_id;
	Datum		schema_version; /* (Datum) 0: not set */
} Bump;

static void
refuse_archived(bool archived, const Bump *b)
{
	if (archived)
		registry_error("archived", psprintf("An archived %s accepts no new versions.", b->kind), NULL,
					   "%s \"%s\" is archived", b->kind, b->name);
}

/* The bump's values from the row locked, as the statement's SET list computes them. */
static void
bump_compute(Relation rel, HeapTuple row, Datum *values, bool *nulls, void *arg)
{
	Bump	   *b = arg;
	bool		isnull;
	Datum		latest;

	(void) direct_getattr(rel, row, "archived_at", &isnull);
	refuse_archived(!isnull, b);
	latest = direct_getattr(rel, row, "latest_version", &isnull);
	values[0] = Int32GetDatum(isnull ? 1 : DatumGetInt32(latest) + 1);
	values[1] = b->version_id;
	nulls[0] = nulls[1] = false;
	if (b->schema_version != (Datum) 0)
	{
		values[2] = b->schema_version;
		nulls[2] = false;
	}
}

int32
registry_bump(DirectWriteTarget *target, const char *const *key, RegistryQuery *statement,
			  Datum *values, const char *kind, const char *name)
{
	Bump		b = {kind, name, values[2], statement->nargs > 3 ? values[3] : (Datum) 0};
	Datum		row;
	bool		isnull;

	if (direct_update(target, 2, key, values, bump_compute, &b, &row))
	{
		if (row == (Datum) 0)
			elog(ERROR, "%s \"%s\" has no row", kind, name);
		return DatumGetInt32(GetAttributeByName(DatumGetHeapTupleHeader(row), "latest_version", &isnull));
	}
	if (registry_run(statement, values, NULL, 1) != 1)
		elog(ERROR, "%s \"%s\" has no row", kind, name);
	refuse_archived(DatumGetBool(registry_result(2, &isnull)), &b);
	return DatumGetInt32(registry_result(1, &isnull));
}

static const char *const audit_cols[] = {
	"zone_id", "event_id", "occurred_at", "actor", "request_id", "action", "object_type",
	"object_id", "detail"
};
static const Oid audit_types[] = {
	TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID
};
static DirectWriteTarget audit_target = {"audit_log", lengthof(audit_cols), audit_cols, audit_types};

void
registry_audit(text *zone_id, text *actor, text *request_id,
			   const char *action, const char *object_type, const char *object_id,
			   const RegistryDetail *detail, int n)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;
	Datum		values[lengthof(audit_cols)];
	bool		nulls[lengthof(audit_cols)] = {false};
	char		event_id[REGISTRY_ID_LEN + 1];

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n; i++)
	{
		v.type = jbvString;
		v.val.string.val = (char *) detail[i].key;
		v.val.string.len = strlen(detail[i].key);
		pushJsonbValue(&state, WJB_KEY, &v);
		if (detail[i].str)
		{
			v.type = jbvString;
			v.val.string.val = (char *) detail[i].str;
			v.val.string.len = strlen(detail[i].str);
		}
		else if (detail[i].is_int)
		{
			v.type = jbvNumeric;
			v.val.numeric = int64_to_numeric(detail[i].num);
		}
		else
			v.type = jbvNull;
		pushJsonbValue(&state, WJB_VALUE, &v);
	}

	values[0] = PointerGetDatum(zone_id);
	registry_new_id(event_id);
	values[1] = CStringGetTextDatum(event_id);
	values[2] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[3] = PointerGetDatum(actor);
	values[4] = PointerGetDatum(request_id);
	nulls[4] = request_id == NULL;
	values[5] = CStringGetTextDatum(action);
	values[6] = CStringGetTextDatum(object_type);
	values[7] = CStringGetTextDatum(object_id);
	values[8] = JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
	/* audit_log has no foreign key: nothing to vouch for. */
	direct_insert(&audit_target, values, nulls, 0);
}

/* SQL function: keycard.new_id() returns text */
Datum
keycard_new_id(PG_FUNCTION_ARGS)
{
	char		buf[REGISTRY_ID_LEN + 1];

	registry_new_id(buf);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
