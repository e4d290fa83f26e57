/*-------------------------------------------------------------------------
 *
 * api_read.c
 *	  keycard.api_read(query, args): the statement of a list page, run with
 *	  a plan kept for the life of the backend.
 *
 * A list endpoint builds its statement from the request's shape (filters
 * present, sort, direction), never from its values: those are parameters.
 * PL/pgSQL's EXECUTE plans every statement anew, which cost more than the
 * page it reads; here each distinct text is prepared once, as a generic
 * plan, like the registry's own statements (registry.c).  The plan cache
 * re-plans on DDL, and on a change of role or search_path where the plan
 * depends on them (row-level security), exactly as for any prepared
 * statement: the statement runs as the caller, with every check the
 * caller's query would get.
 *
 * A plan is kept per role as well: where row-level security applies, the
 * plan cache re-plans a statement run by another role than the last, and
 * one connection of PostgREST serves several roles (keycard_api,
 * keycard_platform) in turn.
 *
 * The set of texts is bounded by the api functions' code (anyone may call
 * keycard.api_read with any text, though: past API_READ_PLANS kept plans,
 * further texts are planned per call).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "keycard.h"

PG_FUNCTION_INFO_V1(keycard_api_read);

/* The most plans kept per backend. */
#define API_READ_PLANS 256

/* The most parameters of one statement. */
#define API_READ_MAX_ARGS 32

/* One kept statement; those whose text hashes alike share a bucket. */
typedef struct ReadPlan
{
	char	   *sql;			/* in CacheMemoryContext */
	int			nargs;
	Oid			role;			/* the role it was prepared for */
	SPIPlanPtr	plan;
	struct ReadPlan *next;		/* same hash bucket */
} ReadPlan;

typedef struct ReadPlanBucket
{
	uint32		hash;			/* key: hash of the text, number of args and role */
	ReadPlan   *first;
} ReadPlanBucket;

static HTAB *read_plans = NULL;
static long read_plan_count = 0;

/*
 * The plan of sql with nargs text parameters for the current role: the kept
 * one, else prepared now and kept (unless API_READ_PLANS are kept already:
 * then it is SPI's, freed by SPI_finish; a kept plan is never freed, as an
 * outer call may be running it).
 */
static SPIPlanPtr
read_plan(const char *sql, int nargs)
{
	Oid			role = GetUserId();
	uint32		h = hash_bytes((const unsigned char *) sql, strlen(sql)) ^ (uint32) nargs ^ (uint32) role;
	ReadPlanBucket *b;
	bool		found;
	ReadPlan   *p;
	Oid			argtypes[API_READ_MAX_ARGS];
	SPIPlanPtr	plan;

	if (read_plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint32);
		ctl.entrysize = sizeof(ReadPlanBucket);
		ctl.hcxt = CacheMemoryContext;
		read_plans = hash_create("keycard api_read plans", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	b = hash_search(read_plans, &h, HASH_FIND, NULL);
	if (b != NULL)
		for (p = b->first; p != NULL; p = p->next)
			if (p->nargs == nargs && p->role == role && strcmp(p->sql, sql) == 0)
				return p->plan;

	for (int i = 0; i < nargs; i++)
		argtypes[i] = TEXTOID;
	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (read_plan_count >= API_READ_PLANS)
		return plan;

	/* the entry first: should that fail, the plan is still SPI's to free */
	p = MemoryContextAlloc(CacheMemoryContext, sizeof(ReadPlan));
	p->sql = MemoryContextStrdup(CacheMemoryContext, sql);
	p->nargs = nargs;
	p->role = role;
	b = hash_search(read_plans, &h, HASH_ENTER, &found);
	if (!found)
		b->first = NULL;
	SPI_keepplan(plan);
	p->plan = plan;
	p->next = b->first;
	b->first = p;
	read_plan_count++;
	return plan;
}

/*
 * SQL function: keycard.api_read(query text, args text[]) returns jsonb
 *
 * Runs query, a read-only statement with parameters $1..$n of type text
 * (n = cardinality(args), NULL elements are NULL parameters), and returns
 * the first column of its first row (NULL when there is none).
 */
Datum
keycard_api_read(PG_FUNCTION_ARGS)
{
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *elemnulls;
	int			nargs;
	char		nulls[API_READ_MAX_ARGS];
	SPIPlanPtr	plan;
	int			rc;
	Datum		result = (Datum) 0;
	bool		isnull = true;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the arguments must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elemnulls, &nargs);
	if (nargs > API_READ_MAX_ARGS)
		ereport(ERROR,
				(errcode(ERRCODE_TOO_MANY_ARGUMENTS),
				 errmsg("at most %d arguments can be passed", API_READ_MAX_ARGS)));
	for (int i = 0; i < nargs; i++)
		nulls[i] = elemnulls[i] ? 'n' : ' ';

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = read_plan(sql, nargs);
	/* read_only: the caller's snapshot, and anything but a read is refused */
	rc = SPI_execute_plan(plan, elems, nulls, true, 1);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (rc != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("keycard.api_read runs only SELECT statements")));
	if (SPI_tuptable->tupdesc->natts != 1 || SPI_gettypeid(SPI_tuptable->tupdesc, 1) != JSONBOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the statement must return one jsonb column")));
	if (SPI_processed > 0)
	{
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
			result = SPI_datumTransfer(result, false, -1);
	}
	SPI_finish();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
