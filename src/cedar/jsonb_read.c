/*-------------------------------------------------------------------------
 *
 * jsonb_read.c
 *	  JSON path bookkeeping, value kinds and member/element lists over
 *	  jsonb, for the EST policy reader and the JSON schema reader.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/json.h"

#include "cedar/error.h"
#include "cedar/jsonb_read.h"
#include "cedar/parser.h"

int
cedar_jsonb_push_key(StringInfo path, const char *key, int keylen)
{
	int			saved = path->len;

	if (path->len == 0)
		appendStringInfoChar(path, '$');
	if (cedarpol_is_ident(key, keylen))
	{
		appendStringInfoChar(path, '.');
		appendBinaryStringInfo(path, key, keylen);
	}
	else
	{
		/* JSON-quoted; a NUL (which only cedar_jsonb_check_no_nul meets) as \u0000 */
		appendStringInfoString(path, "[\"");
		for (int i = 0; i <= keylen;)
		{
			const char *nul = memchr(key + i, '\0', keylen - i);
			int			n = (nul ? (int) (nul - key) : keylen) - i;
			char	   *k = pnstrdup(key + i, n);
			StringInfoData q;

			initStringInfo(&q);
			escape_json(&q, k);
			appendBinaryStringInfo(path, q.data + 1, q.len - 2);	/* without quotes */
			pfree(q.data);
			pfree(k);
			i += n + 1;
			if (nul)
				appendStringInfoString(path, "\\u0000");
		}
		appendStringInfoString(path, "\"]");
	}
	return saved;
}

int
cedar_jsonb_push_index(StringInfo path, int i)
{
	int			saved = path->len;

	if (path->len == 0)
		appendStringInfoChar(path, '$');
	appendStringInfo(path, "[%d]", i);
	return saved;
}

void
cedar_jsonb_pop(StringInfo path, int saved)
{
	path->len = saved;
	path->data[saved] = '\0';
}

void
cedar_jsonb_root(Jsonb *jb, JsonbValue *root)
{
	root->type = jbvBinary;
	root->val.binary.data = &jb->root;
	root->val.binary.len = VARSIZE(jb) - VARHDRSZ;
}

const char *
cedar_jsonb_kind(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? "an object" : "an array";
		default:
			return "a value";
	}
}

bool
cedar_jsonb_is_object(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

bool
cedar_jsonb_is_array(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

CedarJsonbMember *
cedar_jsonb_members(const JsonbValue *v, int *n)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	x;
	CedarJsonbMember *m;

	Assert(cedar_jsonb_is_object(v));
	m = palloc(mul_size(Max(JsonContainerSize(v->val.binary.data), 1),
						sizeof(CedarJsonbMember)));
	*n = 0;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &x, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			m[*n].key = cedarpol_make_string(x.val.string.val, x.val.string.len);
		else if (tok == WJB_VALUE)
			m[(*n)++].val = x;
		CHECK_FOR_INTERRUPTS();
	}
	return m;
}

const JsonbValue *
cedar_jsonb_member(const CedarJsonbMember *m, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(m[i].key.data, key) == 0)
			return &m[i].val;
	return NULL;
}

JsonbValue *
cedar_jsonb_elems(const JsonbValue *v, int *n)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	x;
	JsonbValue *e;

	Assert(cedar_jsonb_is_array(v));
	e = palloc(mul_size(Max(JsonContainerSize(v->val.binary.data), 1),
						sizeof(JsonbValue)));
	*n = 0;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &x, true)) != WJB_DONE)
	{
		if (tok == WJB_ELEM)
			e[(*n)++] = x;
		CHECK_FOR_INTERRUPTS();
	}
	return e;
}

/* A container being walked by cedar_jsonb_check_no_nul */
typedef struct WalkFrame
{
	bool		array;
	int			index;			/* arrays: the next element's index */
	int			saved;			/* path length at the container */
} WalkFrame;

/*
 * Walks every string of jb, key or value; false if none holds NUL.  With a
 * path to keep, raises the error at the first that does.
 */
static bool
walk_for_nul(Jsonb *jb, CedarInput input, StringInfo path)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbIteratorToken tok;
	JsonbValue	v;
	WalkFrame  *stack = NULL;
	int			depth = 0;
	int			cap = 0;
	bool		scalar_root = JB_ROOT_IS_SCALAR(jb);

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		WalkFrame  *top = depth > 0 ? &stack[depth - 1] : NULL;

		/* the path of an element (or of a key, below) replaces its sibling's */
		if (path && top && top->array && !scalar_root &&
			(tok == WJB_ELEM || tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT))
		{
			cedar_jsonb_pop(path, top->saved);
			(void) cedar_jsonb_push_index(path, top->index++);
		}
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
			case WJB_BEGIN_OBJECT:
				if (depth >= cap)
				{
					cap = cap ? cap * 2 : 8;
					stack = stack ? repalloc(stack, mul_size(cap, sizeof(WalkFrame))) :
						palloc(mul_size(cap, sizeof(WalkFrame)));
				}
				stack[depth].array = (tok == WJB_BEGIN_ARRAY);
				stack[depth].index = 0;
				stack[depth].saved = path ? path->len : 0;
				depth++;
				break;
			case WJB_END_ARRAY:
			case WJB_END_OBJECT:
				depth--;
				break;
			case WJB_KEY:
				if (path)
				{
					cedar_jsonb_pop(path, top->saved);
					(void) cedar_jsonb_push_key(path, v.val.string.val, v.val.string.len);
				}
				/* FALLTHROUGH */
			case WJB_VALUE:
			case WJB_ELEM:
				if (v.type == jbvString &&
					memchr(v.val.string.val, '\0', v.val.string.len) != NULL)
				{
					if (path)
						cedar_error_nul_at_path(input, path);
					return true;
				}
				break;
			default:
				break;
		}
		CHECK_FOR_INTERRUPTS();
	}
	return false;
}

void
cedar_jsonb_check_no_nul(Jsonb *jb, CedarInput input)
{
	StringInfoData path;

	/* a second walk, keeping the path, only to report the error */
	if (!walk_for_nul(jb, input, NULL))
		return;
	initStringInfo(&path);
	(void) walk_for_nul(jb, input, &path);
}
