/*-------------------------------------------------------------------------
 *
 * eval.c
 *	  Evaluation of Cedar expressions and policies against one request, with
 *	  the semantics of the reference (cedar-policy-core evaluator.rs, 4.13):
 *	  strict types (no coercion), short-circuit && || and if-then-else,
 *	  checked 64-bit arithmetic, structural equality, `in` over the entity
 *	  hierarchy, tags, and the decimal, ipaddr, datetime and duration
 *	  extensions (extension.h).
 *
 *	  An evaluation error does not raise: eval returns NULL and the policy
 *	  being evaluated is reported as errored (the reference skips it), so a
 *	  request costs no subtransaction or longjmp per policy.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/eval_int.h"
#include "common/int.h"
#include "miscadmin.h"
#include "utils/memutils.h"

typedef struct EvalCtx
{
	CedarEntityStore *store;
	const CedarRequest *req;
	const char *why;			/* the last error, for debugging */
} EvalCtx;

static const CedarValue *eval(EvalCtx *cx, const CedarExpr *e);

#define FAIL(cx, msg) do { (cx)->why = (msg); return NULL; } while (0)

static const CedarValue *
long_value(int64 l)
{
	CedarValue *v = cedar_value_new(CEDAR_V_LONG);

	v->u.l = l;
	return v;
}

static const CedarValue *
int64_value(CedarValueKind kind, int64 l)
{
	CedarValue *v = cedar_value_new(kind);

	v->u.l = l;
	return v;
}

/* ---------- extension functions ---------- */

static bool
name_is(const char *name, int len, const char *lit)
{
	return (int) strlen(lit) == len && memcmp(name, lit, len) == 0;
}

const CedarValue *
cedar_ext_call(const char *name, int len, const CedarValue **args, int nargs,
			   const char **why)
{
	const CedarValue *a = nargs > 0 ? args[0] : NULL;
	const CedarValue *b = nargs > 1 ? args[1] : NULL;
	CedarValue *r;
	int64		out;

#define ARGS(n, ka, kb) \
	do { \
		if (nargs != (n) || a->kind != (ka) || ((n) == 2 && b->kind != (kb))) \
		{ *why = "extension function applied to wrong arguments"; return NULL; } \
	} while (0)

	/* constructors */
	if (name_is(name, len, "ip"))
	{
		ARGS(1, CEDAR_V_STRING, 0);
		r = cedar_value_new(CEDAR_V_IPADDR);
		if (!cedar_ipaddr_parse(a->u.str.data, a->u.str.len, &r->u.ip))
		{
			*why = "invalid ip address";
			return NULL;
		}
		return r;
	}
	if (name_is(name, len, "decimal") || name_is(name, len, "datetime") ||
		name_is(name, len, "duration"))
	{
		bool		ok;

		ARGS(1, CEDAR_V_STRING, 0);
		if (name[1] == 'e')
		{
			r = cedar_value_new(CEDAR_V_DECIMAL);
			ok = cedar_decimal_parse(a->u.str.data, a->u.str.len, &r->u.l);
		}
		else if (name[2] == 't')
		{
			r = cedar_value_new(CEDAR_V_DATETIME);
			ok = cedar_datetime_parse(a->u.str.data, a->u.str.len, &r->u.l);
		}
		else
		{
			r = cedar_value_new(CEDAR_V_DURATION);
			ok = cedar_duration_parse(a->u.str.data, a->u.str.len, &r->u.l);
		}
		if (!ok)
		{
			*why = "invalid extension literal";
			return NULL;
		}
		return r;
	}
	/* decimal comparisons */
	if (name_is(name, len, "lessThan"))
	{
		ARGS(2, CEDAR_V_DECIMAL, CEDAR_V_DECIMAL);
		return cedar_value_bool(a->u.l < b->u.l);
	}
	if (name_is(name, len, "lessThanOrEqual"))
	{
		ARGS(2, CEDAR_V_DECIMAL, CEDAR_V_DECIMAL);
		return cedar_value_bool(a->u.l <= b->u.l);
	}
	if (name_is(name, len, "greaterThan"))
	{
		ARGS(2, CEDAR_V_DECIMAL, CEDAR_V_DECIMAL);
		return cedar_value_bool(a->u.l > b->u.l);
	}
	if (name_is(name, len, "greaterThanOrEqual"))
	{
		ARGS(2, CEDAR_V_DECIMAL, CEDAR_V_DECIMAL);
		return cedar_value_bool(a->u.l >= b->u.l);
	}
	/* ipaddr */
	if (name_is(name, len, "isIpv4"))
	{
		ARGS(1, CEDAR_V_IPADDR, 0);
		return cedar_value_bool(!a->u.ip.v6);
	}
	if (name_is(name, len, "isIpv6"))
	{
		ARGS(1, CEDAR_V_IPADDR, 0);
		return cedar_value_bool(a->u.ip.v6);
	}
	if (name_is(name, len, "isLoopback"))
	{
		ARGS(1, CEDAR_V_IPADDR, 0);
		return cedar_value_bool(cedar_ipaddr_is_loopback(&a->u.ip));
	}
	if (name_is(name, len, "isMulticast"))
	{
		ARGS(1, CEDAR_V_IPADDR, 0);
		return cedar_value_bool(cedar_ipaddr_is_multicast(&a->u.ip));
	}
	if (name_is(name, len, "isInRange"))
	{
		ARGS(2, CEDAR_V_IPADDR, CEDAR_V_IPADDR);
		return cedar_value_bool(cedar_ipaddr_in_range(&a->u.ip, &b->u.ip));
	}
	/* datetime */
	if (name_is(name, len, "offset"))
	{
		ARGS(2, CEDAR_V_DATETIME, CEDAR_V_DURATION);
		if (!cedar_datetime_offset(a->u.l, b->u.l, &out))
		{
			*why = "datetime overflow";
			return NULL;
		}
		return int64_value(CEDAR_V_DATETIME, out);
	}
	if (name_is(name, len, "durationSince"))
	{
		ARGS(2, CEDAR_V_DATETIME, CEDAR_V_DATETIME);
		if (!cedar_datetime_duration_since(a->u.l, b->u.l, &out))
		{
			*why = "duration overflow";
			return NULL;
		}
		return int64_value(CEDAR_V_DURATION, out);
	}
	if (name_is(name, len, "toDate"))
	{
		ARGS(1, CEDAR_V_DATETIME, 0);
		if (!cedar_datetime_to_date(a->u.l, &out))
		{
			*why = "datetime overflow";
			return NULL;
		}
		return int64_value(CEDAR_V_DATETIME, out);
	}
	if (name_is(name, len, "toTime"))
	{
		ARGS(1, CEDAR_V_DATETIME, 0);
		return int64_value(CEDAR_V_DURATION, cedar_datetime_to_time(a->u.l));
	}
	/* duration */
	if (name_is(name, len, "toMilliseconds"))
	{
		ARGS(1, CEDAR_V_DURATION, 0);
		return long_value(cedar_duration_to_milliseconds(a->u.l));
	}
	if (name_is(name, len, "toSeconds"))
	{
		ARGS(1, CEDAR_V_DURATION, 0);
		return long_value(cedar_duration_to_seconds(a->u.l));
	}
	if (name_is(name, len, "toMinutes"))
	{
		ARGS(1, CEDAR_V_DURATION, 0);
		return long_value(cedar_duration_to_minutes(a->u.l));
	}
	if (name_is(name, len, "toHours"))
	{
		ARGS(1, CEDAR_V_DURATION, 0);
		return long_value(cedar_duration_to_hours(a->u.l));
	}
	if (name_is(name, len, "toDays"))
	{
		ARGS(1, CEDAR_V_DURATION, 0);
		return long_value(cedar_duration_to_days(a->u.l));
	}
#undef ARGS
	*why = "unknown extension function";
	return NULL;
}

/* ---------- like ---------- */

/*
 * Wildcard match in linear time: the pattern is cut at its stars into
 * literal segments; the first must be a prefix, the last a suffix, and each
 * one between is found leftmost after the previous (memmem), which is the
 * only placement a later segment could need.  Byte matching is character
 * matching: both sides are valid UTF-8 and every segment is whole
 * characters.
 */
static bool
like_match(const CedarString *s, const CedarPatternElem *elems, int nelems)
{
	StringInfoData seg;
	int			i = 0;
	int			pos = 0;
	bool		leading = true;

	initStringInfo(&seg);
	while (i <= nelems)
	{
		bool		star = i < nelems && elems[i].wildcard;

		if (i < nelems && !star)
		{
			appendBinaryStringInfo(&seg, elems[i].literal.data, elems[i].literal.len);
			i++;
			continue;
		}
		/* a segment ends at a star or at the end of the pattern */
		if (leading)
		{
			if (i == nelems)	/* no star at all: exact match */
				return seg.len == s->len && memcmp(seg.data, s->data, seg.len) == 0;
			if (seg.len > s->len || memcmp(seg.data, s->data, seg.len) != 0)
				return false;
			pos = seg.len;
			leading = false;
		}
		else if (i == nelems)
		{
			/* the last segment (after a star) must end the string */
			return s->len - pos >= seg.len &&
				memcmp(s->data + s->len - seg.len, seg.data, seg.len) == 0;
		}
		else if (seg.len > 0)
		{
			const char *found = memmem(s->data + pos, s->len - pos, seg.data, seg.len);

			if (found == NULL)
				return false;
			pos = (found - s->data) + seg.len;
		}
		CHECK_FOR_INTERRUPTS();
		resetStringInfo(&seg);
		i++;
	}
	return true;
}

/* ---------- helpers ---------- */

static bool
uid_equal(const CedarValue *a, const CedarValue *b)
{
	return a->u.uid.type.len == b->u.uid.type.len && a->u.uid.id.len == b->u.uid.id.len &&
		memcmp(a->u.uid.id.data, b->u.uid.id.data, a->u.uid.id.len) == 0 &&
		memcmp(a->u.uid.type.data, b->u.uid.type.data, a->u.uid.type.len) == 0;
}

static bool
type_is(const CedarValue *uid, const CedarString *type)
{
	return uid->u.uid.type.len == type->len &&
		memcmp(uid->u.uid.type.data, type->data, type->len) == 0;
}

/* lhs in rhs, rhs an entity or a set of entities; NULL on a type error */
static const CedarValue *
eval_in(EvalCtx *cx, const CedarValue *lhs, const CedarValue *rhs)
{
	CedarEntity *e;

	if (lhs->kind != CEDAR_V_ENTITY)
		FAIL(cx, "`in` needs an entity on the left");
	if (rhs->kind == CEDAR_V_ENTITY)
	{
		if (uid_equal(lhs, rhs))
			return cedar_value_bool(true);
		e = cedar_entities_lookup(cx->store, &lhs->u.uid.type, &lhs->u.uid.id);
		return cedar_value_bool(e != NULL && cedar_entity_is_descendant(cx->store, e, rhs));
	}
	if (rhs->kind != CEDAR_V_SET)
		FAIL(cx, "`in` needs an entity or a set of entities on the right");
	for (int i = 0; i < rhs->u.set.n; i++)
		if (rhs->u.set.items[i]->kind != CEDAR_V_ENTITY)
			FAIL(cx, "`in` needs a set of entities");
	for (int i = 0; i < rhs->u.set.n; i++)
		if (uid_equal(lhs, rhs->u.set.items[i]))
			return cedar_value_bool(true);
	e = cedar_entities_lookup(cx->store, &lhs->u.uid.type, &lhs->u.uid.id);
	return cedar_value_bool(e != NULL && cedar_entity_is_descendant_of_any(cx->store, e, rhs));
}

/* The value of attribute attr of a record or entity; NULL on error */
static const CedarValue *
get_attr(EvalCtx *cx, const CedarValue *v, const CedarString *attr)
{
	const CedarValue *r;

	if (v->kind == CEDAR_V_RECORD)
		r = cedar_record_get(v, attr->data, attr->len);
	else if (v->kind == CEDAR_V_ENTITY)
	{
		CedarEntity *e = cedar_entities_lookup(cx->store, &v->u.uid.type, &v->u.uid.id);

		if (e == NULL || !e->exists)
			FAIL(cx, "entity does not exist");
		r = cedar_record_get(e->attrs, attr->data, attr->len);
	}
	else
		FAIL(cx, "attribute access needs a record or an entity");
	if (r == NULL)
		FAIL(cx, "attribute does not exist");
	return r;
}

/* v has attr: NULL on a type error */
static const CedarValue *
has_attr(EvalCtx *cx, const CedarValue *v, const CedarString *attr)
{
	if (v->kind == CEDAR_V_RECORD)
		return cedar_value_bool(cedar_record_get(v, attr->data, attr->len) != NULL);
	if (v->kind == CEDAR_V_ENTITY)
	{
		CedarEntity *e = cedar_entities_lookup(cx->store, &v->u.uid.type, &v->u.uid.id);

		return cedar_value_bool(e != NULL && e->exists &&
								cedar_record_get(e->attrs, attr->data, attr->len) != NULL);
	}
	FAIL(cx, "`has` needs a record or an entity");
}

static bool
orderable(const CedarValue *a, const CedarValue *b)
{
	return a->kind == b->kind &&
		(a->kind == CEDAR_V_LONG || a->kind == CEDAR_V_DATETIME || a->kind == CEDAR_V_DURATION);
}

/* The binary operator of e applied to its evaluated operands a and b */
static const CedarValue *
eval_binary(EvalCtx *cx, const CedarExpr *e, const CedarValue *a, const CedarValue *b)
{
	int64		r;

	switch (e->kind)
	{
		case CEDAR_EXPR_EQ:
			return cedar_value_bool(cedar_value_equal(a, b));
		case CEDAR_EXPR_NE:
			return cedar_value_bool(!cedar_value_equal(a, b));
		case CEDAR_EXPR_LT:
		case CEDAR_EXPR_LE:
		case CEDAR_EXPR_GT:
		case CEDAR_EXPR_GE:
			if (!orderable(a, b))
				FAIL(cx, "comparison needs two longs, datetimes or durations");
			switch (e->kind)
			{
				case CEDAR_EXPR_LT:
					return cedar_value_bool(a->u.l < b->u.l);
				case CEDAR_EXPR_LE:
					return cedar_value_bool(a->u.l <= b->u.l);
				case CEDAR_EXPR_GT:
					return cedar_value_bool(a->u.l > b->u.l);
				default:
					return cedar_value_bool(a->u.l >= b->u.l);
			}
		case CEDAR_EXPR_ADD:
		case CEDAR_EXPR_SUB:
		case CEDAR_EXPR_MUL:
			if (a->kind != CEDAR_V_LONG || b->kind != CEDAR_V_LONG)
				FAIL(cx, "arithmetic needs longs");
			if (e->kind == CEDAR_EXPR_ADD ? pg_add_s64_overflow(a->u.l, b->u.l, &r) :
				e->kind == CEDAR_EXPR_SUB ? pg_sub_s64_overflow(a->u.l, b->u.l, &r) :
				pg_mul_s64_overflow(a->u.l, b->u.l, &r))
				FAIL(cx, "integer overflow");
			return long_value(r);
		case CEDAR_EXPR_IN:
			return eval_in(cx, a, b);
		case CEDAR_EXPR_CONTAINS:
			if (a->kind != CEDAR_V_SET)
				FAIL(cx, "contains needs a set");
			return cedar_value_bool(cedar_set_contains(a, b));
		case CEDAR_EXPR_CONTAINS_ALL:
		case CEDAR_EXPR_CONTAINS_ANY:
			if (a->kind != CEDAR_V_SET || b->kind != CEDAR_V_SET)
				FAIL(cx, "containsAll/containsAny need sets");
			for (int i = 0; i < b->u.set.n; i++)
			{
				bool		in = cedar_set_contains(a, b->u.set.items[i]);

				if (e->kind == CEDAR_EXPR_CONTAINS_ALL && !in)
					return cedar_value_bool(false);
				if (e->kind == CEDAR_EXPR_CONTAINS_ANY && in)
					return cedar_value_bool(true);
			}
			return cedar_value_bool(e->kind == CEDAR_EXPR_CONTAINS_ALL);
		case CEDAR_EXPR_GET_TAG:
		case CEDAR_EXPR_HAS_TAG:
			{
				CedarEntity *ent;
				const CedarValue *t;

				if (a->kind != CEDAR_V_ENTITY || b->kind != CEDAR_V_STRING)
					FAIL(cx, "tags need an entity and a string");
				ent = cedar_entities_lookup(cx->store, &a->u.uid.type, &a->u.uid.id);
				if (ent == NULL || !ent->exists)
				{
					if (e->kind == CEDAR_EXPR_HAS_TAG)
						return cedar_value_bool(false);
					FAIL(cx, "entity does not exist");
				}
				t = cedar_record_get(ent->tags, b->u.str.data, b->u.str.len);
				if (e->kind == CEDAR_EXPR_HAS_TAG)
					return cedar_value_bool(t != NULL);
				if (t == NULL)
					FAIL(cx, "tag does not exist");
				return t;
			}
		default:
			break;
	}
	FAIL(cx, "unknown operator");
}

/*
 * The operand of e evaluated first (its receiver: the left operand of a
 * binary operator, the operand of a unary one, of `.attr`, `has`, `like`,
 * `is`, the receiver of a method), or NULL for the other kinds.
 */
static const CedarExpr *
receiver(const CedarExpr *e)
{
	switch (e->kind)
	{
		case CEDAR_EXPR_NOT:
		case CEDAR_EXPR_NEG:
		case CEDAR_EXPR_IS_EMPTY:
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
			return e->u.op.a;
		case CEDAR_EXPR_GET_ATTR:
			return e->u.attr.a;
		case CEDAR_EXPR_HAS:
			return e->u.has.a;
		case CEDAR_EXPR_LIKE:
			return e->u.like.a;
		case CEDAR_EXPR_IS:
			return e->u.is.a;
		case CEDAR_EXPR_EXT_CALL:
			return (e->u.call.method && e->u.call.nargs > 0) ? e->u.call.args[0] : NULL;
		default:
			return NULL;
	}
}

/* e, whose receiver evaluated to a (not NULL) */
static const CedarValue *
apply(EvalCtx *cx, const CedarExpr *e, const CedarValue *a)
{
	const CedarValue *b;

	switch (e->kind)
	{
		case CEDAR_EXPR_NOT:
			if (a->kind != CEDAR_V_BOOL)
				FAIL(cx, "! needs a boolean");
			return cedar_value_bool(!a->u.b);
		case CEDAR_EXPR_NEG:
			if (a->kind != CEDAR_V_LONG)
				FAIL(cx, "negation needs a long");
			if (a->u.l == PG_INT64_MIN)
				FAIL(cx, "integer overflow");
			return long_value(-a->u.l);
		case CEDAR_EXPR_IS_EMPTY:
			if (a->kind != CEDAR_V_SET)
				FAIL(cx, "isEmpty needs a set");
			return cedar_value_bool(a->u.set.n == 0);
		case CEDAR_EXPR_AND:
		case CEDAR_EXPR_OR:
			if (a->kind != CEDAR_V_BOOL)
				FAIL(cx, "&& and || need booleans");
			if (a->u.b == (e->kind == CEDAR_EXPR_OR))
				return a;		/* short-circuit: the right is not evaluated */
			if ((b = eval(cx, e->u.op.b)) == NULL)
				return NULL;
			if (b->kind != CEDAR_V_BOOL)
				FAIL(cx, "&& and || need booleans");
			return b;
		case CEDAR_EXPR_GET_ATTR:
			return get_attr(cx, a, &e->u.attr.attr);
		case CEDAR_EXPR_HAS:
			/* a has p1.p2.p3 = a has p1 && a.p1 has p2 && a.p1.p2 has p3 */
			for (int i = 0; i < e->u.has.npath; i++)
			{
				const CedarValue *h = has_attr(cx, a, &e->u.has.path[i]);

				if (h == NULL || !h->u.b || i == e->u.has.npath - 1)
					return h;
				if ((a = get_attr(cx, a, &e->u.has.path[i])) == NULL)
					return NULL;
			}
			return cedar_value_bool(true);
		case CEDAR_EXPR_LIKE:
			if (a->kind != CEDAR_V_STRING)
				FAIL(cx, "like needs a string");
			return cedar_value_bool(like_match(&a->u.str, e->u.like.elems, e->u.like.nelems));
		case CEDAR_EXPR_IS:
			if (a->kind != CEDAR_V_ENTITY)
				FAIL(cx, "is needs an entity");
			if (!type_is(a, &e->u.is.entity_type))
				return cedar_value_bool(false);
			if (e->u.is.in == NULL)
				return cedar_value_bool(true);
			if ((b = eval(cx, e->u.is.in)) == NULL)
				return NULL;
			return eval_in(cx, a, b);
		case CEDAR_EXPR_EXT_CALL:
			{
				int			n = e->u.call.nargs;
				const CedarValue **args = palloc(sizeof(CedarValue *) * n);

				args[0] = a;
				for (int i = 1; i < n; i++)
					if ((args[i] = eval(cx, e->u.call.args[i])) == NULL)
						return NULL;
				return cedar_ext_call(e->u.call.name.data, e->u.call.name.len, args, n, &cx->why);
			}
		default:
			/* the binary operators: the right operand is evaluated second */
			if ((b = eval(cx, e->u.op.b)) == NULL)
				return NULL;
			return eval_binary(cx, e, a, b);
	}
}

/* An expression without a receiver */
static const CedarValue *
eval_leaf(EvalCtx *cx, const CedarExpr *e)
{
	const CedarValue *a;
	CedarValue *v;

	switch (e->kind)
	{
		case CEDAR_EXPR_BOOL:
			return cedar_value_bool(e->u.b);
		case CEDAR_EXPR_LONG:
			return long_value(e->u.l);
		case CEDAR_EXPR_STRING:
			v = cedar_value_new(CEDAR_V_STRING);
			v->u.str = e->u.str;
			return v;
		case CEDAR_EXPR_ENTITY:
			return cedar_value_entity(e->u.uid.type, e->u.uid.id);
		case CEDAR_EXPR_VAR:
			switch (e->u.var)
			{
				case CEDAR_VAR_PRINCIPAL:
					return cx->req->principal;
				case CEDAR_VAR_ACTION:
					return cx->req->action;
				case CEDAR_VAR_RESOURCE:
					return cx->req->resource;
				case CEDAR_VAR_CONTEXT:
					return cx->req->context;
			}
			break;
		case CEDAR_EXPR_IF:
			if ((a = eval(cx, e->u.ite.cond)) == NULL)
				return NULL;
			if (a->kind != CEDAR_V_BOOL)
				FAIL(cx, "if needs a boolean");
			return eval(cx, a->u.b ? e->u.ite.then_expr : e->u.ite.else_expr);
		case CEDAR_EXPR_SET:
			{
				const CedarValue **items = palloc(sizeof(CedarValue *) * Max(e->u.list.nitems, 1));

				for (int i = 0; i < e->u.list.nitems; i++)
					if ((items[i] = eval(cx, e->u.list.items[i])) == NULL)
						return NULL;
				return cedar_value_set(items, e->u.list.nitems);
			}
		case CEDAR_EXPR_RECORD:
			{
				int			n = e->u.record.nitems;
				const CedarValue **vals = palloc(sizeof(CedarValue *) * Max(n, 1));
				CedarString *keys;

				for (int i = 0; i < n; i++)
					if ((vals[i] = eval(cx, e->u.record.values[i])) == NULL)
						return NULL;
				keys = palloc(sizeof(CedarString) * Max(n, 1));
				/* a copy: the value may sort its keys, the AST must not change */
				memcpy(keys, e->u.record.keys, sizeof(CedarString) * n);
				return cedar_value_record(keys, vals, n);
			}
		case CEDAR_EXPR_EXT_CALL:
			{
				int			n = e->u.call.nargs;
				const CedarValue **args = palloc(sizeof(CedarValue *) * Max(n, 1));

				for (int i = 0; i < n; i++)
					if ((args[i] = eval(cx, e->u.call.args[i])) == NULL)
						return NULL;
				return cedar_ext_call(e->u.call.name.data, e->u.call.name.len, args, n, &cx->why);
			}
		default:
			break;
	}
	FAIL(cx, "unknown expression");
}

/*
 * Evaluates e.  Operator chains such as a || b || c ... or x.a.b.c ... nest
 * to the left without limit (the parser bounds only parentheses), so the
 * chain of receivers below e is walked with a loop: the innermost receiver
 * is evaluated first, then each node up the chain applied to the value so
 * far, in the reference's order of evaluation.
 */
static const CedarValue *
eval(EvalCtx *cx, const CedarExpr *e)
{
	const CedarExpr **spine;
	const CedarExpr *cur;
	const CedarValue *v;
	int			n = 0;

	check_stack_depth();
	if (receiver(e) == NULL)
		return eval_leaf(cx, e);
	for (cur = e; receiver(cur) != NULL; cur = receiver(cur))
		n++;
	spine = palloc(sizeof(CedarExpr *) * n);
	n = 0;
	for (cur = e; receiver(cur) != NULL; cur = receiver(cur))
		spine[n++] = cur;
	v = eval_leaf(cx, cur);
	for (int i = n - 1; i >= 0 && v != NULL; i--)
	{
		CHECK_FOR_INTERRUPTS();
		v = apply(cx, spine[i], v);
	}
	pfree(spine);
	return v;
}

/* ---------- policies ---------- */

/* A scope constraint on an entity value (never errs) */
static bool
scope_matches(EvalCtx *cx, const CedarScope *s, const CedarValue *v)
{
	CedarEntity *e;

	switch (s->kind)
	{
		case CEDAR_SCOPE_ALL:
			return true;
		case CEDAR_SCOPE_EQ:
			return v->u.uid.type.len == s->uid.type.len && v->u.uid.id.len == s->uid.id.len &&
				memcmp(v->u.uid.type.data, s->uid.type.data, s->uid.type.len) == 0 &&
				memcmp(v->u.uid.id.data, s->uid.id.data, s->uid.id.len) == 0;
		case CEDAR_SCOPE_IS:
			return type_is(v, &s->entity_type);
		case CEDAR_SCOPE_IS_IN:
			if (!type_is(v, &s->entity_type))
				return false;
			/* fall through */
		case CEDAR_SCOPE_IN:
			{
				CedarValue *target = cedar_value_entity(s->uid.type, s->uid.id);

				if (uid_equal(v, target))
					return true;
				e = cedar_entities_lookup(cx->store, &v->u.uid.type, &v->u.uid.id);
				return e != NULL && cedar_entity_is_descendant(cx->store, e, target);
			}
		case CEDAR_SCOPE_IN_SET:
			{
				const CedarValue **items = palloc(sizeof(CedarValue *) * Max(s->nuids, 1));

				for (int i = 0; i < s->nuids; i++)
				{
					items[i] = cedar_value_entity(s->uids[i].type, s->uids[i].id);
					if (uid_equal(v, items[i]))
						return true;
				}
				e = cedar_entities_lookup(cx->store, &v->u.uid.type, &v->u.uid.id);
				return e != NULL &&
					cedar_entity_is_descendant_of_any(cx->store, e, cedar_value_set(items, s->nuids));
			}
	}
	return false;
}

/*
 * Whether the policy applies: 1 satisfied, 0 not, -1 evaluation error.
 * The reference evaluates scope && when... && !unless... left to right.
 */
static int
policy_applies(EvalCtx *cx, const CedarPolicy *p)
{
	if (!scope_matches(cx, &p->principal, cx->req->principal) ||
		!scope_matches(cx, &p->action, cx->req->action) ||
		!scope_matches(cx, &p->resource, cx->req->resource))
		return 0;
	for (int i = 0; i < p->nconditions; i++)
	{
		const CedarValue *v = eval(cx, p->conditions[i].body);

		if (v == NULL || v->kind != CEDAR_V_BOOL)
			return -1;
		if (v->u.b != p->conditions[i].is_when)
			return 0;
	}
	return 1;
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

void
cedar_authorize(const CedarPolicySet *ps, CedarEntityStore *store,
				const CedarRequest *request, CedarDecision *d)
{
	EvalCtx		cx;
	const char **permits = palloc(sizeof(char *) * Max(ps->n, 1));
	const char **forbids = palloc(sizeof(char *) * Max(ps->n, 1));
	int			npermits = 0,
				nforbids = 0;
	MemoryContext scratch,
				old;

	cx.store = store;
	cx.req = request;
	cx.why = NULL;
	d->errored = palloc(sizeof(char *) * Max(ps->n, 1));
	d->nerrored = 0;

	/* values built while evaluating a policy die with it */
	scratch = AllocSetContextCreate(CurrentMemoryContext, "cedar evaluation",
									ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < ps->n; i++)
	{
		const CedarPolicy *p = ps->policies[i];
		int			r;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(scratch);
		r = policy_applies(&cx, p);
		MemoryContextSwitchTo(old);
		MemoryContextReset(scratch);
		if (r < 0)
			d->errored[d->nerrored++] = ps->ids[i];
		else if (r > 0 && p->permit)
			permits[npermits++] = ps->ids[i];
		else if (r > 0)
			forbids[nforbids++] = ps->ids[i];
	}
	MemoryContextDelete(scratch);

	if (nforbids > 0)
	{
		d->allow = false;
		d->reasons = forbids;
		d->nreasons = nforbids;
	}
	else
	{
		d->allow = npermits > 0;
		d->reasons = permits;
		d->nreasons = npermits;
	}
	qsort(d->reasons, d->nreasons, sizeof(char *), id_cmp);
	qsort(d->errored, d->nerrored, sizeof(char *), id_cmp);
}
