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
		char	   *k = pnstrdup(key, keylen);

		appendStringInfoChar(path, '[');
		escape_json(path, k);
		appendStringInfoChar(path, ']');
		pfree(k);
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
