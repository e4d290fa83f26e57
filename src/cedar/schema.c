/*-------------------------------------------------------------------------
 *
 * schema.c
 *	  Cedar schema fragments: the JSON schema reader (jsonb -> fragment, with
 *	  the reference's strict shape rules), the JSON writer (= schemaToJson's
 *	  value) and the Cedar schema text printer (= schemaToText).
 *
 *	  The printer follows the reference's layout rules (cedar-policy-core
 *	  validator/cedar_schema/fmt.rs): declarations in sorted order, two-space
 *	  indentation, action names always quoted, `context: {}` always printed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/error.h"
#include "cedar/jsonb_read.h"
#include "cedar/parser.h"
#include "cedar/schema.h"
#include "cedar/schema_int.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"

/* ---------- small helpers shared by the schema files ---------- */

static const char *const reserved_ids[] = {
	"true", "false", "if", "then", "else", "in", "is", "like", "has", NULL
};

/* [_a-zA-Z][_a-zA-Z0-9]* (the policy front end's rule) */
bool
cedar_is_any_ident(const char *s, int len)
{
	return cedarpol_is_ident(s, len);
}

/* A reserved word that cannot be an identifier (true, if, in, ...) */
bool
cedar_is_reserved_word(const char *s, int len)
{
	for (int i = 0; reserved_ids[i]; i++)
		if ((int) strlen(reserved_ids[i]) == len && memcmp(reserved_ids[i], s, len) == 0)
			return true;
	return false;
}

/* An identifier usable unquoted as an attribute (is_normalized_ident) */
bool
cedar_is_normalized_ident(const char *s, int len)
{
	return cedar_is_any_ident(s, len) && !cedar_is_reserved_word(s, len) &&
		!(len == 7 && memcmp(s, "__cedar", 7) == 0);
}

/*
 * A name: identifiers joined by "::", none reserved; `__cedar` components
 * only if allow_cedar.
 */
bool
cedar_is_valid_name(const char *s, int len, bool allow_cedar)
{
	int			start = 0;

	if (len <= 0)
		return false;
	for (int i = 0; i <= len; i++)
	{
		if (i == len || (s[i] == ':' && i + 1 < len && s[i + 1] == ':'))
		{
			int			n = i - start;

			if (!cedar_is_any_ident(s + start, n) || cedar_is_reserved_word(s + start, n))
				return false;
			if (!allow_cedar && n == 7 && memcmp(s + start, "__cedar", 7) == 0)
				return false;
			if (i == len)
				break;
			i++;
			start = i + 1;
		}
	}
	return true;
}

/* Common type names the JSON format reserves for its own type tags */
bool
cedar_is_reserved_type_name(const char *s)
{
	static const char *const words[] = {
		"Bool", "Boolean", "Entity", "Extension", "Long", "Record", "Set", "String", NULL
	};

	for (int i = 0; words[i]; i++)
		if (strcmp(words[i], s) == 0)
			return true;
	return false;
}

/* Byte-wise comparison of counted strings (Rust's str ordering) */
int
cedar_string_cmp(const char *a, int alen, const char *b, int blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/*
 * Namespace order of the reference's BTreeMap<Option<Name>, _>: the empty
 * namespace first, then by basename, then by the path before it.
 */
static int
name_order_cmp(const char *a, const char *b)
{
	const char *abase = a,
			   *bbase = b,
			   *p;
	int			c;

	if (*a == '\0' || *b == '\0')
		return (*a != '\0') - (*b != '\0');
	for (p = a; (p = strstr(p, "::")) != NULL; p += 2)
		abase = p + 2;
	for (p = b; (p = strstr(p, "::")) != NULL; p += 2)
		bbase = p + 2;
	c = strcmp(abase, bbase);
	if (c != 0)
		return c;
	/* compare the paths component by component */
	{
		const char *pa = a,
				   *pb = b;

		for (;;)
		{
			bool		aend = (pa == abase),
						bend = (pb == bbase);
			const char *ea,
					   *eb;
			int			la,
						lb;

			if (aend || bend)
				return (int) !aend - (int) !bend;
			ea = strstr(pa, "::");
			eb = strstr(pb, "::");
			la = ea - pa;
			lb = eb - pb;
			c = cedar_string_cmp(pa, la, pb, lb);
			if (c != 0)
				return c;
			pa = ea + 2;
			pb = eb + 2;
		}
	}
}

static int
ns_cmp(const void *a, const void *b)
{
	return name_order_cmp(((const CedarSNamespace *) a)->name,
						  ((const CedarSNamespace *) b)->name);
}

static int
common_cmp(const void *a, const void *b)
{
	return strcmp(((const CedarSCommonType *) a)->name, ((const CedarSCommonType *) b)->name);
}

static int
entity_cmp(const void *a, const void *b)
{
	return strcmp(((const CedarSEntityType *) a)->name, ((const CedarSEntityType *) b)->name);
}

static int
action_cmp(const void *a, const void *b)
{
	const CedarSAction *x = a,
			   *y = b;

	return cedar_string_cmp(x->name.data, x->name.len, y->name.data, y->name.len);
}

static int
attr_cmp(const void *a, const void *b)
{
	const CedarSAttr *x = a,
			   *y = b;

	return cedar_string_cmp(x->name.data, x->name.len, y->name.data, y->name.len);
}

static int
annot_cmp(const void *a, const void *b)
{
	const CedarAnnotation *x = a,
			   *y = b;

	return cedar_string_cmp(x->key.data, x->key.len, y->key.data, y->key.len);
}

/*
 * Sorts attributes by name and drops earlier duplicates (the last one wins,
 * as when the reference collects them into a BTreeMap).
 */
typedef struct AttrSlot
{
	CedarSAttr	attr;
	int			pos;
} AttrSlot;

static int
attr_slot_cmp(const void *a, const void *b)
{
	const AttrSlot *x = a,
			   *y = b;
	int			c = attr_cmp(&x->attr, &y->attr);

	return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

void
cedar_sort_attrs(CedarSAttr *attrs, int *nattrs)
{
	int			n = *nattrs,
				out = 0;
	AttrSlot   *slots;

	if (n <= 1)
		return;
	slots = palloc(sizeof(AttrSlot) * n);
	for (int i = 0; i < n; i++)
	{
		slots[i].attr = attrs[i];
		slots[i].pos = i;
	}
	qsort(slots, n, sizeof(AttrSlot), attr_slot_cmp);
	for (int i = 0; i < n; i++)
	{
		if (out > 0 && attr_cmp(&attrs[out - 1], &slots[i].attr) == 0)
			attrs[out - 1] = slots[i].attr;
		else
			attrs[out++] = slots[i].attr;
	}
	pfree(slots);
	*nattrs = out;
}

void
cedar_sort_annotations(CedarSAnnotations *a)
{
	if (a->n > 1)
		qsort(a->items, a->n, sizeof(CedarAnnotation), annot_cmp);
}

/* Sorts every map of a fragment into the reference's order */
void
cedar_fragment_sort(CedarSchemaFragment *frag)
{
	if (frag->nnamespaces > 1)
		qsort(frag->namespaces, frag->nnamespaces, sizeof(CedarSNamespace), ns_cmp);
	for (int i = 0; i < frag->nnamespaces; i++)
	{
		CedarSNamespace *ns = &frag->namespaces[i];

		if (ns->ncommons > 1)
			qsort(ns->commons, ns->ncommons, sizeof(CedarSCommonType), common_cmp);
		if (ns->nentities > 1)
			qsort(ns->entities, ns->nentities, sizeof(CedarSEntityType), entity_cmp);
		if (ns->nactions > 1)
			qsort(ns->actions, ns->nactions, sizeof(CedarSAction), action_cmp);
	}
}

/* ---------- JSON reader ---------- */

typedef struct JCtx
{
	StringInfoData path;		/* JSON path of the value being read */
} JCtx;

/* A shape error at the reader's JSON path (error.c) */
#define j_error(cx, ...) \
	cedar_error_at_path(CEDAR_INPUT_JSON_SCHEMA, ERRCODE_INVALID_TEXT_REPRESENTATION, &(cx)->path, NULL, __VA_ARGS__)

/* The path to a member, as push_key (jsonb_read.c) writes it */
static int
j_push_member(JCtx *cx, const CedarJsonbMember *m)
{
	return cedar_jsonb_push_key(&cx->path, m->key.data, m->key.len);
}

/* The path to a member named in the code */
static int
j_push_field(JCtx *cx, const char *field)
{
	return cedar_jsonb_push_key(&cx->path, field, strlen(field));
}

static CedarJsonbMember *
j_members(JCtx *cx, const JsonbValue *v, const char *what, int *n)
{
	if (!cedar_jsonb_is_object(v))
		j_error(cx, "%s must be an object, not %s", what, cedar_jsonb_kind(v));
	return cedar_jsonb_members(v, n);
}

static JsonbValue *
j_elems(JCtx *cx, const JsonbValue *v, const char *what, int *n)
{
	if (!cedar_jsonb_is_array(v))
		j_error(cx, "%s must be an array, not %s", what, cedar_jsonb_kind(v));
	return cedar_jsonb_elems(v, n);
}

static bool
key_is(const CedarJsonbMember *m, const char *k)
{
	return m->key.len == (int) strlen(k) && memcmp(m->key.data, k, m->key.len) == 0;
}

static CedarString
j_string(JCtx *cx, const JsonbValue *v, const char *what)
{
	if (v->type != jbvString)
		j_error(cx, "%s must be a string, not %s", what, cedar_jsonb_kind(v));
	return cedarpol_make_string(v->val.string.val, v->val.string.len);
}

static const char *
j_name(JCtx *cx, const JsonbValue *v, const char *what, bool allow_cedar)
{
	CedarString s = j_string(cx, v, what);

	if (!cedar_is_valid_name(s.data, s.len, allow_cedar))
		j_error(cx, "invalid %s \"%s\"", what, s.data);
	return s.data;
}

static void
j_unknown_field(JCtx *cx, const CedarJsonbMember *m, const char *where)
{
	j_error(cx, "unknown field \"%s\" in %s", m->key.data, where);
}

static void
read_annotations(JCtx *cx, const JsonbValue *v, CedarSAnnotations *out)
{
	int			n;
	CedarJsonbMember *m = j_members(cx, v, "annotations", &n);

	out->items = palloc0(sizeof(CedarAnnotation) * Max(n, 1));
	out->n = n;
	for (int i = 0; i < n; i++)
	{
		int			saved = j_push_member(cx, &m[i]);
		CedarAnnotation *a = &out->items[i];

		if (!cedar_is_any_ident(m[i].key.data, m[i].key.len))
			j_error(cx, "invalid annotation key");
		a->key = m[i].key;
		a->start = a->end = -1;
		if (m[i].val.type == jbvNull)
			a->has_value = false;
		else
		{
			a->has_value = true;
			a->value = j_string(cx, &m[i].val, "an annotation value");
		}
		cedar_jsonb_pop(&cx->path, saved);
	}
	cedar_sort_annotations(out);
}

typedef enum TypeCtx
{
	TYPE_PLAIN,
	TYPE_ATTR,					/* record attribute: may carry required, annotations */
	TYPE_COMMON					/* common type: may carry annotations */
} TypeCtx;

static CedarSType *read_type(JCtx *cx, const JsonbValue *v, int depth, TypeCtx tctx,
							 bool *required, CedarSAnnotations *annots);

static void
read_record_attrs(JCtx *cx, const JsonbValue *v, CedarSType *t, int depth)
{
	int			n;
	CedarJsonbMember *m = j_members(cx, v, "\"attributes\"", &n);

	t->attrs = palloc0(sizeof(CedarSAttr) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		int			saved = j_push_member(cx, &m[i]);
		CedarSAttr *a = &t->attrs[i];

		a->name = m[i].key;
		a->required = true;
		a->type = read_type(cx, &m[i].val, depth + 1, TYPE_ATTR, &a->required,
							&a->annotations);
		cedar_jsonb_pop(&cx->path, saved);
		CHECK_FOR_INTERRUPTS();
	}
	t->nattrs = n;
	cedar_sort_attrs(t->attrs, &t->nattrs);
}

static CedarSType *
read_type(JCtx *cx, const JsonbValue *v, int depth, TypeCtx tctx,
		  bool *required, CedarSAnnotations *annots)
{
	CedarJsonbMember *m;
	int			n;
	const JsonbValue *type = NULL,
			   *element = NULL,
			   *attributes = NULL,
			   *additional = NULL,
			   *name = NULL;
	CedarSType *t = palloc0(sizeof(CedarSType));
	CedarString tn;

	check_stack_depth();
	if (depth > CEDAR_SCHEMA_MAX_DEPTH)
		j_error(cx, "types are nested more than %d levels deep", CEDAR_SCHEMA_MAX_DEPTH);
	t->start = -1;
	m = j_members(cx, v, "a type", &n);
	for (int i = 0; i < n; i++)
	{
		if (key_is(&m[i], "type"))
			type = &m[i].val;
		else if (key_is(&m[i], "element"))
			element = &m[i].val;
		else if (key_is(&m[i], "attributes"))
			attributes = &m[i].val;
		else if (key_is(&m[i], "additionalAttributes"))
			additional = &m[i].val;
		else if (key_is(&m[i], "name"))
			name = &m[i].val;
		else if (key_is(&m[i], "required") && tctx == TYPE_ATTR)
		{
			int			saved = j_push_member(cx, &m[i]);

			if (m[i].val.type != jbvBool)
				j_error(cx, "\"required\" must be a boolean, not %s", cedar_jsonb_kind(&m[i].val));
			*required = m[i].val.val.boolean;
			cedar_jsonb_pop(&cx->path, saved);
		}
		else if (key_is(&m[i], "annotations") && tctx != TYPE_PLAIN)
		{
			int			saved = j_push_member(cx, &m[i]);

			read_annotations(cx, &m[i].val, annots);
			cedar_jsonb_pop(&cx->path, saved);
		}
		else
			j_unknown_field(cx, &m[i], "a type");
	}
	if (type == NULL)
		j_error(cx, "missing field \"type\"");
	{
		int			saved = j_push_field(cx, "type");

		tn = j_string(cx, type, "\"type\"");
		cedar_jsonb_pop(&cx->path, saved);
	}

#define NO_FIELD(f, fname) \
	do { if (f) j_error(cx, "unexpected field \"%s\" for type \"%s\"", fname, tn.data); } while (0)

	if (strcmp(tn.data, "String") == 0 || strcmp(tn.data, "Long") == 0 ||
		strcmp(tn.data, "Boolean") == 0)
	{
		NO_FIELD(element, "element");
		NO_FIELD(attributes, "attributes");
		NO_FIELD(additional, "additionalAttributes");
		NO_FIELD(name, "name");
		t->kind = tn.data[0] == 'S' ? CEDAR_ST_STRING :
			tn.data[0] == 'L' ? CEDAR_ST_LONG : CEDAR_ST_BOOL;
	}
	else if (strcmp(tn.data, "Set") == 0)
	{
		int			saved;

		NO_FIELD(attributes, "attributes");
		NO_FIELD(additional, "additionalAttributes");
		NO_FIELD(name, "name");
		if (element == NULL)
			j_error(cx, "missing field \"element\"");
		t->kind = CEDAR_ST_SET;
		saved = j_push_field(cx, "element");
		t->element = read_type(cx, element, depth + 1, TYPE_PLAIN, NULL, NULL);
		cedar_jsonb_pop(&cx->path, saved);
	}
	else if (strcmp(tn.data, "Record") == 0)
	{
		int			saved;

		NO_FIELD(element, "element");
		NO_FIELD(name, "name");
		if (attributes == NULL)
			j_error(cx, "missing field \"attributes\"");
		if (additional)
		{
			saved = j_push_field(cx, "additionalAttributes");
			if (additional->type != jbvBool)
				j_error(cx, "\"additionalAttributes\" must be a boolean, not %s",
						cedar_jsonb_kind(additional));
			if (additional->val.boolean)
				j_error(cx, "records with additional attributes are not supported");
			cedar_jsonb_pop(&cx->path, saved);
		}
		t->kind = CEDAR_ST_RECORD;
		saved = j_push_field(cx, "attributes");
		read_record_attrs(cx, attributes, t, depth);
		cedar_jsonb_pop(&cx->path, saved);
	}
	else if (strcmp(tn.data, "Entity") == 0 || strcmp(tn.data, "EntityOrCommon") == 0 ||
			 strcmp(tn.data, "Extension") == 0)
	{
		int			saved;

		NO_FIELD(element, "element");
		NO_FIELD(attributes, "attributes");
		NO_FIELD(additional, "additionalAttributes");
		if (name == NULL)
			j_error(cx, "missing field \"name\"");
		saved = j_push_field(cx, "name");
		if (strcmp(tn.data, "Extension") == 0)
		{
			CedarString s = j_string(cx, name, "an extension type name");

			if (!cedar_is_normalized_ident(s.data, s.len))
				j_error(cx, "invalid extension type \"%s\"", s.data);
			t->kind = CEDAR_ST_EXTENSION;
			t->name = s.data;
		}
		else
		{
			t->kind = strcmp(tn.data, "Entity") == 0 ? CEDAR_ST_ENTITY : CEDAR_ST_ENTITY_OR_COMMON;
			t->name = j_name(cx, name, "type name", true);
		}
		cedar_jsonb_pop(&cx->path, saved);
	}
	else
	{
		NO_FIELD(element, "element");
		NO_FIELD(attributes, "attributes");
		NO_FIELD(additional, "additionalAttributes");
		NO_FIELD(name, "name");
		if (!cedar_is_valid_name(tn.data, tn.len, true))
			j_error(cx, "invalid common type \"%s\"", tn.data);
		t->kind = CEDAR_ST_COMMON;
		t->name = tn.data;
	}
#undef NO_FIELD
	return t;
}

static const char **
read_name_list(JCtx *cx, const JsonbValue *v, const char *what, int *n)
{
	JsonbValue *e = j_elems(cx, v, what, n);
	const char **names = palloc(sizeof(char *) * Max(*n, 1));

	for (int i = 0; i < *n; i++)
	{
		int			saved = cedar_jsonb_push_index(&cx->path, i);

		names[i] = j_name(cx, &e[i], "entity type name", true);
		cedar_jsonb_pop(&cx->path, saved);
	}
	return names;
}

static void
read_entity_type(JCtx *cx, const JsonbValue *v, CedarSEntityType *et)
{
	int			n;
	CedarJsonbMember *m = j_members(cx, v, "an entity type", &n);
	const JsonbValue *member_of = NULL,
			   *shape = NULL,
			   *tags = NULL,
			   *choices = NULL;

	for (int i = 0; i < n; i++)
	{
		int			saved = j_push_member(cx, &m[i]);

		if (m[i].val.type == jbvNull && !key_is(&m[i], "annotations"))
			j_error(cx, "value must not be null");
		if (key_is(&m[i], "memberOfTypes"))
			member_of = &m[i].val;
		else if (key_is(&m[i], "shape"))
			shape = &m[i].val;
		else if (key_is(&m[i], "tags"))
			tags = &m[i].val;
		else if (key_is(&m[i], "enum"))
			choices = &m[i].val;
		else if (key_is(&m[i], "annotations"))
			read_annotations(cx, &m[i].val, &et->annotations);
		else
		{
			cedar_jsonb_pop(&cx->path, saved);
			j_unknown_field(cx, &m[i], "an entity type");
		}
		cedar_jsonb_pop(&cx->path, saved);
	}
	if (choices)
	{
		JsonbValue *e;
		int			saved;

		if (member_of || shape || tags)
			j_error(cx, "unexpected field: %s%s%s%s%s",
					member_of ? "memberOfTypes" : "",
					member_of && (shape || tags) ? ", " : "",
					shape ? "shape" : "", shape && tags ? ", " : "",
					tags ? "tags" : "");
		saved = j_push_field(cx, "enum");
		e = j_elems(cx, choices, "\"enum\"", &et->nchoices);
		if (et->nchoices == 0)
			j_error(cx, "\"enum\" must not be empty");
		et->is_enum = true;
		et->choices = palloc(sizeof(CedarString) * et->nchoices);
		for (int i = 0; i < et->nchoices; i++)
		{
			int			s2 = cedar_jsonb_push_index(&cx->path, i);

			et->choices[i] = j_string(cx, &e[i], "an enum choice");
			cedar_jsonb_pop(&cx->path, s2);
		}
		cedar_jsonb_pop(&cx->path, saved);
		return;
	}
	if (member_of)
	{
		int			saved = j_push_field(cx, "memberOfTypes");

		et->parents = read_name_list(cx, member_of, "\"memberOfTypes\"", &et->nparents);
		cedar_jsonb_pop(&cx->path, saved);
	}
	if (shape)
	{
		int			saved = j_push_field(cx, "shape");

		et->shape = read_type(cx, shape, 0, TYPE_PLAIN, NULL, NULL);
		cedar_jsonb_pop(&cx->path, saved);
	}
	if (tags)
	{
		int			saved = j_push_field(cx, "tags");

		et->tags = read_type(cx, tags, 0, TYPE_PLAIN, NULL, NULL);
		cedar_jsonb_pop(&cx->path, saved);
	}
}

static void
read_action(JCtx *cx, const JsonbValue *v, CedarSAction *a)
{
	int			n;
	CedarJsonbMember *m = j_members(cx, v, "an action", &n);

	for (int i = 0; i < n; i++)
	{
		int			saved = j_push_member(cx, &m[i]);

		if (key_is(&m[i], "attributes"))
		{
			if (m[i].val.type != jbvNull)
				j_error(cx, "action attributes are not supported");
		}
		else if (key_is(&m[i], "annotations"))
			read_annotations(cx, &m[i].val, &a->annotations);
		else if (key_is(&m[i], "memberOf"))
		{
			JsonbValue *e;
			int			ne;

			if (m[i].val.type == jbvNull)
			{
				cedar_jsonb_pop(&cx->path, saved);
				continue;
			}
			e = j_elems(cx, &m[i].val, "\"memberOf\"", &ne);
			a->has_member_of = true;
			a->parents = palloc0(sizeof(CedarSActionRef) * Max(ne, 1));
			a->nparents = ne;
			for (int k = 0; k < ne; k++)
			{
				int			s2 = cedar_jsonb_push_index(&cx->path, k);
				int			nm;
				CedarJsonbMember *pm = j_members(cx, &e[k], "an action reference", &nm);
				bool		has_id = false;

				for (int j = 0; j < nm; j++)
				{
					int			s3 = j_push_member(cx, &pm[j]);

					if (key_is(&pm[j], "id"))
					{
						a->parents[k].id = j_string(cx, &pm[j].val, "\"id\"");
						has_id = true;
					}
					else if (key_is(&pm[j], "type"))
					{
						if (pm[j].val.type != jbvNull)
							a->parents[k].type = j_name(cx, &pm[j].val, "action type", true);
					}
					else
					{
						cedar_jsonb_pop(&cx->path, s3);
						j_unknown_field(cx, &pm[j], "an action reference");
					}
					cedar_jsonb_pop(&cx->path, s3);
				}
				if (!has_id)
					j_error(cx, "missing field \"id\"");
				cedar_jsonb_pop(&cx->path, s2);
			}
		}
		else if (key_is(&m[i], "appliesTo"))
		{
			int			na;
			CedarJsonbMember *am;
			bool		has_p = false,
						has_r = false;

			if (m[i].val.type == jbvNull)
			{
				cedar_jsonb_pop(&cx->path, saved);
				continue;
			}
			am = j_members(cx, &m[i].val, "\"appliesTo\"", &na);
			a->has_applies_to = true;
			for (int j = 0; j < na; j++)
			{
				int			s3 = j_push_member(cx, &am[j]);

				if (key_is(&am[j], "principalTypes"))
				{
					a->principals = read_name_list(cx, &am[j].val, "\"principalTypes\"",
												   &a->nprincipals);
					has_p = true;
				}
				else if (key_is(&am[j], "resourceTypes"))
				{
					a->resources = read_name_list(cx, &am[j].val, "\"resourceTypes\"",
												  &a->nresources);
					has_r = true;
				}
				else if (key_is(&am[j], "context"))
					a->context = read_type(cx, &am[j].val, 0, TYPE_PLAIN, NULL, NULL);
				else
				{
					cedar_jsonb_pop(&cx->path, s3);
					j_unknown_field(cx, &am[j], "\"appliesTo\"");
				}
				cedar_jsonb_pop(&cx->path, s3);
			}
			if (!has_p)
				j_error(cx, "missing field \"principalTypes\"");
			if (!has_r)
				j_error(cx, "missing field \"resourceTypes\"");
		}
		else
		{
			cedar_jsonb_pop(&cx->path, saved);
			j_unknown_field(cx, &m[i], "an action");
		}
		cedar_jsonb_pop(&cx->path, saved);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
read_namespace(JCtx *cx, const JsonbValue *v, CedarSNamespace *ns)
{
	int			n;
	CedarJsonbMember *m = j_members(cx, v, "a namespace", &n);
	bool		has_entities = false,
				has_actions = false;

	for (int i = 0; i < n; i++)
	{
		int			saved = j_push_member(cx, &m[i]);

		if (key_is(&m[i], "commonTypes"))
		{
			int			nc;
			CedarJsonbMember *cm = j_members(cx, &m[i].val, "\"commonTypes\"", &nc);

			ns->commons = palloc0(sizeof(CedarSCommonType) * Max(nc, 1));
			ns->ncommons = nc;
			for (int j = 0; j < nc; j++)
			{
				int			s2 = j_push_member(cx, &cm[j]);
				CedarSCommonType *ct = &ns->commons[j];

				ct->name = cm[j].key.data;
				if (!cedar_is_normalized_ident(cm[j].key.data, cm[j].key.len))
					j_error(cx, "invalid common type name \"%s\"", ct->name);
				if (cedar_is_reserved_type_name(ct->name))
					j_error(cx, "common type name \"%s\" is a reserved schema keyword", ct->name);
				ct->type = read_type(cx, &cm[j].val, 0, TYPE_COMMON, NULL, &ct->annotations);
				cedar_jsonb_pop(&cx->path, s2);
				CHECK_FOR_INTERRUPTS();
			}
		}
		else if (key_is(&m[i], "entityTypes"))
		{
			int			ne;
			CedarJsonbMember *em = j_members(cx, &m[i].val, "\"entityTypes\"", &ne);

			has_entities = true;
			ns->entities = palloc0(sizeof(CedarSEntityType) * Max(ne, 1));
			ns->nentities = ne;
			for (int j = 0; j < ne; j++)
			{
				int			s2 = j_push_member(cx, &em[j]);
				CedarSEntityType *et = &ns->entities[j];

				et->name = em[j].key.data;
				if (!cedar_is_normalized_ident(em[j].key.data, em[j].key.len))
					j_error(cx, "invalid entity type name \"%s\"", et->name);
				read_entity_type(cx, &em[j].val, et);
				cedar_jsonb_pop(&cx->path, s2);
				CHECK_FOR_INTERRUPTS();
			}
		}
		else if (key_is(&m[i], "actions"))
		{
			int			na;
			CedarJsonbMember *am = j_members(cx, &m[i].val, "\"actions\"", &na);

			has_actions = true;
			ns->actions = palloc0(sizeof(CedarSAction) * Max(na, 1));
			ns->nactions = na;
			for (int j = 0; j < na; j++)
			{
				int			s2 = j_push_member(cx, &am[j]);

				ns->actions[j].name = am[j].key;
				read_action(cx, &am[j].val, &ns->actions[j]);
				cedar_jsonb_pop(&cx->path, s2);
			}
		}
		else if (key_is(&m[i], "annotations"))
		{
			read_annotations(cx, &m[i].val, &ns->annotations);
			if (ns->name[0] == '\0' && ns->annotations.n > 0)
				j_error(cx, "annotations are not allowed on the empty namespace");
		}
		else
		{
			cedar_jsonb_pop(&cx->path, saved);
			j_unknown_field(cx, &m[i], "a namespace");
		}
		cedar_jsonb_pop(&cx->path, saved);
	}
	if (!has_entities)
		j_error(cx, "missing field \"entityTypes\"");
	if (!has_actions)
		j_error(cx, "missing field \"actions\"");
}

CedarSchemaFragment *
cedar_schema_fragment_from_jsonb(Jsonb *jb)
{
	JCtx		cx;
	JsonbValue	root;
	CedarJsonbMember *m;
	int			n;
	CedarSchemaFragment *frag = palloc0(sizeof(CedarSchemaFragment));

	initStringInfo(&cx.path);
	cedar_jsonb_check_no_nul(jb, CEDAR_INPUT_JSON_SCHEMA);
	cedar_jsonb_root(jb, &root);
	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsonbValue	sc;

		JsonbExtractScalar(&jb->root, &sc);
		j_error(&cx, "a schema must be an object, not %s", cedar_jsonb_kind(&sc));
	}
	m = j_members(&cx, &root, "a schema", &n);
	frag->namespaces = palloc0(sizeof(CedarSNamespace) * Max(n, 1));
	frag->nnamespaces = n;
	for (int i = 0; i < n; i++)
	{
		int			saved = j_push_member(&cx, &m[i]);
		CedarSNamespace *ns = &frag->namespaces[i];

		ns->name = m[i].key.data;
		if (m[i].key.len > 0 && !cedar_is_valid_name(m[i].key.data, m[i].key.len, false))
			j_error(&cx, "invalid namespace \"%s\"", ns->name);
		read_namespace(&cx, &m[i].val, ns);
		cedar_jsonb_pop(&cx.path, saved);
	}
	cedar_fragment_sort(frag);
	return frag;
}

/* ---------- JSON writer ---------- */

/* JSON string from counted bytes (never holding NUL: the readers refuse it) */
static void
json_str(StringInfo out, const char *s, int len)
{
	char	   *c = pnstrdup(s, len);

	escape_json(out, c);
	pfree(c);
}

static void
json_cstr(StringInfo out, const char *s)
{
	json_str(out, s, strlen(s));
}

static void
json_annotations(StringInfo out, const CedarSAnnotations *a)
{
	appendStringInfoChar(out, '{');
	for (int i = 0; i < a->n; i++)
	{
		if (i)
			appendStringInfoChar(out, ',');
		json_str(out, a->items[i].key.data, a->items[i].key.len);
		appendStringInfoChar(out, ':');
		if (a->items[i].has_value)
			json_str(out, a->items[i].value.data, a->items[i].value.len);
		else
			appendStringInfoString(out, "null");
	}
	appendStringInfoChar(out, '}');
}

/* Writes the members of a type object (without the braces) */
static void
json_type_members(StringInfo out, const CedarSType *t)
{
	check_stack_depth();
	switch (t->kind)
	{
		case CEDAR_ST_STRING:
			appendStringInfoString(out, "\"type\":\"String\"");
			break;
		case CEDAR_ST_LONG:
			appendStringInfoString(out, "\"type\":\"Long\"");
			break;
		case CEDAR_ST_BOOL:
			appendStringInfoString(out, "\"type\":\"Boolean\"");
			break;
		case CEDAR_ST_SET:
			appendStringInfoString(out, "\"type\":\"Set\",\"element\":{");
			json_type_members(out, t->element);
			appendStringInfoChar(out, '}');
			break;
		case CEDAR_ST_RECORD:
			appendStringInfoString(out, "\"type\":\"Record\",\"attributes\":{");
			for (int i = 0; i < t->nattrs; i++)
			{
				const CedarSAttr *a = &t->attrs[i];

				if (i)
					appendStringInfoChar(out, ',');
				json_str(out, a->name.data, a->name.len);
				appendStringInfoString(out, ":{");
				json_type_members(out, a->type);
				if (!a->required)
					appendStringInfoString(out, ",\"required\":false");
				if (a->annotations.n > 0)
				{
					appendStringInfoString(out, ",\"annotations\":");
					json_annotations(out, &a->annotations);
				}
				appendStringInfoChar(out, '}');
			}
			appendStringInfoChar(out, '}');
			break;
		case CEDAR_ST_ENTITY:
		case CEDAR_ST_ENTITY_OR_COMMON:
		case CEDAR_ST_EXTENSION:
			appendStringInfo(out, "\"type\":\"%s\",\"name\":",
							 t->kind == CEDAR_ST_ENTITY ? "Entity" :
							 t->kind == CEDAR_ST_EXTENSION ? "Extension" : "EntityOrCommon");
			json_cstr(out, t->name);
			break;
		case CEDAR_ST_COMMON:
			appendStringInfoString(out, "\"type\":");
			json_cstr(out, t->name);
			break;
	}
}

static void
json_type(StringInfo out, const CedarSType *t)
{
	appendStringInfoChar(out, '{');
	json_type_members(out, t);
	appendStringInfoChar(out, '}');
}

static bool
is_empty_record(const CedarSType *t)
{
	return t == NULL || (t->kind == CEDAR_ST_RECORD && t->nattrs == 0);
}

static void
json_names(StringInfo out, const char **names, int n)
{
	appendStringInfoChar(out, '[');
	for (int i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoChar(out, ',');
		json_cstr(out, names[i]);
	}
	appendStringInfoChar(out, ']');
}

void
cedar_schema_fragment_to_json(StringInfo out, const CedarSchemaFragment *frag)
{
	appendStringInfoChar(out, '{');
	for (int i = 0; i < frag->nnamespaces; i++)
	{
		const CedarSNamespace *ns = &frag->namespaces[i];

		if (i)
			appendStringInfoChar(out, ',');
		json_cstr(out, ns->name);
		appendStringInfoChar(out, ':');
		appendStringInfoChar(out, '{');
		if (ns->ncommons > 0)
		{
			appendStringInfoString(out, "\"commonTypes\":{");
			for (int j = 0; j < ns->ncommons; j++)
			{
				if (j)
					appendStringInfoChar(out, ',');
				json_cstr(out, ns->commons[j].name);
				appendStringInfoString(out, ":{");
				json_type_members(out, ns->commons[j].type);
				if (ns->commons[j].annotations.n > 0)
				{
					appendStringInfoString(out, ",\"annotations\":");
					json_annotations(out, &ns->commons[j].annotations);
				}
				appendStringInfoChar(out, '}');
			}
			appendStringInfoString(out, "},");
		}
		appendStringInfoString(out, "\"entityTypes\":{");
		for (int j = 0; j < ns->nentities; j++)
		{
			const CedarSEntityType *et = &ns->entities[j];
			bool		first = true;

#define SEP() do { if (!first) appendStringInfoChar(out, ','); first = false; } while (0)
			if (j)
				appendStringInfoChar(out, ',');
			json_cstr(out, et->name);
			appendStringInfoString(out, ":{");
			if (et->is_enum)
			{
				SEP();
				appendStringInfoString(out, "\"enum\":[");
				for (int k = 0; k < et->nchoices; k++)
				{
					if (k)
						appendStringInfoChar(out, ',');
					json_str(out, et->choices[k].data, et->choices[k].len);
				}
				appendStringInfoChar(out, ']');
			}
			else
			{
				if (et->nparents > 0)
				{
					SEP();
					appendStringInfoString(out, "\"memberOfTypes\":");
					json_names(out, et->parents, et->nparents);
				}
				if (!is_empty_record(et->shape))
				{
					SEP();
					appendStringInfoString(out, "\"shape\":");
					json_type(out, et->shape);
				}
				if (et->tags)
				{
					SEP();
					appendStringInfoString(out, "\"tags\":");
					json_type(out, et->tags);
				}
			}
			if (et->annotations.n > 0)
			{
				SEP();
				appendStringInfoString(out, "\"annotations\":");
				json_annotations(out, &et->annotations);
			}
			appendStringInfoChar(out, '}');
		}
		appendStringInfoString(out, "},\"actions\":{");
		for (int j = 0; j < ns->nactions; j++)
		{
			const CedarSAction *a = &ns->actions[j];
			bool		first = true;

			if (j)
				appendStringInfoChar(out, ',');
			json_str(out, a->name.data, a->name.len);
			appendStringInfoString(out, ":{");
			if (a->has_applies_to)
			{
				SEP();
				appendStringInfoString(out, "\"appliesTo\":{\"resourceTypes\":");
				json_names(out, a->resources, a->nresources);
				appendStringInfoString(out, ",\"principalTypes\":");
				json_names(out, a->principals, a->nprincipals);
				if (!is_empty_record(a->context))
				{
					appendStringInfoString(out, ",\"context\":");
					json_type(out, a->context);
				}
				appendStringInfoChar(out, '}');
			}
			if (a->has_member_of)
			{
				SEP();
				appendStringInfoString(out, "\"memberOf\":[");
				for (int k = 0; k < a->nparents; k++)
				{
					if (k)
						appendStringInfoChar(out, ',');
					appendStringInfoString(out, "{\"id\":");
					json_str(out, a->parents[k].id.data, a->parents[k].id.len);
					if (a->parents[k].type)
					{
						appendStringInfoString(out, ",\"type\":");
						json_cstr(out, a->parents[k].type);
					}
					appendStringInfoChar(out, '}');
				}
				appendStringInfoChar(out, ']');
			}
			if (a->annotations.n > 0)
			{
				SEP();
				appendStringInfoString(out, "\"annotations\":");
				json_annotations(out, &a->annotations);
			}
			appendStringInfoChar(out, '}');
#undef SEP
		}
		appendStringInfoChar(out, '}');
		if (ns->annotations.n > 0)
		{
			appendStringInfoString(out, ",\"annotations\":");
			json_annotations(out, &ns->annotations);
		}
		appendStringInfoChar(out, '}');
		CHECK_FOR_INTERRUPTS();
	}
	appendStringInfoChar(out, '}');
}

/* ---------- text printer ---------- */

static void
indent(StringInfo out, int n)
{
	appendStringInfoSpaces(out, n);
}

static void
text_annotations(StringInfo out, const CedarSAnnotations *a, int base)
{
	for (int i = 0; i < a->n; i++)
	{
		indent(out, base);
		appendStringInfoChar(out, '@');
		appendBinaryStringInfo(out, a->items[i].key.data, a->items[i].key.len);
		if (a->items[i].has_value)
		{
			appendStringInfoString(out, "(\"");
			cedar_append_escape_debug(out, a->items[i].value.data, a->items[i].value.len);
			appendStringInfoString(out, "\")");
		}
		appendStringInfoChar(out, '\n');
	}
}

static void text_type(StringInfo out, const CedarSType *t, int base);

static void
text_record(StringInfo out, const CedarSType *t, int base)
{
	int			member = base + 2;

	appendStringInfoChar(out, '{');
	for (int i = 0; i < t->nattrs; i++)
	{
		const CedarSAttr *a = &t->attrs[i];

		if (i == 0)
			appendStringInfoChar(out, '\n');
		text_annotations(out, &a->annotations, member);
		indent(out, member);
		if (cedar_is_normalized_ident(a->name.data, a->name.len))
			appendBinaryStringInfo(out, a->name.data, a->name.len);
		else
		{
			appendStringInfoChar(out, '"');
			cedar_append_escape_debug(out, a->name.data, a->name.len);
			appendStringInfoChar(out, '"');
		}
		if (!a->required)
			appendStringInfoChar(out, '?');
		appendStringInfoString(out, ": ");
		text_type(out, a->type, member);
		if (i < t->nattrs - 1)
			appendStringInfoChar(out, ',');
		appendStringInfoChar(out, '\n');
	}
	indent(out, base);
	appendStringInfoChar(out, '}');
}

static void
text_type(StringInfo out, const CedarSType *t, int base)
{
	check_stack_depth();
	switch (t->kind)
	{
		case CEDAR_ST_BOOL:
			appendStringInfoString(out, "__cedar::Bool");
			break;
		case CEDAR_ST_LONG:
			appendStringInfoString(out, "__cedar::Long");
			break;
		case CEDAR_ST_STRING:
			appendStringInfoString(out, "__cedar::String");
			break;
		case CEDAR_ST_EXTENSION:
			appendStringInfo(out, "__cedar::%s", t->name);
			break;
		case CEDAR_ST_ENTITY:
		case CEDAR_ST_ENTITY_OR_COMMON:
		case CEDAR_ST_COMMON:
			appendStringInfoString(out, t->name);
			break;
		case CEDAR_ST_RECORD:
			text_record(out, t, base);
			break;
		case CEDAR_ST_SET:
			appendStringInfoString(out, "Set<");
			text_type(out, t->element, base);
			appendStringInfoChar(out, '>');
			break;
	}
}

static void
text_name_list(StringInfo out, const char **names, int n)
{
	appendStringInfoChar(out, '[');
	for (int i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoString(out, ", ");
		appendStringInfoString(out, names[i]);
	}
	appendStringInfoChar(out, ']');
}

static void
text_namespace_body(StringInfo out, const CedarSNamespace *ns, int base)
{
	int			total = ns->ncommons + ns->nentities + ns->nactions;

	for (int i = 0; i < ns->ncommons; i++)
	{
		text_annotations(out, &ns->commons[i].annotations, base);
		indent(out, base);
		appendStringInfo(out, "type %s = ", ns->commons[i].name);
		text_type(out, ns->commons[i].type, base);
		appendStringInfoString(out, ";\n");
		if (i < total - 1)
			appendStringInfoChar(out, '\n');
	}
	for (int i = 0; i < ns->nentities; i++)
	{
		const CedarSEntityType *et = &ns->entities[i];

		text_annotations(out, &et->annotations, base);
		indent(out, base);
		appendStringInfo(out, "entity %s", et->name);
		if (et->is_enum)
		{
			appendStringInfoString(out, " enum [");
			for (int k = 0; k < et->nchoices; k++)
			{
				if (k)
					appendStringInfoString(out, ", ");
				appendStringInfoChar(out, '"');
				cedar_append_escape_debug(out, et->choices[k].data, et->choices[k].len);
				appendStringInfoChar(out, '"');
			}
			appendStringInfoChar(out, ']');
		}
		else
		{
			if (et->nparents > 0)
			{
				appendStringInfoString(out, " in ");
				text_name_list(out, et->parents, et->nparents);
			}
			if (!is_empty_record(et->shape))
			{
				appendStringInfoString(out, " = ");
				text_type(out, et->shape, base);
			}
			if (et->tags)
			{
				appendStringInfoString(out, " tags ");
				/* the reference prints tags without the base indentation */
				text_type(out, et->tags, 0);
			}
		}
		appendStringInfoString(out, ";\n");
		if (ns->ncommons + i < total - 1)
			appendStringInfoChar(out, '\n');
		CHECK_FOR_INTERRUPTS();
	}
	for (int i = 0; i < ns->nactions; i++)
	{
		const CedarSAction *a = &ns->actions[i];

		text_annotations(out, &a->annotations, base);
		indent(out, base);
		appendStringInfoString(out, "action \"");
		cedar_append_escape_debug(out, a->name.data, a->name.len);
		appendStringInfoChar(out, '"');
		if (a->has_member_of && a->nparents > 0)
		{
			appendStringInfoString(out, " in [");
			for (int k = 0; k < a->nparents; k++)
			{
				if (k)
					appendStringInfoString(out, ", ");
				appendStringInfo(out, "%s::\"", a->parents[k].type ? a->parents[k].type : "Action");
				cedar_append_escape_debug(out, a->parents[k].id.data, a->parents[k].id.len);
				appendStringInfoChar(out, '"');
			}
			appendStringInfoChar(out, ']');
		}
		if (a->has_applies_to && a->nprincipals > 0 && a->nresources > 0)
		{
			int			member = base + 2;

			appendStringInfoString(out, " appliesTo {\n");
			indent(out, member);
			appendStringInfoString(out, "principal: ");
			text_name_list(out, a->principals, a->nprincipals);
			appendStringInfoString(out, ",\n");
			indent(out, member);
			appendStringInfoString(out, "resource: ");
			text_name_list(out, a->resources, a->nresources);
			appendStringInfoString(out, ",\n");
			indent(out, member);
			appendStringInfoString(out, "context: ");
			if (is_empty_record(a->context))
				appendStringInfoString(out, "{}");
			else
				text_type(out, a->context, member);
			appendStringInfoChar(out, '\n');
			indent(out, base);
			appendStringInfoChar(out, '}');
		}
		appendStringInfoString(out, ";\n");
		if (ns->ncommons + ns->nentities + i < total - 1)
			appendStringInfoChar(out, '\n');
		CHECK_FOR_INTERRUPTS();
	}
}

void
cedar_schema_fragment_to_text(StringInfo out, const CedarSchemaFragment *frag)
{
	StringInfoData bad;

	/* what the text syntax cannot express (fmt.rs's two checks) */
	initStringInfo(&bad);
	for (int i = 0; i < frag->nnamespaces; i++)
	{
		const CedarSNamespace *ns = &frag->namespaces[i];

		if (ns->name[0] == '\0')
			continue;
		/* both lists are sorted (cedar_fragment_sort): merge them */
		for (int j = 0, k = 0; j < ns->nentities && k < ns->ncommons;)
		{
			int			c = strcmp(ns->entities[j].name, ns->commons[k].name);

			if (c == 0)
				appendStringInfo(&bad, "%s%s::%s", bad.len ? ", " : "",
								 ns->name, ns->commons[k].name);
			if (c <= 0)
				j++;
			if (c >= 0)
				k++;
		}
	}
	if (bad.len)
		cedar_error(CEDAR_INPUT_SCHEMA_TO_TEXT, ERRCODE_INVALID_OBJECT_DEFINITION,
					"An entity type and a common type have the same name.", NULL,
					"name collisions: %s", bad.data);
	for (int i = 0; i < frag->nnamespaces; i++)
	{
		const CedarSNamespace *ns = &frag->namespaces[i];

		for (int j = 0; j < ns->nentities; j++)
			if (ns->entities[j].shape && ns->entities[j].shape->kind != CEDAR_ST_RECORD)
				appendStringInfo(&bad, "%s%s%s%s", bad.len ? ", " : "", ns->name,
								 ns->name[0] ? "::" : "", ns->entities[j].name);
	}
	if (bad.len)
		cedar_error(CEDAR_INPUT_SCHEMA_TO_TEXT, ERRCODE_INVALID_OBJECT_DEFINITION,
					"In the Cedar schema syntax, entity shapes must be record types, not references to common types.",
					NULL, "entity shapes that are not records: %s", bad.data);

	for (int i = 0; i < frag->nnamespaces; i++)
	{
		const CedarSNamespace *ns = &frag->namespaces[i];

		if (ns->name[0] == '\0')
			text_namespace_body(out, ns, 0);
		else
		{
			text_annotations(out, &ns->annotations, 0);
			appendStringInfo(out, "namespace %s {\n", ns->name);
			text_namespace_body(out, ns, 2);
			appendStringInfoString(out, "}\n");
		}
		if (i < frag->nnamespaces - 1)
			appendStringInfoChar(out, '\n');
	}
}
