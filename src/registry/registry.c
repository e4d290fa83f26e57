/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The policy registry's settings, its id generator, the runner of its
 *	  prepared SPI statements, version bumps and the audit trail.
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

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "canon.h"
#include "keycard.h"
#include "registry/registry.h"

PG_FUNCTION_INFO_V1(keycard_new_id);
PG_FUNCTION_INFO_V1(keycard_audit);

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
	keycard_zone_log_init();
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

/* q's plan, prepared and kept on first use (a generic plan). */
SPIPlanPtr
registry_plan(RegistryQuery *q)
{
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
	return q->plan;
}

uint64
registry_run(RegistryQuery *q, Datum *values, const char *nulls, long count)
{
	int			rc = SPI_execute_plan(registry_plan(q), values, nulls, false, count);

	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s", q->sql,
			 SPI_result_code_string(rc));
	return SPI_processed;
}

uint64
registry_run_latest(RegistryQuery *q, Datum *values, const char *nulls, long count)
{
	int			rc = SPI_execute_snapshot(registry_plan(q), values, nulls, GetLatestSnapshot(),
										  InvalidSnapshot, false, true, count);

	if (rc < 0)
		elog(ERROR, "SPI_execute_snapshot failed for \"%s\": %s", q->sql,
			 SPI_result_code_string(rc));
	return SPI_processed;
}

Datum
registry_result_row(FunctionCallInfo fcinfo, int nextra, const Datum *extra, const bool *extra_nulls)
{
	TupleDesc	desc;
	TupleDesc	src = SPI_tuptable->tupdesc;
	HeapTuple	row = SPI_tuptable->vals[0];
	Datum	   *values;
	bool	   *nulls;
	int			j = 0;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		nulls[i] = true;
		if (a->attisdropped)
			continue;
		if (j < src->natts)
		{
			if (TupleDescAttr(src, j)->atttypid != a->atttypid)
				elog(ERROR, "column %d of the result does not match the function's row type", j + 1);
			values[i] = SPI_getbinval(row, src, j + 1, &nulls[i]);
		}
		else if (j < src->natts + nextra)
		{
			values[i] = extra[j - src->natts];
			nulls[i] = extra_nulls[j - src->natts];
		}
		else
			elog(ERROR, "the function's row type has more columns than its result");
		j++;
	}
	if (j != src->natts + nextra)
		elog(ERROR, "the function's row type has fewer columns than its result");
	return PointerGetDatum(SPI_returntuple(heap_form_tuple(BlessTupleDesc(desc), values, nulls), desc));
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

void
registry_require_writable(const char *function)
{
	/* Also true on a hot standby: the server is read-only during recovery. */
	PreventCommandIfReadOnly(function);
}

int32
registry_bump(RegistryQuery *statement, Datum *values, const char *kind, const char *name)
{
	bool		isnull;

	if (registry_run(statement, values, NULL, 1) != 1)
		elog(ERROR, "%s \"%s\" has no row", kind, name);
	if (DatumGetBool(registry_result(2, &isnull)))
		registry_error("archived", psprintf("An archived %s accepts no new versions.", kind), NULL,
					   "%s \"%s\" is archived", kind, name);
	return DatumGetInt32(registry_result(1, &isnull));
}

static RegistryQuery audit_insert = {
	"INSERT INTO keycard.audit_log (zone_id, event_id, occurred_at, actor, request_id, action, "
	"object_type, object_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	9, {TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID}
};

void
registry_audit_jsonb(text *zone_id, const char *action, const char *object_type,
					 const char *object_id, Jsonb *detail)
{
	Datum		values[9];
	char		nulls[9];
	char		event_id[REGISTRY_ID_LEN + 1];
	text	   *request_id = registry_client_request_id();

	memset(nulls, ' ', sizeof(nulls));
	values[0] = PointerGetDatum(zone_id);
	registry_new_id(event_id);
	values[1] = CStringGetTextDatum(event_id);
	values[2] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[3] = PointerGetDatum(registry_current_actor());
	values[4] = PointerGetDatum(request_id);
	nulls[4] = request_id == NULL ? 'n' : ' ';
	values[5] = CStringGetTextDatum(action);
	values[6] = CStringGetTextDatum(object_type);
	values[7] = CStringGetTextDatum(object_id);
	values[8] = PointerGetDatum(detail);
	nulls[8] = detail == NULL ? 'n' : ' ';
	registry_run(&audit_insert, values, nulls, 0);

	/* The event's leaf in the zone's log (keycard.zone_log_expected() recomputes it). */
	{
		StringInfoData leaf;

		jcs_object_begin(&leaf);
		jcs_object_str(&leaf, "action", action);
		jcs_object_str(&leaf, "actor", text_to_cstring(DatumGetTextPP(values[3])));
		jcs_object_jsonb(&leaf, "detail", detail);
		jcs_object_str(&leaf, "event_id", event_id);
		jcs_object_str(&leaf, "object_id", object_id);
		jcs_object_str(&leaf, "object_type", object_type);
		jcs_object_str(&leaf, "type", "audit");
		jcs_object_str(&leaf, "zone_id", text_to_cstring(zone_id));
		jcs_object_end(&leaf);
		registry_log_append(zone_id, event_id, object_type, object_id, leaf.data, leaf.len);
	}
}

void
registry_audit(text *zone_id, const char *action, const char *object_type, const char *object_id,
			   const RegistryDetail *detail, int n)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;

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
	registry_audit_jsonb(zone_id, action, object_type, object_id,
						 JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
}

/*
 * SQL function: keycard.audit(zone_id text, action text, object_type text,
 *   object_id text, detail jsonb) returns void
 *
 * The registry's SQL functions record their writes through the same
 * statement as its C functions.
 */
Datum
keycard_audit(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		elog(ERROR, "keycard.audit: zone_id, action, object_type and object_id are required");
	SPI_connect();
	registry_audit_jsonb(PG_GETARG_TEXT_PP(0), text_to_cstring(PG_GETARG_TEXT_PP(1)),
						 text_to_cstring(PG_GETARG_TEXT_PP(2)), text_to_cstring(PG_GETARG_TEXT_PP(3)),
						 PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4));
	SPI_finish();
	PG_RETURN_VOID();
}

/* SQL function: keycard.new_id() returns text */
Datum
keycard_new_id(PG_FUNCTION_ARGS)
{
	char		buf[REGISTRY_ID_LEN + 1];

	registry_new_id(buf);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
