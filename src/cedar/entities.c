/*-------------------------------------------------------------------------
 *
 * entities.c
 *	  The entity store of an authorization request: Cedar entity JSON (uid,
 *	  attrs, parents, tags) read into a hash table keyed by uid, checked as
 *	  the reference checks it (cedar-policy-core entities.rs,
 *	  entities/conformance.rs): no duplicate uid, no cycle in the hierarchy,
 *	  and with a schema, conformance of every entity to its declared type,
 *	  listed actions equal to their declarations, and the schema's actions
 *	  joined to the set.
 *
 *	  Parents absent from the set get a placeholder entity (exists = false)
 *	  so that the hierarchy is a graph of pointers; `in` walks it on demand,
 *	  marking visited entities with a per-walk number, so no transitive
 *	  closure is ever materialised (a chain of 100k entities costs one walk
 *	  per `in`, not 10^10 pairs).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/eval_int.h"
#include "cedar/jsonb_read.h"
#include "cedar/parser.h"
#include "common/hashfn.h"
#include "miscadmin.h"

#define MALFORMED ERRCODE_INVALID_TEXT_REPRESENTATION
#define NONCONFORMING ERRCODE_INVALID_PARAMETER_VALUE

typedef struct UidKey
{
	CedarString type;
	CedarString id;
} UidKey;

typedef struct UidEntry
{
	UidKey		key;
	CedarEntity *entity;
	uint32		hash;
	char		status;
} UidEntry;

static inline uint32
uid_hash(const UidKey *k)
{
	return hash_combine(hash_bytes((const unsigned char *) k->type.data, k->type.len),
						hash_bytes((const unsigned char *) k->id.data, k->id.len));
}

#define SH_PREFIX uidtab
#define SH_ELEMENT_TYPE UidEntry
#define SH_KEY_TYPE UidKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) uid_hash(&(k))
#define SH_EQUAL(tb, a, b) ((a).type.len == (b).type.len && (a).id.len == (b).id.len && \
	memcmp((a).id.data, (b).id.data, (a).id.len) == 0 && \
	memcmp((a).type.data, (b).type.data, (a).type.len) == 0)
#define SH_SCOPE static inline
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

struct CedarEntityStore
{
	MemoryContext cxt;			/* where the store lives */
	uidtab_hash *table;
	CedarEntity **listed;		/* entities read from JSON, in order */
	int			nlisted;
	uint32		walk;			/* number of the last ancestor walk */
	/*
	 * The last two ancestor walks, each in its own mark slot: a request asks
	 * about the same few entities (principal, action, resource) in policy
	 * after policy, and each is walked once.  Valid once the store is built.
	 */
	CedarEntity *memo_entity[2];
	uint32		memo_walk[2];
	int			next_slot;
	bool	  **type_ancestors;	/* ancestor_types(), by entity type idx */
	CedarEntity **listed_actions;	/* by action idx: the listed entity or NULL */
	CedarEntity **stack;		/* walk stack, grown as needed */
	int			stack_size;
};

static const char *const schema_hint =
"Entities must conform to the schema given with the request.";

static const CedarValue *
empty_record(void)
{
	return cedar_value_record(NULL, NULL, 0);
}

CedarEntity *
cedar_entities_lookup(CedarEntityStore *store, const CedarString *type,
					  const CedarString *id)
{
	UidKey		k;
	UidEntry   *e;

	k.type = *type;
	k.id = *id;
	e = uidtab_lookup(store->table, k);
	return e ? e->entity : NULL;
}

/* The entity of uid, created as a placeholder if absent */
static CedarEntity *
entity_for(CedarEntityStore *store, const CedarValue *uid, bool *found)
{
	UidKey		k;
	UidEntry   *e;

	k.type = uid->u.uid.type;
	k.id = uid->u.uid.id;
	e = uidtab_insert(store->table, k, found);
	if (!*found)
	{
		CedarEntity *ent = palloc0(sizeof(CedarEntity));

		ent->type = k.type;
		ent->id = k.id;
		ent->uid = uid;
		ent->attrs = empty_record();
		ent->tags = ent->attrs;
		e->entity = ent;
	}
	return e->entity;
}

/* Grows the walk stack to hold at least n entries */
static void
stack_reserve(CedarEntityStore *store, int n)
{
	if (n <= store->stack_size)
		return;
	/* in the store's context: walks run in evaluation scratch contexts */
	store->stack_size = Max(n, store->stack_size * 2);
	if (store->stack)
		store->stack = repalloc(store->stack, sizeof(CedarEntity *) * store->stack_size);
	else
		store->stack = MemoryContextAlloc(store->cxt, sizeof(CedarEntity *) * store->stack_size);
}

/* A walk's marks: entity t was reached if t->mark[slot] == walk */
typedef struct AncestorMarks
{
	int			slot;
	uint32		walk;
} AncestorMarks;

static inline bool
is_marked(const CedarEntity *t, AncestorMarks m)
{
	return t->mark[m.slot] == m.walk;
}

/*
 * Marks every strict ancestor of e (count: how many), or reuses the marks of
 * a remembered walk from e.
 */
static AncestorMarks
mark_ancestors(CedarEntityStore *store, CedarEntity *e, int *count)
{
	AncestorMarks m;
	int			top = 0;
	int			marked = 0;

	for (int s = 0; s < 2 && count == NULL; s++)
		if (store->memo_entity[s] == e)
		{
			m.slot = s;
			m.walk = store->memo_walk[s];
			return m;
		}
	m.slot = store->next_slot;
	m.walk = ++store->walk;
	store->next_slot ^= 1;
	store->memo_entity[m.slot] = e;
	store->memo_walk[m.slot] = m.walk;

	stack_reserve(store, e->nparents + 16);
	store->stack[top++] = e;
	while (top > 0)
	{
		CedarEntity *cur = store->stack[--top];

		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < cur->nparents; i++)
		{
			CedarEntity *p = cur->parents[i];

			if (is_marked(p, m))
				continue;
			p->mark[m.slot] = m.walk;
			marked++;
			stack_reserve(store, top + p->nparents + 1);
			store->stack[top++] = p;
		}
	}
	if (count)
		*count = marked;
	return m;
}

bool
cedar_entity_is_descendant(CedarEntityStore *store, CedarEntity *e,
						   const CedarValue *target)
{
	CedarEntity *t;

	if (e->nparents == 0)
		return false;
	t = cedar_entities_lookup(store, &target->u.uid.type, &target->u.uid.id);
	if (t == NULL)
		return false;
	return is_marked(t, mark_ancestors(store, e, NULL));
}

bool
cedar_entity_is_descendant_of_any(CedarEntityStore *store, CedarEntity *e,
								  const CedarValue *set)
{
	AncestorMarks m;

	if (e->nparents == 0 || set->u.set.n == 0)
		return false;
	m = mark_ancestors(store, e, NULL);
	for (int i = 0; i < set->u.set.n; i++)
	{
		const CedarValue *v = set->u.set.items[i];
		CedarEntity *t = cedar_entities_lookup(store, &v->u.uid.type, &v->u.uid.id);

		if (t != NULL && is_marked(t, m))
			return true;
	}
	return false;
}

/* A fresh number for marking entities in slot 0 while the store is built */
static uint32
build_mark(CedarEntityStore *store)
{
	store->memo_entity[0] = store->memo_entity[1] = NULL;
	return ++store->walk;
}

/* Raises an error if the hierarchy has a cycle (iterative DFS, colours) */
static void
check_no_cycle(CedarEntityStore *store)
{
	int		   *next;

	next = palloc(sizeof(int) * 16);
	for (int i = 0; i < store->nlisted; i++)
	{
		CedarEntity *root = store->listed[i];
		int			top = 0;
		int			cap = 16;

		if (root->dfs_state != 0)
			continue;
		stack_reserve(store, 16);
		store->stack[top] = root;
		next[top] = 0;
		top++;
		root->dfs_state = 1;
		while (top > 0)
		{
			CedarEntity *cur = store->stack[top - 1];

			CHECK_FOR_INTERRUPTS();
			if (next[top - 1] < cur->nparents)
			{
				CedarEntity *p = cur->parents[next[top - 1]++];

				if (p->dfs_state == 1)
					ereport(ERROR,
							(errcode(NONCONFORMING),
							 errmsg("invalid Cedar authorization request: the entity hierarchy has a cycle"),
							 errdetail("Entity %s::\"%s\" is its own ancestor.", p->type.data, p->id.data),
							 errhint("Entity parents must form a hierarchy without cycles.")));
				if (p->dfs_state == 0)
				{
					p->dfs_state = 1;
					if (top == cap)
					{
						cap *= 2;
						next = repalloc(next, sizeof(int) * cap);
					}
					stack_reserve(store, top + 1);
					store->stack[top] = p;
					next[top] = 0;
					top++;
				}
			}
			else
			{
				cur->dfs_state = 2;
				top--;
			}
		}
	}
	pfree(next);
}

/*
 * The ancestor types of def (memberOfTypes, transitively) as a flag per
 * entity type of the schema (by idx), computed once per type and store.
 */
static const bool *
ancestor_types(CedarEntityStore *store, const CedarSchema *schema,
			   CedarEntityTypeDef *def)
{
	int			ntypes;
	bool	   *flags;
	CedarEntityTypeDef **todo;
	int			ntodo = 0;

	(void) cedar_schema_entity_types(schema, &ntypes);
	if (store->type_ancestors == NULL)
		store->type_ancestors = palloc0(sizeof(bool *) * Max(ntypes, 1));
	if (store->type_ancestors[def->idx] != NULL)
		return store->type_ancestors[def->idx];
	flags = palloc0(sizeof(bool) * Max(ntypes, 1));
	todo = palloc(sizeof(CedarEntityTypeDef *) * Max(ntypes, 1));
	todo[ntodo++] = def;
	while (ntodo > 0)
	{
		CedarEntityTypeDef *cur = todo[--ntodo];

		for (int i = 0; i < cur->nparents; i++)
		{
			CedarEntityTypeDef *p = cur->parents[i];

			if (!flags[p->idx])
			{
				flags[p->idx] = true;
				todo[ntodo++] = p;
			}
		}
	}
	pfree(todo);
	store->type_ancestors[def->idx] = flags;
	return flags;
}

/* Schema conformance of a non-action entity's parents */
static void
check_entity_parents(CedarEntityStore *store, const CedarSchema *schema,
					 CedarEntityTypeDef *def, CedarEntity *ent, StringInfo path)
{
	for (int i = 0; i < ent->nparents; i++)
	{
		CedarEntity *p = ent->parents[i];
		CedarEntityTypeDef *pdef = cedar_schema_entity_type(schema, p->type.data, p->type.len);

		cedar_check_uid_in_schema(schema, p->uid, path);
		if (pdef == NULL || !ancestor_types(store, schema, def)[pdef->idx])
			authz_error_at(NONCONFORMING, path, schema_hint,
						   "entity %s::\"%s\" cannot have a parent of type %s",
						   ent->type.data, ent->id.data, p->type.data);
	}
}

/*
 * A listed action must equal its declaration: no attributes or tags, and
 * the same ancestors (after the hierarchy closure).
 */
static void
check_listed_action(CedarEntityStore *store, const CedarSchema *schema,
					CedarEntity *ent, StringInfo path)
{
	CedarActionDef *def = cedar_schema_action(schema, ent->type.data, ent->type.len,
											  ent->id.data, ent->id.len);
	int			nactions;
	CedarActionDef **acts;
	bool	   *declared;
	CedarActionDef **todo;
	int			ntodo = 0;
	int			ndeclared = 0;
	AncestorMarks marks;
	int			nmarked = 0;
	bool		same = true;

	if (def == NULL)
		authz_error_at(NONCONFORMING, path, schema_hint,
					   "action %s::\"%s\" is not declared in the schema",
					   ent->type.data, ent->id.data);
	/* the declared ancestors, transitively */
	acts = cedar_schema_actions(schema, &nactions);
	if (store->listed_actions == NULL)
	{
		store->listed_actions = palloc(sizeof(CedarEntity *) * Max(nactions, 1));
		for (int i = 0; i < nactions; i++)
		{
			CedarString type = {acts[i]->type, strlen(acts[i]->type)};

			store->listed_actions[i] = cedar_entities_lookup(store, &type, &acts[i]->id);
		}
	}
	declared = palloc0(sizeof(bool) * Max(nactions, 1));
	todo = palloc(sizeof(CedarActionDef *) * Max(nactions, 1));
	todo[ntodo++] = def;
	marks = mark_ancestors(store, ent, &nmarked);
	while (ntodo > 0 && same)
	{
		CedarActionDef *cur = todo[--ntodo];

		for (int i = 0; i < cur->nparents && same; i++)
		{
			CedarActionDef *a = cur->parents[i];
			CedarEntity *t = store->listed_actions[a->idx];

			if (declared[a->idx])
				continue;
			declared[a->idx] = true;
			ndeclared++;
			todo[ntodo++] = a;
			if (t == NULL || !is_marked(t, marks))
				same = false;
		}
	}
	pfree(declared);
	pfree(todo);
	if (!same || nmarked != ndeclared ||
		ent->attrs->u.rec.n != 0 || ent->tags->u.rec.n != 0)
		authz_error_at(NONCONFORMING, path, schema_hint,
					   "action %s::\"%s\" does not match its declaration in the schema",
					   ent->type.data, ent->id.data);
}

/* The schema's actions join the store, replacing listed ones */
static void
add_schema_actions(CedarEntityStore *store, const CedarSchema *schema)
{
	int			n;
	CedarActionDef **acts = cedar_schema_actions(schema, &n);

	for (int i = 0; i < n; i++)
	{
		CedarActionDef *a = acts[i];
		CedarString type = {a->type, strlen(a->type)};
		bool		found;
		CedarEntity *ent = entity_for(store, cedar_value_entity(type, a->id), &found);

		ent->exists = true;
		ent->attrs = empty_record();
		ent->tags = ent->attrs;
		ent->nparents = a->nparents;
		ent->parents = palloc(sizeof(CedarEntity *) * Max(a->nparents, 1));
		for (int j = 0; j < a->nparents; j++)
		{
			CedarActionDef *p = a->parents[j];
			CedarString ptype = {p->type, strlen(p->type)};

			ent->parents[j] = entity_for(store, cedar_value_entity(ptype, p->id), &found);
		}
	}
}

/* A record of attributes or tags; type is the schema's record or tag type */
static const CedarValue *
read_map(const JsonbValue *v, const CedarType *rectype, const CedarType *valtype,
		 const CedarSchema *schema, StringInfo path, const char *what)
{
	if (!cedar_jsonb_is_object(v))
		authz_error_at(MALFORMED, path, "An entity is {\"uid\": ..., \"attrs\": {...}, \"parents\": [...]} with optional \"tags\".", "entity %s must be an object, not %s",
					   what, cedar_jsonb_kind(v));
	if (rectype != NULL)
		return cedar_json_to_value(v, rectype, true, schema, path, 4);
	{
		CedarJsonbMember *m;
		int			n;
		CedarString *keys;
		const CedarValue **vals;

		m = cedar_jsonb_members(v, &n);
		keys = palloc(sizeof(CedarString) * Max(n, 1));
		vals = palloc(sizeof(CedarValue *) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			int			saved = cedar_jsonb_push_key(path, m[i].key.data, m[i].key.len);

			keys[i] = m[i].key;
			vals[i] = cedar_json_to_value(&m[i].val, valtype, true, schema, path, 5);
			cedar_jsonb_pop(path, saved);
		}
		return cedar_value_record(keys, vals, n);
	}
}

/* Two listings of one uid agree: same attributes, tags and parents */
static bool
same_entity(CedarEntityStore *store, const CedarEntity *a, const CedarEntity *b)
{
	uint32		walk;

	if (a->nparents != b->nparents || !cedar_value_equal(a->attrs, b->attrs) ||
		!cedar_value_equal(a->tags, b->tags))
		return false;
	/* parents are distinct in each: mark a's, check b's */
	walk = build_mark(store);
	for (int i = 0; i < a->nparents; i++)
		a->parents[i]->mark[0] = walk;
	for (int i = 0; i < b->nparents; i++)
		if (b->parents[i]->mark[0] != walk)
			return false;
	return true;
}

/* One entity JSON object */
static void
read_entity(CedarEntityStore *store, const JsonbValue *v, const CedarSchema *schema,
			StringInfo path)
{
	CedarJsonbMember *m;
	int			n;
	const JsonbValue *juid,
			   *jattrs,
			   *jparents,
			   *jtags;
	const CedarValue *uid;
	CedarEntity *ent;
	CedarEntityTypeDef *def = NULL;
	CedarEntity *dupof;
	bool		is_action;
	bool		found;
	int			saved;

	if (!cedar_jsonb_is_object(v))
		authz_error_at(MALFORMED, path, "An entity is {\"uid\": ..., \"attrs\": {...}, \"parents\": [...]} with optional \"tags\".", "an entity must be an object, not %s",
					   cedar_jsonb_kind(v));
	m = cedar_jsonb_members(v, &n);
	juid = cedar_jsonb_member(m, n, "uid");
	jattrs = cedar_jsonb_member(m, n, "attrs");
	jparents = cedar_jsonb_member(m, n, "parents");
	jtags = cedar_jsonb_member(m, n, "tags");
	if (juid == NULL || jattrs == NULL || jparents == NULL)
		authz_error_at(MALFORMED, path,
					   "An entity is {\"uid\": ..., \"attrs\": {...}, \"parents\": [...]} with optional \"tags\".",
					   "an entity needs members \"uid\", \"attrs\" and \"parents\"");

	saved = cedar_jsonb_push_key(path, "uid", 3);
	uid = cedar_json_to_uid(juid, path);
	cedar_jsonb_pop(path, saved);
	is_action = cedarpol_is_action_type(&uid->u.uid.type);
	if (schema != NULL && !is_action)
	{
		def = cedar_schema_entity_type(schema, uid->u.uid.type.data, uid->u.uid.type.len);
		if (def == NULL)
			authz_error_at(NONCONFORMING, path, schema_hint,
						   "entity type %s is not declared in the schema", uid->u.uid.type.data);
		cedar_check_uid_in_schema(schema, uid, path);
	}

	ent = entity_for(store, uid, &found);
	/* read into a fresh entity: a duplicate must equal the first listing */
	dupof = (found && ent->exists) ? ent : NULL;
	if (dupof != NULL)
		ent = palloc0(sizeof(CedarEntity));
	ent->type = uid->u.uid.type;
	ent->id = uid->u.uid.id;
	ent->uid = uid;
	ent->exists = true;

	saved = cedar_jsonb_push_key(path, "attrs", 5);
	ent->attrs = read_map(jattrs, def ? def->shape : NULL, NULL, schema, path, "attributes");
	cedar_jsonb_pop(path, saved);

	ent->tags = empty_record();
	if (jtags != NULL)
	{
		saved = cedar_jsonb_push_key(path, "tags", 4);
		ent->tags = read_map(jtags, NULL, def ? def->tags : NULL, schema, path, "tags");
		if (def != NULL && def->tags == NULL && ent->tags->u.rec.n > 0)
			authz_error_at(NONCONFORMING, path, schema_hint,
						   "entity type %s has no tags in the schema", uid->u.uid.type.data);
		cedar_jsonb_pop(path, saved);
	}

	saved = cedar_jsonb_push_key(path, "parents", 7);
	if (!cedar_jsonb_is_array(jparents))
		authz_error_at(MALFORMED, path, "An entity is {\"uid\": ..., \"attrs\": {...}, \"parents\": [...]} with optional \"tags\".", "entity parents must be an array, not %s",
					   cedar_jsonb_kind(jparents));
	{
		int			np;
		JsonbValue *elems = cedar_jsonb_elems(jparents, &np);
		uint32		walk = build_mark(store);	/* marks the parents seen */

		ent->parents = palloc(sizeof(CedarEntity *) * Max(np, 1));
		ent->nparents = 0;
		for (int i = 0; i < np; i++)
		{
			int			s2 = cedar_jsonb_push_index(path, i);
			const CedarValue *puid = cedar_json_to_uid(&elems[i], path);
			CedarEntity *p;

			if (is_action && !cedarpol_is_action_type(&puid->u.uid.type))
				authz_error_at(NONCONFORMING, path, "The parents of an action are actions.",
							   "action %s::\"%s\" has a parent that is not an action: %s::\"%s\"",
							   uid->u.uid.type.data, uid->u.uid.id.data,
							   puid->u.uid.type.data, puid->u.uid.id.data);
			p = entity_for(store, puid, &found);
			if (p->mark[0] != walk)
			{
				p->mark[0] = walk;
				ent->parents[ent->nparents++] = p;
			}
			cedar_jsonb_pop(path, s2);
		}
	}
	if (def != NULL)
		check_entity_parents(store, schema, def, ent, path);
	cedar_jsonb_pop(path, saved);

	if (dupof != NULL)
	{
		if (!same_entity(store, dupof, ent))
			authz_error_at(NONCONFORMING, path,
						   "An entity may be listed twice only with the same attributes, tags and parents.",
						   "duplicate entity %s::\"%s\"", uid->u.uid.type.data, uid->u.uid.id.data);
		return;
	}
	store->listed[store->nlisted++] = ent;
}

CedarEntityStore *
cedar_entities_build(const JsonbValue *entities, const CedarSchema *schema)
{
	CedarEntityStore *store = palloc0(sizeof(CedarEntityStore));
	StringInfoData path;
	JsonbValue *elems;
	int			n;

	store->cxt = CurrentMemoryContext;
	initStringInfo(&path);
	cedar_jsonb_push_key(&path, "entities", 8);
	if (!cedar_jsonb_is_array(entities))
		authz_error_at(MALFORMED, &path, "An entity is {\"uid\": ..., \"attrs\": {...}, \"parents\": [...]} with optional \"tags\". The entities are an array of them.", "entities must be an array, not %s",
					   cedar_jsonb_kind(entities));
	elems = cedar_jsonb_elems(entities, &n);
	store->table = uidtab_create(CurrentMemoryContext, Max(n * 2, 16), NULL);
	store->listed = palloc(sizeof(CedarEntity *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		int			saved = cedar_jsonb_push_index(&path, i);

		CHECK_FOR_INTERRUPTS();
		read_entity(store, &elems[i], schema, &path);
		cedar_jsonb_pop(&path, saved);
	}
	check_no_cycle(store);
	if (schema != NULL)
	{
		for (int i = 0; i < store->nlisted; i++)
		{
			CedarEntity *ent = store->listed[i];

			if (cedarpol_is_action_type(&ent->type))
			{
				int			saved = cedar_jsonb_push_index(&path, i);

				check_listed_action(store, schema, ent, &path);
				cedar_jsonb_pop(&path, saved);
			}
		}
		add_schema_actions(store, schema);
	}
	/* the hierarchy is final: walks from now on may be remembered */
	(void) build_mark(store);
	return store;
}
