/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Strict-mode validation of one static Cedar policy against a resolved
 *	  schema, following the reference (cedar-policy-core validator/rbac.rs,
 *	  typecheck.rs, types.rs, ValidationMode::Strict):
 *
 *	  1. every entity type named by the policy is declared, every action
 *	     UID is a declared action, every enum entity UID uses a declared id;
 *	  2. the policy condition (scope && conditions) is type-checked once per
 *	     request environment (action x principal type x resource type from
 *	     appliesTo), with capabilities (`has` / `hasTag` facts) flowing
 *	     through &&, || and if-then-else, strict least upper bounds, and the
 *	     literal checks of extension constructors.
 *
 *	  Every distinct issue is reported once.  A policy whose condition is
 *	  false in every environment gets the impossible_policy warning.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/error.h"
#include "cedar/names.h"
#include "cedar/parser.h"
#include "cedar/schema_int.h"
#include "cedar/validate.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"

typedef struct TC TC;

/* What `action in <literals>` is, for every action (action_in_literals) */
typedef struct ActionSet
{
	enum
	{
		ACTIONS_NONE,			/* no action among the literals: false */
		ACTIONS_UNKNOWN,		/* an undeclared action: no type */
		ACTIONS_SOME			/* in[idx]: action idx is in one of them */
	}			kind;
	bool	   *in;
} ActionSet;

struct TC
{
	const CedarSchema *schema;
	const CedarActionDef *action;
	const CedarType *ptype;
	const CedarType *rtype;
	const CedarType *atype;
	const CedarType *ctype;
	const char *policy_id;
	CedarValidationResult *res;
	bool		had_error;
	int64	   *work;			/* steps so far (res->work) */
	/* memos of answers that depend on the schema only, kept across environments */
	MemoryContext keep;			/* where they live */
	cedar_names_hash *reach;	/* "l\0r" -> 1 + type_may_be_in(l, r) */
	cedar_names_hash *action_sets;	/* AST node address -> ActionSet */
	cedar_names_hash *literal_sets; /* AST node address -> LiteralSet */
};

static void over_budget(TC *t) pg_attribute_noreturn();

/*
 * Counts n steps of type-checking work against the budget of the call
 * (CEDAR_VALIDATION_MAX_WORK): a step is a node type-checked in one request
 * environment, a subtype or least-upper-bound test, a capability compared,
 * a type visited in a hierarchy walk.
 */
#define WORK(t, n) \
	do { \
		if ((*(t)->work += (n)) > CEDAR_VALIDATION_MAX_WORK) \
			over_budget(t); \
	} while (0)

/* ---------- result collection ---------- */

void
cedar_validation_result_init(CedarValidationResult *res)
{
	memset(res, 0, sizeof(*res));
	res->cxt = CurrentMemoryContext;
}

/*
 * Appends an issue to res (errors or warnings) unless the same one is there:
 * same policy, code, message and start.  The message is copied into the
 * result's memory context (type-checking runs in a context reset after
 * each request environment).
 */
static void
add_issue(CedarValidationResult *res, bool warning, const char *policy_id,
		  const char *code, const char *message, int start, int end)
{
	CedarValidationIssue **arr = warning ? &res->warnings : &res->errors;
	int		   *n = warning ? &res->nwarnings : &res->nerrors;
	int		   *cap = warning ? &res->cap_warnings : &res->cap_errors;
	StringInfoData key;
	MemoryContext old;

	initStringInfo(&key);
	appendStringInfo(&key, "%c%s%c%s%c%d%c", warning ? 'w' : 'e', policy_id, '\0', code, '\0',
					 start, '\0');
	appendStringInfoString(&key, message);
	if (res->seen && cedar_names_get(res->seen, key.data, key.len))
	{
		pfree(key.data);
		return;
	}

	old = MemoryContextSwitchTo(res->cxt);
	if (res->seen == NULL)
		res->seen = cedar_names_create(res->cxt, 64, NULL);
	{
		char	   *k = palloc(key.len + 1);

		memcpy(k, key.data, key.len + 1);
		(void) cedar_names_put(res->seen, k, key.len, res);
		pfree(key.data);
	}
	if (*n >= *cap)
	{
		*cap = *cap ? *cap * 2 : 8;
		*arr = *arr ? repalloc(*arr, sizeof(CedarValidationIssue) * *cap) :
			palloc(sizeof(CedarValidationIssue) * *cap);
	}
	(*arr)[*n].policy_id = policy_id;
	(*arr)[*n].code = code;
	(*arr)[*n].message = pstrdup(message);
	(*arr)[*n].start = start;
	(*arr)[*n].end = end;
	(*n)++;
	MemoryContextSwitchTo(old);
}

/* ---------- types ---------- */

static const CedarType T_NEVER = {CEDAR_T_NEVER};
static const CedarType T_TRUE = {CEDAR_T_TRUE};
static const CedarType T_FALSE = {CEDAR_T_FALSE};
static const CedarType T_BOOL = {CEDAR_T_BOOL};
static const CedarType T_LONG = {CEDAR_T_LONG};
static const CedarType T_STRING = {CEDAR_T_STRING};
static const CedarType T_ANY_ENTITY = {CEDAR_T_ANY_ENTITY};
static const CedarType T_ANY_SET = {CEDAR_T_SET};
static const CedarType T_ANY_RECORD = {.kind = CEDAR_T_RECORD,.open = true};
static const CedarType T_SET_ANY_ENTITY = {.kind = CEDAR_T_SET,.elem = &T_ANY_ENTITY};
static const CedarType T_IPADDR = {.kind = CEDAR_T_EXT,.ext = "ipaddr"};
static const CedarType T_DECIMAL = {.kind = CEDAR_T_EXT,.ext = "decimal"};
static const CedarType T_DATETIME = {.kind = CEDAR_T_EXT,.ext = "datetime"};
static const CedarType T_DURATION = {.kind = CEDAR_T_EXT,.ext = "duration"};

static const CedarType *
entity_type_of(const char *name)
{
	CedarType  *t = palloc0(sizeof(CedarType));

	t->kind = CEDAR_T_ENTITY;
	t->lub = palloc(sizeof(char *));
	t->lub[0] = name;
	t->nlub = 1;
	return t;
}

static bool
is_bool(const CedarType *t)
{
	return t->kind == CEDAR_T_BOOL || t->kind == CEDAR_T_TRUE || t->kind == CEDAR_T_FALSE;
}

static bool
lub_equal(const CedarType *a, const CedarType *b)
{
	if (a->nlub != b->nlub)
		return false;
	for (int i = 0; i < a->nlub; i++)
		if (strcmp(a->lub[i], b->lub[i]) != 0)
			return false;
	return true;
}

static bool
lub_subset(const CedarType *a, const CedarType *b)
{
	for (int i = 0; i < a->nlub; i++)
	{
		bool		found = false;

		for (int j = 0; j < b->nlub && !found; j++)
			found = strcmp(a->lub[i], b->lub[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

static const CedarAttrType *
record_attr(const CedarType *r, const char *name, int len)
{
	int			lo = 0,
				hi = r->nattrs - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = cedar_string_cmp(r->attrs[mid].name.data, r->attrs[mid].name.len,
										 name, len);

		if (c == 0)
			return &r->attrs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static bool is_subtype(TC *t, const CedarType *a, const CedarType *b, bool strict);

static bool
attrs_subtype(TC *t, const CedarType *a, const CedarType *b, bool strict)
{
	for (int i = 0; i < b->nattrs; i++)
	{
		const CedarAttrType *x = record_attr(a, b->attrs[i].name.data, b->attrs[i].name.len);
		bool		qual;

		if (x == NULL)
			return false;
		qual = strict ? x->required == b->attrs[i].required :
			(x->required || !b->attrs[i].required);
		if (!qual || !is_subtype(t, x->type, b->attrs[i].type, strict))
			return false;
	}
	return true;
}

static bool
same_keys(const CedarType *a, const CedarType *b)
{
	if (a->nattrs != b->nattrs)
		return false;
	for (int i = 0; i < a->nattrs; i++)
		if (cedar_string_cmp(a->attrs[i].name.data, a->attrs[i].name.len,
							 b->attrs[i].name.data, b->attrs[i].name.len) != 0)
			return false;
	return true;
}

/* types.rs Type::is_subtype */
static bool
is_subtype(TC *t, const CedarType *a, const CedarType *b, bool strict)
{
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	WORK(t, 1);
	/* every type is a subtype of itself (and schema types are shared) */
	if (a == b)
		return true;
	if (a->kind == CEDAR_T_NEVER)
		return true;
	if (is_bool(a) && is_bool(b))
		return b->kind == CEDAR_T_BOOL || a->kind == b->kind;
	if (a->kind != b->kind)
	{
		if (a->kind == CEDAR_T_ENTITY && b->kind == CEDAR_T_ANY_ENTITY)
			return !strict;
		return false;
	}
	switch (a->kind)
	{
		case CEDAR_T_LONG:
		case CEDAR_T_STRING:
		case CEDAR_T_ANY_ENTITY:
			return true;
		case CEDAR_T_SET:
			if (a->elem && b->elem)
				return is_subtype(t, a->elem, b->elem, strict);
			return b->elem == NULL;
		case CEDAR_T_RECORD:
			return (!a->open || b->open) &&
				((b->open && !strict && attrs_subtype(t, a, b, strict)) ||
				 (same_keys(a, b) && attrs_subtype(t, a, b, strict)));
		case CEDAR_T_ENTITY:
			return strict ? lub_equal(a, b) : lub_subset(a, b);
		case CEDAR_T_EXT:
			return strcmp(a->ext, b->ext) == 0;
		default:
			return false;
	}
}

static bool
types_equal(TC *t, const CedarType *a, const CedarType *b)
{
	return is_subtype(t, a, b, true) && is_subtype(t, b, a, true);
}

/* types.rs Type::least_upper_bound in strict mode; NULL if none */
static const CedarType *
lub(TC *tc, const CedarType *a, const CedarType *b)
{
	CedarType  *t;

	check_stack_depth();
	if (is_subtype(tc, a, b, true))
		return b;
	if (is_subtype(tc, b, a, true))
		return a;
	if (is_bool(a) && is_bool(b))
		return &T_BOOL;
	if (a->kind == CEDAR_T_SET && b->kind == CEDAR_T_SET)
	{
		const CedarType *e;

		if (a->elem == NULL || b->elem == NULL)
			return &T_ANY_SET;
		e = lub(tc, a->elem, b->elem);
		if (e == NULL)
			return NULL;
		t = palloc0(sizeof(CedarType));
		t->kind = CEDAR_T_SET;
		t->elem = e;
		return t;
	}
	if (a->kind == CEDAR_T_RECORD && b->kind == CEDAR_T_RECORD)
	{
		CedarAttrType *attrs;

		if (!same_keys(a, b))
			return NULL;
		attrs = palloc0(sizeof(CedarAttrType) * Max(a->nattrs, 1));
		for (int i = 0; i < a->nattrs; i++)
		{
			attrs[i].name = a->attrs[i].name;
			if (a->attrs[i].required != b->attrs[i].required)
				return NULL;
			attrs[i].required = a->attrs[i].required;
			attrs[i].type = lub(tc, a->attrs[i].type, b->attrs[i].type);
			if (attrs[i].type == NULL)
				return NULL;
		}
		t = palloc0(sizeof(CedarType));
		t->kind = CEDAR_T_RECORD;
		t->attrs = attrs;
		t->nattrs = a->nattrs;
		t->open = a->open || b->open;
		return t;
	}
	return NULL;
}

static bool
are_disjoint(const CedarType *a, const CedarType *b)
{
	if (a->kind != CEDAR_T_ENTITY || b->kind != CEDAR_T_ENTITY)
		return false;
	for (int i = 0; i < a->nlub; i++)
		for (int j = 0; j < b->nlub; j++)
			if (strcmp(a->lub[i], b->lub[j]) == 0)
				return false;
	return true;
}

static char *
type_str(const CedarType *t)
{
	StringInfoData s;

	initStringInfo(&s);
	cedar_type_append(&s, t);
	return s.data;
}

/* ---------- capabilities ---------- */

typedef struct Cap
{
	const CedarExpr *on;
	bool		tag;
	CedarString attr;			/* attribute capability */
	const CedarExpr *tagexpr;	/* tag capability */
} Cap;

typedef struct Caps
{
	Cap		   *v;
	int			n;
} Caps;

static const Caps NO_CAPS = {NULL, 0};

static bool expr_equal(TC *t, const CedarExpr *a, const CedarExpr *b);

static bool
str_eq(const CedarString *a, const CedarString *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Structural equality of expressions, ignoring source positions */
static bool
expr_equal(TC *t, const CedarExpr *a, const CedarExpr *b)
{
	check_stack_depth();
	WORK(t, 1);
	if (a == b)
		return true;
	if (a == NULL || b == NULL || a->kind != b->kind)
		return false;
	switch (a->kind)
	{
		case CEDAR_EXPR_BOOL:
			return a->u.b == b->u.b;
		case CEDAR_EXPR_LONG:
			return a->u.l == b->u.l;
		case CEDAR_EXPR_STRING:
			return str_eq(&a->u.str, &b->u.str);
		case CEDAR_EXPR_ENTITY:
			return str_eq(&a->u.uid.type, &b->u.uid.type) && str_eq(&a->u.uid.id, &b->u.uid.id);
		case CEDAR_EXPR_VAR:
			return a->u.var == b->u.var;
		case CEDAR_EXPR_GET_ATTR:
			return str_eq(&a->u.attr.attr, &b->u.attr.attr) && expr_equal(t, a->u.attr.a, b->u.attr.a);
		case CEDAR_EXPR_HAS:
			if (a->u.has.npath != b->u.has.npath)
				return false;
			for (int i = 0; i < a->u.has.npath; i++)
				if (!str_eq(&a->u.has.path[i], &b->u.has.path[i]))
					return false;
			return expr_equal(t, a->u.has.a, b->u.has.a);
		case CEDAR_EXPR_LIKE:
			if (a->u.like.nelems != b->u.like.nelems)
				return false;
			for (int i = 0; i < a->u.like.nelems; i++)
				if (a->u.like.elems[i].wildcard != b->u.like.elems[i].wildcard ||
					!str_eq(&a->u.like.elems[i].literal, &b->u.like.elems[i].literal))
					return false;
			return expr_equal(t, a->u.like.a, b->u.like.a);
		case CEDAR_EXPR_IS:
			return str_eq(&a->u.is.entity_type, &b->u.is.entity_type) &&
				expr_equal(t, a->u.is.a, b->u.is.a) &&
				((a->u.is.in == NULL && b->u.is.in == NULL) ||
				 (a->u.is.in && b->u.is.in && expr_equal(t, a->u.is.in, b->u.is.in)));
		case CEDAR_EXPR_IF:
			return expr_equal(t, a->u.ite.cond, b->u.ite.cond) &&
				expr_equal(t, a->u.ite.then_expr, b->u.ite.then_expr) &&
				expr_equal(t, a->u.ite.else_expr, b->u.ite.else_expr);
		case CEDAR_EXPR_SET:
			if (a->u.list.nitems != b->u.list.nitems)
				return false;
			for (int i = 0; i < a->u.list.nitems; i++)
				if (!expr_equal(t, a->u.list.items[i], b->u.list.items[i]))
					return false;
			return true;
		case CEDAR_EXPR_RECORD:
			if (a->u.record.nitems != b->u.record.nitems)
				return false;
			for (int i = 0; i < a->u.record.nitems; i++)
				if (!str_eq(&a->u.record.keys[i], &b->u.record.keys[i]) ||
					!expr_equal(t, a->u.record.values[i], b->u.record.values[i]))
					return false;
			return true;
		case CEDAR_EXPR_EXT_CALL:
			if (!str_eq(&a->u.call.name, &b->u.call.name) || a->u.call.nargs != b->u.call.nargs)
				return false;
			for (int i = 0; i < a->u.call.nargs; i++)
				if (!expr_equal(t, a->u.call.args[i], b->u.call.args[i]))
					return false;
			return true;
		default:
			/* unary and binary operators */
			return expr_equal(t, a->u.op.a, b->u.op.a) &&
				((a->u.op.b == NULL && b->u.op.b == NULL) ||
				 (a->u.op.b && b->u.op.b && expr_equal(t, a->u.op.b, b->u.op.b)));
	}
}

static bool
cap_equal(TC *t, const Cap *x, const Cap *y)
{
	if (x->tag != y->tag || !expr_equal(t, x->on, y->on))
		return false;
	return x->tag ? expr_equal(t, x->tagexpr, y->tagexpr) : str_eq(&x->attr, &y->attr);
}

static bool
caps_contain(TC *t, const Caps *c, const Cap *x)
{
	for (int i = 0; i < c->n; i++)
		if (cap_equal(t, &c->v[i], x))
			return true;
	return false;
}

static Caps
caps_union(TC *t, const Caps *a, const Caps *b)
{
	Caps		r;

	if (b->n == 0)
		return *a;
	if (a->n == 0)
		return *b;
	WORK(t, a->n / 8);		/* the copy */
	r.v = palloc(sizeof(Cap) * (a->n + b->n));
	memcpy(r.v, a->v, sizeof(Cap) * a->n);
	r.n = a->n;
	for (int i = 0; i < b->n; i++)
		if (!caps_contain(t, a, &b->v[i]))
			r.v[r.n++] = b->v[i];
	return r;
}

static Caps
caps_intersect(TC *t, const Caps *a, const Caps *b)
{
	Caps		r;

	if (a->n == 0 || b->n == 0)
		return NO_CAPS;
	r.v = palloc(sizeof(Cap) * a->n);
	r.n = 0;
	for (int i = 0; i < a->n; i++)
		if (caps_contain(t, b, &a->v[i]))
			r.v[r.n++] = a->v[i];
	return r;
}

static Caps
caps_one(Cap c)
{
	Caps		r;

	r.v = palloc(sizeof(Cap));
	r.v[0] = c;
	r.n = 1;
	return r;
}

/* ---------- the checker ---------- */

typedef struct Ans
{
	bool		ok;
	const CedarType *ty;		/* NULL: no type */
	Caps		caps;
} Ans;

static void
over_budget(TC *t)
{
	cedar_error(CEDAR_INPUT_VALIDATION, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
				psprintf("Each policy is type-checked once per request environment (action, principal type, resource type); the limit was reached in policy \"%s\".",
						 t->policy_id),
				"Validate fewer or smaller policies at a time, or use a schema with fewer actions, or fewer principal and resource types per action.",
				"type-checking takes more than %d steps", CEDAR_VALIDATION_MAX_WORK);
}

static Ans
ans(bool ok, const CedarType *ty, Caps caps)
{
	Ans			a;

	a.ok = ok;
	a.ty = ty;
	a.caps = ok ? caps : NO_CAPS;
	return a;
}

static void
tc_error(TC *t, const CedarExpr *at, const char *code, char *msg)
{
	t->had_error = true;
	/* messages print types, which can be long */
	WORK(t, 1 + strlen(msg) / 16);
	add_issue(t->res, false, t->policy_id, code, msg, at ? at->start : -1, at ? at->end : -1);
}

static char *
for_policy(TC *t, const char *fmt, const char *rest)
{
	return psprintf(fmt, t->policy_id, rest);
}

static Ans tc(TC *t, const Caps *prior, const CedarExpr *e);

/* expect_one_of_types: permissive subtype of one of the expected types */
static Ans
expect(TC *t, const Caps *prior, const CedarExpr *e, const CedarType *const *expected, int n)
{
	Ans			a = tc(t, prior, e);

	if (a.ty == NULL)
		return ans(false, NULL, NO_CAPS);
	for (int i = 0; i < n; i++)
		if (is_subtype(t, a.ty, expected[i], false))
			return a;
	{
		StringInfoData s;

		initStringInfo(&s);
		for (int i = 0; i < n; i++)
		{
			if (i)
				appendStringInfoString(&s, i == n - 1 ? ", or " : ", ");
			cedar_type_append(&s, expected[i]);
		}
		appendStringInfoString(&s, " but saw ");
		cedar_type_append(&s, a.ty);
		tc_error(t, e, "unexpected_type",
				 for_policy(t, "for policy `%s`, unexpected type: expected %s", s.data));
	}
	return ans(false, NULL, NO_CAPS);
}

static Ans
expect1(TC *t, const Caps *prior, const CedarExpr *e, const CedarType *expected)
{
	return expect(t, prior, e, &expected, 1);
}

static void
incompatible(TC *t, const CedarExpr *at, const CedarType *a, const CedarType *b)
{
	char	   *as = type_str(a),
			   *bs = type_str(b);

	tc_error(t, at, "incompatible_types",
			 psprintf("for policy `%s`, the types %s and %s are not compatible",
					  t->policy_id, as, bs));
}

static CedarExpr *
mk(CedarExprKind kind, const CedarExpr *pos)
{
	CedarExpr  *e = palloc0(sizeof(CedarExpr));

	e->kind = kind;
	e->start = pos ? pos->start : -1;
	e->end = pos ? pos->end : -1;
	return e;
}

/* The action variable replaced by the environment's action UID */
static const CedarExpr *
subst_action(TC *t, const CedarExpr *e)
{
	CedarExpr  *r;

	if (e->kind != CEDAR_EXPR_VAR || e->u.var != CEDAR_VAR_ACTION || t->action == NULL)
		return e;
	r = mk(CEDAR_EXPR_ENTITY, e);
	r->u.uid.type.data = t->action->type;
	r->u.uid.type.len = strlen(t->action->type);
	r->u.uid.id = t->action->id;
	return r;
}

/*
 * The reference builds its AST (from text or JSON) folding `&&` and `||` of
 * two boolean literals into one literal, bottom up: to its validator
 * `(true || false) && true` is the literal true.  That matters where literals
 * are special: `==` of two literals, extension constructor arguments.  True
 * if e is a boolean literal after that folding, with its value in *value.
 */
static bool
bool_literal(TC *t, const CedarExpr *e, bool *value)
{
	bool		a,
				b;

	check_stack_depth();
	WORK(t, 1);
	switch (e->kind)
	{
		case CEDAR_EXPR_BOOL:
			*value = e->u.b;
			return true;
		case CEDAR_EXPR_AND:
		case CEDAR_EXPR_OR:
			if (!bool_literal(t, e->u.op.a, &a) || !bool_literal(t, e->u.op.b, &b))
				return false;
			*value = e->kind == CEDAR_EXPR_AND ? (a && b) : (a || b);
			return true;
		default:
			return false;
	}
}

/* A literal of the reference's AST (after bool_literal's folding) */
static bool
is_literal(TC *t, const CedarExpr *e)
{
	bool		unused;

	return e->kind == CEDAR_EXPR_LONG || e->kind == CEDAR_EXPR_STRING ||
		e->kind == CEDAR_EXPR_ENTITY || bool_literal(t, e, &unused);
}

/* Equality of two literals (is_literal) */
static bool
literals_equal(TC *t, const CedarExpr *a, const CedarExpr *b)
{
	bool		x,
				y;

	if (bool_literal(t, a, &x))
		return bool_literal(t, b, &y) && x == y;
	return expr_equal(t, a, b);
}

static Ans
strict_equality(TC *t, const CedarExpr *e, const CedarType *result, const CedarType *l,
				const CedarType *r, bool ok)
{
	if (result->kind == CEDAR_T_TRUE || result->kind == CEDAR_T_FALSE)
		return ans(ok, result, NO_CAPS);
	if (l && r && lub(t, l, r) == NULL)
	{
		incompatible(t, e, l, r);
		return ans(false, result, NO_CAPS);
	}
	return ans(ok, result, NO_CAPS);
}

static Ans
tc_eq(TC *t, const Caps *prior, const CedarExpr *e, const CedarExpr *x, const CedarExpr *y)
{
	Ans			l = tc(t, prior, x),
				r = tc(t, prior, y);
	const CedarType *res;
	const CedarExpr *lx = subst_action(t, x),
			   *ly = subst_action(t, y);

	if (l.ty && r.ty && are_disjoint(l.ty, r.ty))
		res = &T_FALSE;
	else if (is_literal(t, lx) && is_literal(t, ly))
		res = literals_equal(t, lx, ly) ? &T_TRUE : &T_FALSE;
	else
		res = &T_BOOL;
	return strict_equality(t, e, res, l.ty, r.ty, l.ok && r.ok);
}

static bool
is_comparable(const CedarType *ty)
{
	return ty->kind == CEDAR_T_LONG ||
		(ty->kind == CEDAR_T_EXT && (strcmp(ty->ext, "datetime") == 0 ||
									 strcmp(ty->ext, "duration") == 0));
}

static void
comparison_error(TC *t, const CedarExpr *at, const CedarType *expected, const CedarType *got)
{
	char	   *exp = expected ? type_str(expected) : "datetime, or duration, or Long";

	tc_error(t, at, "unexpected_type",
			 psprintf("for policy `%s`, unexpected type: expected %s but saw %s",
					  t->policy_id, exp, type_str(got)));
}

/* < and <= (> and >= arrive with swapped operands) */
static Ans
tc_compare(TC *t, const Caps *prior, const CedarExpr *x, const CedarExpr *y)
{
	Ans			l = tc(t, prior, x),
				r = tc(t, prior, y);
	bool		ok = l.ok && r.ok;
	const CedarType *t1 = l.ty,
			   *t2 = r.ty;

	if (t1 == NULL || t2 == NULL)
		return ans(false, &T_BOOL, NO_CAPS);
	if (t1->kind == CEDAR_T_NEVER && t2->kind == CEDAR_T_NEVER)
		return ans(false, &T_BOOL, NO_CAPS);
	if (t1->kind == CEDAR_T_NEVER || t2->kind == CEDAR_T_NEVER)
	{
		const CedarType *o = t1->kind == CEDAR_T_NEVER ? t2 : t1;

		if (is_comparable(o))
			return ans(ok, &T_BOOL, NO_CAPS);
		comparison_error(t, t1->kind == CEDAR_T_NEVER ? y : x, NULL, o);
		return ans(false, &T_BOOL, NO_CAPS);
	}
	if (types_equal(t, t1, t2) && is_comparable(t1))
		return ans(ok, &T_BOOL, NO_CAPS);
	if (t1->kind == CEDAR_T_LONG)
		comparison_error(t, y, &T_LONG, t2);
	else if (t2->kind == CEDAR_T_LONG)
		comparison_error(t, x, &T_LONG, t1);
	else if (is_comparable(t1))
		comparison_error(t, y, t1, t2);
	else if (is_comparable(t2))
		comparison_error(t, x, t2, t1);
	else
	{
		comparison_error(t, x, NULL, t1);
		comparison_error(t, y, NULL, t2);
	}
	return ans(false, &T_BOOL, NO_CAPS);
}

/* The declared entity type of that name, or NULL */
static const CedarEntityTypeDef *
entity_def(TC *t, const char *name)
{
	return cedar_schema_entity_type(t->schema, name, strlen(name));
}

/* The attributes of an entity type (actions and unknown types: none) */
static const CedarType *
entity_attrs(TC *t, const CedarType *ty)
{
	const CedarEntityTypeDef *d = entity_def(t, ty->lub[0]);

	return d ? d->shape : &T_ANY_RECORD;
}

/* lookup_attribute_type */
static const CedarAttrType *
lookup_attr(TC *t, const CedarType *ty, const CedarString *attr)
{
	if (ty->kind == CEDAR_T_RECORD)
		return record_attr(ty, attr->data, attr->len);
	if (ty->kind == CEDAR_T_ENTITY)
	{
		const CedarType *shape = entity_attrs(t, ty);
		const CedarAttrType *a = record_attr(shape, attr->data, attr->len);

		/* an entity LUB: the attribute must exist on every member */
		for (int i = 1; a && i < ty->nlub; i++)
		{
			const CedarEntityTypeDef *d = entity_def(t, ty->lub[i]);

			if (d == NULL || record_attr(d->shape, attr->data, attr->len) == NULL)
				a = NULL;
		}
		return a;
	}
	return NULL;
}

static bool
may_have_attr(TC *t, const CedarType *ty, const CedarString *attr)
{
	switch (ty->kind)
	{
		case CEDAR_T_NEVER:
		case CEDAR_T_ANY_ENTITY:
			return true;
		case CEDAR_T_ENTITY:
			for (int i = 0; i < ty->nlub; i++)
			{
				const CedarEntityTypeDef *d = entity_def(t, ty->lub[i]);

				if (d && record_attr(d->shape, attr->data, attr->len))
					return true;
				if (d == NULL && !cedarpol_is_action_type(&(CedarString)
														  {
														  ty->lub[i], strlen(ty->lub[i])
														  }))
					return true;
			}
			return false;
		case CEDAR_T_RECORD:
			return ty->open || record_attr(ty, attr->data, attr->len) != NULL;
		default:
			return false;
	}
}

static void
attr_access_desc(TC *t, StringInfo s, const CedarExpr *on, const CedarType *onty,
				 const CedarString *attr)
{
	/* path of attribute names back to a variable, as the reference prints it */
	const CedarExpr *base = on;
	List	   *path = NIL;
	ListCell   *lc;

	while (base->kind == CEDAR_EXPR_GET_ATTR)
	{
		path = lcons((void *) &base->u.attr.attr, path);
		base = base->u.attr.a;
	}
	foreach(lc, path)
	{
		CedarString *p = lfirst(lc);

		appendBinaryStringInfo(s, p->data, p->len);
		appendStringInfoChar(s, '.');
	}
	appendBinaryStringInfo(s, attr->data, attr->len);
	appendStringInfoChar(s, '`');
	if (base->kind == CEDAR_EXPR_VAR && base->u.var == CEDAR_VAR_CONTEXT && t->action)
		appendStringInfo(s, " in context for %s", t->action->display);
	else if (base->kind == CEDAR_EXPR_VAR || base->kind == CEDAR_EXPR_ENTITY)
	{
		const CedarType *bt = NULL;

		if (base->kind == CEDAR_EXPR_VAR)
			bt = base->u.var == CEDAR_VAR_PRINCIPAL ? t->ptype :
				base->u.var == CEDAR_VAR_RESOURCE ? t->rtype : t->atype;
		else
			bt = entity_type_of(pnstrdup(base->u.uid.type.data, base->u.uid.type.len));
		appendStringInfo(s, " on entity type `%s`", type_str(bt));
	}
	else if (onty && onty->kind == CEDAR_T_ENTITY)
		appendStringInfo(s, " on entity type `%s`", type_str(onty));
}

static Ans
tc_get_attr(TC *t, const Caps *prior, const CedarExpr *e, const CedarExpr *on,
			const CedarString *attr)
{
	static const CedarType *const ents_or_records[] = {&T_ANY_ENTITY, &T_ANY_RECORD};
	Ans			a = expect(t, prior, on, ents_or_records, 2);
	const CedarAttrType *at;
	Cap			c;
	StringInfoData s;

	if (a.ty == NULL)
		return ans(false, NULL, NO_CAPS);
	at = lookup_attr(t, a.ty, attr);
	c.on = on;
	c.tag = false;
	c.attr = *attr;
	c.tagexpr = NULL;
	initStringInfo(&s);
	if (at)
	{
		if (at->required || caps_contain(t, prior, &c))
			return ans(a.ok, at->type, NO_CAPS);
		appendStringInfo(&s, "for policy `%s`, unable to guarantee safety of access to optional attribute `",
						 t->policy_id);
		attr_access_desc(t, &s, on, a.ty, attr);
		tc_error(t, e, "unsafe_optional_attribute_access", s.data);
		return ans(false, at->type, NO_CAPS);
	}
	appendStringInfo(&s, "for policy `%s`, attribute `", t->policy_id);
	attr_access_desc(t, &s, on, a.ty, attr);
	appendStringInfoString(&s, " not found");
	tc_error(t, e, "unsafe_attribute_access", s.data);
	return ans(false, NULL, NO_CAPS);
}

static Ans
tc_has1(TC *t, const Caps *prior, const CedarExpr *on, const CedarString *attr)
{
	static const CedarType *const ents_or_records[] = {&T_ANY_ENTITY, &T_ANY_RECORD};
	Ans			a = expect(t, prior, on, ents_or_records, 2);
	const CedarAttrType *at;
	Cap			c;

	if (a.ty == NULL)
		return ans(false, &T_BOOL, NO_CAPS);
	c.on = on;
	c.tag = false;
	c.attr = *attr;
	c.tagexpr = NULL;
	at = lookup_attr(t, a.ty, attr);
	if (at)
	{
		bool		known = at->required ? (a.ty->kind == CEDAR_T_RECORD || caps_contain(t, prior, &c)) :
			caps_contain(t, prior, &c);

		return ans(a.ok, known ? &T_TRUE : &T_BOOL, caps_one(c));
	}
	return ans(a.ok, may_have_attr(t, a.ty, attr) ? &T_BOOL : &T_FALSE, NO_CAPS);
}

static Ans tc_and(TC *t, const Caps *prior, const CedarExpr *x, const CedarExpr *y);

/* e has a.b.c == (e has a && e.a has b) && e.a.b has c */
static Ans
tc_has(TC *t, const Caps *prior, const CedarExpr *e)
{
	CedarExpr  *acc,
			   *get;

	if (e->u.has.npath == 1)
		return tc_has1(t, prior, e->u.has.a, &e->u.has.path[0]);
	acc = mk(CEDAR_EXPR_HAS, e);
	acc->u.has.a = e->u.has.a;
	acc->u.has.path = e->u.has.path;
	acc->u.has.npath = 1;
	get = (CedarExpr *) e->u.has.a;
	for (int i = 1; i < e->u.has.npath; i++)
	{
		CedarExpr  *g = mk(CEDAR_EXPR_GET_ATTR, e),
				   *h = mk(CEDAR_EXPR_HAS, e),
				   *and = mk(CEDAR_EXPR_AND, e);

		g->u.attr.a = get;
		g->u.attr.attr = e->u.has.path[i - 1];
		get = g;
		h->u.has.a = get;
		h->u.has.path = &e->u.has.path[i];
		h->u.has.npath = 1;
		and->u.op.a = acc;
		and->u.op.b = h;
		acc = and;
	}
	return tc(t, prior, acc);
}

static Ans
tc_and(TC *t, const Caps *prior, const CedarExpr *x, const CedarExpr *y)
{
	Ans			l = expect1(t, prior, x, &T_BOOL),
				r;
	Caps		p2;

	if (l.ty && l.ty->kind == CEDAR_T_FALSE)
		return ans(l.ok, l.ty, NO_CAPS);
	p2 = caps_union(t, prior, &l.caps);
	r = expect1(t, &p2, y, &T_BOOL);
	if (l.ty && r.ty)
	{
		bool		ok = l.ok && r.ok;

		if (r.ty->kind == CEDAR_T_FALSE)
			return ans(ok, &T_FALSE, NO_CAPS);
		if (r.ty->kind == CEDAR_T_TRUE)
			return ans(ok, l.ty, caps_union(t, &l.caps, &r.caps));
		if (l.ty->kind == CEDAR_T_TRUE)
			return ans(ok, r.ty, r.caps);
		return ans(ok, &T_BOOL, caps_union(t, &l.caps, &r.caps));
	}
	return ans(false, &T_BOOL, NO_CAPS);
}

static Ans
tc_or(TC *t, const Caps *prior, const CedarExpr *x, const CedarExpr *y)
{
	Ans			l = expect1(t, prior, x, &T_BOOL),
				r;

	if (l.ty && l.ty->kind == CEDAR_T_TRUE)
		return l;
	r = expect1(t, prior, y, &T_BOOL);
	if (l.ty && r.ty)
	{
		bool		ok = l.ok && r.ok;

		if (r.ty->kind == CEDAR_T_TRUE)
			return ans(ok, &T_TRUE, r.caps);
		if (r.ty->kind == CEDAR_T_FALSE)
			return ans(ok, l.ty, l.caps);
		if (l.ty->kind == CEDAR_T_FALSE)
			return ans(ok, r.ty, r.caps);
		return ans(ok, &T_BOOL, caps_intersect(t, &r.caps, &l.caps));
	}
	return ans(false, &T_BOOL, NO_CAPS);
}

static Ans
tc_if(TC *t, const Caps *prior, const CedarExpr *e)
{
	Ans			c = expect1(t, prior, e->u.ite.cond, &T_BOOL);
	Caps		p2 = caps_union(t, prior, &c.caps);

	if (c.ty && c.ty->kind == CEDAR_T_TRUE)
	{
		Ans			th = tc(t, &p2, e->u.ite.then_expr);

		return ans(c.ok && th.ok, th.ty, caps_union(t, &th.caps, &c.caps));
	}
	if (c.ty && c.ty->kind == CEDAR_T_FALSE)
	{
		Ans			el = tc(t, prior, e->u.ite.else_expr);

		return ans(c.ok && el.ok, el.ty, el.caps);
	}
	{
		Ans			th = tc(t, &p2, e->u.ite.then_expr),
					el = tc(t, prior, e->u.ite.else_expr);
		Caps		thc = caps_union(t, &th.caps, &c.caps);
		const CedarType *l;

		if (th.ty == NULL || el.ty == NULL)
			return ans(false, NULL, NO_CAPS);
		l = lub(t, th.ty, el.ty);
		if (l == NULL)
		{
			incompatible(t, e, th.ty, el.ty);
			return ans(false, NULL, NO_CAPS);
		}
		return ans(c.ok && th.ok && el.ok, l, caps_intersect(t, &el.caps, &thc));
	}
}

/* All entity types that may be `in` an entity of type r: r and descendants */
static bool
type_may_be_in_walk(TC *t, const char *l, const char *r)
{
	const CedarEntityTypeDef *rd = entity_def(t, r);
	const CedarEntityTypeDef **stack;
	bool	   *seen;
	int			n,
				sp = 0;

	if (strcmp(l, r) == 0)
		return true;
	if (rd == NULL)
	{
		/* actions: some action of type r has a descendant of type l */
		CedarActionDef **acts = cedar_schema_actions(t->schema, &n);

		for (int i = 0; i < n; i++)
		{
			WORK(t, 1);
			if (strcmp(acts[i]->type, r) != 0)
				continue;
			for (int k = 0; k < acts[i]->nchildren; k++)
				if (strcmp(acts[i]->children[k]->type, l) == 0)
					return true;
		}
		return false;
	}
	(void) cedar_schema_entity_types(t->schema, &n);
	seen = palloc0(sizeof(bool) * Max(n, 1));
	stack = palloc(sizeof(CedarEntityTypeDef *) * Max(n, 1));
	stack[sp++] = rd;
	seen[rd->idx] = true;
	while (sp > 0)
	{
		const CedarEntityTypeDef *d = stack[--sp];

		CHECK_FOR_INTERRUPTS();
		WORK(t, 1 + d->nchildren);
		for (int i = 0; i < d->nchildren; i++)
		{
			const CedarEntityTypeDef *c = d->children[i];

			if (strcmp(c->name, l) == 0)
				return true;
			if (!seen[c->idx])
			{
				seen[c->idx] = true;
				stack[sp++] = c;
			}
		}
	}
	return false;
}

/* type_may_be_in_walk, remembered for the policy (it depends on the schema only) */
static bool
type_may_be_in(TC *t, const char *l, const char *r)
{
	StringInfoData key;
	void	   *known;
	bool		answer;
	MemoryContext old;

	initStringInfo(&key);
	appendStringInfoString(&key, l);
	appendStringInfoChar(&key, '\0');
	appendStringInfoString(&key, r);
	if (t->reach && (known = cedar_names_get(t->reach, key.data, key.len)) != NULL)
		return known == (void *) 2;
	answer = type_may_be_in_walk(t, l, r);
	old = MemoryContextSwitchTo(t->keep);
	if (t->reach == NULL)
		t->reach = cedar_names_create(t->keep, 16, NULL);
	{
		char	   *k = palloc(key.len + 1);

		memcpy(k, key.data, key.len + 1);
		(void) cedar_names_put(t->reach, k, key.len, (void *) (uintptr_t) (answer ? 2 : 1));
	}
	MemoryContextSwitchTo(old);
	return answer;
}

static const CedarActionDef *lookup_action_uid(TC *t, const CedarExpr *lit);

/*
 * What `<action> in rhs` is for each action, rhs being entity literals (one,
 * or a set of them): which actions are one of the literals' actions or a
 * descendant of one.  NULL if rhs is not all literals (the action variable
 * counts as the environment's action literal).  Remembered for the policy by
 * the address of rhs unless it mentions the action variable.
 */
static const ActionSet *
action_in_literals(TC *t, const CedarExpr *rhs)
{
	const CedarExpr *const *items = &rhs;
	int			nitems = 1;
	bool		uses_action = false;
	CedarString key;
	ActionSet  *set;
	MemoryContext old;
	const CedarActionDef **queue;
	int			head = 0,
				tail = 0,
				naction;

	if (rhs->kind == CEDAR_EXPR_SET)
	{
		items = (const CedarExpr *const *) rhs->u.list.items;
		nitems = rhs->u.list.nitems;
	}
	for (int i = 0; i < nitems; i++)
	{
		const CedarExpr *it = items[i];

		if (it->kind == CEDAR_EXPR_VAR && it->u.var == CEDAR_VAR_ACTION && t->action)
			uses_action = true;
		else if (it->kind != CEDAR_EXPR_ENTITY)
			return NULL;
	}
	key.data = (const char *) &rhs;
	key.len = sizeof(rhs);
	if (!uses_action && t->action_sets &&
		(set = cedar_names_get(t->action_sets, key.data, key.len)) != NULL)
		return set;

	old = MemoryContextSwitchTo(uses_action ? CurrentMemoryContext : t->keep);
	(void) cedar_schema_actions(t->schema, &naction);
	set = palloc0(sizeof(ActionSet));
	set->kind = ACTIONS_NONE;
	set->in = palloc0(sizeof(bool) * Max(naction, 1));
	queue = palloc(sizeof(CedarActionDef *) * Max(naction, 1));
	for (int i = 0; i < nitems && set->kind != ACTIONS_UNKNOWN; i++)
	{
		const CedarExpr *u = subst_action(t, items[i]);
		const CedarActionDef *a;

		WORK(t, 1);
		if (!cedarpol_is_action_type(&u->u.uid.type))
			continue;
		a = lookup_action_uid(t, u);
		if (a == NULL)
			set->kind = ACTIONS_UNKNOWN;
		else
		{
			set->kind = ACTIONS_SOME;
			if (!set->in[a->idx])
			{
				set->in[a->idx] = true;
				queue[tail++] = a;
			}
		}
	}
	/* the descendants, each once */
	while (set->kind == ACTIONS_SOME && head < tail)
	{
		const CedarActionDef *x = queue[head++];

		CHECK_FOR_INTERRUPTS();
		WORK(t, 1 + x->nchildren);
		for (int i = 0; i < x->nchildren; i++)
			if (!set->in[x->children[i]->idx])
			{
				set->in[x->children[i]->idx] = true;
				queue[tail++] = x->children[i];
			}
	}
	pfree(queue);
	if (!uses_action)
	{
		if (t->action_sets == NULL)
			t->action_sets = cedar_names_create(t->keep, 16, NULL);
		{
			const CedarExpr **k = palloc(sizeof(rhs));

			*k = rhs;
			(void) cedar_names_put(t->action_sets, (const char *) k, sizeof(rhs), set);
		}
	}
	MemoryContextSwitchTo(old);
	return set;
}

static const CedarActionDef *
lookup_action_uid(TC *t, const CedarExpr *lit)
{
	return cedar_schema_action(t->schema, lit->u.uid.type.data, lit->u.uid.type.len,
							   lit->u.uid.id.data, lit->u.uid.id.len);
}

static Ans
tc_in(TC *t, const Caps *prior, const CedarExpr *x, const CedarExpr *y)
{
	static const CedarType *const set_or_entity[] = {&T_SET_ANY_ENTITY, &T_ANY_ENTITY};
	Ans			l = expect1(t, prior, x, &T_ANY_ENTITY),
				r = expect(t, prior, y, set_or_entity, 2);
	const CedarExpr *lx;
	const CedarType *le,
			   *re;

	if (!l.ok || !r.ok)
		return ans(false, &T_BOOL, NO_CAPS);
	lx = subst_action(t, x);
	if (lx->kind == CEDAR_EXPR_ENTITY && cedarpol_is_action_type(&lx->u.uid.type))
	{
		/* rhs: literal UIDs (or the action variable) only */
		const ActionSet *set = action_in_literals(t, y);

		if (set && set->kind == ACTIONS_NONE)
			return ans(true, &T_FALSE, NO_CAPS);
		if (set && set->kind == ACTIONS_UNKNOWN)
			return ans(false, &T_BOOL, NO_CAPS);
		if (set)
		{
			const CedarActionDef *la = lookup_action_uid(t, lx);

			return ans(true, (la && set->in[la->idx]) ? &T_TRUE : &T_FALSE, NO_CAPS);
		}
	}
	le = l.ty->kind == CEDAR_T_ENTITY ? l.ty : NULL;
	re = r.ty->kind == CEDAR_T_ENTITY ? r.ty :
		(r.ty->kind == CEDAR_T_SET && r.ty->elem && r.ty->elem->kind == CEDAR_T_ENTITY) ?
		r.ty->elem : NULL;
	if (le && re)
	{
		bool		any = false;

		for (int i = 0; i < le->nlub && !any; i++)
			for (int j = 0; j < re->nlub && !any; j++)
				any = type_may_be_in(t, le->lub[i], re->lub[j]);
		if (!any)
			return ans(true, &T_FALSE, NO_CAPS);
	}
	return ans(true, &T_BOOL, NO_CAPS);
}

/* True if ty is the type of one entity type (not a union of several) */
static bool
single_entity(const CedarType *ty)
{
	return ty->kind == CEDAR_T_ENTITY && ty->nlub == 1;
}

/* Tag types of the entity types of kind ty (distinct) */
static List *
tag_types(TC *t, const CedarType *ty)
{
	List	   *out = NIL;
	CedarEntityTypeDef **all;
	int			n;

	if (ty->kind == CEDAR_T_ENTITY)
	{
		for (int i = 0; i < ty->nlub; i++)
		{
			const CedarEntityTypeDef *d = entity_def(t, ty->lub[i]);

			if (d && d->tags)
				out = lappend(out, (void *) d->tags);
		}
	}
	else
	{
		all = cedar_schema_entity_types(t->schema, &n);
		for (int i = 0; i < n; i++)
			if (all[i]->tags)
			{
				ListCell   *lc;
				bool		dup = false;

				foreach(lc, out)
					if (types_equal(t, lfirst(lc), all[i]->tags))
					dup = true;
				if (!dup)
					out = lappend(out, (void *) all[i]->tags);
			}
	}
	return out;
}

static Ans
tc_tag(TC *t, const Caps *prior, const CedarExpr *e, bool get)
{
	Ans			l = expect1(t, prior, e->u.op.a, &T_ANY_ENTITY),
				r = expect1(t, prior, e->u.op.b, &T_STRING);
	Cap			c;
	List	   *tys;
	bool		ok = l.ok && r.ok;

	/*
	 * Without a type for the entity there is nothing more to say; a key of
	 * the wrong type (already reported) does not stop the rest of the checks.
	 */
	if (l.ty == NULL)
		return ans(false, NULL, NO_CAPS);
	c.on = e->u.op.a;
	c.tag = true;
	c.tagexpr = e->u.op.b;
	c.attr.data = NULL;
	c.attr.len = 0;
	tys = tag_types(t, l.ty);
	if (!get)
	{
		const CedarType *res = tys == NIL ? &T_FALSE :
			caps_contain(t, prior, &c) ? &T_TRUE : &T_BOOL;

		return ans(ok, res, caps_one(c));
	}
	if (caps_contain(t, prior, &c))
	{
		const CedarType *acc = &T_NEVER;
		ListCell   *lc;

		if (tys == NIL)
		{
			tc_error(t, e, "no_tags_allowed",
					 psprintf("for policy `%s`, `.getTag()` is not allowed on entities of %s because no `tags` were declared on the entity type in the schema",
							  t->policy_id,
							  single_entity(l.ty) ? psprintf("type `%s`", l.ty->lub[0]) : "this type"));
			return ans(false, NULL, NO_CAPS);
		}
		foreach(lc, tys)
		{
			const CedarType *nx = lub(t, acc, lfirst(lc));

			if (nx == NULL)
			{
				incompatible(t, e, acc, lfirst(lc));
				return ans(false, NULL, NO_CAPS);
			}
			acc = nx;
		}
		return ans(ok, acc, NO_CAPS);
	}
	{
		StringInfoData s;

		initStringInfo(&s);
		appendStringInfo(&s, "for policy `%s`, unable to guarantee safety of access to tag `",
						 t->policy_id);
		if (e->u.op.b->kind == CEDAR_EXPR_STRING)
		{
			appendStringInfoChar(&s, '"');
			cedar_append_escape_debug(&s, e->u.op.b->u.str.data, e->u.op.b->u.str.len);
			appendStringInfoChar(&s, '"');
		}
		else if (e->u.op.b->kind == CEDAR_EXPR_LONG)
			appendStringInfo(&s, INT64_FORMAT, e->u.op.b->u.l);
		else
			appendStringInfoString(&s, "<expression>");
		appendStringInfoChar(&s, '`');
		if (single_entity(l.ty))
			appendStringInfo(&s, " on entity type `%s`", l.ty->lub[0]);
		tc_error(t, e, "unsafe_tag_access", s.data);
	}
	return ans(false, NULL, NO_CAPS);
}

/* Extension functions: argument types and return type */
typedef struct ExtFn
{
	const char *name;
	int			nargs;
	const CedarType *args[2];
	const CedarType *ret;
	bool		check;			/* constructor with a literal check */
} ExtFn;

static const ExtFn ext_fns[] = {
	{"ip", 1, {&T_STRING}, &T_IPADDR, true},
	{"decimal", 1, {&T_STRING}, &T_DECIMAL, true},
	{"datetime", 1, {&T_STRING}, &T_DATETIME, true},
	{"duration", 1, {&T_STRING}, &T_DURATION, true},
	{"isIpv4", 1, {&T_IPADDR}, &T_BOOL, false},
	{"isIpv6", 1, {&T_IPADDR}, &T_BOOL, false},
	{"isLoopback", 1, {&T_IPADDR}, &T_BOOL, false},
	{"isMulticast", 1, {&T_IPADDR}, &T_BOOL, false},
	{"isInRange", 2, {&T_IPADDR, &T_IPADDR}, &T_BOOL, false},
	{"lessThan", 2, {&T_DECIMAL, &T_DECIMAL}, &T_BOOL, false},
	{"lessThanOrEqual", 2, {&T_DECIMAL, &T_DECIMAL}, &T_BOOL, false},
	{"greaterThan", 2, {&T_DECIMAL, &T_DECIMAL}, &T_BOOL, false},
	{"greaterThanOrEqual", 2, {&T_DECIMAL, &T_DECIMAL}, &T_BOOL, false},
	{"offset", 2, {&T_DATETIME, &T_DURATION}, &T_DATETIME, false},
	{"durationSince", 2, {&T_DATETIME, &T_DATETIME}, &T_DURATION, false},
	{"toDate", 1, {&T_DATETIME}, &T_DATETIME, false},
	{"toTime", 1, {&T_DATETIME}, &T_DURATION, false},
	{"toMilliseconds", 1, {&T_DURATION}, &T_LONG, false},
	{"toSeconds", 1, {&T_DURATION}, &T_LONG, false},
	{"toMinutes", 1, {&T_DURATION}, &T_LONG, false},
	{"toHours", 1, {&T_DURATION}, &T_LONG, false},
	{"toDays", 1, {&T_DURATION}, &T_LONG, false},
};

static Ans
tc_ext(TC *t, const Caps *prior, const CedarExpr *e)
{
	const ExtFn *f = NULL;
	bool		failed = false;
	int			nargs = e->u.call.nargs;
	bool		ok = true;

	for (int i = 0; i < lengthof(ext_fns); i++)
		if ((int) strlen(ext_fns[i].name) == e->u.call.name.len &&
			memcmp(ext_fns[i].name, e->u.call.name.data, e->u.call.name.len) == 0)
			f = &ext_fns[i];
	if (f == NULL)
	{
		tc_error(t, e, "undefined_function",
				 psprintf("for policy `%s`, undefined extension function: %s", t->policy_id,
						  pnstrdup(e->u.call.name.data, e->u.call.name.len)));
		for (int i = 0; i < nargs; i++)
			(void) tc(t, prior, e->u.call.args[i]);
		return ans(false, NULL, NO_CAPS);
	}
	if (nargs != f->nargs)
	{
		tc_error(t, e, "wrong_number_arguments",
				 psprintf("for policy `%s`, wrong number of arguments in extension function application. Expected %d, got %d",
						  t->policy_id, f->nargs, nargs));
		failed = true;
	}
	if (f->check && nargs == 1 && e->u.call.args[0]->kind == CEDAR_EXPR_STRING)
	{
		const CedarString *s = &e->u.call.args[0]->u.str;
		const char *err = cedar_check_extension_literal(f->name, s->data, s->len);

		if (err)
		{
			StringInfoData m;

			initStringInfo(&m);
			appendStringInfo(&m, "for policy `%s`, error during extension function argument validation: %s: `\"",
							 t->policy_id, err);
			cedar_append_escape_debug(&m, s->data, s->len);
			appendStringInfoString(&m, "\"`");
			tc_error(t, e, "function_argument_validation", m.data);
			failed = true;
		}
	}
	if (f->check)
	{
		for (int i = 0; i < nargs; i++)
			if (!is_literal(t, e->u.call.args[i]))
			{
				tc_error(t, e, "non_lit_ext_constructor",
						 psprintf("for policy `%s`, extension constructors may not be called with non-literal expressions",
								  t->policy_id));
				failed = true;
				break;
			}
	}
	if (failed)
	{
		for (int i = 0; i < nargs; i++)
			(void) tc(t, prior, e->u.call.args[i]);
		return ans(false, f->ret, NO_CAPS);
	}
	for (int i = 0; i < nargs; i++)
	{
		Ans			a = expect1(t, prior, e->u.call.args[i], f->args[i]);

		ok = ok && a.ok;
	}
	return ans(ok, f->ret, NO_CAPS);
}

/* A set literal: the least upper bound of its elements' types */
static Ans
tc_set_elems(TC *t, const Caps *prior, const CedarExpr *e)
{
	bool		ok = true,
				typed = true;
	const CedarType *acc = &T_NEVER;
	const CedarType **tys = palloc(sizeof(CedarType *) * Max(e->u.list.nitems, 1));
	CedarType  *st;

	for (int i = 0; i < e->u.list.nitems; i++)
	{
		Ans			a = tc(t, prior, e->u.list.items[i]);

		ok = ok && a.ok;
		tys[i] = a.ty;
		typed = typed && a.ty != NULL;
	}
	if (typed)
	{
		for (int i = 0; i < e->u.list.nitems && acc; i++)
		{
			const CedarType *nx = lub(t, acc, tys[i]);

			if (nx == NULL)
			{
				incompatible(t, e, acc, tys[i]);
				ok = false;
			}
			acc = nx;
		}
	}
	if (e->u.list.nitems == 0)
	{
		tc_error(t, e, "empty_set_forbidden",
				 psprintf("for policy `%s`, empty set literals are forbidden in policies",
						  t->policy_id));
		return ans(false, NULL, NO_CAPS);
	}
	if (!typed || acc == NULL)
		return ans(false, NULL, NO_CAPS);
	st = palloc0(sizeof(CedarType));
	st->kind = CEDAR_T_SET;
	st->elem = acc;
	return ans(ok, st, NO_CAPS);
}

/* The type of a set of literals, remembered for the policy */
typedef struct LiteralSet
{
	bool		ok;
	const CedarType *ty;
} LiteralSet;

/*
 * A set literal.  A set of literals (say `action in [...]` with thousands
 * of actions) has the same type in every request environment, so it is
 * checked once per policy (its issues, if any, were added then).
 */
static Ans
tc_set(TC *t, const Caps *prior, const CedarExpr *e)
{
	CedarString key;
	LiteralSet *known;
	MemoryContext old;
	Ans			a;

	for (int i = 0; i < e->u.list.nitems; i++)
		if (!is_literal(t, e->u.list.items[i]))
			return tc_set_elems(t, prior, e);
	key.data = (const char *) &e;
	key.len = sizeof(e);
	if (t->literal_sets && (known = cedar_names_get(t->literal_sets, key.data, key.len)) != NULL)
	{
		WORK(t, 1);
		return ans(known->ok, known->ty, NO_CAPS);
	}
	old = MemoryContextSwitchTo(t->keep);
	a = tc_set_elems(t, prior, e);
	if (t->literal_sets == NULL)
		t->literal_sets = cedar_names_create(t->keep, 16, NULL);
	known = palloc(sizeof(LiteralSet));
	known->ok = a.ok;
	known->ty = a.ty;
	{
		const CedarExpr **k = palloc(sizeof(e));

		*k = e;
		(void) cedar_names_put(t->literal_sets, (const char *) k, sizeof(e), known);
	}
	MemoryContextSwitchTo(old);
	return a;
}

static Ans
tc(TC *t, const Caps *prior, const CedarExpr *e)
{
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	WORK(t, 1);
	switch (e->kind)
	{
		case CEDAR_EXPR_BOOL:
			return ans(true, e->u.b ? &T_TRUE : &T_FALSE, NO_CAPS);
		case CEDAR_EXPR_LONG:
			return ans(true, &T_LONG, NO_CAPS);
		case CEDAR_EXPR_STRING:
			return ans(true, &T_STRING, NO_CAPS);
		case CEDAR_EXPR_ENTITY:
			{
				char	   *ty = pnstrdup(e->u.uid.type.data, e->u.uid.type.len);

				if (cedarpol_is_action_type(&e->u.uid.type))
				{
					if (lookup_action_uid(t, e))
						return ans(true, entity_type_of(ty), NO_CAPS);
					return ans(false, NULL, NO_CAPS);
				}
				if (entity_def(t, ty))
					return ans(true, entity_type_of(ty), NO_CAPS);
				return ans(false, NULL, NO_CAPS);
			}
		case CEDAR_EXPR_VAR:
			switch (e->u.var)
			{
				case CEDAR_VAR_PRINCIPAL:
					return ans(true, t->ptype, NO_CAPS);
				case CEDAR_VAR_ACTION:
					return ans(true, t->atype, NO_CAPS);
				case CEDAR_VAR_RESOURCE:
					return ans(true, t->rtype, NO_CAPS);
				case CEDAR_VAR_CONTEXT:
					return ans(true, t->ctype, NO_CAPS);
			}
			break;
		case CEDAR_EXPR_NOT:
			{
				Ans			a = expect1(t, prior, e->u.op.a, &T_BOOL);

				if (a.ty == NULL)
					return ans(false, &T_BOOL, NO_CAPS);
				return ans(a.ok, a.ty->kind == CEDAR_T_TRUE ? &T_FALSE :
						   a.ty->kind == CEDAR_T_FALSE ? &T_TRUE : &T_BOOL, NO_CAPS);
			}
		case CEDAR_EXPR_NEG:
			{
				Ans			a = expect1(t, prior, e->u.op.a, &T_LONG);

				return ans(a.ok, &T_LONG, NO_CAPS);
			}
		case CEDAR_EXPR_IS_EMPTY:
			{
				Ans			a = expect1(t, prior, e->u.op.a, &T_ANY_SET);

				return ans(a.ok, &T_BOOL, NO_CAPS);
			}
		case CEDAR_EXPR_EQ:
			return tc_eq(t, prior, e, e->u.op.a, e->u.op.b);
		case CEDAR_EXPR_NE:
			{
				Ans			a = tc_eq(t, prior, e, e->u.op.a, e->u.op.b);

				return ans(a.ok, a.ty->kind == CEDAR_T_TRUE ? &T_FALSE :
						   a.ty->kind == CEDAR_T_FALSE ? &T_TRUE : &T_BOOL, NO_CAPS);
			}
		case CEDAR_EXPR_LT:
		case CEDAR_EXPR_LE:
			return tc_compare(t, prior, e->u.op.a, e->u.op.b);
		case CEDAR_EXPR_GT:
		case CEDAR_EXPR_GE:
			return tc_compare(t, prior, e->u.op.b, e->u.op.a);
		case CEDAR_EXPR_IN:
			return tc_in(t, prior, e->u.op.a, e->u.op.b);
		case CEDAR_EXPR_AND:
			return tc_and(t, prior, e->u.op.a, e->u.op.b);
		case CEDAR_EXPR_OR:
			return tc_or(t, prior, e->u.op.a, e->u.op.b);
		case CEDAR_EXPR_ADD:
		case CEDAR_EXPR_SUB:
		case CEDAR_EXPR_MUL:
			{
				Ans			a = expect1(t, prior, e->u.op.a, &T_LONG),
							b = expect1(t, prior, e->u.op.b, &T_LONG);

				return ans(a.ok && b.ok, &T_LONG, NO_CAPS);
			}
		case CEDAR_EXPR_CONTAINS:
			{
				Ans			a = expect1(t, prior, e->u.op.a, &T_ANY_SET),
							b;

				b = tc(t, prior, e->u.op.b);
				return strict_equality(t, e, &T_BOOL,
									   (a.ty && a.ty->kind == CEDAR_T_SET) ? a.ty->elem : NULL,
									   b.ty, a.ok && b.ok);
			}
		case CEDAR_EXPR_CONTAINS_ALL:
		case CEDAR_EXPR_CONTAINS_ANY:
			{
				Ans			a = expect1(t, prior, e->u.op.a, &T_ANY_SET),
							b;

				b = expect1(t, prior, e->u.op.b, &T_ANY_SET);
				return strict_equality(t, e, &T_BOOL, a.ty, b.ty, a.ok && b.ok);
			}
		case CEDAR_EXPR_GET_TAG:
			return tc_tag(t, prior, e, true);
		case CEDAR_EXPR_HAS_TAG:
			return tc_tag(t, prior, e, false);
		case CEDAR_EXPR_GET_ATTR:
			return tc_get_attr(t, prior, e, e->u.attr.a, &e->u.attr.attr);
		case CEDAR_EXPR_HAS:
			return tc_has(t, prior, e);
		case CEDAR_EXPR_LIKE:
			{
				Ans			a = expect1(t, prior, e->u.like.a, &T_STRING);

				return ans(a.ok, &T_BOOL, NO_CAPS);
			}
		case CEDAR_EXPR_IS:
			{
				Ans			a;
				const CedarType *res;

				if (e->u.is.in)
				{
					/* x is T in y == x is T && x in y */
					CedarExpr  *is = mk(CEDAR_EXPR_IS, e),
							   *in = mk(CEDAR_EXPR_IN, e);

					is->u.is.a = e->u.is.a;
					is->u.is.entity_type = e->u.is.entity_type;
					in->u.op.a = e->u.is.a;
					in->u.op.b = e->u.is.in;
					return tc_and(t, prior, is, in);
				}
				a = expect1(t, prior, e->u.is.a, &T_ANY_ENTITY);
				if (a.ty == NULL)
					return ans(false, &T_BOOL, NO_CAPS);
				if (a.ty->kind == CEDAR_T_ANY_ENTITY)
					return ans(a.ok, &T_BOOL, NO_CAPS);
				if (a.ty->kind != CEDAR_T_ENTITY)
					return ans(false, &T_BOOL, NO_CAPS);
				res = &T_FALSE;
				for (int i = 0; i < a.ty->nlub; i++)
					if ((int) strlen(a.ty->lub[i]) == e->u.is.entity_type.len &&
						memcmp(a.ty->lub[i], e->u.is.entity_type.data, e->u.is.entity_type.len) == 0)
						res = a.ty->nlub == 1 ? &T_TRUE : &T_BOOL;
				return ans(a.ok, res, NO_CAPS);
			}
		case CEDAR_EXPR_IF:
			return tc_if(t, prior, e);
		case CEDAR_EXPR_SET:
			return tc_set(t, prior, e);
		case CEDAR_EXPR_RECORD:
			{
				bool		ok = true,
							typed = true;
				CedarAttrType *attrs = palloc0(sizeof(CedarAttrType) * Max(e->u.record.nitems, 1));
				CedarType  *rt;

				for (int i = 0; i < e->u.record.nitems; i++)
				{
					Ans			a = tc(t, prior, e->u.record.values[i]);

					ok = ok && a.ok;
					typed = typed && a.ty != NULL;
					attrs[i].name = e->u.record.keys[i];
					attrs[i].type = a.ty;
					attrs[i].required = true;
				}
				if (!typed)
					return ans(false, NULL, NO_CAPS);
				rt = palloc0(sizeof(CedarType));
				rt->kind = CEDAR_T_RECORD;
				rt->attrs = attrs;
				rt->nattrs = e->u.record.nitems;
				return ans(ok, rt, NO_CAPS);
			}
		case CEDAR_EXPR_EXT_CALL:
			return tc_ext(t, prior, e);
	}
	elog(ERROR, "unexpected Cedar expression kind %d", (int) e->kind);
	return ans(false, NULL, NO_CAPS);	/* keep compiler quiet */
}

/* ---------- scope -> expression ---------- */

static CedarExpr *
var_expr(CedarVar v, int start, int end)
{
	CedarExpr  *e = palloc0(sizeof(CedarExpr));

	e->kind = CEDAR_EXPR_VAR;
	e->u.var = v;
	e->start = start;
	e->end = end;
	return e;
}

static CedarExpr *
uid_expr(const CedarEntityUid *uid)
{
	CedarExpr  *e = palloc0(sizeof(CedarExpr));

	e->kind = CEDAR_EXPR_ENTITY;
	e->u.uid = *uid;
	e->start = uid->start;
	e->end = uid->end;
	return e;
}

static CedarExpr *
binop(CedarExprKind k, CedarExpr *a, CedarExpr *b, int start, int end)
{
	CedarExpr  *e = palloc0(sizeof(CedarExpr));

	e->kind = k;
	e->u.op.a = a;
	e->u.op.b = b;
	e->start = start;
	e->end = end;
	return e;
}

static CedarExpr *
scope_expr(const CedarScope *s, CedarVar v)
{
	CedarExpr  *var = var_expr(v, s->start, s->end);
	CedarExpr  *is;

	switch (s->kind)
	{
		case CEDAR_SCOPE_ALL:
			{
				CedarExpr  *e = palloc0(sizeof(CedarExpr));

				e->kind = CEDAR_EXPR_BOOL;
				e->u.b = true;
				e->start = s->start;
				e->end = s->end;
				return e;
			}
		case CEDAR_SCOPE_EQ:
			return binop(CEDAR_EXPR_EQ, var, uid_expr(&s->uid), s->start, s->end);
		case CEDAR_SCOPE_IN:
			if (v == CEDAR_VAR_ACTION)
			{
				CedarExpr  *set = palloc0(sizeof(CedarExpr));

				set->kind = CEDAR_EXPR_SET;
				set->u.list.items = palloc(sizeof(CedarExpr *));
				set->u.list.items[0] = uid_expr(&s->uid);
				set->u.list.nitems = 1;
				set->start = s->uid.start;
				set->end = s->uid.end;
				return binop(CEDAR_EXPR_IN, var, set, s->start, s->end);
			}
			return binop(CEDAR_EXPR_IN, var, uid_expr(&s->uid), s->start, s->end);
		case CEDAR_SCOPE_IN_SET:
			{
				CedarExpr  *set = palloc0(sizeof(CedarExpr));

				set->kind = CEDAR_EXPR_SET;
				set->u.list.items = palloc(sizeof(CedarExpr *) * Max(s->nuids, 1));
				for (int i = 0; i < s->nuids; i++)
					set->u.list.items[i] = uid_expr(&s->uids[i]);
				set->u.list.nitems = s->nuids;
				set->start = s->start;
				set->end = s->end;
				return binop(CEDAR_EXPR_IN, var, set, s->start, s->end);
			}
		case CEDAR_SCOPE_IS:
		case CEDAR_SCOPE_IS_IN:
			is = palloc0(sizeof(CedarExpr));
			is->kind = CEDAR_EXPR_IS;
			is->u.is.a = var;
			is->u.is.entity_type = s->entity_type;
			is->start = s->start;
			is->end = s->end;
			if (s->kind == CEDAR_SCOPE_IS)
				return is;
			return binop(CEDAR_EXPR_AND, is,
						 binop(CEDAR_EXPR_IN, var, uid_expr(&s->uid), s->start, s->end),
						 s->start, s->end);
	}
	return NULL;
}

/* principal && (action && (resource && conditions)) */
static CedarExpr *
policy_condition(const CedarPolicy *p)
{
	CedarExpr  *body = NULL;

	for (int i = p->nconditions - 1; i >= 0; i--)
	{
		const CedarCondition *c = &p->conditions[i];
		CedarExpr  *ce = c->body;

		if (!c->is_when)
		{
			CedarExpr  *n = palloc0(sizeof(CedarExpr));

			n->kind = CEDAR_EXPR_NOT;
			n->u.op.a = ce;
			n->start = c->start;
			n->end = c->end;
			ce = n;
		}
		body = body ? binop(CEDAR_EXPR_AND, ce, body, p->start, p->end) : ce;
	}
	if (body == NULL)
	{
		body = palloc0(sizeof(CedarExpr));
		body->kind = CEDAR_EXPR_BOOL;
		body->u.b = true;
		body->start = p->start;
		body->end = p->end;
	}
	body = binop(CEDAR_EXPR_AND, scope_expr(&p->resource, CEDAR_VAR_RESOURCE), body,
				 p->start, p->end);
	body = binop(CEDAR_EXPR_AND, scope_expr(&p->action, CEDAR_VAR_ACTION), body,
				 p->start, p->end);
	return binop(CEDAR_EXPR_AND, scope_expr(&p->principal, CEDAR_VAR_PRINCIPAL), body,
				 p->start, p->end);
}

/* ---------- entity type / action / enum checks (rbac.rs) ---------- */

static void
check_entity_type_name(TC *t, const CedarString *ty, int start, int end)
{
	char	   *name = pnstrdup(ty->data, ty->len);

	if (cedarpol_is_action_type(ty) || entity_def(t, name))
		return;
	add_issue(t->res, false, t->policy_id, "unrecognized_entity_type",
			  psprintf("for policy `%s`, unrecognized entity type `%s`", t->policy_id, name),
			  start, end);
	t->had_error = true;
}

static void
check_uid(TC *t, const CedarEntityUid *uid)
{
	char	   *ty = pnstrdup(uid->type.data, uid->type.len);
	const CedarEntityTypeDef *d;

	check_entity_type_name(t, &uid->type, uid->start, uid->end);
	if (cedarpol_is_action_type(&uid->type))
	{
		if (cedar_schema_action(t->schema, uid->type.data, uid->type.len,
								uid->id.data, uid->id.len) == NULL)
		{
			StringInfoData s;

			initStringInfo(&s);
			appendStringInfo(&s, "for policy `%s`, unrecognized action `%s::\"", t->policy_id, ty);
			cedar_append_escape_debug(&s, uid->id.data, uid->id.len);
			appendStringInfoString(&s, "\"`");
			add_issue(t->res, false, t->policy_id, "unrecognized_action_id", s.data,
					  uid->start, uid->end);
			t->had_error = true;
		}
		return;
	}
	d = entity_def(t, ty);
	if (d && d->is_enum)
	{
		bool		found = cedar_names_get(d->choice_set, uid->id.data, uid->id.len) != NULL;

		if (!found)
		{
			StringInfoData s;

			initStringInfo(&s);
			appendStringInfo(&s, "for policy `%s`: entity `%s::\"", t->policy_id, ty);
			cedar_append_escape_debug(&s, uid->id.data, uid->id.len);
			appendStringInfoString(&s, "\"` is of an enumerated entity type, but `\"");
			cedar_append_escape_debug(&s, uid->id.data, uid->id.len);
			appendStringInfoString(&s, "\"` is not declared as a valid eid");
			add_issue(t->res, false, t->policy_id, "invalid_enum_entity", s.data,
					  uid->start, uid->end);
			t->had_error = true;
		}
	}
}

static void
check_names_expr(TC *t, const CedarExpr *e)
{
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	switch (e->kind)
	{
		case CEDAR_EXPR_BOOL:
		case CEDAR_EXPR_LONG:
		case CEDAR_EXPR_STRING:
		case CEDAR_EXPR_VAR:
			break;
		case CEDAR_EXPR_ENTITY:
			check_uid(t, &e->u.uid);
			break;
		case CEDAR_EXPR_GET_ATTR:
			check_names_expr(t, e->u.attr.a);
			break;
		case CEDAR_EXPR_HAS:
			check_names_expr(t, e->u.has.a);
			break;
		case CEDAR_EXPR_LIKE:
			check_names_expr(t, e->u.like.a);
			break;
		case CEDAR_EXPR_IS:
			check_entity_type_name(t, &e->u.is.entity_type, e->start, e->end);
			check_names_expr(t, e->u.is.a);
			if (e->u.is.in)
				check_names_expr(t, e->u.is.in);
			break;
		case CEDAR_EXPR_IF:
			check_names_expr(t, e->u.ite.cond);
			check_names_expr(t, e->u.ite.then_expr);
			check_names_expr(t, e->u.ite.else_expr);
			break;
		case CEDAR_EXPR_SET:
			for (int i = 0; i < e->u.list.nitems; i++)
				check_names_expr(t, e->u.list.items[i]);
			break;
		case CEDAR_EXPR_RECORD:
			for (int i = 0; i < e->u.record.nitems; i++)
				check_names_expr(t, e->u.record.values[i]);
			break;
		case CEDAR_EXPR_EXT_CALL:
			for (int i = 0; i < e->u.call.nargs; i++)
				check_names_expr(t, e->u.call.args[i]);
			break;
		default:
			check_names_expr(t, e->u.op.a);
			if (e->u.op.b)
				check_names_expr(t, e->u.op.b);
			break;
	}
}

static void
check_names_scope(TC *t, const CedarScope *s)
{
	if (s->kind == CEDAR_SCOPE_EQ || s->kind == CEDAR_SCOPE_IN || s->kind == CEDAR_SCOPE_IS_IN)
		check_uid(t, &s->uid);
	if (s->kind == CEDAR_SCOPE_IN_SET)
		for (int i = 0; i < s->nuids; i++)
			check_uid(t, &s->uids[i]);
	if (s->kind == CEDAR_SCOPE_IS || s->kind == CEDAR_SCOPE_IS_IN)
		check_entity_type_name(t, &s->entity_type, s->start, s->end);
}

/* True if e uses variable v anywhere */
static bool
mentions_var(const CedarExpr *e, CedarVar v)
{
	check_stack_depth();
	switch (e->kind)
	{
		case CEDAR_EXPR_BOOL:
		case CEDAR_EXPR_LONG:
		case CEDAR_EXPR_STRING:
		case CEDAR_EXPR_ENTITY:
			return false;
		case CEDAR_EXPR_VAR:
			return e->u.var == v;
		case CEDAR_EXPR_GET_ATTR:
			return mentions_var(e->u.attr.a, v);
		case CEDAR_EXPR_HAS:
			return mentions_var(e->u.has.a, v);
		case CEDAR_EXPR_LIKE:
			return mentions_var(e->u.like.a, v);
		case CEDAR_EXPR_IS:
			return mentions_var(e->u.is.a, v) || (e->u.is.in && mentions_var(e->u.is.in, v));
		case CEDAR_EXPR_IF:
			return mentions_var(e->u.ite.cond, v) || mentions_var(e->u.ite.then_expr, v) ||
				mentions_var(e->u.ite.else_expr, v);
		case CEDAR_EXPR_SET:
			for (int i = 0; i < e->u.list.nitems; i++)
				if (mentions_var(e->u.list.items[i], v))
					return true;
			return false;
		case CEDAR_EXPR_RECORD:
			for (int i = 0; i < e->u.record.nitems; i++)
				if (mentions_var(e->u.record.values[i], v))
					return true;
			return false;
		case CEDAR_EXPR_EXT_CALL:
			for (int i = 0; i < e->u.call.nargs; i++)
				if (mentions_var(e->u.call.args[i], v))
					return true;
			return false;
		default:
			return mentions_var(e->u.op.a, v) || (e->u.op.b && mentions_var(e->u.op.b, v));
	}
}

/* ---------- entry point ---------- */

void
cedar_validate_policy(const CedarSchema *schema, const CedarPolicy *policy,
					  const char *policy_id, CedarValidationResult *res)
{
	TC			t;
	CedarExpr  *cond;
	CedarActionDef **acts;
	int			nacts;
	bool		all_false = true;

	MemoryContext envcxt;
	bool		any_principal;
	bool		any_resource;

	memset(&t, 0, sizeof(t));
	t.schema = schema;
	t.policy_id = policy_id;
	t.res = res;
	t.work = &res->work;
	t.keep = CurrentMemoryContext;

	check_names_scope(&t, &policy->principal);
	check_names_scope(&t, &policy->action);
	check_names_scope(&t, &policy->resource);
	for (int i = 0; i < policy->nconditions; i++)
		check_names_expr(&t, policy->conditions[i].body);

	cond = policy_condition(policy);
	/*
	 * Environments differ only in the types of the variables: if the policy
	 * never uses principal (or resource), every principal (resource) type
	 * gives the same issues and verdict, so one of them is checked.
	 */
	any_principal = !mentions_var(cond, CEDAR_VAR_PRINCIPAL);
	any_resource = !mentions_var(cond, CEDAR_VAR_RESOURCE);
	acts = cedar_schema_actions(schema, &nacts);
	/* what one environment allocates is freed before the next */
	envcxt = AllocSetContextCreate(CurrentMemoryContext, "cedar validation environment",
								   ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < nacts; i++)
	{
		CedarActionDef *a = acts[i];

		t.action = a;
		t.atype = entity_type_of(a->type);
		t.ctype = a->context;
		for (int p = 0; p < (any_principal ? Min(a->nprincipals, 1) : a->nprincipals); p++)
			for (int r = 0; r < (any_resource ? Min(a->nresources, 1) : a->nresources); r++)
			{
				Ans			res_ans;
				Caps		none = NO_CAPS;
				MemoryContext old = MemoryContextSwitchTo(envcxt);

				t.ptype = entity_type_of(a->principals[p]->name);
				t.rtype = entity_type_of(a->resources[r]->name);
				res_ans = expect1(&t, &none, cond, &T_BOOL);
				if (!(res_ans.ty && res_ans.ty->kind == CEDAR_T_FALSE))
					all_false = false;
				MemoryContextSwitchTo(old);
				MemoryContextReset(envcxt);
				CHECK_FOR_INTERRUPTS();
			}
	}
	MemoryContextDelete(envcxt);
	if (all_false)
		add_issue(res, true, policy_id, "impossible_policy",
				  psprintf("for policy `%s`, policy is impossible: the policy expression evaluates to false for all valid requests",
						   policy_id),
				  policy->start, policy->end);
}
