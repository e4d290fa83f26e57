/*-------------------------------------------------------------------------
 *
 * est_in.c
 *	  EST ("JSON policy format") jsonb -> AST, with a strict format check:
 *	  unknown or missing members, wrong JSON types, malformed entity
 *	  references and names, unknown extension functions, and anything that
 *	  would have no Cedar text form are errors (SQLSTATE 22P02, errdetail
 *	  giving the JSON path; 22P05 for a string holding U+0000).  Templates (slots) are rejected: policy
 *	  versions hold static policies only.
 *
 *	  Everything accepted prints (printer.c) to text that parses back to the
 *	  same EST, so normalizing is EST -> AST -> EST.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "cedar/cedar.h"
#include "cedar/error.h"
#include "cedar/jsonb_read.h"
#include "cedar/lexer.h"
#include "cedar/parser.h"

typedef struct Reader
{
	StringInfoData path;		/* JSON path of the value being read */
	int			depth;
} Reader;

/* A shape error at the reader's JSON path (error.c) */
#define rerr(r, hint, ...) \
	cedar_error_at_path(CEDAR_INPUT_EST, ERRCODE_INVALID_TEXT_REPRESENTATION, &(r)->path, hint, __VA_ARGS__)

/* The path to a member, as push_key (jsonb_read.c) writes it */
static int
push_key_path(Reader *r, const CedarString *key)
{
	return cedar_jsonb_push_key(&r->path, key->data, key->len);
}

/* The members of an object (keys unique and sorted, as jsonb keeps them) */
static CedarJsonbMember *
object_members(Reader *r, const JsonbValue *v, const char *what, int *n)
{
	if (!cedar_jsonb_is_object(v))
		rerr(r, NULL, "%s must be an object, not %s", what, cedar_jsonb_kind(v));
	return cedar_jsonb_members(v, n);
}

static JsonbValue *
array_elems(Reader *r, const JsonbValue *v, const char *what, int *n)
{
	if (!cedar_jsonb_is_array(v))
		rerr(r, NULL, "%s must be an array, not %s", what, cedar_jsonb_kind(v));
	return cedar_jsonb_elems(v, n);
}

/* Finds member key; errors if required and missing */
static CedarJsonbMember *
find_member(Reader *r, CedarJsonbMember *m, int n, const char *key,
			bool required, const char *what)
{
	for (int i = 0; i < n; i++)
	{
		if (strcmp(m[i].key.data, key) == 0 && m[i].key.len == (int) strlen(key))
			return &m[i];
	}
	if (required)
		rerr(r, NULL, "%s lacks member \"%s\"", what, key);
	return NULL;
}

/* Errors on members other than the allowed ones */
static void
check_members(Reader *r, CedarJsonbMember *m, int n,
			  const char *const *allowed, const char *what)
{
	for (int i = 0; i < n; i++)
	{
		bool		ok = false;

		for (int j = 0; allowed[j]; j++)
		{
			if (strcmp(m[i].key.data, allowed[j]) == 0 &&
				m[i].key.len == (int) strlen(allowed[j]))
				ok = true;
		}
		if (!ok)
		{
			push_key_path(r, &m[i].key);
			rerr(r, NULL, "unknown member \"%s\" in %s", m[i].key.data, what);
		}
	}
}

static CedarString
get_string(Reader *r, const JsonbValue *v, const char *what)
{
	CedarString s;

	if (v->type != jbvString)
		rerr(r, NULL, "%s must be a string, not %s", what, cedar_jsonb_kind(v));
	/* no NUL (cedar_jsonb_check_no_nul) */
	s = cedarpol_make_string(v->val.string.val, v->val.string.len);
	return s;
}

/* A string member, with the path pointing at it on error */
static CedarString
member_string(Reader *r, CedarJsonbMember *m, const char *what)
{
	int			old = push_key_path(r, &m->key);
	CedarString s = get_string(r, &m->val, what);

	cedar_jsonb_pop(&r->path, old);
	return s;
}

static CedarString
get_name(Reader *r, const JsonbValue *v, const char *what)
{
	CedarString s = get_string(r, v, what);

	if (!cedarpol_is_valid_name(s.data, s.len))
		rerr(r, "Names are identifiers joined by \"::\", none of them reserved.",
			 "invalid %s \"%s\"", what, s.data);
	return s;
}

/* {"type": T, "id": I} or {"__entity": {"type": T, "id": I}} */
static CedarEntityUid
read_uid(Reader *r, const JsonbValue *v)
{
	static const char *const allowed[] = {"type", "id", NULL};
	CedarEntityUid uid;
	CedarJsonbMember *m;
	int			n;
	CedarJsonbMember *t;
	int			old;

	m = object_members(r, v, "an entity reference", &n);
	if (n == 1 && strcmp(m[0].key.data, "__entity") == 0)
	{
		old = push_key_path(r, &m[0].key);
		uid = read_uid(r, &m[0].val);
		cedar_jsonb_pop(&r->path, old);
		return uid;
	}
	check_members(r, m, n, allowed, "an entity reference");
	t = find_member(r, m, n, "type", true, "an entity reference");
	old = push_key_path(r, &t->key);
	uid.type = get_name(r, &t->val, "entity type");
	cedar_jsonb_pop(&r->path, old);
	uid.id = member_string(r, find_member(r, m, n, "id", true, "an entity reference"),
						   "an entity id");
	uid.start = uid.end = -1;
	return uid;
}

static void
reject_slot(Reader *r)
{
	rerr(r, "Policy versions hold static policies only.",
		 "template slots are not allowed in a static policy");
}

/* An "entity" member (or a slot) of a scope constraint */
static CedarEntityUid
scope_entity(Reader *r, CedarJsonbMember *m, int n, const char *what)
{
	CedarJsonbMember *e;
	CedarEntityUid uid;
	int			old;

	if (find_member(r, m, n, "slot", false, what))
		reject_slot(r);
	e = find_member(r, m, n, "entity", true, what);
	old = push_key_path(r, &e->key);
	uid = read_uid(r, &e->val);
	cedar_jsonb_pop(&r->path, old);
	return uid;
}

static void
check_action_type(Reader *r, const CedarEntityUid *uid)
{
	if (!cedarpol_is_action_type(&uid->type))
		rerr(r, NULL, "an action must have type Action, not %s", uid->type.data);
}

static void
read_scope(Reader *r, const JsonbValue *v, int index, CedarScope *s)
{
	static const char *const what[] = {"the principal constraint",
	"the action constraint", "the resource constraint"};
	CedarJsonbMember *m;
	int			n;
	CedarString op;

	memset(s, 0, sizeof(*s));
	s->start = s->end = -1;
	m = object_members(r, v, what[index], &n);
	op = member_string(r, find_member(r, m, n, "op", true, what[index]), "\"op\"");
	if (strcmp(op.data, "All") == 0 || strcmp(op.data, "all") == 0)
	{
		static const char *const allowed[] = {"op", NULL};

		check_members(r, m, n, allowed, what[index]);
		s->kind = CEDAR_SCOPE_ALL;
	}
	else if (strcmp(op.data, "==") == 0)
	{
		static const char *const allowed[] = {"op", "entity", "slot", NULL};

		check_members(r, m, n, allowed, what[index]);
		s->kind = CEDAR_SCOPE_EQ;
		s->uid = scope_entity(r, m, n, what[index]);
		if (index == 1)
			check_action_type(r, &s->uid);
	}
	else if (strcmp(op.data, "in") == 0 && index == 1)
	{
		static const char *const allowed[] = {"op", "entity", "entities", NULL};
		CedarJsonbMember *es = find_member(r, m, n, "entities", false, what[index]);

		check_members(r, m, n, allowed, what[index]);
		if (es && find_member(r, m, n, "entity", false, what[index]))
			rerr(r, NULL, "the action constraint has both \"entity\" and \"entities\"");
		if (es)
		{
			int			old = push_key_path(r, &es->key);
			JsonbValue *elems = array_elems(r, &es->val, "\"entities\"", &s->nuids);

			s->kind = CEDAR_SCOPE_IN_SET;
			s->uids = palloc(mul_size(Max(s->nuids, 1), sizeof(CedarEntityUid)));
			for (int i = 0; i < s->nuids; i++)
			{
				int			old2 = cedar_jsonb_push_index(&r->path, i);

				s->uids[i] = read_uid(r, &elems[i]);
				check_action_type(r, &s->uids[i]);
				cedar_jsonb_pop(&r->path, old2);
			}
			cedar_jsonb_pop(&r->path, old);
		}
		else
		{
			s->kind = CEDAR_SCOPE_IN;
			s->uid = scope_entity(r, m, n, what[index]);
			check_action_type(r, &s->uid);
		}
	}
	else if (strcmp(op.data, "in") == 0)
	{
		static const char *const allowed[] = {"op", "entity", "slot", NULL};

		check_members(r, m, n, allowed, what[index]);
		s->kind = CEDAR_SCOPE_IN;
		s->uid = scope_entity(r, m, n, what[index]);
	}
	else if (strcmp(op.data, "is") == 0 && index != 1)
	{
		static const char *const allowed[] = {"op", "entity_type", "in", NULL};
		static const char *const in_allowed[] = {"entity", "slot", NULL};
		CedarJsonbMember *t = find_member(r, m, n, "entity_type", true, what[index]);
		CedarJsonbMember *in = find_member(r, m, n, "in", false, what[index]);
		int			old;

		check_members(r, m, n, allowed, what[index]);
		old = push_key_path(r, &t->key);
		s->entity_type = get_name(r, &t->val, "entity type");
		cedar_jsonb_pop(&r->path, old);
		s->kind = CEDAR_SCOPE_IS;
		if (in)
		{
			CedarJsonbMember *im;
			int			nim;

			old = push_key_path(r, &in->key);
			im = object_members(r, &in->val, "\"in\"", &nim);
			check_members(r, im, nim, in_allowed, "\"in\"");
			s->uid = scope_entity(r, im, nim, "\"in\"");
			s->kind = CEDAR_SCOPE_IS_IN;
			cedar_jsonb_pop(&r->path, old);
		}
	}
	else
		rerr(r, NULL, "unknown operator \"%s\" in %s", op.data, what[index]);
}

static CedarExpr *read_expr(Reader *r, const JsonbValue *v);

/* A member holding an expression */
static CedarExpr *
member_expr(Reader *r, CedarJsonbMember *m, int n, const char *key, const char *what)
{
	CedarJsonbMember *x = find_member(r, m, n, key, true, what);
	int			old = push_key_path(r, &x->key);
	CedarExpr  *e = read_expr(r, &x->val);

	cedar_jsonb_pop(&r->path, old);
	return e;
}

static int64
read_long(Reader *r, const JsonbValue *v)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
														NumericGetDatum(v->val.numeric)));
	bool		neg = (s[0] == '-');
	const char *digits = s + (neg ? 1 : 0);
	int			len = strlen(digits);
	uint64		u;

	for (int i = 0; i < len; i++)
	{
		if (digits[i] < '0' || digits[i] > '9')
			rerr(r, NULL, "number %s is not an integer", s);
	}
	if (len == 0 || !cedar_parse_uint64(digits, len, &u) ||
		u > (uint64) PG_INT64_MAX + (neg ? 1 : 0))
		rerr(r, NULL, "integer %s is out of the 64-bit range", s);
	return neg ? (int64) (0 - u) : (int64) u;
}

/*
 * No fixed nesting cap here: EST nests as deep as the AST, and a chain like
 * `a && b && ...` in text (which the parser takes without nesting) is a
 * left-deep tree; the stack-depth check is the limit.
 */
static void
enter(Reader *r)
{
	check_stack_depth();
	r->depth++;
}

static CedarExpr *read_value(Reader *r, const JsonbValue *v);

static CedarExpr *
make_call(Reader *r, CedarString name, CedarExpr **args, int nargs)
{
	CedarExtStyle style = cedar_ext_style(name.data, name.len);
	CedarExpr  *e;

	if (style == CEDAR_EXT_UNKNOWN)
		rerr(r, NULL, "unknown extension function \"%s\"", name.data);
	if (style == CEDAR_EXT_METHOD && nargs == 0)
		rerr(r, NULL, "extension method \"%s\" needs a receiver argument", name.data);
	e = cedarpol_new_expr(CEDAR_EXPR_EXT_CALL, -1, -1);
	e->u.call.name = name;
	e->u.call.method = (style == CEDAR_EXT_METHOD);
	e->u.call.args = args;
	e->u.call.nargs = nargs;
	return e;
}

/* A "Value" (CedarValueJson): literal, entity, extension value, set, record */
static CedarExpr *
read_value(Reader *r, const JsonbValue *v)
{
	CedarExpr  *e;

	enter(r);
	switch (v->type)
	{
		case jbvBool:
			e = cedarpol_new_expr(CEDAR_EXPR_BOOL, -1, -1);
			e->u.b = v->val.boolean;
			break;
		case jbvNumeric:
			e = cedarpol_new_expr(CEDAR_EXPR_LONG, -1, -1);
			e->u.l = read_long(r, v);
			break;
		case jbvString:
			e = cedarpol_new_expr(CEDAR_EXPR_STRING, -1, -1);
			e->u.str = get_string(r, v, "a string");
			break;
		case jbvNull:
			rerr(r, NULL, "null is not a Cedar value");
		case jbvBinary:
			if (cedar_jsonb_is_array(v))
			{
				int			n;
				JsonbValue *elems = array_elems(r, v, "a set", &n);

				e = cedarpol_new_expr(CEDAR_EXPR_SET, -1, -1);
				e->u.list.nitems = n;
				e->u.list.items = palloc(mul_size(Max(n, 1), sizeof(CedarExpr *)));
				for (int i = 0; i < n; i++)
				{
					int			old = cedar_jsonb_push_index(&r->path, i);

					e->u.list.items[i] = read_value(r, &elems[i]);
					cedar_jsonb_pop(&r->path, old);
				}
			}
			else
			{
				int			n;
				CedarJsonbMember *m = object_members(r, v, "a value", &n);

				if (n == 1 && strcmp(m[0].key.data, "__entity") == 0)
				{
					int			old = push_key_path(r, &m[0].key);

					e = cedarpol_new_expr(CEDAR_EXPR_ENTITY, -1, -1);
					e->u.uid = read_uid(r, &m[0].val);
					cedar_jsonb_pop(&r->path, old);
				}
				else if (n == 1 && strcmp(m[0].key.data, "__extn") == 0)
				{
					static const char *const allowed[] = {"fn", "arg", "args", NULL};
					int			old = push_key_path(r, &m[0].key);
					CedarJsonbMember *em;
					int			nem;
					CedarJsonbMember *arg;
					CedarJsonbMember *args;
					CedarString fn;
					CedarExpr **argv;
					int			nargs;

					em = object_members(r, &m[0].val, "\"__extn\"", &nem);
					check_members(r, em, nem, allowed, "\"__extn\"");
					fn = member_string(r, find_member(r, em, nem, "fn", true, "\"__extn\""),
									   "\"fn\"");
					arg = find_member(r, em, nem, "arg", false, "\"__extn\"");
					args = find_member(r, em, nem, "args", false, "\"__extn\"");
					if ((arg == NULL) == (args == NULL))
						rerr(r, NULL, "\"__extn\" needs exactly one of \"arg\" and \"args\"");
					if (arg)
					{
						int			old2 = push_key_path(r, &arg->key);

						argv = palloc(sizeof(CedarExpr *));
						argv[0] = read_value(r, &arg->val);
						nargs = 1;
						cedar_jsonb_pop(&r->path, old2);
					}
					else
					{
						int			old2 = push_key_path(r, &args->key);
						JsonbValue *elems = array_elems(r, &args->val, "\"args\"", &nargs);

						argv = palloc(mul_size(Max(nargs, 1), sizeof(CedarExpr *)));
						for (int i = 0; i < nargs; i++)
						{
							int			old3 = cedar_jsonb_push_index(&r->path, i);

							argv[i] = read_value(r, &elems[i]);
							cedar_jsonb_pop(&r->path, old3);
						}
						cedar_jsonb_pop(&r->path, old2);
					}
					e = make_call(r, fn, argv, nargs);
					cedar_jsonb_pop(&r->path, old);
				}
				else
				{
					if (n == 1 && strcmp(m[0].key.data, "__expr") == 0)
						rerr(r, NULL, "\"__expr\" values are not supported");
					e = cedarpol_new_expr(CEDAR_EXPR_RECORD, -1, -1);
					e->value_form = true;
					e->u.record.nitems = n;
					e->u.record.keys = palloc(mul_size(Max(n, 1), sizeof(CedarString)));
					e->u.record.values = palloc(mul_size(Max(n, 1), sizeof(CedarExpr *)));
					/* jsonb keeps keys sorted by length first: re-sort bytewise */
					for (int i = 0; i < n; i++)
					{
						int			old = push_key_path(r, &m[i].key);

						e->u.record.keys[i] = m[i].key;
						e->u.record.values[i] = read_value(r, &m[i].val);
						cedar_jsonb_pop(&r->path, old);
					}
				}
			}
			break;
		default:
			rerr(r, NULL, "unexpected JSON value");
	}
	r->depth--;
	return e;
}

static int
cmp_keys(const void *a, const void *b)
{
	const CedarString *x = a;
	const CedarString *y = b;
	int			c = memcmp(x->data, y->data, Min(x->len, y->len));

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* Sorts a record's members by key bytes (jsonb orders by length first). */
static void
sort_record(CedarExpr *e)
{
	int			n = e->u.record.nitems;
	struct kv
	{
		CedarString key;
		CedarExpr  *value;
	}		   *tmp;

	if (n < 2)
		return;
	tmp = palloc(mul_size(n, sizeof(*tmp)));
	for (int i = 0; i < n; i++)
	{
		tmp[i].key = e->u.record.keys[i];
		tmp[i].value = e->u.record.values[i];
	}
	/* the key is the struct's first member, so cmp_keys applies */
	qsort(tmp, n, sizeof(*tmp), cmp_keys);
	for (int i = 0; i < n; i++)
	{
		e->u.record.keys[i] = tmp[i].key;
		e->u.record.values[i] = tmp[i].value;
	}
}

static const struct
{
	const char *key;
	CedarExprKind kind;
}			binary_ops[] = {
	{"==", CEDAR_EXPR_EQ}, {"!=", CEDAR_EXPR_NE}, {"<", CEDAR_EXPR_LT},
	{"<=", CEDAR_EXPR_LE}, {">", CEDAR_EXPR_GT}, {">=", CEDAR_EXPR_GE},
	{"in", CEDAR_EXPR_IN}, {"&&", CEDAR_EXPR_AND}, {"||", CEDAR_EXPR_OR},
	{"+", CEDAR_EXPR_ADD}, {"-", CEDAR_EXPR_SUB}, {"*", CEDAR_EXPR_MUL},
	{"contains", CEDAR_EXPR_CONTAINS}, {"containsAll", CEDAR_EXPR_CONTAINS_ALL},
	{"containsAny", CEDAR_EXPR_CONTAINS_ANY}, {"getTag", CEDAR_EXPR_GET_TAG},
	{"hasTag", CEDAR_EXPR_HAS_TAG},
};

static CedarExpr *
read_expr(Reader *r, const JsonbValue *v)
{
	CedarJsonbMember *m;
	int			n;
	CedarJsonbMember *op;
	const char *key;
	JsonbValue *body;
	CedarExpr  *e = NULL;
	int			old;

	enter(r);
	m = object_members(r, v, "an expression", &n);
	if (n != 1)
		rerr(r, NULL, "an expression must have exactly one member, not %d", n);
	op = &m[0];
	key = op->key.data;
	body = &op->val;
	old = push_key_path(r, &op->key);

	if (strcmp(key, "Value") == 0)
		e = read_value(r, body);
	else if (strcmp(key, "Var") == 0)
	{
		CedarString s = get_string(r, body, "\"Var\"");

		e = cedarpol_new_expr(CEDAR_EXPR_VAR, -1, -1);
		if (strcmp(s.data, "principal") == 0)
			e->u.var = CEDAR_VAR_PRINCIPAL;
		else if (strcmp(s.data, "action") == 0)
			e->u.var = CEDAR_VAR_ACTION;
		else if (strcmp(s.data, "resource") == 0)
			e->u.var = CEDAR_VAR_RESOURCE;
		else if (strcmp(s.data, "context") == 0)
			e->u.var = CEDAR_VAR_CONTEXT;
		else
			rerr(r, NULL, "unknown variable \"%s\"", s.data);
	}
	else if (strcmp(key, "Slot") == 0)
		reject_slot(r);
	else if (strcmp(key, "!") == 0 || strcmp(key, "neg") == 0 ||
			 strcmp(key, "isEmpty") == 0)
	{
		static const char *const allowed[] = {"arg", NULL};
		CedarJsonbMember *am;
		int			na;

		am = object_members(r, body, "an operator", &na);
		check_members(r, am, na, allowed, "an operator");
		e = cedarpol_new_expr(key[0] == '!' ? CEDAR_EXPR_NOT :
							  key[0] == 'n' ? CEDAR_EXPR_NEG : CEDAR_EXPR_IS_EMPTY, -1, -1);
		e->u.op.a = member_expr(r, am, na, "arg", "an operator");
	}
	else if (strcmp(key, ".") == 0 || strcmp(key, "has") == 0)
	{
		static const char *const allowed[] = {"left", "attr", NULL};
		CedarJsonbMember *am;
		int			na;
		CedarJsonbMember *attr;
		int			old2;

		am = object_members(r, body, "an attribute operator", &na);
		check_members(r, am, na, allowed, "an attribute operator");
		attr = find_member(r, am, na, "attr", true, "an attribute operator");
		old2 = push_key_path(r, &attr->key);
		if (key[0] == '.')
		{
			e = cedarpol_new_expr(CEDAR_EXPR_GET_ATTR, -1, -1);
			e->u.attr.attr = get_string(r, &attr->val, "\"attr\"");
		}
		else
		{
			e = cedarpol_new_expr(CEDAR_EXPR_HAS, -1, -1);
			if (attr->val.type == jbvString)
			{
				e->u.has.npath = 1;
				e->u.has.path = palloc(sizeof(CedarString));
				e->u.has.path[0] = get_string(r, &attr->val, "\"attr\"");
			}
			else
			{
				JsonbValue *elems = array_elems(r, &attr->val, "\"attr\"", &e->u.has.npath);

				if (e->u.has.npath == 0)
					rerr(r, NULL, "\"attr\" must not be empty");
				e->u.has.path = palloc(mul_size(e->u.has.npath, sizeof(CedarString)));
				for (int i = 0; i < e->u.has.npath; i++)
				{
					int			old3 = cedar_jsonb_push_index(&r->path, i);
					CedarString s = get_string(r, &elems[i], "an attribute");

					/* a path of several attributes is written a.b.c */
					if (e->u.has.npath > 1 &&
						(!cedarpol_is_ident(s.data, s.len) || cedarpol_is_reserved(s.data, s.len)))
						rerr(r, NULL, "attribute \"%s\" in a \"has\" path must be an identifier", s.data);
					e->u.has.path[i] = s;
					cedar_jsonb_pop(&r->path, old3);
				}
			}
		}
		cedar_jsonb_pop(&r->path, old2);
		e->u.attr.a = member_expr(r, am, na, "left", "an attribute operator");
		if (e->kind == CEDAR_EXPR_HAS)
			e->u.has.a = e->u.attr.a;
	}
	else if (strcmp(key, "like") == 0)
	{
		static const char *const allowed[] = {"left", "pattern", NULL};
		CedarJsonbMember *am;
		int			na;
		CedarJsonbMember *pat;
		JsonbValue *elems;
		int			nelems;
		int			cap;
		int			old2;

		am = object_members(r, body, "\"like\"", &na);
		check_members(r, am, na, allowed, "\"like\"");
		e = cedarpol_new_expr(CEDAR_EXPR_LIKE, -1, -1);
		e->u.like.a = member_expr(r, am, na, "left", "\"like\"");
		pat = find_member(r, am, na, "pattern", true, "\"like\"");
		old2 = push_key_path(r, &pat->key);
		elems = array_elems(r, &pat->val, "\"pattern\"", &nelems);
		cap = Max(nelems, 1);
		e->u.like.elems = palloc(mul_size(cap, sizeof(CedarPatternElem)));
		for (int i = 0; i < nelems; i++)
		{
			int			old3 = cedar_jsonb_push_index(&r->path, i);

			if (elems[i].type == jbvString)
			{
				CedarString s = get_string(r, &elems[i], "a pattern element");

				if (strcmp(s.data, "Wildcard") != 0)
					rerr(r, NULL, "unknown pattern element \"%s\"", s.data);
				if (e->u.like.nelems >= cap)
				{
					cap *= 2;
					e->u.like.elems = repalloc(e->u.like.elems, mul_size(cap, sizeof(CedarPatternElem)));
				}
				e->u.like.elems[e->u.like.nelems].wildcard = true;
				e->u.like.elems[e->u.like.nelems].literal = cedarpol_make_string("", 0);
				e->u.like.nelems++;
			}
			else
			{
				static const char *const lit_allowed[] = {"Literal", NULL};
				CedarJsonbMember *lm;
				int			nl;
				CedarString s;

				lm = object_members(r, &elems[i], "a pattern element", &nl);
				check_members(r, lm, nl, lit_allowed, "a pattern element");
				s = member_string(r, find_member(r, lm, nl, "Literal", true, "a pattern element"),
								  "\"Literal\"");
				/* one element per character, as the reference splits them */
				for (int j = 0; j < s.len;)
				{
					int			len = 1;
					unsigned char c = (unsigned char) s.data[j];

					if (c >= 0xF0)
						len = 4;
					else if (c >= 0xE0)
						len = 3;
					else if (c >= 0xC0)
						len = 2;
					len = Min(len, s.len - j);
					if (e->u.like.nelems >= cap)
					{
						cap *= 2;
						e->u.like.elems = repalloc(e->u.like.elems, mul_size(cap, sizeof(CedarPatternElem)));
					}
					e->u.like.elems[e->u.like.nelems].wildcard = false;
					e->u.like.elems[e->u.like.nelems].literal = cedarpol_make_string(s.data + j, len);
					e->u.like.nelems++;
					j += len;
				}
			}
			cedar_jsonb_pop(&r->path, old3);
		}
		cedar_jsonb_pop(&r->path, old2);
	}
	else if (strcmp(key, "is") == 0)
	{
		static const char *const allowed[] = {"left", "entity_type", "in", NULL};
		CedarJsonbMember *am;
		int			na;
		CedarJsonbMember *t;
		int			old2;

		am = object_members(r, body, "\"is\"", &na);
		check_members(r, am, na, allowed, "\"is\"");
		e = cedarpol_new_expr(CEDAR_EXPR_IS, -1, -1);
		e->u.is.a = member_expr(r, am, na, "left", "\"is\"");
		t = find_member(r, am, na, "entity_type", true, "\"is\"");
		old2 = push_key_path(r, &t->key);
		e->u.is.entity_type = get_name(r, &t->val, "entity type");
		cedar_jsonb_pop(&r->path, old2);
		if (find_member(r, am, na, "in", false, "\"is\""))
			e->u.is.in = member_expr(r, am, na, "in", "\"is\"");
	}
	else if (strcmp(key, "if-then-else") == 0)
	{
		static const char *const allowed[] = {"if", "then", "else", NULL};
		CedarJsonbMember *am;
		int			na;

		am = object_members(r, body, "\"if-then-else\"", &na);
		check_members(r, am, na, allowed, "\"if-then-else\"");
		e = cedarpol_new_expr(CEDAR_EXPR_IF, -1, -1);
		e->u.ite.cond = member_expr(r, am, na, "if", "\"if-then-else\"");
		e->u.ite.then_expr = member_expr(r, am, na, "then", "\"if-then-else\"");
		e->u.ite.else_expr = member_expr(r, am, na, "else", "\"if-then-else\"");
	}
	else if (strcmp(key, "Set") == 0)
	{
		int			ne;
		JsonbValue *elems = array_elems(r, body, "\"Set\"", &ne);

		e = cedarpol_new_expr(CEDAR_EXPR_SET, -1, -1);
		e->u.list.nitems = ne;
		e->u.list.items = palloc(mul_size(Max(ne, 1), sizeof(CedarExpr *)));
		for (int i = 0; i < ne; i++)
		{
			int			old2 = cedar_jsonb_push_index(&r->path, i);

			e->u.list.items[i] = read_expr(r, &elems[i]);
			cedar_jsonb_pop(&r->path, old2);
		}
	}
	else if (strcmp(key, "Record") == 0)
	{
		CedarJsonbMember *am;
		int			na;

		am = object_members(r, body, "\"Record\"", &na);
		e = cedarpol_new_expr(CEDAR_EXPR_RECORD, -1, -1);
		e->u.record.nitems = na;
		e->u.record.keys = palloc(mul_size(Max(na, 1), sizeof(CedarString)));
		e->u.record.values = palloc(mul_size(Max(na, 1), sizeof(CedarExpr *)));
		for (int i = 0; i < na; i++)
		{
			int			old2 = push_key_path(r, &am[i].key);

			e->u.record.keys[i] = am[i].key;
			e->u.record.values[i] = read_expr(r, &am[i].val);
			cedar_jsonb_pop(&r->path, old2);
		}
	}
	else
	{
		for (int i = 0; i < lengthof(binary_ops); i++)
		{
			static const char *const allowed[] = {"left", "right", NULL};
			CedarJsonbMember *am;
			int			na;

			if (strcmp(key, binary_ops[i].key) != 0)
				continue;
			am = object_members(r, body, "an operator", &na);
			check_members(r, am, na, allowed, "an operator");
			e = cedarpol_new_expr(binary_ops[i].kind, -1, -1);
			e->u.op.a = member_expr(r, am, na, "left", "an operator");
			e->u.op.b = member_expr(r, am, na, "right", "an operator");
			break;
		}
		if (e == NULL)
		{
			int			na;
			JsonbValue *elems;
			CedarExpr **args;

			if (cedar_ext_style(op->key.data, op->key.len) == CEDAR_EXT_UNKNOWN)
				rerr(r, NULL, "unknown expression operator \"%s\"", key);
			elems = array_elems(r, body, "extension call arguments", &na);
			args = palloc(mul_size(Max(na, 1), sizeof(CedarExpr *)));
			for (int i = 0; i < na; i++)
			{
				int			old2 = cedar_jsonb_push_index(&r->path, i);

				args[i] = read_expr(r, &elems[i]);
				cedar_jsonb_pop(&r->path, old2);
			}
			e = make_call(r, op->key, args, na);
		}
	}
	cedar_jsonb_pop(&r->path, old);
	if (e->kind == CEDAR_EXPR_RECORD)
		sort_record(e);
	r->depth--;
	return e;
}

/* Sorts SET-free records inside Value trees too (they bypass read_expr) */
static void
sort_records(CedarExpr *e)
{
	check_stack_depth();
	switch (e->kind)
	{
		case CEDAR_EXPR_RECORD:
			sort_record(e);
			for (int i = 0; i < e->u.record.nitems; i++)
				sort_records(e->u.record.values[i]);
			break;
		case CEDAR_EXPR_SET:
			for (int i = 0; i < e->u.list.nitems; i++)
				sort_records(e->u.list.items[i]);
			break;
		case CEDAR_EXPR_EXT_CALL:
			for (int i = 0; i < e->u.call.nargs; i++)
				sort_records(e->u.call.args[i]);
			break;
		case CEDAR_EXPR_NOT:
		case CEDAR_EXPR_NEG:
		case CEDAR_EXPR_IS_EMPTY:
			sort_records(e->u.op.a);
			break;
		case CEDAR_EXPR_GET_ATTR:
			sort_records(e->u.attr.a);
			break;
		case CEDAR_EXPR_HAS:
			sort_records(e->u.has.a);
			break;
		case CEDAR_EXPR_LIKE:
			sort_records(e->u.like.a);
			break;
		case CEDAR_EXPR_IS:
			sort_records(e->u.is.a);
			if (e->u.is.in)
				sort_records(e->u.is.in);
			break;
		case CEDAR_EXPR_IF:
			sort_records(e->u.ite.cond);
			sort_records(e->u.ite.then_expr);
			sort_records(e->u.ite.else_expr);
			break;
		case CEDAR_EXPR_BOOL:
		case CEDAR_EXPR_LONG:
		case CEDAR_EXPR_STRING:
		case CEDAR_EXPR_ENTITY:
		case CEDAR_EXPR_VAR:
			break;
		default:
			sort_records(e->u.op.a);
			sort_records(e->u.op.b);
			break;
	}
}

CedarPolicy *
cedar_policy_from_est(Jsonb *est)
{
	static const char *const allowed[] = {"effect", "principal", "action",
	"resource", "conditions", "annotations", NULL};
	Reader		r;
	JsonbValue	root;
	CedarJsonbMember *m;
	int			n;
	CedarPolicy *pol = palloc0(sizeof(CedarPolicy));
	CedarString effect;
	CedarJsonbMember *x;
	int			old;

	initStringInfo(&r.path);
	r.depth = 0;
	pol->start = pol->end = -1;
	cedar_jsonb_check_no_nul(est, CEDAR_INPUT_EST);

	if (JB_ROOT_IS_SCALAR(est))
		rerr(&r, NULL, "a policy must be a JSON object");
	cedar_jsonb_root(est, &root);
	m = object_members(&r, &root, "a policy", &n);
	check_members(&r, m, n, allowed, "a policy");

	effect = member_string(&r, find_member(&r, m, n, "effect", true, "a policy"), "\"effect\"");
	if (strcmp(effect.data, "permit") == 0)
		pol->permit = true;
	else if (strcmp(effect.data, "forbid") != 0)
		rerr(&r, NULL, "\"effect\" must be \"permit\" or \"forbid\", not \"%s\"", effect.data);

	x = find_member(&r, m, n, "principal", true, "a policy");
	old = push_key_path(&r, &x->key);
	read_scope(&r, &x->val, 0, &pol->principal);
	cedar_jsonb_pop(&r.path, old);
	x = find_member(&r, m, n, "action", true, "a policy");
	old = push_key_path(&r, &x->key);
	read_scope(&r, &x->val, 1, &pol->action);
	cedar_jsonb_pop(&r.path, old);
	x = find_member(&r, m, n, "resource", true, "a policy");
	old = push_key_path(&r, &x->key);
	read_scope(&r, &x->val, 2, &pol->resource);
	cedar_jsonb_pop(&r.path, old);

	x = find_member(&r, m, n, "conditions", true, "a policy");
	old = push_key_path(&r, &x->key);
	{
		JsonbValue *elems = array_elems(&r, &x->val, "\"conditions\"", &pol->nconditions);

		pol->conditions = palloc(mul_size(Max(pol->nconditions, 1), sizeof(CedarCondition)));
		for (int i = 0; i < pol->nconditions; i++)
		{
			static const char *const c_allowed[] = {"kind", "body", NULL};
			int			old2 = cedar_jsonb_push_index(&r.path, i);
			CedarJsonbMember *cm;
			int			nc;
			CedarString kind;
			CedarCondition *c = &pol->conditions[i];

			cm = object_members(&r, &elems[i], "a condition", &nc);
			check_members(&r, cm, nc, c_allowed, "a condition");
			kind = member_string(&r, find_member(&r, cm, nc, "kind", true, "a condition"),
								 "\"kind\"");
			if (strcmp(kind.data, "when") == 0)
				c->is_when = true;
			else if (strcmp(kind.data, "unless") == 0)
				c->is_when = false;
			else
				rerr(&r, NULL, "\"kind\" must be \"when\" or \"unless\", not \"%s\"", kind.data);
			c->body = member_expr(&r, cm, nc, "body", "a condition");
			sort_records(c->body);
			c->start = c->end = -1;
			cedar_jsonb_pop(&r.path, old2);
		}
	}
	cedar_jsonb_pop(&r.path, old);

	x = find_member(&r, m, n, "annotations", false, "a policy");
	if (x)
	{
		CedarJsonbMember *am;
		int			na;

		old = push_key_path(&r, &x->key);
		am = object_members(&r, &x->val, "\"annotations\"", &na);
		pol->annotations = palloc(mul_size(Max(na, 1), sizeof(CedarAnnotation)));
		pol->nannotations = na;
		for (int i = 0; i < na; i++)
		{
			CedarAnnotation *a = &pol->annotations[i];
			int			old2 = push_key_path(&r, &am[i].key);

			if (!cedarpol_is_ident(am[i].key.data, am[i].key.len))
				rerr(&r, NULL, "annotation name \"%s\" is not an identifier", am[i].key.data);
			a->key = am[i].key;
			a->start = a->end = -1;
			if (am[i].val.type == jbvNull)
			{
				a->has_value = false;
				a->value = cedarpol_make_string("", 0);
			}
			else
			{
				a->has_value = true;
				a->value = get_string(&r, &am[i].val, "an annotation value");
			}
			cedar_jsonb_pop(&r.path, old2);
		}
		cedar_jsonb_pop(&r.path, old);
	}
	return pol;
}
