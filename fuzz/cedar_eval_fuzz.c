/*-------------------------------------------------------------------------
 *
 * cedar_eval_fuzz.c
 *	  libFuzzer harness for Cedar authorization (src/cedar/authorize.h):
 *	  policy set compilation, the entity store, request building and the
 *	  evaluator, built outside the server (make fuzz-eval) with
 *	  AddressSanitizer and UBSan.
 *
 *	  An input is a policy set text, a NUL, then bytes decoded (decode_call
 *	  below) into a request and an entity list: a few entity types, ids and
 *	  attribute names, values of every kind (booleans, longs, strings, sets,
 *	  records, entity references, decimal/ip/datetime/duration extension
 *	  values).  test/suites/21-cedar-fuzz-corpus decodes the saved corpus
 *	  the same way into keycard.cedar_is_authorized calls; keep the two in
 *	  step.
 *
 *	  The store reads JSON through jsonb's iterator; here the "containers"
 *	  are in-memory trees walked by the stand-in iterator below, and JSON
 *	  numbers are their decimal text (the stand-in numeric_out returns it).
 *
 *	  Checks: errors are clean (ereport); evaluating twice answers the same;
 *	  the reasons are satisfied policies of the decision's effect, never
 *	  errored; each policy alone gives the same satisfied/errored verdict as
 *	  in the set, and allow holds iff a permit is satisfied and no forbid is.
 *
 *	  Replay the saved corpus: fuzz/build/cedar_eval_fuzz -runs=0 fuzz/eval-corpus
 *	  (EVAL_FUZZ_PRINT=1 in the environment prints each decision).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/authorize.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "shim.h"

/* ---- in-memory JSON trees and the jsonb iterator over them ---- */

typedef struct JNode
{
	enum jbvType type;			/* jbvString, jbvNumeric, jbvBool, jbvObject, jbvArray */
	const char *str;			/* string, or a number's text */
	bool		boolean;
	int			n;
	const char **keys;			/* objects */
	struct JNode **kids;
} JNode;

/* What a jbvBinary value points to: jsonb's header word, then the tree */
typedef struct FakeContainer
{
	uint32		header;
	JNode	   *node;
} FakeContainer;

typedef struct FakeIterator
{
	JNode	   *node;
	int			step;			/* 0: begin; 1..n (x2 for objects): members; then end, done */
} FakeIterator;

static void
node_to_value(JNode *node, JsonbValue *v)
{
	switch (node->type)
	{
		case jbvString:
			v->type = jbvString;
			v->val.string.val = (char *) node->str;
			v->val.string.len = strlen(node->str);
			break;
		case jbvNumeric:
			v->type = jbvNumeric;
			v->val.numeric = (Numeric) node->str;
			break;
		case jbvBool:
			v->type = jbvBool;
			v->val.boolean = node->boolean;
			break;
		default:
			{
				FakeContainer *c = palloc(sizeof(FakeContainer));

				c->header = node->n | (node->type == jbvObject ? JB_FOBJECT : JB_FARRAY);
				c->node = node;
				v->type = jbvBinary;
				v->val.binary.data = (JsonbContainer *) c;
				v->val.binary.len = 0;
			}
	}
}

JsonbIterator *
JsonbIteratorInit(JsonbContainer *container)
{
	FakeIterator *it = palloc0(sizeof(FakeIterator));

	it->node = ((FakeContainer *) container)->node;
	return (JsonbIterator *) it;
}

JsonbIteratorToken
JsonbIteratorNext(JsonbIterator **iter, JsonbValue *val, bool skipNested)
{
	FakeIterator *it = (FakeIterator *) *iter;
	bool		object = it->node->type == jbvObject;
	int			members = it->node->n * (object ? 2 : 1);
	int			step = it->step++;

	if (step == 0)
		return object ? WJB_BEGIN_OBJECT : WJB_BEGIN_ARRAY;
	if (step <= members)
	{
		int			i = (step - 1) / (object ? 2 : 1);

		if (!object)
		{
			node_to_value(it->node->kids[i], val);
			return WJB_ELEM;
		}
		if ((step - 1) % 2 == 0)
		{
			val->type = jbvString;
			val->val.string.val = (char *) it->node->keys[i];
			val->val.string.len = strlen(it->node->keys[i]);
			return WJB_KEY;
		}
		node_to_value(it->node->kids[i], val);
		return WJB_VALUE;
	}
	if (step == members + 1)
		return object ? WJB_END_OBJECT : WJB_END_ARRAY;
	return WJB_DONE;
}

/* schema.c's JSON reader, never called: the harness gives no schema */
bool
JsonbExtractScalar(JsonbContainer *jbc, JsonbValue *res)
{
	abort();
}

/* The decimal text of a number node, as the server's numeric_out gives it */
Datum
numeric_out(PG_FUNCTION_ARGS)
{
	return CStringGetDatum(pstrdup((const char *) DatumGetPointer(PG_GETARG_DATUM(0))));
}

Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	LOCAL_FCINFO(fcinfo, 1);

	InitFunctionCallInfoData(*fcinfo, NULL, 1, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	return func(fcinfo);
}

/* ---- tree building (objects as jsonb keeps them: keys unique, last wins, sorted) ---- */

static JNode *
node_new(enum jbvType type)
{
	JNode	   *n = palloc0(sizeof(JNode));

	n->type = type;
	n->keys = palloc(sizeof(char *) * 8);
	n->kids = palloc(sizeof(JNode *) * 8);
	return n;
}

static JNode *
node_string(const char *s)
{
	JNode	   *n = node_new(jbvString);

	n->str = s;
	return n;
}

static void
array_add(JNode *a, JNode *kid)
{
	a->kids[a->n++] = kid;
}

/* jsonb's key order: shorter first, then bytewise */
static int
key_cmp(const char *a, const char *b)
{
	size_t		la = strlen(a),
				lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return memcmp(a, b, la);
}

static void
object_put(JNode *o, const char *key, JNode *kid)
{
	int			i = 0;

	while (i < o->n && key_cmp(o->keys[i], key) < 0)
		i++;
	if (i < o->n && key_cmp(o->keys[i], key) == 0)
	{
		o->kids[i] = kid;
		return;
	}
	memmove(&o->keys[i + 1], &o->keys[i], sizeof(char *) * (o->n - i));
	memmove(&o->kids[i + 1], &o->kids[i], sizeof(JNode *) * (o->n - i));
	o->keys[i] = key;
	o->kids[i] = kid;
	o->n++;
}

/* ---- the decoder (mirrored by test/suites/21-cedar-fuzz-corpus) ---- */

#define LEN(a) ((int) lengthof(a))

static const char *const types[] = {"User", "Group", "Photo", "Action", "NS::Thing"};
static const char *const ids[] = {"alice", "bob", "view", "edit", ""};
static const char *const attrs[] = {"a", "b", "owner", "tags", "level"};
static const char *const strings[] = {
	"", "alice", "a*b", "*", "1.5", "10.0.0.1", "192.168.0.0/16", "::1",
	"2024-01-01", "2024-01-01T00:00:00Z", "1h30m", "-1d", "0.0001", "hello world",
};
static const char *const longs[] = {
	"0", "1", "-1", "2", "100", "9223372036854775807", "-9223372036854775808",
	"9223372036854775806", "-9223372036854775807",
};
static const char *const ext_fns[] = {"decimal", "ip", "datetime", "duration"};
static const char *const ext_args[][6] = {
	{"1.0", "-0.0001", "922337203685477.5807", "-922337203685477.5808", "1.23456", "x"},
	{"127.0.0.1", "10.0.0.0/8", "::1", "ff00::1", "224.0.0.1", "1.2.3"},
	{"2024-10-15", "2024-10-15T11:38:02Z", "1970-01-01T00:00:00.001+0100", "-0001-01-01", "9999-12-31T23:59:59.999Z", "2024-13-01"},
	{"1d2h3m4s5ms", "-1ms", "0ms", "1h", "-9223372036854775808ms", "1x"},
};

typedef struct Reader
{
	const unsigned char *p;
	size_t		n;
} Reader;

/* the next byte, 0 once the input is used up */
static int
next_byte(Reader *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static JNode *
decode_uid(Reader *r)
{
	JNode	   *o = node_new(jbvObject);

	object_put(o, "type", node_string(types[next_byte(r) % LEN(types)]));
	object_put(o, "id", node_string(ids[next_byte(r) % LEN(ids)]));
	return o;
}

static JNode *decode_value(Reader *r, int depth);

static JNode *
decode_record(Reader *r, int depth)
{
	JNode	   *o = node_new(jbvObject);
	int			n = next_byte(r) % 4;

	for (int i = 0; i < n; i++)
	{
		const char *key = attrs[next_byte(r) % LEN(attrs)];

		object_put(o, key, decode_value(r, depth + 1));
	}
	return o;
}

static JNode *
decode_value(Reader *r, int depth)
{
	int			kind = next_byte(r) % (depth >= 3 ? 5 : 8);
	JNode	   *v;

	switch (kind)
	{
		case 0:
			v = node_new(jbvBool);
			v->boolean = next_byte(r) & 1;
			return v;
		case 1:
			v = node_new(jbvNumeric);
			v->str = longs[next_byte(r) % LEN(longs)];
			return v;
		case 2:
			return node_string(strings[next_byte(r) % LEN(strings)]);
		case 3:
			{
				int			fn = next_byte(r) % LEN(ext_fns);
				JNode	   *call = node_new(jbvObject);

				object_put(call, "fn", node_string(ext_fns[fn]));
				object_put(call, "arg", node_string(ext_args[fn][next_byte(r) % LEN(ext_args[0])]));
				v = node_new(jbvObject);
				object_put(v, "__extn", call);
				return v;
			}
		case 4:
			v = node_new(jbvObject);
			object_put(v, "__entity", decode_uid(r));
			return v;
		case 5:
			{
				int			n = next_byte(r) % 4;

				v = node_new(jbvArray);
				for (int i = 0; i < n; i++)
					array_add(v, decode_value(r, depth + 1));
				return v;
			}
		case 6:
			return decode_record(r, depth);
		default:
			{
				int			hi = next_byte(r);
				int			lo = next_byte(r);

				v = node_new(jbvNumeric);
				v->str = psprintf("%d", hi * 256 + lo - 32768);
				return v;
			}
	}
}

static JNode *
decode_entity(Reader *r)
{
	JNode	   *e = node_new(jbvObject);
	JNode	   *parents = node_new(jbvArray);
	int			np;

	object_put(e, "uid", decode_uid(r));
	object_put(e, "attrs", decode_record(r, 0));
	np = next_byte(r) % 3;
	for (int i = 0; i < np; i++)
		array_add(parents, decode_uid(r));
	object_put(e, "parents", parents);
	if (next_byte(r) % 4 == 0)
		object_put(e, "tags", decode_record(r, 0));
	return e;
}

typedef struct Call
{
	JNode	   *principal,
			   *action,
			   *resource,
			   *context,
			   *entities;
} Call;

static void
decode_call(Reader *r, Call *call)
{
	int			n;

	call->principal = decode_uid(r);
	call->action = node_new(jbvObject);
	object_put(call->action, "type", node_string("Action"));
	object_put(call->action, "id", node_string(ids[next_byte(r) % LEN(ids)]));
	call->resource = decode_uid(r);
	call->context = decode_record(r, 0);
	call->entities = node_new(jbvArray);
	n = next_byte(r) % 6;
	for (int i = 0; i < n; i++)
		array_add(call->entities, decode_entity(r));
}

/* ---- the checks ---- */

static bool
listed(const char *id, const char **list, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], id) == 0)
			return true;
	return false;
}

static void
fail(const char *what, const char *id)
{
	fprintf(stderr, "invariant broken: %s (%s)\n", what, id ? id : "");
	abort();
}

static void
same_decision(const CedarDecision *a, const CedarDecision *b)
{
	if (a->allow != b->allow || a->nreasons != b->nreasons || a->nerrored != b->nerrored)
		fail("a second evaluation decides differently", NULL);
	for (int i = 0; i < a->nreasons; i++)
		if (strcmp(a->reasons[i], b->reasons[i]) != 0)
			fail("a second evaluation gives other reasons", a->reasons[i]);
	for (int i = 0; i < a->nerrored; i++)
		if (strcmp(a->errored[i], b->errored[i]) != 0)
			fail("a second evaluation gives other errors", a->errored[i]);
}

/* policies checked one by one (each a one-policy set) */
#define MAX_SINGLY 64

static void
check_decision(const CedarPolicySet *ps, CedarEntityStore *store,
			   const CedarRequest *req, const CedarDecision *d)
{
	bool		permit_satisfied = false;
	bool		forbid_satisfied = false;

	for (int i = 0; i < d->nreasons; i++)
	{
		int			k = 0;

		while (k < ps->n && strcmp(ps->ids[k], d->reasons[i]) != 0)
			k++;
		if (k == ps->n)
			fail("a reason is no policy of the set", d->reasons[i]);
		if (ps->policies[k]->permit != d->allow)
			fail("a reason has the other effect", d->reasons[i]);
		if (listed(d->reasons[i], d->errored, d->nerrored))
			fail("a reason is also errored", d->reasons[i]);
	}
	if (d->allow && d->nreasons == 0)
		fail("allowed without a reason", NULL);
	if (ps->n > MAX_SINGLY)
		return;

	for (int k = 0; k < ps->n; k++)
	{
		CedarPolicySet one = {&ps->policies[k], &ps->ids[k], 1};
		CedarDecision s;
		bool		satisfied;

		cedar_authorize(&one, store, req, &s);
		satisfied = ps->policies[k]->permit ? s.allow : s.nreasons == 1;
		if (satisfied)
		{
			if (ps->policies[k]->permit)
				permit_satisfied = true;
			else
				forbid_satisfied = true;
		}
		if ((s.nerrored == 1) != listed(ps->ids[k], d->errored, d->nerrored))
			fail("a policy errs alone but not in the set, or the reverse", ps->ids[k]);
		if (satisfied && ps->policies[k]->permit == d->allow &&
			!listed(ps->ids[k], d->reasons, d->nreasons))
			fail("a satisfied policy of the decision's effect is no reason", ps->ids[k]);
	}
	if (d->allow != (permit_satisfied && !forbid_satisfied))
		fail("allow is not (some permit and no forbid satisfied)", NULL);
}

static void
authorize_input(const char *policies, int plen, const unsigned char *rest, size_t rlen)
{
	sigjmp_buf	jump;
	sigjmp_buf *volatile saved = error_jump;

	if (sigsetjmp(jump, 0) == 0)
	{
		Reader		r = {rest, rlen};
		Call		call;
		JsonbValue	p,
					a,
					res,
					ctx,
					ents;
		CedarPolicySet *ps;
		CedarEntityStore *store;
		CedarRequest *req;
		CedarDecision d1,
					d2;

		error_jump = &jump;
		decode_call(&r, &call);
		ps = cedar_policy_set_compile(policies, plen);
		node_to_value(call.principal, &p);
		node_to_value(call.action, &a);
		node_to_value(call.resource, &res);
		node_to_value(call.context, &ctx);
		node_to_value(call.entities, &ents);
		store = cedar_entities_build(&ents, NULL);
		req = cedar_request_build(&p, &a, &res, &ctx, NULL, false);

		/* from here on nothing may err */
		if (sigsetjmp(jump, 0) != 0)
			fail("cedar_authorize raised an error", NULL);
		cedar_authorize(ps, store, req, &d1);
		cedar_authorize(ps, store, req, &d2);
		same_decision(&d1, &d2);
		check_decision(ps, store, req, &d1);
		if (getenv("EVAL_FUZZ_PRINT"))
		{
			fprintf(stderr, "%s, %d reasons, %d errored:", d1.allow ? "allow" : "deny", d1.nreasons, d1.nerrored);
			for (int i = 0; i < d1.nerrored; i++)
				fprintf(stderr, " %s", d1.errored[i]);
			fprintf(stderr, "\n");
		}
	}
	error_jump = saved;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		base;
	const uint8_t *nul;
	size_t		plen;
	char	   *copy;

	if (size > 1 << 20)
		return 0;
	stack_base = &base;
	nul = memchr(data, 0, size);
	plen = nul ? (size_t) (nul - data) : size;

	/* exact-size copies, so ASan catches any read past the end */
	copy = malloc(plen ? plen : 1);
	memcpy(copy, data, plen);
	authorize_input(copy, (int) plen, nul ? nul + 1 : data + size, nul ? size - plen - 1 : 0);
	free(copy);
	arena_reset();
	return 0;
}
