/*-------------------------------------------------------------------------
 *
 * direct_insert.c
 *	  Inserting one row into a keycard table the way the executor would,
 *	  without the executor.
 *
 * An INSERT statement of one row costs far more than the row: executor
 * start-up, a range table, the table's CHECK constraints rebuilt from their
 * stored node strings (stringToNode, expression_planner, ExecInitExpr) on
 * every statement, and a query per foreign key.  The registry writes a few
 * rows per call on its hot paths, so this module does what the executor's
 * ExecInsert does for a plain table, with what can be kept kept:
 *
 *   - ExecConstraints (NOT NULL, then the CHECK constraints) on a result
 *     relation that lives as long as the table's relcache entry, so its
 *     CHECK ExprStates are compiled once per backend and table (as typcache
 *     keeps domain constraints) and every error is the executor's own
 *     (SQLSTATE, message, "Failing row contains" detail, constraint name);
 *   - heap_insert, then index_insert into every index ready for inserts,
 *     with UNIQUE_CHECK_YES for unique ones: duplicates raise
 *     unique_violation and a concurrent inserter of the same key is waited
 *     for, as in an INSERT.
 *
 * That is all an INSERT does only when the table needs nothing else, which
 * is decided once per relcache generation: a heap table that is not a
 * partition, no INSERT rule, no domain-typed or stored generated column, no
 * insert trigger except foreign-key checks (RI_FKey_check_ins), and indexes
 * without expressions, predicates or exclusion, all immediate; per call:
 * INSERT privilege, no row-level security for the current user, and, when
 * the table has foreign keys, the caller's word that the referenced rows are
 * locked by this transaction (DIRECT_INSERT_FK_LOCKED), which is what the
 * skipped check would have established.  A column left out must have no
 * default, and each value must be of its column's type (the statement would
 * convert it).  Otherwise the row goes through an INSERT statement prepared
 * once per target, so the outcome never depends on the path.
 *
 * A relcache invalidation of the table marks its state stale; the state is
 * rebuilt on next use (never freed while in use).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/heap.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"

#include "direct_insert.h"

/* What is kept per table, for one relcache generation. */
typedef struct RelState
{
	Oid			relid;			/* hash key */
	bool		valid;			/* false once the relcache entry changed */
	int			in_use;			/* direct inserts running on this state */
	uint64		generation;
	MemoryContext cxt;			/* everything below */
	bool		eligible;		/* apart from the per-call conditions */
	bool		has_fk_checks;
	TupleDesc	desc;
	EState	   *estate;
	ResultRelInfo *rri;
	RangeTblEntry *rte;
	TupleTableSlot *slot;
	int			nindexes;
	Oid		   *index_oids;
	IndexInfo **index_infos;
} RelState;

static HTAB *rel_states = NULL;
static MemoryContext direct_cxt = NULL;
static DirectInsertTarget *targets = NULL;
static uint64 next_generation = 1;

/* The state used while a stale one is still in use up the stack (never direct). */
static RelState no_state = {.generation = 0};

/* Relcache callback: the table changed (or every table, relid invalid). */
static void
forget_relation(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	RelState   *s;

	for (DirectInsertTarget *t = targets; t != NULL; t = t->next)
		if (relid == InvalidOid || t->relid == relid)
			t->relid = InvalidOid;
	if (rel_states == NULL)
		return;
	if (relid != InvalidOid)
	{
		s = hash_search(rel_states, &relid, HASH_FIND, NULL);
		if (s)
			s->valid = false;
		return;
	}
	hash_seq_init(&seq, rel_states);
	while ((s = hash_seq_search(&seq)) != NULL)
		s->valid = false;
}

static void
init_module(void)
{
	HASHCTL		ctl;

	if (direct_cxt != NULL)
		return;
	direct_cxt = AllocSetContextCreate(CacheMemoryContext, "keycard direct insert",
									   ALLOCSET_SMALL_SIZES);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(RelState);
	ctl.hcxt = direct_cxt;
	rel_states = hash_create("keycard direct insert tables", 16, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(forget_relation, (Datum) 0);
}

/* True if rel has an INSERT rule (which an INSERT statement would apply). */
static bool
has_insert_rule(Relation rel)
{
	if (rel->rd_rules == NULL)
		return false;
	for (int i = 0; i < rel->rd_rules->numLocks; i++)
		if (rel->rd_rules->rules[i]->event == CMD_INSERT)
			return true;
	return false;
}

/* Fills s (its context current) from the open relation. */
static void
build_state(RelState *s, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TriggerDesc *trig = rel->trigdesc;
	List	   *indexes;
	ListCell   *lc;
	int			i;

	s->eligible = rel->rd_rel->relkind == RELKIND_RELATION &&
		!rel->rd_rel->relispartition &&
		rel->rd_rel->relam == HEAP_TABLE_AM_OID &&
		!has_insert_rule(rel) &&
		!(desc->constr && desc->constr->has_generated_stored);
	s->has_fk_checks = false;
	for (i = 0; s->eligible && i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		/* An INSERT would coerce to the domain and check its constraints. */
		if (!att->attisdropped && get_typtype(att->atttypid) == TYPTYPE_DOMAIN)
			s->eligible = false;
	}
	for (i = 0; s->eligible && trig != NULL && i < trig->numtriggers; i++)
	{
		Trigger    *t = &trig->triggers[i];

		if (!TRIGGER_FOR_INSERT(t->tgtype))
			continue;
		if (t->tgfoid == F_RI_FKEY_CHECK_INS)
			s->has_fk_checks = true;
		else
			s->eligible = false;
	}

	indexes = s->eligible ? RelationGetIndexList(rel) : NIL;
	s->nindexes = 0;
	s->index_oids = palloc(sizeof(Oid) * Max(list_length(indexes), 1));
	s->index_infos = palloc(sizeof(IndexInfo *) * Max(list_length(indexes), 1));
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		IndexInfo  *ii = BuildIndexInfo(index);

		if (ii->ii_Expressions != NIL || ii->ii_Predicate != NIL || ii->ii_ExclusionOps != NULL ||
			!index->rd_index->indimmediate)
			s->eligible = false;
		s->index_oids[s->nindexes] = lfirst_oid(lc);
		s->index_infos[s->nindexes++] = ii;
		index_close(index, AccessShareLock);
	}

	s->desc = CreateTupleDescCopyConstr(desc);
	s->slot = MakeSingleTupleTableSlot(s->desc, &TTSOpsVirtual);

	/*
	 * A result relation in a range table of its own, as ExecInsert sees it:
	 * ExecConstraints compiles the CHECK expressions into it on first use
	 * and names the inserted columns (from the range table entry) in its
	 * errors' details.
	 */
	s->estate = CreateExecutorState();
	s->rte = makeNode(RangeTblEntry);
	s->rte->rtekind = RTE_RELATION;
	s->rte->relid = RelationGetRelid(rel);
	s->rte->relkind = rel->rd_rel->relkind;
	s->rte->rellockmode = RowExclusiveLock;
	s->rte->requiredPerms = ACL_INSERT;
	ExecInitRangeTable(s->estate, list_make1(s->rte));
	s->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(s->rri, rel, 1, NULL, 0);
}

/* The current state of the open relation rel, built if needed. */
static RelState *
rel_state(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	RelState   *s;
	bool		found;
	MemoryContext old;

	s = hash_search(rel_states, &relid, HASH_ENTER, &found);
	if (found && s->valid)
		return s;
	if (found)
	{
		/* Stale, and in use further up the stack: that call keeps it. */
		if (s->in_use > 0)
			return NULL;
		ExecDropSingleTupleTableSlot(s->slot);
		FreeExecutorState(s->estate);
		MemoryContextDelete(s->cxt);
	}
	/*
	 * Valid from the start: an invalidation arriving while the state is
	 * built (index_open accepts them) marks it stale for the next call.
	 */
	s->valid = true;
	s->in_use = 0;
	s->cxt = AllocSetContextCreate(direct_cxt, "keycard direct insert table", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(s->cxt);
	PG_TRY();
	{
		build_state(s, rel);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(s->cxt);
		hash_search(rel_states, &relid, HASH_REMOVE, NULL);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	s->generation = next_generation++;
	return s;
}

/* Brings the target's column mapping and statement up to date with s. */
static void
sync_target(DirectInsertTarget *t, Relation rel, RelState *s)
{
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext old;
	bool	   *given;

	if (t->attnums != NULL && t->generation == s->generation)
		return;
	old = MemoryContextSwitchTo(direct_cxt);
	if (t->attnums)
		pfree(t->attnums);
	bms_free(t->inserted_cols);
	t->inserted_cols = NULL;
	t->attnums = palloc(sizeof(AttrNumber) * t->ncols);
	given = palloc0(sizeof(bool) * desc->natts);
	for (int i = 0; i < t->ncols; i++)
	{
		AttrNumber	a = 0;

		for (int k = 0; k < desc->natts && a == 0; k++)
			if (!TupleDescAttr(desc, k)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, k)->attname), t->cols[i]) == 0)
				a = k + 1;

		if (a <= 0)
			elog(ERROR, "column \"%s\" of relation \"%s\" does not exist",
				 t->cols[i], RelationGetRelationName(rel));
		t->attnums[i] = a;
		given[a - 1] = true;
		t->inserted_cols = bms_add_member(t->inserted_cols, a - FirstLowInvalidHeapAttributeNumber);
	}
	t->types_ok = true;
	for (int i = 0; i < t->ncols; i++)
		if (TupleDescAttr(desc, t->attnums[i] - 1)->atttypid != t->types[i])
			t->types_ok = false;
	t->omitted_ok = true;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!given[i] && !att->attisdropped &&
			(att->atthasdef || att->attidentity || att->attgenerated))
			t->omitted_ok = false;
	}
	pfree(given);
	MemoryContextSwitchTo(old);
	t->generation = s->generation;
}

/* The open relation of the target (RowExclusiveLock, as an INSERT takes). */
static Relation
open_target(DirectInsertTarget *t)
{
	if (t->relid == InvalidOid)
	{
		Oid			ns = get_namespace_oid("keycard", false);

		t->relid = get_relname_relid(t->table, ns);
		if (t->relid == InvalidOid)
			elog(ERROR, "relation \"keycard.%s\" does not exist", t->table);
	}
	return table_open(t->relid, RowExclusiveLock);
}

/* Copies a composite row into the SPI caller's context, labelled with desc's row type. */
static Datum
row_datum(HeapTuple tup, TupleDesc desc)
{
	Datum		d = heap_copy_tuple_as_datum(tup, desc);
	Size		len = VARSIZE(DatumGetPointer(d));
	void	   *copy = SPI_palloc(len);

	memcpy(copy, DatumGetPointer(d), len);
	pfree(DatumGetPointer(d));
	return PointerGetDatum(copy);
}

/* The fallback: an INSERT statement (SPI connected). */
static Datum
insert_by_statement(DirectInsertTarget *t, Relation rel, const Datum *values, const bool *nulls,
					int flags)
{
	bool		returning = (flags & DIRECT_INSERT_RETURN) != 0;
	char	   *n = palloc(t->ncols + 1);
	int			rc;

	if (t->plan == NULL || t->plan_returning != returning)
	{
		StringInfoData sql;
		SPIPlanPtr	plan;

		initStringInfo(&sql);
		appendStringInfo(&sql, "INSERT INTO keycard.%s (", quote_identifier(t->table));
		for (int i = 0; i < t->ncols; i++)
		{
			appendStringInfo(&sql, "%s%s", i ? ", " : "", quote_identifier(t->cols[i]));
		}
		appendStringInfoString(&sql, ") VALUES (");
		for (int i = 0; i < t->ncols; i++)
			appendStringInfo(&sql, "%s$%d", i ? ", " : "", i + 1);
		appendStringInfoString(&sql, returning ? ") RETURNING *" : ")");
		plan = SPI_prepare(sql.data, t->ncols, (Oid *) t->types);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql.data, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		if (t->plan)
			SPI_freeplan(t->plan);
		t->plan = plan;
		t->plan_returning = returning;
	}
	for (int i = 0; i < t->ncols; i++)
		n[i] = nulls[i] ? 'n' : ' ';
	n[t->ncols] = '\0';
	rc = SPI_execute_plan(t->plan, (Datum *) values, n, false, 0);
	if (rc != (returning ? SPI_OK_INSERT_RETURNING : SPI_OK_INSERT) || SPI_processed != 1)
		elog(ERROR, "INSERT INTO keycard.%s failed: %s", t->table, SPI_result_code_string(rc));
	elog(DEBUG1, "keycard: row of %s written by an INSERT statement", t->table);
	if (!returning)
		return (Datum) 0;
	return PointerGetDatum(SPI_returntuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc));
}

/* What ExecInsert does for an eligible table: constraints, heap, indexes. */
static Datum
insert_direct(DirectInsertTarget *t, Relation rel, RelState *s, const Datum *values,
			  const bool *nulls, int flags)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TupleTableSlot *slot = s->slot;
	HeapTuple	tup;
	Datum		result = (Datum) 0;

	ExecClearTuple(slot);
	memset(slot->tts_values, 0, sizeof(Datum) * desc->natts);
	memset(slot->tts_isnull, true, sizeof(bool) * desc->natts);
	for (int i = 0; i < t->ncols; i++)
	{
		slot->tts_values[t->attnums[i] - 1] = values[i];
		slot->tts_isnull[t->attnums[i] - 1] = nulls[i];
	}
	ExecStoreVirtualTuple(slot);

	if (desc->constr)
	{
		/* The relation may be a rebuilt entry at the same generation. */
		s->rri->ri_RelationDesc = rel;
		s->rte->insertedCols = t->inserted_cols;
		ResetPerTupleExprContext(s->estate);
		ExecConstraints(s->rri, slot, s->estate);
		ResetPerTupleExprContext(s->estate);
	}

	tup = heap_form_tuple(desc, slot->tts_values, slot->tts_isnull);
	heap_insert(rel, tup, GetCurrentCommandId(true), 0, NULL);

	for (int i = 0; i < s->nindexes; i++)
	{
		Relation	index = index_open(s->index_oids[i], RowExclusiveLock);
		IndexInfo  *ii = s->index_infos[i];
		Datum		iv[INDEX_MAX_KEYS];
		bool		in[INDEX_MAX_KEYS];

		if (index->rd_index->indisready)
		{
			for (int k = 0; k < ii->ii_NumIndexAttrs; k++)
			{
				AttrNumber	a = ii->ii_IndexAttrNumbers[k];

				iv[k] = slot->tts_values[a - 1];
				in[k] = slot->tts_isnull[a - 1];
			}
			index_insert(index, iv, in, &tup->t_self, rel,
						 index->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
						 false, ii);
		}
		index_close(index, NoLock);
	}
	if (flags & DIRECT_INSERT_RETURN)
		result = row_datum(tup, desc);
	heap_freetuple(tup);
	ExecClearTuple(slot);

	/* As SPI does after a statement: later commands see the row. */
	CommandCounterIncrement();
	return result;
}

Datum
direct_insert(DirectInsertTarget *target, const Datum *values, const bool *nulls, int flags)
{
	Relation	rel;
	RelState   *s;
	Datum		result;
	bool		direct;

	init_module();
	if (!target->registered)
	{
		target->next = targets;
		targets = target;
		target->registered = true;
	}
	rel = open_target(target);
	s = rel_state(rel);
	/* Generation 0 matches no state: the mapping is rebuilt on the next call. */
	sync_target(target, rel, s ? s : &no_state);

	direct = s != NULL && s->eligible && target->omitted_ok && target->types_ok &&
		(!s->has_fk_checks || (flags & DIRECT_INSERT_FK_LOCKED)) &&
		pg_class_aclcheck(RelationGetRelid(rel), GetUserId(), ACL_INSERT) == ACLCHECK_OK &&
		check_enable_rls(RelationGetRelid(rel), InvalidOid, true) != RLS_ENABLED;
	if (!direct)
		result = insert_by_statement(target, rel, values, nulls, flags);
	else
	{
		s->in_use++;
		PG_TRY();
		{
			result = insert_direct(target, rel, s, values, nulls, flags);
		}
		PG_FINALLY();
		{
			s->in_use--;
		}
		PG_END_TRY();
	}
	table_close(rel, NoLock);
	return result;
}
