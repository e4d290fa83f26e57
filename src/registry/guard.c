/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  keycard.guard_update(): the BEFORE UPDATE trigger of the registry's
 *	  mutable rows (zones, zone keys, policies, policy sets).
 *
 * It fires on every version created (the latest_version bump of the policy
 * or policy set row), so it is written in C: the rules are column
 * comparisons, and a PL/pgSQL trigger that turns both rows into jsonb costs
 * more than the rest of the update.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "replication/logicalworker.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "keycard.h"
#include "registry/registry.h"

PG_FUNCTION_INFO_V1(keycard_guard_update);

/* Columns that never change once set: archiving and retiring are final. */
static const char *const final_columns[] = {"archived_at", "archived_by", "retired_at", "retired_by"};

/* True if attribute attnum differs between the two tuples (NULLs compare equal). */
static bool
column_changed(HeapTuple a, HeapTuple b, TupleDesc desc, int attnum, bool *a_null)
{
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
	bool		b_null;
	Datum		x = heap_getattr(a, attnum, desc, a_null);
	Datum		y = heap_getattr(b, attnum, desc, &b_null);

	if (*a_null || b_null)
		return *a_null != b_null;
	return !datum_image_eq(x, y, att->attbyval, att->attlen);
}

static char *
table_name(Relation rel)
{
	return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
}

/*
 * SQL function: keycard.guard_update() returns trigger
 *
 * BEFORE UPDATE FOR EACH ROW.  The columns named by the trigger's arguments
 * never change, archived_at/archived_by/retired_at/retired_by never change
 * once set, and a revision column, if the table has one, goes up by one (it
 * makes the row's ETag).
 */
Datum
keycard_guard_update(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	old_row;
	HeapTuple	new_row;
	int			attnum;
	bool		old_null;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "keycard.guard_update() must be a BEFORE UPDATE FOR EACH ROW trigger");

	trigger = trigdata->tg_trigger;
	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	old_row = trigdata->tg_trigtuple;
	new_row = trigdata->tg_newtuple;

	for (int i = 0; i < trigger->tgnargs; i++)
	{
		const char *col = trigger->tgargs[i];

		attnum = SPI_fnumber(desc, col);
		if (attnum <= 0)
			continue;
		if (column_changed(old_row, new_row, desc, attnum, &old_null))
			registry_error("immutable",
						   psprintf("Rule %s: %s is fixed when the row is created.", trigger->tgname, col),
						   NULL, "column %s of %s cannot change", col, table_name(rel));
	}
	for (int i = 0; i < lengthof(final_columns); i++)
	{
		const char *col = final_columns[i];

		attnum = SPI_fnumber(desc, col);
		if (attnum <= 0)
			continue;
		if (column_changed(old_row, new_row, desc, attnum, &old_null) && !old_null)
			registry_error("immutable",
						   psprintf("Rule %s: archiving and retiring are final.", trigger->tgname),
						   NULL, "column %s of %s cannot change once set", col, table_name(rel));
	}

	/*
	 * A logical replication apply worker applies the publisher's row, whose
	 * revision the publisher's trigger already bumped.
	 */
	attnum = IsLogicalWorker() ? 0 : SPI_fnumber(desc, "revision");
	if (attnum > 0)
	{
		Datum		revision = heap_getattr(old_row, attnum, desc, &old_null);
		Datum		value = old_null ? (Datum) 0 : Int64GetDatum(DatumGetInt64(revision) + 1);
		bool		isnull = old_null;

		if (TupleDescAttr(desc, attnum - 1)->atttypid != INT8OID)
			elog(ERROR, "column revision of %s is not a bigint", table_name(rel));
		new_row = heap_modify_tuple_by_cols(new_row, desc, 1, &attnum, &value, &isnull);
	}
	return PointerGetDatum(new_row);
}
