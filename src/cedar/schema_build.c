/*-------------------------------------------------------------------------
 *
 * schema_build.c
 *	  Fragment -> resolved CedarSchema: name resolution (a name written in
 *	  namespace NS means NS::name if declared there, else the empty
 *	  namespace's, else a built-in type; common types win over entity types),
 *	  common type inlining with cycle detection, the RFC 70 shadowing rule,
 *	  entity and action hierarchies, and the checks that make the reference
 *	  reject a schema (undeclared types and actions, action cycles, shapes
 *	  and contexts that are not records).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/error.h"
#include "cedar/schema.h"
#include "cedar/schema_int.h"
#include "miscadmin.h"

typedef enum DefKind
{
	DEF_COMMON,
	DEF_ENTITY
} DefKind;

typedef struct Def
{
	DefKind		kind;
	const char *fullname;
	const char *ns;				/* namespace it was declared in */
	const CedarSCommonType *common;
	const CedarSEntityType *entity;
	int			state;			/* commons: 0 new, 1 resolving, 2 resolved */
	const CedarType *resolved;	/* commons: the inlined type */
	CedarEntityTypeDef *edef;	/* entities */
	CedarType  *self;			/* entities: the type of a reference */
} Def;

typedef struct BuildCtx
{
	cedar_names_hash *commons;	/* full name -> Def */
	cedar_names_hash *entities; /* full name -> Def */
	cedar_names_hash *actions;	/* action key -> CedarActionDef */
	cedar_names_hash *action_types;
	CedarSchema *schema;
} BuildCtx;

static const char *const builtin_names[] = {
	"Bool", "Long", "String", "ipaddr", "decimal", "datetime", "duration", NULL
};

static CedarType t_bool = {CEDAR_T_BOOL};
static CedarType t_long = {CEDAR_T_LONG};
static CedarType t_string = {CEDAR_T_STRING};

/* The schema is well-formed but not valid (error.c) */
#define schema_error(detail, ...) \
	cedar_error(CEDAR_INPUT_SCHEMA, ERRCODE_INVALID_OBJECT_DEFINITION, detail, NULL, __VA_ARGS__)

static char *
qualify(const char *ns, const char *name)
{
	if (ns[0] == '\0')
		return pstrdup(name);
	return psprintf("%s::%s", ns, name);
}

static const CedarType *
builtin_type(const char *base)
{
	CedarType  *t;

	if (strcmp(base, "Bool") == 0)
		return &t_bool;
	if (strcmp(base, "Long") == 0)
		return &t_long;
	if (strcmp(base, "String") == 0)
		return &t_string;
	for (int i = 3; builtin_names[i]; i++)
		if (strcmp(base, builtin_names[i]) == 0)
		{
			t = palloc0(sizeof(CedarType));
			t->kind = CEDAR_T_EXT;
			t->ext = builtin_names[i];
			return t;
		}
	return NULL;
}

static bool
is_builtin_name(const char *s)
{
	for (int i = 0; builtin_names[i]; i++)
		if (strcmp(builtin_names[i], s) == 0)
			return true;
	return false;
}

typedef struct Resolved
{
	Def		   *def;			/* a declared common or entity type */
	const CedarType *builtin;	/* or a primitive/extension type, or the
								 * entity type of a namespace's actions */
} Resolved;

/*
 * The type of a reference to an action entity; name is the action type as
 * declared ("Action", "NS::Action"), kept by the schema.
 */
static const CedarType *
action_entity_type(const char *name)
{
	CedarType  *t = palloc0(sizeof(CedarType));

	t->kind = CEDAR_T_ENTITY;
	t->lub = palloc(sizeof(char *));
	t->lub[0] = name;
	t->nlub = 1;
	return t;
}

/*
 * Resolves a type name written in namespace ns.  want_common/want_entity
 * say which kinds of declaration may match.  The action type of a namespace
 * that declares actions counts as an entity type here, after the declared
 * ones (as in the reference: attributes may be of type Action or
 * NS::Action), so r->builtin is set for it; callers that need a declared
 * entity type check r->def.
 */
static bool
resolve_name(BuildCtx *cx, const char *name, const char *ns, bool want_common,
			 bool want_entity, Resolved *r)
{
	const char *poss[2];
	int			nposs = 0;

	r->def = NULL;
	r->builtin = NULL;
	if (strstr(name, "::") == NULL && ns[0] != '\0')
		poss[nposs++] = qualify(ns, name);
	poss[nposs++] = name;
	for (int i = 0; i < nposs; i++)
	{
		const char *p = poss[i];
		int			len = strlen(p);

		if (want_common)
		{
			Def		   *d = cedar_names_get(cx->commons, p, len);

			if (d)
			{
				r->def = d;
				return true;
			}
			if (strncmp(p, "__cedar::", 9) == 0 && is_builtin_name(p + 9))
			{
				r->builtin = builtin_type(p + 9);
				return true;
			}
			/* built-in aliases in the empty namespace, unless shadowed */
			if (is_builtin_name(p) && !cedar_names_get(cx->entities, p, len))
			{
				r->builtin = builtin_type(p);
				return true;
			}
		}
		if (want_entity)
		{
			Def		   *d = cedar_names_get(cx->entities, p, len);
			const char *action_type;

			if (d)
			{
				r->def = d;
				return true;
			}
			action_type = cedar_names_get(cx->action_types, p, len);
			if (action_type)
			{
				r->builtin = action_entity_type(action_type);
				return true;
			}
		}
	}
	return false;
}

static const CedarType *resolve_common(BuildCtx *cx, Def *d);

static const CedarType *
resolve_stype(BuildCtx *cx, const CedarSType *st, const char *ns, int depth)
{
	Resolved	r;
	CedarType  *t;

	check_stack_depth();
	if (depth > CEDAR_SCHEMA_MAX_DEPTH * 4)
		schema_error(NULL, "types are nested too deeply");
	switch (st->kind)
	{
		case CEDAR_ST_STRING:
			return &t_string;
		case CEDAR_ST_LONG:
			return &t_long;
		case CEDAR_ST_BOOL:
			return &t_bool;
		case CEDAR_ST_EXTENSION:
			if (!is_builtin_name(st->name) || builtin_type(st->name)->kind != CEDAR_T_EXT)
				schema_error(NULL, "unknown extension type `%s`", st->name);
			return builtin_type(st->name);
		case CEDAR_ST_SET:
			t = palloc0(sizeof(CedarType));
			t->kind = CEDAR_T_SET;
			t->elem = resolve_stype(cx, st->element, ns, depth + 1);
			return t;
		case CEDAR_ST_RECORD:
			{
				CedarAttrType *attrs = palloc0(sizeof(CedarAttrType) * Max(st->nattrs, 1));

				t = palloc0(sizeof(CedarType));
				t->kind = CEDAR_T_RECORD;
				for (int i = 0; i < st->nattrs; i++)
				{
					attrs[i].name = st->attrs[i].name;
					attrs[i].required = st->attrs[i].required;
					attrs[i].type = resolve_stype(cx, st->attrs[i].type, ns, depth + 1);
				}
				t->attrs = attrs;
				t->nattrs = st->nattrs;
				return t;
			}
		case CEDAR_ST_ENTITY:
		case CEDAR_ST_ENTITY_OR_COMMON:
		case CEDAR_ST_COMMON:
			if (!resolve_name(cx, st->name, ns, st->kind != CEDAR_ST_ENTITY,
							  st->kind != CEDAR_ST_COMMON, &r))
				schema_error(psprintf("`%s` has not been declared as %s.", st->name,
									  st->kind == CEDAR_ST_ENTITY ? "an entity type" :
									  st->kind == CEDAR_ST_COMMON ? "a common type" :
									  "a common or entity type"),
							 "failed to resolve type: %s", st->name);
			if (r.builtin)
				return r.builtin;
			if (r.def->kind == DEF_ENTITY)
				return r.def->self;
			return resolve_common(cx, r.def);
	}
	return NULL;				/* keep compiler quiet */
}

static const CedarType *
resolve_common(BuildCtx *cx, Def *d)
{
	if (d->state == 2)
		return d->resolved;
	if (d->state == 1)
		schema_error(NULL, "cycle in common type references containing `%s`", d->fullname);
	d->state = 1;
	d->resolved = resolve_stype(cx, d->common->type, d->ns, 0);
	d->state = 2;
	return d->resolved;
}

static CedarEntityTypeDef *
resolve_entity_ref(BuildCtx *cx, const char *name, const char *ns, const char *what)
{
	Resolved	r;

	/* an action type is not a declared entity type (r.def NULL) */
	if (!resolve_name(cx, name, ns, false, true, &r) || r.def == NULL)
		schema_error(psprintf("Every %s must be a declared entity type.", what),
					 "undeclared entity type: %s", name);
	return r.def->edef;
}

static char *
action_key(const char *type, const char *id, int idlen, int *keylen)
{
	StringInfoData k;

	initStringInfo(&k);
	appendStringInfo(&k, "%s::\"", type);
	appendBinaryStringInfo(&k, id, idlen);
	*keylen = k.len;
	return k.data;
}

static char *
action_display(const char *type, const CedarString *id)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "%s::\"", type);
	cedar_append_escape_debug(&s, id->data, id->len);
	appendStringInfoChar(&s, '"');
	return s.data;
}

/* Appends to list (array grown by doubling) */
static void
push_ptr(void ***arr, int *n, int *cap, void *p)
{
	if (*n >= *cap)
	{
		*cap = *cap ? *cap * 2 : 4;
		*arr = *arr ? repalloc(*arr, sizeof(void *) * *cap) : palloc(sizeof(void *) * *cap);
	}
	(*arr)[(*n)++] = p;
}

/* Detects a cycle in the action hierarchy (iterative DFS, colors) */
static void
check_action_cycles(CedarSchema *s)
{
	int		   *color = palloc0(sizeof(int) * Max(s->naction, 1));
	int		   *stack_a = palloc(sizeof(int) * Max(s->naction, 1));
	int		   *stack_i = palloc(sizeof(int) * Max(s->naction, 1));

	for (int root = 0; root < s->naction; root++)
	{
		int			sp = 0;

		if (color[root])
			continue;
		stack_a[sp] = root;
		stack_i[sp] = 0;
		sp++;
		color[root] = 1;
		while (sp > 0)
		{
			CedarActionDef *a = s->action_list[stack_a[sp - 1]];

			CHECK_FOR_INTERRUPTS();
			if (stack_i[sp - 1] < a->nparents)
			{
				CedarActionDef *p = a->parents[stack_i[sp - 1]++];
				int			pi = p->idx;

				if (color[pi] == 1)
					schema_error(NULL, "cycle in action hierarchy containing %s", p->display);
				if (color[pi] == 0)
				{
					color[pi] = 1;
					stack_a[sp] = pi;
					stack_i[sp] = 0;
					sp++;
				}
			}
			else
			{
				color[stack_a[sp - 1]] = 2;
				sp--;
			}
		}
	}
}

CedarSchema *
cedar_schema_build(const CedarSchemaFragment *frag)
{
	BuildCtx	cx;
	CedarSchema *s = palloc0(sizeof(CedarSchema));
	int			nent = 0,
				ncom = 0,
				nact = 0;
	int			ecap = 0,
				acap = 0;
	int		   *seen_in_action; /* entity idx -> 2*action+1 (principal), +2 (resource) */

	for (int i = 0; i < frag->nnamespaces; i++)
	{
		nent += frag->namespaces[i].nentities;
		ncom += frag->namespaces[i].ncommons;
		nact += frag->namespaces[i].nactions;
	}
	cx.commons = cedar_names_create(CurrentMemoryContext, Max(ncom, 16), NULL);
	cx.entities = cedar_names_create(CurrentMemoryContext, Max(nent, 16), NULL);
	cx.actions = cedar_names_create(CurrentMemoryContext, Max(nact, 16), NULL);
	cx.action_types = cedar_names_create(CurrentMemoryContext, 16, NULL);
	cx.schema = s;
	s->entity_types = cedar_names_create(CurrentMemoryContext, Max(nent, 16), NULL);
	s->actions = cx.actions;
	s->action_types = cx.action_types;

	/* 1. declarations */
	for (int i = 0; i < frag->nnamespaces; i++)
	{
		const CedarSNamespace *ns = &frag->namespaces[i];

		for (int j = 0; j < ns->ncommons; j++)
		{
			Def		   *d = palloc0(sizeof(Def));

			d->kind = DEF_COMMON;
			d->fullname = qualify(ns->name, ns->commons[j].name);
			d->ns = ns->name;
			d->common = &ns->commons[j];
			if (!cedar_names_put(cx.commons, d->fullname, strlen(d->fullname), d))
				schema_error(NULL, "duplicate common type `%s`", d->fullname);
		}
		for (int j = 0; j < ns->nentities; j++)
		{
			Def		   *d = palloc0(sizeof(Def));
			CedarEntityTypeDef *e = palloc0(sizeof(CedarEntityTypeDef));

			/* the reference reserves the name for the actions' type */
			if (strcmp(ns->entities[j].name, "Action") == 0)
				schema_error("The entity type of actions is declared by declaring actions.",
							 "entity type `Action` declared in `entityTypes` list");
			d->kind = DEF_ENTITY;
			d->fullname = qualify(ns->name, ns->entities[j].name);
			d->ns = ns->name;
			d->entity = &ns->entities[j];
			d->edef = e;
			e->name = d->fullname;
			d->self = palloc0(sizeof(CedarType));
			d->self->kind = CEDAR_T_ENTITY;
			d->self->lub = palloc(sizeof(char *));
			d->self->lub[0] = e->name;
			d->self->nlub = 1;
			if (!cedar_names_put(cx.entities, d->fullname, strlen(d->fullname), d))
				schema_error(NULL, "duplicate entity type `%s`", d->fullname);
			cedar_names_put(s->entity_types, e->name, strlen(e->name), e);
			e->idx = s->nentity;
			push_ptr((void ***) &s->entity_list, &s->nentity, &ecap, e);
		}
		for (int j = 0; j < ns->nactions; j++)
		{
			CedarActionDef *a = palloc0(sizeof(CedarActionDef));
			int			klen;
			char	   *key;

			a->type = qualify(ns->name, "Action");
			a->id = ns->actions[j].name;
			a->display = action_display(a->type, &a->id);
			key = action_key(a->type, a->id.data, a->id.len, &klen);
			if (!cedar_names_put(cx.actions, key, klen, a))
				schema_error(NULL, "duplicate action %s", a->display);
			cedar_names_put(cx.action_types, a->type, strlen(a->type), (void *) a->type);
			a->idx = s->naction;
			push_ptr((void ***) &s->action_list, &s->naction, &acap, a);
		}
		CHECK_FOR_INTERRUPTS();
	}

	/* 2. RFC 70: a qualified name must not shadow an empty-namespace one */
	for (int i = 0; i < frag->nnamespaces; i++)
	{
		const CedarSNamespace *ns = &frag->namespaces[i];

		if (ns->name[0] == '\0')
			continue;
		for (int j = 0; j < ns->ncommons + ns->nentities; j++)
		{
			const char *base = j < ns->ncommons ? ns->commons[j].name :
				ns->entities[j - ns->ncommons].name;
			int			len = strlen(base);

			if (cedar_names_get(cx.commons, base, len) || cedar_names_get(cx.entities, base, len))
				schema_error("Definitions in a namespace may not shadow definitions in the empty namespace.",
							 "definition of `%s::%s` illegally shadows the existing definition of `%s`",
							 ns->name, base, base);
		}
		for (int j = 0; j < ns->nactions; j++)
		{
			int			klen;
			char	   *key = action_key("Action", ns->actions[j].name.data,
										 ns->actions[j].name.len, &klen);

			if (cedar_names_get(cx.actions, key, klen))
			{
				CedarString id = ns->actions[j].name;

				schema_error("Actions in a namespace may not shadow actions in the empty namespace.",
							 "definition of `%s` illegally shadows the existing definition of `%s`",
							 action_display(qualify(ns->name, "Action"), &id),
							 action_display("Action", &id));
			}
		}
	}

	/* 3. common types (all of them: an unused cycle is still an error) */
	for (int i = 0; i < frag->nnamespaces; i++)
		for (int j = 0; j < frag->namespaces[i].ncommons; j++)
		{
			const char *full = qualify(frag->namespaces[i].name,
									   frag->namespaces[i].commons[j].name);

			resolve_common(&cx, cedar_names_get(cx.commons, full, strlen(full)));
		}

	/* 4. entity types */
	for (int i = 0; i < frag->nnamespaces; i++)
	{
		const CedarSNamespace *ns = &frag->namespaces[i];

		for (int j = 0; j < ns->nentities; j++)
		{
			const CedarSEntityType *se = &ns->entities[j];
			const char *full = qualify(ns->name, se->name);
			Def		   *d = cedar_names_get(cx.entities, full, strlen(full));
			CedarEntityTypeDef *e = d->edef;

			if (se->is_enum)
			{
				CedarType  *empty = palloc0(sizeof(CedarType));

				empty->kind = CEDAR_T_RECORD;
				e->is_enum = true;
				e->choices = se->choices;
				e->nchoices = se->nchoices;
				e->choice_set = cedar_names_create(CurrentMemoryContext, Max(se->nchoices, 16), NULL);
				for (int k = 0; k < se->nchoices; k++)
					(void) cedar_names_put(e->choice_set, se->choices[k].data, se->choices[k].len,
										   (void *) &se->choices[k]);
				e->shape = empty;
				continue;
			}
			e->parents = palloc(sizeof(CedarEntityTypeDef *) * Max(se->nparents, 1));
			for (int k = 0; k < se->nparents; k++)
			{
				CedarEntityTypeDef *p = resolve_entity_ref(&cx, se->parents[k], ns->name,
														   "parent in memberOfTypes");

				e->parents[e->nparents++] = p;
			}
			if (se->shape)
			{
				e->shape = resolve_stype(&cx, se->shape, ns->name, 0);
				if (e->shape->kind != CEDAR_T_RECORD)
					schema_error("Entity shapes must be record types.",
								 "shape of entity type `%s` is not a record", e->name);
			}
			else
			{
				CedarType  *empty = palloc0(sizeof(CedarType));

				empty->kind = CEDAR_T_RECORD;
				e->shape = empty;
			}
			if (se->tags)
				e->tags = resolve_stype(&cx, se->tags, ns->name, 0);
			CHECK_FOR_INTERRUPTS();
		}
	}
	/* children lists (a parent listed twice has the child once) */
	{
		int		   *caps = palloc0(sizeof(int) * Max(s->nentity, 1));
		int		   *last_child = palloc(sizeof(int) * Max(s->nentity, 1));

		memset(last_child, -1, sizeof(int) * Max(s->nentity, 1));
		for (int i = 0; i < s->nentity; i++)
		{
			CedarEntityTypeDef *e = s->entity_list[i];

			for (int k = 0; k < e->nparents; k++)
			{
				CedarEntityTypeDef *p = e->parents[k];
				int			pi = p->idx;

				if (last_child[pi] == i)
					continue;
				last_child[pi] = i;
				push_ptr((void ***) &p->children, &p->nchildren, &caps[pi], e);
			}
		}
	}

	/* 5. actions */
	seen_in_action = palloc0(sizeof(int) * Max(s->nentity, 1));
	for (int i = 0, ai = 0; i < frag->nnamespaces; i++)
	{
		const CedarSNamespace *ns = &frag->namespaces[i];

		for (int j = 0; j < ns->nactions; j++, ai++)
		{
			const CedarSAction *sa = &ns->actions[j];
			CedarActionDef *a = s->action_list[ai];

			/* distinct types (a type listed twice would be checked twice) */
			a->principals = palloc(sizeof(CedarEntityTypeDef *) * Max(sa->nprincipals, 1));
			for (int k = 0; k < sa->nprincipals; k++)
			{
				CedarEntityTypeDef *e = resolve_entity_ref(&cx, sa->principals[k], ns->name,
														   "principal type");

				if (seen_in_action[e->idx] != 2 * ai + 1)
					a->principals[a->nprincipals++] = e;
				seen_in_action[e->idx] = 2 * ai + 1;
			}
			a->resources = palloc(sizeof(CedarEntityTypeDef *) * Max(sa->nresources, 1));
			for (int k = 0; k < sa->nresources; k++)
			{
				CedarEntityTypeDef *e = resolve_entity_ref(&cx, sa->resources[k], ns->name,
														   "resource type");

				if (seen_in_action[e->idx] != 2 * ai + 2)
					a->resources[a->nresources++] = e;
				seen_in_action[e->idx] = 2 * ai + 2;
			}
			if (sa->context)
			{
				a->context = resolve_stype(&cx, sa->context, ns->name, 0);
				if (a->context->kind != CEDAR_T_RECORD)
					schema_error("An action context must be a record type.",
								 "context of action %s is not a record", a->display);
			}
			else
			{
				CedarType  *empty = palloc0(sizeof(CedarType));

				empty->kind = CEDAR_T_RECORD;
				a->context = empty;
			}
			a->parents = palloc(sizeof(CedarActionDef *) * Max(sa->nparents, 1));
			for (int k = 0; k < sa->nparents; k++)
			{
				const CedarSActionRef *ref = &sa->parents[k];
				const char *ty = ref->type ? ref->type : "Action";
				CedarActionDef *p = NULL;
				int			klen;
				char	   *key;

				if (strstr(ty, "::") == NULL && ns->name[0] != '\0')
				{
					key = action_key(qualify(ns->name, ty), ref->id.data, ref->id.len, &klen);
					p = cedar_names_get(cx.actions, key, klen);
				}
				if (p == NULL)
				{
					key = action_key(ty, ref->id.data, ref->id.len, &klen);
					p = cedar_names_get(cx.actions, key, klen);
				}
				if (p == NULL)
					schema_error("Any actions appearing as parents need to be declared as actions.",
								 "undeclared action: %s", action_display(ty, &ref->id));
				a->parents[a->nparents++] = p;
			}
			CHECK_FOR_INTERRUPTS();
		}
	}
	check_action_cycles(s);
	{
		int		   *caps = palloc0(sizeof(int) * Max(s->naction, 1));
		int		   *last_child = palloc(sizeof(int) * Max(s->naction, 1));

		memset(last_child, -1, sizeof(int) * Max(s->naction, 1));
		for (int i = 0; i < s->naction; i++)
		{
			CedarActionDef *a = s->action_list[i];

			for (int k = 0; k < a->nparents; k++)
			{
				CedarActionDef *p = a->parents[k];
				int			pi = p->idx;

				if (last_child[pi] == i)
					continue;
				last_child[pi] = i;
				push_ptr((void ***) &p->children, &p->nchildren, &caps[pi], a);
			}
		}
	}
	return s;
}

CedarSchema *
cedar_schema_load_jsonb(Jsonb *jb)
{
	return cedar_schema_build(cedar_schema_fragment_from_jsonb(jb));
}

CedarEntityTypeDef *
cedar_schema_entity_type(const CedarSchema *schema, const char *name, int len)
{
	return cedar_names_get(schema->entity_types, name, len);
}

CedarActionDef *
cedar_schema_action(const CedarSchema *schema, const char *type, int typelen,
					const char *id, int idlen)
{
	char		buf[256];
	char	   *k = buf;
	Size		klen = (Size) typelen + 3 + idlen;
	CedarActionDef *a;

	/* the key is type::"id (action_key); called once per literal per environment */
	if (klen > sizeof(buf))
		k = palloc(klen);
	memcpy(k, type, typelen);
	memcpy(k + typelen, "::\"", 3);
	memcpy(k + typelen + 3, id, idlen);
	a = cedar_names_get(schema->actions, k, (int) klen);
	if (k != buf)
		pfree(k);
	return a;
}

bool
cedar_schema_is_action_type(const CedarSchema *schema, const char *name, int len)
{
	return cedar_names_get(schema->action_types, name, len) != NULL;
}

CedarActionDef **
cedar_schema_actions(const CedarSchema *schema, int *n)
{
	*n = schema->naction;
	return schema->action_list;
}

CedarEntityTypeDef **
cedar_schema_entity_types(const CedarSchema *schema, int *n)
{
	*n = schema->nentity;
	return schema->entity_list;
}

/*
 * The reference's Display for validator types, appended until out reaches
 * limit: types share common types, so one of a few hundred bytes of schema
 * can print as gigabytes.
 */
static void
type_append(StringInfo out, const CedarType *t, int limit)
{
	check_stack_depth();
	if (out->len > limit)
		return;
	switch (t->kind)
	{
		case CEDAR_T_NEVER:
			appendStringInfoString(out, "__cedar::internal::Never");
			break;
		case CEDAR_T_TRUE:
			appendStringInfoString(out, "__cedar::internal::True");
			break;
		case CEDAR_T_FALSE:
			appendStringInfoString(out, "__cedar::internal::False");
			break;
		case CEDAR_T_BOOL:
			appendStringInfoString(out, "Bool");
			break;
		case CEDAR_T_LONG:
			appendStringInfoString(out, "Long");
			break;
		case CEDAR_T_STRING:
			appendStringInfoString(out, "String");
			break;
		case CEDAR_T_EXT:
			appendStringInfoString(out, t->ext);
			break;
		case CEDAR_T_ANY_ENTITY:
			appendStringInfoString(out, "__cedar::internal::AnyEntity");
			break;
		case CEDAR_T_ENTITY:
			for (int i = 0; i < t->nlub; i++)
			{
				if (i)
					appendStringInfoString(out, " | ");
				appendStringInfoString(out, t->lub[i]);
			}
			break;
		case CEDAR_T_SET:
			appendStringInfoString(out, "Set<");
			if (t->elem)
				type_append(out, t->elem, limit);
			else
				appendStringInfoString(out, "__cedar::internal::Any");
			appendStringInfoChar(out, '>');
			break;
		case CEDAR_T_RECORD:
			appendStringInfoChar(out, '{');
			for (int i = 0; i < t->nattrs && out->len <= limit; i++)
			{
				appendBinaryStringInfo(out, t->attrs[i].name.data, t->attrs[i].name.len);
				appendStringInfoString(out, t->attrs[i].required ? ": " : "?: ");
				type_append(out, t->attrs[i].type, limit);
				appendStringInfoChar(out, ',');
			}
			appendStringInfoChar(out, '}');
			break;
	}
}

void
cedar_type_append(StringInfo out, const CedarType *t)
{
	int			limit = out->len + CEDAR_TYPE_TEXT_MAX;

	type_append(out, t, limit);
	if (out->len > limit)
	{
		/* cut at a character boundary */
		int			cut = limit;

		while (cut > 0 && ((unsigned char) out->data[cut] & 0xC0) == 0x80)
			cut--;
		out->len = cut;
		out->data[cut] = '\0';
		appendStringInfoString(out, "...");
	}
}
