/*-------------------------------------------------------------------------
 *
 * est_out.c
 *	  AST -> EST ("JSON policy format") as jsonb, exactly as the reference's
 *	  policyToJson lays it out: annotations sorted (jsonb sorts keys anyway)
 *	  and omitted when there are none, a one-element `action in [A]` given
 *	  as a single entity, `has` with one attribute as a string, `like`
 *	  patterns one element per character.
 *
 *	  Strings never hold NUL: both readers refuse U+0000 (22P05), which the
 *	  jsonb text form could not show.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "cedar/cedar.h"
#include "cedar/parser.h"

typedef JsonbParseState *State;

static void
push_key(State *st, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &v);
}

static void
push_string(State *st, JsonbIteratorToken tok, const char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = len;
	pushJsonbValue(st, tok, &v);
}

static void
push_cstring(State *st, JsonbIteratorToken tok, const char *s)
{
	push_string(st, tok, s, strlen(s));
}

static void
push_bool(State *st, JsonbIteratorToken tok, bool b)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = b;
	pushJsonbValue(st, tok, &v);
}

static void
push_long(State *st, JsonbIteratorToken tok, int64 l)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(l);
	pushJsonbValue(st, tok, &v);
}

/* "key": "s" in the current object */
static void
push_key_string(State *st, const char *key, const CedarString *s)
{
	push_key(st, key);
	push_string(st, WJB_VALUE, s->data, s->len);
}

/* {"type": ..., "id": ...} as the value of the current key/element */
static void
push_uid(State *st, JsonbIteratorToken tok, const CedarEntityUid *uid)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_key_string(st, "type", &uid->type);
	push_key_string(st, "id", &uid->id);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
	(void) tok;
}

/* EST operator key of a binary or unary kind */
static const char *
op_key(CedarExprKind kind)
{
	switch (kind)
	{
		case CEDAR_EXPR_NOT:
			return "!";
		case CEDAR_EXPR_NEG:
			return "neg";
		case CEDAR_EXPR_IS_EMPTY:
			return "isEmpty";
		case CEDAR_EXPR_EQ:
			return "==";
		case CEDAR_EXPR_NE:
			return "!=";
		case CEDAR_EXPR_LT:
			return "<";
		case CEDAR_EXPR_LE:
			return "<=";
		case CEDAR_EXPR_GT:
			return ">";
		case CEDAR_EXPR_GE:
			return ">=";
		case CEDAR_EXPR_IN:
			return "in";
		case CEDAR_EXPR_AND:
			return "&&";
		case CEDAR_EXPR_OR:
			return "||";
		case CEDAR_EXPR_ADD:
			return "+";
		case CEDAR_EXPR_SUB:
			return "-";
		case CEDAR_EXPR_MUL:
			return "*";
		case CEDAR_EXPR_CONTAINS:
			return "contains";
		case CEDAR_EXPR_CONTAINS_ALL:
			return "containsAll";
		case CEDAR_EXPR_CONTAINS_ANY:
			return "containsAny";
		case CEDAR_EXPR_GET_TAG:
			return "getTag";
		case CEDAR_EXPR_HAS_TAG:
			return "hasTag";
		default:
			elog(ERROR, "unexpected Cedar expression kind %d", (int) kind);
	}
	return NULL;
}

static void push_expr(State *st, const CedarExpr *e);

/*
 * Opens {op: {"left": a, ...: the start of every EST operator with a left
 * operand; the caller adds the other members and closes the inner object.
 */
static void
push_op_left(State *st, const char *op, const CedarExpr *a)
{
	push_key(st, op);
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_key(st, "left");
	push_expr(st, a);
}

/* Pushes expression e as an object value (after a key or in an array). */
static void
push_expr(State *st, const CedarExpr *e)
{
	check_stack_depth();
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	switch (e->kind)
	{
		case CEDAR_EXPR_BOOL:
			push_key(st, "Value");
			push_bool(st, WJB_VALUE, e->u.b);
			break;
		case CEDAR_EXPR_LONG:
			push_key(st, "Value");
			push_long(st, WJB_VALUE, e->u.l);
			break;
		case CEDAR_EXPR_STRING:
			push_key_string(st, "Value", &e->u.str);
			break;
		case CEDAR_EXPR_ENTITY:
			push_key(st, "Value");
			pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
			push_key(st, "__entity");
			push_uid(st, WJB_VALUE, &e->u.uid);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
			break;
		case CEDAR_EXPR_VAR:
			push_key(st, "Var");
			push_cstring(st, WJB_VALUE, cedarpol_var_name(e->u.var));
			break;
		case CEDAR_EXPR_NOT:
		case CEDAR_EXPR_NEG:
		case CEDAR_EXPR_IS_EMPTY:
			push_key(st, op_key(e->kind));
			pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
			push_key(st, "arg");
			push_expr(st, e->u.op.a);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
			break;
		case CEDAR_EXPR_EQ:
		case CEDAR_EXPR_NE:
		case CEDAR_EXPR_LT:
		case CEDAR_EXPR_LE:
		case CEDAR_EXPR_GT:
		case CEDAR_EXPR_GE:
		case CEDAR_EXPR_IN:
		case CEDAR_EXPR_AND:
		case CEDAR_EXPR_OR:
		case CEDAR_EXPR_ADD:
		case CEDAR_EXPR_SUB:
		case CEDAR_EXPR_MUL:
		case CEDAR_EXPR_CONTAINS:
		case CEDAR_EXPR_CONTAINS_ALL:
		case CEDAR_EXPR_CONTAINS_ANY:
		case CEDAR_EXPR_GET_TAG:
		case CEDAR_EXPR_HAS_TAG:
			push_op_left(st, op_key(e->kind), e->u.op.a);
			push_key(st, "right");
			push_expr(st, e->u.op.b);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
			break;
		case CEDAR_EXPR_GET_ATTR:
			push_op_left(st, ".", e->u.attr.a);
			push_key_string(st, "attr", &e->u.attr.attr);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
			break;
		case CEDAR_EXPR_HAS:
			push_op_left(st, "has", e->u.has.a);
			if (e->u.has.npath == 1)
				push_key_string(st, "attr", &e->u.has.path[0]);
			else
			{
				push_key(st, "attr");
				pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
				for (int i = 0; i < e->u.has.npath; i++)
					push_string(st, WJB_ELEM, e->u.has.path[i].data, e->u.has.path[i].len);
				pushJsonbValue(st, WJB_END_ARRAY, NULL);
			}
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
			break;
		case CEDAR_EXPR_LIKE:
			push_op_left(st, "like", e->u.like.a);
			push_key(st, "pattern");
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			for (int i = 0; i < e->u.like.nelems; i++)
			{
				const CedarPatternElem *pe = &e->u.like.elems[i];

				if (pe->wildcard)
					push_cstring(st, WJB_ELEM, "Wildcard");
				else
				{
					pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
					push_key_string(st, "Literal", &pe->literal);
					pushJsonbValue(st, WJB_END_OBJECT, NULL);
				}
			}
			pushJsonbValue(st, WJB_END_ARRAY, NULL);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
			break;
		case CEDAR_EXPR_IS:
			push_op_left(st, "is", e->u.is.a);
			push_key_string(st, "entity_type", &e->u.is.entity_type);
			if (e->u.is.in)
			{
				push_key(st, "in");
				push_expr(st, e->u.is.in);
			}
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
			break;
		case CEDAR_EXPR_IF:
			push_key(st, "if-then-else");
			pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
			push_key(st, "if");
			push_expr(st, e->u.ite.cond);
			push_key(st, "then");
			push_expr(st, e->u.ite.then_expr);
			push_key(st, "else");
			push_expr(st, e->u.ite.else_expr);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
			break;
		case CEDAR_EXPR_SET:
			push_key(st, "Set");
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			for (int i = 0; i < e->u.list.nitems; i++)
				push_expr(st, e->u.list.items[i]);
			pushJsonbValue(st, WJB_END_ARRAY, NULL);
			break;
		case CEDAR_EXPR_RECORD:
			push_key(st, "Record");
			pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
			for (int i = 0; i < e->u.record.nitems; i++)
			{
				push_string(st, WJB_KEY, e->u.record.keys[i].data, e->u.record.keys[i].len);
				push_expr(st, e->u.record.values[i]);
			}
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
			break;
		case CEDAR_EXPR_EXT_CALL:
			push_string(st, WJB_KEY, e->u.call.name.data, e->u.call.name.len);
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			for (int i = 0; i < e->u.call.nargs; i++)
				push_expr(st, e->u.call.args[i]);
			pushJsonbValue(st, WJB_END_ARRAY, NULL);
			break;
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static void
push_scope(State *st, const CedarScope *s)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_key(st, "op");
	switch (s->kind)
	{
		case CEDAR_SCOPE_ALL:
			push_cstring(st, WJB_VALUE, "All");
			break;
		case CEDAR_SCOPE_EQ:
			push_cstring(st, WJB_VALUE, "==");
			push_key(st, "entity");
			push_uid(st, WJB_VALUE, &s->uid);
			break;
		case CEDAR_SCOPE_IN:
			push_cstring(st, WJB_VALUE, "in");
			push_key(st, "entity");
			push_uid(st, WJB_VALUE, &s->uid);
			break;
		case CEDAR_SCOPE_IN_SET:
			push_cstring(st, WJB_VALUE, "in");
			/* the reference gives a one-element list as a single entity */
			if (s->nuids == 1)
			{
				push_key(st, "entity");
				push_uid(st, WJB_VALUE, &s->uids[0]);
				break;
			}
			push_key(st, "entities");
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			for (int i = 0; i < s->nuids; i++)
				push_uid(st, WJB_ELEM, &s->uids[i]);
			pushJsonbValue(st, WJB_END_ARRAY, NULL);
			break;
		case CEDAR_SCOPE_IS:
		case CEDAR_SCOPE_IS_IN:
			push_cstring(st, WJB_VALUE, "is");
			push_key_string(st, "entity_type", &s->entity_type);
			if (s->kind == CEDAR_SCOPE_IS_IN)
			{
				push_key(st, "in");
				pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
				push_key(st, "entity");
				push_uid(st, WJB_VALUE, &s->uid);
				pushJsonbValue(st, WJB_END_OBJECT, NULL);
			}
			break;
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

Jsonb *
cedar_policy_to_est(const CedarPolicy *pol)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_key(&st, "effect");
	push_cstring(&st, WJB_VALUE, pol->permit ? "permit" : "forbid");
	push_key(&st, "principal");
	push_scope(&st, &pol->principal);
	push_key(&st, "action");
	push_scope(&st, &pol->action);
	push_key(&st, "resource");
	push_scope(&st, &pol->resource);
	push_key(&st, "conditions");
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < pol->nconditions; i++)
	{
		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		push_key(&st, "kind");
		push_cstring(&st, WJB_VALUE, pol->conditions[i].is_when ? "when" : "unless");
		push_key(&st, "body");
		push_expr(&st, pol->conditions[i].body);
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	if (pol->nannotations > 0)
	{
		push_key(&st, "annotations");
		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		for (int i = 0; i < pol->nannotations; i++)
		{
			const CedarAnnotation *a = &pol->annotations[i];

			push_string(&st, WJB_KEY, a->key.data, a->key.len);
			if (a->has_value)
				push_string(&st, WJB_VALUE, a->value.data, a->value.len);
			else
			{
				JsonbValue	v;

				v.type = jbvNull;
				pushJsonbValue(&st, WJB_VALUE, &v);
			}
		}
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}
