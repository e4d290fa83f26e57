/*-------------------------------------------------------------------------
 *
 * direct_write.c
 *	  Inserting or updating one row of a keycard table the way the executor
 *	  would, without planning or starting a statement.
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
 * Updates (the registry's bump of a policy's or policy set's latest
 * version, once per version created) follow ExecUpdate with the executor's
 * own pieces on the same kept result relation: the row found by key and
 * locked as the UPDATE locks it (ExecUpdateLockMode), then
 * ExecBRUpdateTriggers (so WHEN clauses and the registry's guard trigger
 * run as they would), ExecComputeStoredGenerated (the ETag),
 * ExecConstraints, table_tuple_update, ExecInsertIndexTuples when the new
 * version is not heap-only, and ExecARUpdateTriggers inside an after-trigger
 * query level of its own, as a statement has.  Statement-level triggers,
 * transition tables, AFTER row triggers other than foreign keys' and
 * exclusion or deferred indexes send the row to the caller's UPDATE
 * statement instead, as do row-level security and missing privileges.
 *
 * A relcache invalidation of the table marks its state stale, and so does
 * any change to pg_proc (trigger functions and CHECK expressions' functions
 * are looked up once per state); the state is rebuilt on next use (never
 * freed while in use).  A write into a table whose state is in use further
 * up the stack (a trigger writing its own table) takes the statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/tableam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/heap.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
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
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "direct_read.h"
#include "direct_write.h"

/* What is kept per table, for one relcache generation. */
typedef struct RelState
{
	Oid			relid;			/* hash key */
	bool		valid;			/* false once the relcache entry changed */
	int			in_use;			/* direct writes running on this state */
	uint64		generation;
	MemoryContext cxt;			/* everything below */
	bool		insert_ok;		/* apart from the per-call conditions */
	bool		has_fk_checks;
	bool		update_ok;		/* apart from the per-call conditions */
	Bitmapset  *generated_cols; /* stored generated columns, as updated */
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
static uint64 next_generation = 1;

/* The state used while a stale one is still in use up the stack (never direct). */
static RelState no_state = {.generation = 0};

/* Relcache callback: the table changed (or every table, relid invalid). */
static void
forget_relation(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	RelState   *s;

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

/* Syscache callback: a function changed; trigger and CHECK lookups are kept per state. */
static void
forget_functions(Datum arg, int cacheid, uint32 hashvalue)
{
	forget_relation(arg, InvalidOid);
}

static void
init_module(void)
{
	HASHCTL		ctl;

	if (direct_cxt != NULL)
		return;
	direct_cxt = AllocSetContextCreate(CacheMemoryContext, "keycard direct write",
									   ALLOCSET_SMALL_SIZES);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(RelState);
	ctl.hcxt = direct_cxt;
	rel_states = hash_create("keycard direct write tables", 16, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(forget_relation, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, forget_functions, (Datum) 0);
}

/* True if rel has a rule for event (which a statement would apply). */
static bool
has_rule(Relation rel, CmdType event)
{
	if (rel->rd_rules == NULL)
		return false;
	for (int i = 0; i < rel->rd_rules->numLocks; i++)
		if (rel->rd_rules->rules[i]->event == event)
			return true;
	return false;
}

/*
 * Whether an UPDATE of rel does nothing direct_update does not: row
 * triggers run through the executor's own trigger calls, but statement
 * triggers, transition tables and AFTER row triggers other than foreign-key
 * checks send the row to the statement.
 */
static bool
update_possible(Relation rel)
{
	TriggerDesc *trig = rel->trigdesc;

	if (has_rule(rel, CMD_UPDATE))
		return false;
	if (trig == NULL)
		return true;
	if (trig->trig_update_before_statement || trig->trig_update_after_statement ||
		trig->trig_update_instead_row || trig->trig_update_old_table || trig->trig_update_new_table)
		return false;
	for (int i = 0; i < trig->numtriggers; i++)
	{
		Trigger    *t = &trig->triggers[i];

		if (TRIGGER_FOR_UPDATE(t->tgtype) && TRIGGER_FOR_AFTER(t->tgtype) &&
			RI_FKey_trigger_type(t->tgfoid) == RI_TRIGGER_NONE)
			return false;
	}
	return true;
}

/* Fills s (its context current) from the open relation. */
static void
build_state(RelState *s, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TriggerDesc *trig = rel->trigdesc;
	bool		plain = rel->rd_rel->relkind == RELKIND_RELATION &&
		!rel->rd_rel->relispartition &&
		rel->rd_rel->relam == HEAP_TABLE_AM_OID;
	List	   *indexes;
	ListCell   *lc;
	int			i;

	s->insert_ok = plain && !has_rule(rel, CMD_INSERT) &&
		!(desc->constr && desc->constr->has_generated_stored);
	s->update_ok = plain && update_possible(rel);
	s->has_fk_checks = false;
	s->generated_cols = NULL;
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		/* An INSERT would coerce to the domain and check its constraints. */
		if (!att->attisdropped && get_typtype(att->atttypid) == TYPTYPE_DOMAIN)
			s->insert_ok = false;
		if (att->attgenerated == ATTRIBUTE_GENERATED_STORED)
			s->generated_cols = bms_add_member(s->generated_cols,
											   i + 1 - FirstLowInvalidHeapAttributeNumber);
	}
	for (i = 0; s->insert_ok && trig != NULL && i < trig->numtriggers; i++)
	{
		Trigger    *t = &trig->triggers[i];

		if (!TRIGGER_FOR_INSERT(t->tgtype))
			continue;
		if (t->tgfoid == F_RI_FKEY_CHECK_INS)
			s->has_fk_checks = true;
		else
			s->insert_ok = false;
	}

	indexes = plain ? RelationGetIndexList(rel) : NIL;
	s->nindexes = 0;
	s->index_oids = palloc(sizeof(Oid) * Max(list_length(indexes), 1));
	s->index_infos = palloc(sizeof(IndexInfo *) * Max(list_length(indexes), 1));
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		IndexInfo  *ii = BuildIndexInfo(index);

		/* The executor's index code (updates) takes expressions and predicates too. */
		if (ii->ii_ExclusionOps != NULL || !index->rd_index->indimmediate)
			s->insert_ok = s->update_ok = false;
		if (ii->ii_Expressions != NIL || ii->ii_Predicate != NIL)
			s->insert_ok = false;
		s->index_oids[s->nindexes] = lfirst_oid(lc);
		s->index_infos[s->nindexes++] = ii;
		index_close(index, AccessShareLock);
	}

	s->desc = CreateTupleDescCopyConstr(desc);
	s->slot = MakeSingleTupleTableSlot(s->desc, &TTSOpsVirtual);

	/*
	 * A result relation in a range table of its own, as ExecInsert and
	 * ExecUpdate see it: ExecConstraints compiles the CHECK expressions into
	 * it on first use and names the written columns (from the range table
	 * entry) in its errors' details; generated columns and trigger WHEN
	 * clauses are compiled into it the same way.  It is the estate's one
	 * opened result relation, where AFTER trigger events find it.
	 */
	s->estate = CreateExecutorState();
	s->rte = makeNode(RangeTblEntry);
	s->rte->rtekind = RTE_RELATION;
	s->rte->relid = RelationGetRelid(rel);
	s->rte->relkind = rel->rd_rel->relkind;
	s->rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(s->estate, list_make1(s->rte));
	s->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(s->rri, rel, 1, NULL, 0);
	s->estate->es_opened_result_relations = list_make1(s->rri);

	/*
	 * The trigger slots, made here so that they carry the state's own
	 * descriptor: the executor's would pin the relcache's across calls.
	 * They hold buffer pins while in use, released when the update is done
	 * or fails (direct_update).
	 */
	s->rri->ri_TrigOldSlot = ExecInitExtraTupleSlot(s->estate, s->desc, table_slot_callbacks(rel));
	s->rri->ri_TrigNewSlot = ExecInitExtraTupleSlot(s->estate, s->desc, table_slot_callbacks(rel));

	/*
	 * Trigger functions looked up here, in the state's context, so that
	 * their FmgrInfo (and what a function caches in fn_mcxt) lives as long
	 * as the state; the executor would look them up in its query context.
	 */
	for (i = 0; s->rri->ri_TrigDesc != NULL && i < s->rri->ri_TrigDesc->numtriggers; i++)
		fmgr_info_cxt(s->rri->ri_TrigDesc->triggers[i].tgfoid, &s->rri->ri_TrigFunctions[i], s->cxt);
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
	s->cxt = AllocSetContextCreate(direct_cxt, "keycard direct write table", ALLOCSET_SMALL_SIZES);
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
sync_target(DirectWriteTarget *t, Relation rel, RelState *s)
{
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext old;
	bool	   *given;

	if (t->attnums != NULL && t->generation == s->generation)
		return;
	old = MemoryContextSwitchTo(direct_cxt);
	if (t->attnums)
		pfree(t->attnums);
	bms_free(t->given_cols);
	t->given_cols = NULL;
	t->attnums = palloc(sizeof(AttrNumber) * t->ncols);
	given = palloc0(sizeof(bool) * desc->natts);
	t->types_ok = true;
	t->settable = true;
	for (int i = 0; i < t->ncols; i++)
	{
		AttrNumber	a = direct_attnum(rel, t->cols[i]);
		Form_pg_attribute att = TupleDescAttr(desc, a - 1);

		t->attnums[i] = a;
		given[a - 1] = true;
		t->given_cols = bms_add_member(t->given_cols, a - FirstLowInvalidHeapAttributeNumber);
		if (att->atttypid != t->types[i])
			t->types_ok = false;
		if (att->attgenerated || att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS)
			t->settable = false;
	}
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

/*
 * The open relation of the target (RowExclusiveLock, as an INSERT or UPDATE
 * takes), with its state (NULL: a stale one is in use) and the target's
 * mapping brought up to date.
 */
static Relation
open_target(DirectWriteTarget *t, RelState **state)
{
	Relation	rel;

	init_module();
	rel = table_open(direct_relid(t->table), RowExclusiveLock);
	*state = rel_state(rel);
	/* Generation 0 matches no state: the mapping is rebuilt on the next call. */
	sync_target(t, rel, *state ? *state : &no_state);
	return rel;
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
insert_by_statement(DirectWriteTarget *t, Relation rel, const Datum *values, const bool *nulls,
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

/* What ExecInsert does for a plain table: constraints, heap, indexes. */
static Datum
insert_direct(DirectWriteTarget *t, Relation rel, RelState *s, const Datum *values,
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
		s->rte->requiredPerms = ACL_INSERT;
		s->rte->insertedCols = t->given_cols;
		s->rte->updatedCols = s->rte->extraUpdatedCols = NULL;
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
direct_insert(DirectWriteTarget *target, const Datum *values, const bool *nulls, int flags)
{
	Relation	rel;
	RelState   *s;
	Datum		result;
	bool		direct;

	rel = open_target(target, &s);

	direct = s != NULL && s->in_use == 0 && s->insert_ok && target->omitted_ok && target->types_ok &&
		(!s->has_fk_checks || (flags & DIRECT_INSERT_FK_LOCKED)) &&
		direct_access_ok(RelationGetRelid(rel), ACL_INSERT);
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

/*
 * The executor's index maintenance for a row version that is not heap-only
 * (ExecInsertIndexTuples, so expression and partial indexes are handled as
 * in an UPDATE), with the indexes opened for this row and an executor state
 * of its own: what it compiles (predicates, expressions) lives as long as
 * the call.
 */
static void
insert_index_entries(RelState *s, TupleTableSlot *slot)
{
	EState	   *estate = CreateExecutorState();
	ResultRelInfo *rri = s->rri;

	ExecInitRangeTable(estate, list_make1(s->rte));
	PG_TRY();
	{
		ExecOpenIndices(rri, false);
		(void) ExecInsertIndexTuples(rri, slot, estate, true, false, NULL, NIL);
		ExecCloseIndices(rri);
	}
	PG_FINALLY();
	{
		rri->ri_NumIndices = 0;
		rri->ri_IndexRelationDescs = NULL;
		rri->ri_IndexRelationInfo = NULL;
	}
	PG_END_TRY();
	FreeExecutorState(estate);
}

/*
 * What ExecUpdate does for one row of a plain table, the row found by key
 * and locked first (as the UPDATE's scan and EvalPlanQual would leave it:
 * the newest version).  Returns the new row as a composite Datum, or 0 when
 * there is no row or a BEFORE trigger skipped it.
 */
static Datum
update_direct(DirectWriteTarget *t, Relation rel, RelState *s, int nkeys,
			  const char *const *keys, const Datum *keyvals, DirectUpdateCompute compute, void *arg)
{
	EState	   *estate = s->estate;
	ResultRelInfo *rri = s->rri;
	TupleDesc	desc = RelationGetDescr(rel);
	TupleTableSlot *slot = s->slot;
	Datum	   *values = palloc(sizeof(Datum) * t->ncols);
	bool	   *nulls = palloc(sizeof(bool) * t->ncols);
	LockTupleMode lockmode;
	HeapTuple	row;
	TM_FailureData tmfd;
	TM_Result	res;
	bool		update_indexes;
	bool		updated = false;
	Datum		result = (Datum) 0;

	rri->ri_RelationDesc = rel;
	s->rte->requiredPerms = ACL_SELECT | ACL_UPDATE;
	s->rte->insertedCols = NULL;
	s->rte->updatedCols = t->given_cols;
	/* Generation expressions are immutable: computing all is computing right. */
	s->rte->extraUpdatedCols = s->generated_cols;

	/* A statement's start: later commands' rows are seen, a snapshot taken now. */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	estate->es_snapshot = GetActiveSnapshot();
	estate->es_output_cid = GetCurrentCommandId(true);
	lockmode = ExecUpdateLockMode(estate, rri);

	row = direct_fetch(rel, RelationGetPrimaryKeyIndex(rel), GetActiveSnapshot(),
					   ForwardScanDirection, nkeys, keys, keyvals);
	if (row != NULL)
		row = direct_lock(rel, row, lockmode);
	if (row == NULL)
	{
		PopActiveSnapshot();
		return (Datum) 0;
	}
	compute(rel, row, values, nulls, arg);

	ResetPerTupleExprContext(estate);
	ExecClearTuple(slot);
	heap_deform_tuple(row, desc, slot->tts_values, slot->tts_isnull);
	for (int i = 0; i < t->ncols; i++)
	{
		slot->tts_values[t->attnums[i] - 1] = values[i];
		slot->tts_isnull[t->attnums[i] - 1] = nulls[i];
	}
	ExecStoreVirtualTuple(slot);

	AfterTriggerBeginQuery();
	if (rri->ri_TrigDesc == NULL || !rri->ri_TrigDesc->trig_update_before_row ||
		ExecBRUpdateTriggers(estate, NULL, rri, &row->t_self, NULL, slot, NULL))
	{
		slot->tts_tableOid = RelationGetRelid(rel);
		if (desc->constr && desc->constr->has_generated_stored)
			ExecComputeStoredGenerated(rri, estate, slot, CMD_UPDATE);
		if (desc->constr)
			ExecConstraints(rri, slot, estate);
		res = table_tuple_update(rel, &row->t_self, slot, estate->es_output_cid, estate->es_snapshot,
								 InvalidSnapshot, true, &tmfd, &lockmode, &update_indexes);
		switch (res)
		{
			case TM_Ok:
				updated = true;
				break;
			case TM_SelfModified:
				/* As ExecUpdate: by a trigger of this command is an error, else skipped. */
				if (tmfd.cmax != estate->es_output_cid)
					ereport(ERROR,
							(errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
							 errmsg("tuple to be updated was already modified by an operation triggered by the current command"),
							 errhint("Consider using an AFTER trigger instead of a BEFORE trigger to propagate changes to other rows.")));
				break;
			default:
				/* The row is locked by this transaction: nobody else changed it. */
				elog(ERROR, "unexpected table_tuple_update status: %u", res);
		}
	}
	if (updated)
	{
		if (update_indexes)
			insert_index_entries(s, slot);
		ExecARUpdateTriggers(estate, rri, NULL, NULL, &row->t_self, NULL, slot, NIL, NULL, false);
		result = heap_copy_tuple_as_datum(ExecFetchSlotHeapTuple(slot, false, NULL), desc);
	}
	AfterTriggerEndQuery(estate);
	ExecClearTuple(slot);
	ResetPerTupleExprContext(estate);
	estate->es_snapshot = InvalidSnapshot;
	PopActiveSnapshot();

	/* As SPI does after a statement: later commands see the new row. */
	CommandCounterIncrement();
	return result;
}

bool
direct_update(DirectWriteTarget *target, int nkeys, const char *const *keys, const Datum *keyvals,
			  DirectUpdateCompute compute, void *arg, Datum *row)
{
	RelState   *s;
	Relation	rel = open_target(target, &s);

	if (s == NULL || s->in_use > 0 || !s->update_ok || !target->types_ok || !target->settable ||
		!direct_access_ok(RelationGetRelid(rel), ACL_SELECT | ACL_UPDATE))
	{
		table_close(rel, NoLock);
		elog(DEBUG1, "keycard: row of %s updated by a statement", target->table);
		return false;
	}
	s->in_use++;
	PG_TRY();
	{
		*row = update_direct(target, rel, s, nkeys, keys, keyvals, compute, arg);
	}
	PG_FINALLY();
	{
		/* Buffer pins go now, while this resource owner still holds them. */
		ExecClearTuple(s->rri->ri_TrigOldSlot);
		ExecClearTuple(s->rri->ri_TrigNewSlot);
		s->in_use--;
	}
	PG_END_TRY();
	table_close(rel, NoLock);
	return true;
}
