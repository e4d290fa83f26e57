/*-------------------------------------------------------------------------
 *
 * value.c
 *	  Runtime values of the Cedar evaluator: construction, the total order
 *	  that keeps sets canonical, structural equality (value.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/value.h"
#include "miscadmin.h"

static const CedarValue value_true = {.kind = CEDAR_V_BOOL,.u.b = true};
static const CedarValue value_false = {.kind = CEDAR_V_BOOL,.u.b = false};

const CedarValue *
cedar_value_bool(bool b)
{
	return b ? &value_true : &value_false;
}

CedarValue *
cedar_value_new(CedarValueKind kind)
{
	CedarValue *v = palloc(sizeof(CedarValue));

	v->kind = kind;
	return v;
}

CedarValue *
cedar_value_entity(CedarString type, CedarString id)
{
	CedarValue *v = cedar_value_new(CEDAR_V_ENTITY);

	v->u.uid.type = type;
	v->u.uid.id = id;
	v->u.uid.start = v->u.uid.end = -1;
	return v;
}

int
cedar_string_bytes_cmp(const CedarString *a, const CedarString *b)
{
	int			c = memcmp(a->data, b->data, Min(a->len, b->len));

	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

static int
int64_cmp(int64 a, int64 b)
{
	return (a > b) - (a < b);
}

int
cedar_value_cmp(const CedarValue *a, const CedarValue *b)
{
	int			c;

	if (a == b)
		return 0;
	if (a->kind != b->kind)
		return (a->kind > b->kind) - (a->kind < b->kind);
	check_stack_depth();
	switch (a->kind)
	{
		case CEDAR_V_BOOL:
			return (a->u.b > b->u.b) - (a->u.b < b->u.b);
		case CEDAR_V_LONG:
		case CEDAR_V_DECIMAL:
		case CEDAR_V_DATETIME:
		case CEDAR_V_DURATION:
			return int64_cmp(a->u.l, b->u.l);
		case CEDAR_V_STRING:
			return cedar_string_bytes_cmp(&a->u.str, &b->u.str);
		case CEDAR_V_ENTITY:
			c = cedar_string_bytes_cmp(&a->u.uid.type, &b->u.uid.type);
			return c != 0 ? c : cedar_string_bytes_cmp(&a->u.uid.id, &b->u.uid.id);
		case CEDAR_V_SET:
			for (int i = 0; i < a->u.set.n && i < b->u.set.n; i++)
			{
				c = cedar_value_cmp(a->u.set.items[i], b->u.set.items[i]);
				if (c != 0)
					return c;
			}
			return (a->u.set.n > b->u.set.n) - (a->u.set.n < b->u.set.n);
		case CEDAR_V_RECORD:
			for (int i = 0; i < a->u.rec.n && i < b->u.rec.n; i++)
			{
				c = cedar_string_bytes_cmp(&a->u.rec.keys[i], &b->u.rec.keys[i]);
				if (c != 0)
					return c;
				c = cedar_value_cmp(a->u.rec.vals[i], b->u.rec.vals[i]);
				if (c != 0)
					return c;
			}
			return (a->u.rec.n > b->u.rec.n) - (a->u.rec.n < b->u.rec.n);
		case CEDAR_V_IPADDR:
			if (a->u.ip.v6 != b->u.ip.v6)
				return a->u.ip.v6 ? 1 : -1;
			c = memcmp(a->u.ip.addr, b->u.ip.addr, 16);
			if (c != 0)
				return c;
			return (a->u.ip.prefix > b->u.ip.prefix) - (a->u.ip.prefix < b->u.ip.prefix);
	}
	return 0;
}

static int
value_ptr_cmp(const void *a, const void *b)
{
	return cedar_value_cmp(*(const CedarValue *const *) a,
						   *(const CedarValue *const *) b);
}

const CedarValue *
cedar_value_set(const CedarValue **items, int n)
{
	CedarValue *v = cedar_value_new(CEDAR_V_SET);
	int			out = 0;

	if (n > 1)
	{
		qsort(items, n, sizeof(CedarValue *), value_ptr_cmp);
		for (int i = 0; i < n; i++)
			if (out == 0 || cedar_value_cmp(items[out - 1], items[i]) != 0)
				items[out++] = items[i];
		n = out;
	}
	v->u.set.items = items;
	v->u.set.n = n;
	return v;
}

typedef struct RecordPair
{
	CedarString key;
	const CedarValue *val;
} RecordPair;

static int
pair_cmp(const void *a, const void *b)
{
	return cedar_string_bytes_cmp(&((const RecordPair *) a)->key,
								  &((const RecordPair *) b)->key);
}

const CedarValue *
cedar_value_record(CedarString *keys, const CedarValue **vals, int n)
{
	CedarValue *v = cedar_value_new(CEDAR_V_RECORD);
	bool		sorted = true;

	for (int i = 1; i < n && sorted; i++)
		sorted = cedar_string_bytes_cmp(&keys[i - 1], &keys[i]) < 0;
	if (!sorted)
	{
		RecordPair *pairs = palloc(sizeof(RecordPair) * n);

		for (int i = 0; i < n; i++)
		{
			pairs[i].key = keys[i];
			pairs[i].val = vals[i];
		}
		qsort(pairs, n, sizeof(RecordPair), pair_cmp);
		for (int i = 0; i < n; i++)
		{
			if (i > 0 && cedar_string_bytes_cmp(&pairs[i - 1].key, &pairs[i].key) == 0)
				return NULL;
			keys[i] = pairs[i].key;
			vals[i] = pairs[i].val;
		}
		pfree(pairs);
	}
	v->u.rec.keys = keys;
	v->u.rec.vals = vals;
	v->u.rec.n = n;
	return v;
}

bool
cedar_set_contains(const CedarValue *set, const CedarValue *v)
{
	int			lo = 0,
				hi = set->u.set.n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = cedar_value_cmp(set->u.set.items[mid], v);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

const CedarValue *
cedar_record_get(const CedarValue *rec, const char *key, int keylen)
{
	CedarString k = {key, keylen};
	int			lo = 0,
				hi = rec->u.rec.n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = cedar_string_bytes_cmp(&rec->u.rec.keys[mid], &k);

		if (c == 0)
			return rec->u.rec.vals[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

const char *
cedar_value_kind_name(CedarValueKind kind)
{
	switch (kind)
	{
		case CEDAR_V_BOOL:
			return "bool";
		case CEDAR_V_LONG:
			return "long";
		case CEDAR_V_STRING:
			return "string";
		case CEDAR_V_ENTITY:
			return "entity";
		case CEDAR_V_SET:
			return "set";
		case CEDAR_V_RECORD:
			return "record";
		case CEDAR_V_DECIMAL:
			return "decimal";
		case CEDAR_V_IPADDR:
			return "ipaddr";
		case CEDAR_V_DATETIME:
			return "datetime";
		case CEDAR_V_DURATION:
			return "duration";
	}
	return "value";
}
