/*-------------------------------------------------------------------------
 *
 * printer.c
 *	  AST -> Cedar text, byte-equal to the reference's policyToText (the
 *	  EST Display of cedar-policy-core 4.13, est.rs and est/expr.rs):
 *	  annotations sorted, one line each; the whole policy on one line;
 *	  operands parenthesized unless they print at member level or tighter;
 *	  left operands of a left-associative chain of the same operator bare;
 *	  `-(...)` always parenthesized; strings escaped like Rust's
 *	  str::escape_debug.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "cedar/cedar.h"
#include "cedar/parser.h"

static void
append_quoted(StringInfo out, const CedarString *str)
{
	appendStringInfoChar(out, '"');
	cedar_append_escape_debug(out, str->data, str->len);
	appendStringInfoChar(out, '"');
}

static void
append_uid(StringInfo out, const CedarEntityUid *uid)
{
	appendBinaryStringInfo(out, uid->type.data, uid->type.len);
	appendStringInfoString(out, "::");
	append_quoted(out, &uid->id);
}

/* An attribute as an identifier if it is one (and not reserved), else quoted */
static bool
is_plain_attr(const CedarString *s)
{
	return cedarpol_is_ident(s->data, s->len) &&
		!cedarpol_is_reserved(s->data, s->len);
}

static void append_expr(StringInfo out, const CedarExpr *e);

/*
 * Operands print bare if they are primaries or member-level expressions
 * (attribute access, method and function calls), else in parentheses.
 */
static void
append_operand(StringInfo out, const CedarExpr *e)
{
	switch (e->kind)
	{
		case CEDAR_EXPR_BOOL:
		case CEDAR_EXPR_LONG:
		case CEDAR_EXPR_STRING:
		case CEDAR_EXPR_ENTITY:
		case CEDAR_EXPR_VAR:
		case CEDAR_EXPR_SET:
		case CEDAR_EXPR_RECORD:
		case CEDAR_EXPR_GET_ATTR:
		case CEDAR_EXPR_CONTAINS:
		case CEDAR_EXPR_CONTAINS_ALL:
		case CEDAR_EXPR_CONTAINS_ANY:
		case CEDAR_EXPR_IS_EMPTY:
		case CEDAR_EXPR_GET_TAG:
		case CEDAR_EXPR_HAS_TAG:
		case CEDAR_EXPR_EXT_CALL:
			append_expr(out, e);
			break;
		default:
			appendStringInfoChar(out, '(');
			append_expr(out, e);
			appendStringInfoChar(out, ')');
			break;
	}
}

static void
append_binary(StringInfo out, const CedarExpr *e, const char *op,
			  bool left_assoc)
{
	if (left_assoc && e->u.op.a->kind == e->kind)
		append_expr(out, e->u.op.a);
	else
		append_operand(out, e->u.op.a);
	appendStringInfoString(out, op);
	append_operand(out, e->u.op.b);
}

static void
append_method1(StringInfo out, const CedarExpr *e, const char *name)
{
	append_operand(out, e->u.op.a);
	appendStringInfo(out, ".%s(", name);
	append_expr(out, e->u.op.b);
	appendStringInfoChar(out, ')');
}

static void
append_expr(StringInfo out, const CedarExpr *e)
{
	check_stack_depth();
	switch (e->kind)
	{
		case CEDAR_EXPR_BOOL:
			appendStringInfoString(out, e->u.b ? "true" : "false");
			break;
		case CEDAR_EXPR_LONG:
			if (e->u.l < 0)
				appendStringInfo(out, "(" INT64_FORMAT ")", e->u.l);
			else
				appendStringInfo(out, INT64_FORMAT, e->u.l);
			break;
		case CEDAR_EXPR_STRING:
			append_quoted(out, &e->u.str);
			break;
		case CEDAR_EXPR_ENTITY:
			append_uid(out, &e->u.uid);
			break;
		case CEDAR_EXPR_VAR:
			appendStringInfoString(out, cedarpol_var_name(e->u.var));
			break;
		case CEDAR_EXPR_NOT:
			appendStringInfoChar(out, '!');
			append_operand(out, e->u.op.a);
			break;
		case CEDAR_EXPR_NEG:
			appendStringInfoString(out, "-(");
			append_expr(out, e->u.op.a);
			appendStringInfoChar(out, ')');
			break;
		case CEDAR_EXPR_IS_EMPTY:
			append_operand(out, e->u.op.a);
			appendStringInfoString(out, ".isEmpty()");
			break;
		case CEDAR_EXPR_EQ:
			append_binary(out, e, " == ", false);
			break;
		case CEDAR_EXPR_NE:
			append_binary(out, e, " != ", false);
			break;
		case CEDAR_EXPR_LT:
			append_binary(out, e, " < ", false);
			break;
		case CEDAR_EXPR_LE:
			append_binary(out, e, " <= ", false);
			break;
		case CEDAR_EXPR_GT:
			append_binary(out, e, " > ", false);
			break;
		case CEDAR_EXPR_GE:
			append_binary(out, e, " >= ", false);
			break;
		case CEDAR_EXPR_IN:
			append_binary(out, e, " in ", false);
			break;
		case CEDAR_EXPR_AND:
			append_binary(out, e, " && ", true);
			break;
		case CEDAR_EXPR_OR:
			append_binary(out, e, " || ", true);
			break;
		case CEDAR_EXPR_ADD:
			append_binary(out, e, " + ", true);
			break;
		case CEDAR_EXPR_SUB:
			append_binary(out, e, " - ", true);
			break;
		case CEDAR_EXPR_MUL:
			append_binary(out, e, " * ", true);
			break;
		case CEDAR_EXPR_CONTAINS:
			append_method1(out, e, "contains");
			break;
		case CEDAR_EXPR_CONTAINS_ALL:
			append_method1(out, e, "containsAll");
			break;
		case CEDAR_EXPR_CONTAINS_ANY:
			append_method1(out, e, "containsAny");
			break;
		case CEDAR_EXPR_GET_TAG:
			append_method1(out, e, "getTag");
			break;
		case CEDAR_EXPR_HAS_TAG:
			append_method1(out, e, "hasTag");
			break;
		case CEDAR_EXPR_GET_ATTR:
			append_operand(out, e->u.attr.a);
			if (is_plain_attr(&e->u.attr.attr))
				appendStringInfo(out, ".%s", e->u.attr.attr.data);
			else
			{
				appendStringInfoString(out, "[");
				append_quoted(out, &e->u.attr.attr);
				appendStringInfoString(out, "]");
			}
			break;
		case CEDAR_EXPR_HAS:
			append_operand(out, e->u.has.a);
			appendStringInfoString(out, " has ");
			for (int i = 0; i < e->u.has.npath; i++)
			{
				if (i > 0)
					appendStringInfoChar(out, '.');
				if (is_plain_attr(&e->u.has.path[i]))
					appendBinaryStringInfo(out, e->u.has.path[i].data, e->u.has.path[i].len);
				else
					append_quoted(out, &e->u.has.path[i]);
			}
			break;
		case CEDAR_EXPR_LIKE:
			append_operand(out, e->u.like.a);
			appendStringInfoString(out, " like \"");
			for (int i = 0; i < e->u.like.nelems; i++)
			{
				const CedarPatternElem *pe = &e->u.like.elems[i];

				if (pe->wildcard)
					appendStringInfoChar(out, '*');
				else if (pe->literal.len == 1 && pe->literal.data[0] == '*')
					appendStringInfoString(out, "\\*");
				else			/* one character, escaped as a string's first */
					cedar_append_escape_debug(out, pe->literal.data, pe->literal.len);
			}
			appendStringInfoChar(out, '"');
			break;
		case CEDAR_EXPR_IS:
			append_operand(out, e->u.is.a);
			appendStringInfoString(out, " is ");
			appendBinaryStringInfo(out, e->u.is.entity_type.data, e->u.is.entity_type.len);
			if (e->u.is.in)
			{
				appendStringInfoString(out, " in ");
				append_operand(out, e->u.is.in);
			}
			break;
		case CEDAR_EXPR_IF:
			appendStringInfoString(out, "if ");
			append_expr(out, e->u.ite.cond);
			appendStringInfoString(out, " then ");
			append_expr(out, e->u.ite.then_expr);
			appendStringInfoString(out, " else ");
			append_expr(out, e->u.ite.else_expr);
			break;
		case CEDAR_EXPR_SET:
			appendStringInfoChar(out, '[');
			for (int i = 0; i < e->u.list.nitems; i++)
			{
				if (i > 0)
					appendStringInfoString(out, ", ");
				append_expr(out, e->u.list.items[i]);
				CHECK_FOR_INTERRUPTS();
			}
			appendStringInfoChar(out, ']');
			break;
		case CEDAR_EXPR_RECORD:
			appendStringInfoChar(out, '{');
			for (int i = 0; i < e->u.record.nitems; i++)
			{
				if (i > 0)
					appendStringInfoString(out, ", ");
				if (!e->value_form && is_plain_attr(&e->u.record.keys[i]))
					appendBinaryStringInfo(out, e->u.record.keys[i].data,
										   e->u.record.keys[i].len);
				else
					append_quoted(out, &e->u.record.keys[i]);
				appendStringInfoString(out, ": ");
				append_expr(out, e->u.record.values[i]);
				CHECK_FOR_INTERRUPTS();
			}
			appendStringInfoChar(out, '}');
			break;
		case CEDAR_EXPR_EXT_CALL:
			{
				int			first = 0;

				if (cedar_ext_style(e->u.call.name.data, e->u.call.name.len) == CEDAR_EXT_METHOD &&
					e->u.call.nargs > 0)
				{
					append_operand(out, e->u.call.args[0]);
					appendStringInfoChar(out, '.');
					first = 1;
				}
				appendBinaryStringInfo(out, e->u.call.name.data, e->u.call.name.len);
				appendStringInfoChar(out, '(');
				for (int i = first; i < e->u.call.nargs; i++)
				{
					if (i > first)
						appendStringInfoString(out, ", ");
					append_expr(out, e->u.call.args[i]);
				}
				appendStringInfoChar(out, ')');
				break;
			}
	}
}

static void
append_scope(StringInfo out, const char *var, const CedarScope *s)
{
	appendStringInfoString(out, var);
	switch (s->kind)
	{
		case CEDAR_SCOPE_ALL:
			break;
		case CEDAR_SCOPE_EQ:
			appendStringInfoString(out, " == ");
			append_uid(out, &s->uid);
			break;
		case CEDAR_SCOPE_IN:
			appendStringInfoString(out, " in ");
			append_uid(out, &s->uid);
			break;
		case CEDAR_SCOPE_IN_SET:
			appendStringInfoString(out, " in [");
			for (int i = 0; i < s->nuids; i++)
			{
				if (i > 0)
					appendStringInfoString(out, ", ");
				append_uid(out, &s->uids[i]);
			}
			appendStringInfoChar(out, ']');
			break;
		case CEDAR_SCOPE_IS:
		case CEDAR_SCOPE_IS_IN:
			appendStringInfoString(out, " is ");
			appendBinaryStringInfo(out, s->entity_type.data, s->entity_type.len);
			if (s->kind == CEDAR_SCOPE_IS_IN)
			{
				appendStringInfoString(out, " in ");
				append_uid(out, &s->uid);
			}
			break;
	}
}

static int
cmp_annotations(const void *a, const void *b)
{
	const CedarAnnotation *x = *(const CedarAnnotation *const *) a;
	const CedarAnnotation *y = *(const CedarAnnotation *const *) b;

	/* keys are ASCII identifiers */
	return strcmp(x->key.data, y->key.data);
}

void
cedar_policy_append_text(StringInfo out, const CedarPolicy *pol)
{
	if (pol->nannotations > 0)
	{
		const CedarAnnotation **sorted = palloc(mul_size(pol->nannotations,
														 sizeof(CedarAnnotation *)));

		for (int i = 0; i < pol->nannotations; i++)
			sorted[i] = &pol->annotations[i];
		qsort(sorted, pol->nannotations, sizeof(CedarAnnotation *), cmp_annotations);
		for (int i = 0; i < pol->nannotations; i++)
		{
			appendStringInfo(out, "@%s", sorted[i]->key.data);
			if (sorted[i]->has_value)
			{
				appendStringInfoChar(out, '(');
				append_quoted(out, &sorted[i]->value);
				appendStringInfoChar(out, ')');
			}
			appendStringInfoChar(out, '\n');
		}
		pfree(sorted);
	}
	appendStringInfoString(out, pol->permit ? "permit(" : "forbid(");
	append_scope(out, "principal", &pol->principal);
	appendStringInfoString(out, ", ");
	append_scope(out, "action", &pol->action);
	appendStringInfoString(out, ", ");
	append_scope(out, "resource", &pol->resource);
	appendStringInfoChar(out, ')');
	for (int i = 0; i < pol->nconditions; i++)
	{
		appendStringInfoString(out, pol->conditions[i].is_when ? " when { " : " unless { ");
		append_expr(out, pol->conditions[i].body);
		appendStringInfoString(out, " }");
	}
	appendStringInfoChar(out, ';');
}
