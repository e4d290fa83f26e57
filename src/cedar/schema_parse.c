/*-------------------------------------------------------------------------
 *
 * schema_parse.c
 *	  Cedar schema text -> fragment: a recursive-descent parser for the
 *	  reference's schema grammar (cedar-policy-core cedar_schema/grammar.
 *	  lalrpop), driven by the shared Cedar lexer (lexer.h), plus the
 *	  conversion rules of to_json_schema.rs (declarations grouped by
 *	  namespace, `action a;` applies to nothing, `context: T` is a common
 *	  type reference, duplicate declarations rejected).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/error.h"
#include "cedar/lexer.h"
#include "cedar/parser.h"
#include "cedar/schema.h"
#include "cedar/schema_int.h"
#include "miscadmin.h"

typedef struct SP
{
	CedarLexer	lex;
	CedarToken	tok;			/* current (not yet consumed) token */
	const char *src;
	int			len;
	CedarSource source;			/* src and len, for errors */
} SP;

/* A growable array */
typedef struct Vec
{
	void	   *items;
	int			n;
	int			cap;
	Size		elsize;
} Vec;

static void
vec_init(Vec *v, Size elsize)
{
	v->items = NULL;
	v->n = v->cap = 0;
	v->elsize = elsize;
}

static void *
vec_push(Vec *v)
{
	if (v->n >= v->cap)
	{
		v->cap = v->cap ? v->cap * 2 : 4;
		v->items = v->items ? repalloc(v->items, mul_size(v->cap, v->elsize)) :
			palloc(mul_size(v->cap, v->elsize));
	}
	memset((char *) v->items + v->n * v->elsize, 0, v->elsize);
	return (char *) v->items + (v->n++) * v->elsize;
}

/* A syntax error at token t (error.c) */
#define sp_error_at(p, t, ...) \
	cedar_error_at_text(&(p)->source, ERRCODE_SYNTAX_ERROR, (t)->start, (t)->end, NULL, __VA_ARGS__)

static void
sp_advance(SP *p)
{
	cedar_lex_next(&p->lex, &p->tok);
	if (p->tok.kind == CEDAR_TOK_ERROR && p->tok.nul)
		cedar_error_nul_at_text(&p->source, p->tok.start, p->tok.end);
	if (p->tok.kind == CEDAR_TOK_ERROR)
		sp_error_at(p, &p->tok, "%s", p->tok.errmsg);
}

static void
sp_unexpected(SP *p)
{
	if (p->tok.kind == CEDAR_TOK_EOF)
		sp_error_at(p, &p->tok, "unexpected end of input");
	sp_error_at(p, &p->tok, "unexpected token \"%s\"",
				pnstrdup(CEDAR_TOKEN_TEXT(&p->lex, &p->tok), p->tok.end - p->tok.start));
}

static bool
sp_is(SP *p, CedarTokenKind k)
{
	return p->tok.kind == k;
}

static bool
sp_word(SP *p, const char *w)
{
	return p->tok.kind == CEDAR_TOK_IDENT && cedar_token_is(&p->lex, &p->tok, w);
}

static void
sp_expect(SP *p, CedarTokenKind k)
{
	if (p->tok.kind != k)
		sp_unexpected(p);
	sp_advance(p);
}

static CedarTokenKind
sp_peek_kind(SP *p)
{
	CedarToken t;

	cedar_lex_peek(&p->lex, &t);
	return t.kind;
}

/* AnyIdent: any identifier token, keywords included */
static char *
sp_any_ident(SP *p)
{
	char	   *s;

	if (p->tok.kind != CEDAR_TOK_IDENT)
		sp_unexpected(p);
	s = pnstrdup(CEDAR_TOKEN_TEXT(&p->lex, &p->tok), p->tok.end - p->tok.start);
	sp_advance(p);
	return s;
}

/* Ident: an identifier that is not a reserved word */
static char *
sp_ident(SP *p)
{
	CedarToken t = p->tok;
	char	   *s = sp_any_ident(p);

	if (cedar_is_reserved_word(s, strlen(s)))
		sp_error_at(p, &t, "`%s` is a reserved identifier", s);
	return s;
}

static CedarString
sp_string(SP *p)
{
	CedarString out;
	CedarUnescapeError err;
	CedarToken t = p->tok;

	if (p->tok.kind != CEDAR_TOK_STRING)
		sp_unexpected(p);
	if (!cedar_unescape(CEDAR_TOKEN_TEXT(&p->lex, &t) + 1, t.end - t.start - 2, &out, &err))
	{
		int			off = t.start + 1 + err.offset;

		if (err.nul)
			cedar_error_nul_at_text(&p->source, off, off + err.length);
		sp_error_at(p, &t, "Invalid escape codes: %s", err.errmsg);
	}
	sp_advance(p);
	return out;
}

/* Path: Ident ('::' Ident)* */
static char *
sp_path(SP *p)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, sp_ident(p));
	while (sp_is(p, CEDAR_TOK_COLON2))
	{
		sp_advance(p);
		appendStringInfoString(&s, "::");
		appendStringInfoString(&s, sp_ident(p));
	}
	return s.data;
}

static void
sp_annotations(SP *p, CedarSAnnotations *out)
{
	Vec			v;
	cedar_names_hash *keys = NULL;	/* keys seen */

	vec_init(&v, sizeof(CedarAnnotation));
	while (sp_is(p, CEDAR_TOK_AT))
	{
		CedarAnnotation *a;
		CedarToken at = p->tok;
		char	   *key;

		sp_advance(p);
		key = sp_any_ident(p);
		if (keys == NULL)
			keys = cedar_names_create(CurrentMemoryContext, 16, NULL);
		if (!cedar_names_put(keys, key, strlen(key), key))
			sp_error_at(p, &at, "duplicate annotations: `%s`", key);
		a = vec_push(&v);
		a->key = cedarpol_make_string(key, strlen(key));
		a->start = at.start;
		a->end = -1;
		if (sp_is(p, CEDAR_TOK_LPAREN))
		{
			sp_advance(p);
			a->value = sp_string(p);
			a->has_value = true;
			sp_expect(p, CEDAR_TOK_RPAREN);
		}
		else
		{
			/* a bare @key means the empty string in schemas */
			a->value = cedarpol_make_string("", 0);
			a->has_value = true;
		}
	}
	out->items = v.items;
	out->n = v.n;
	cedar_sort_annotations(out);
}

static CedarSType *sp_type(SP *p, int depth);

/* '{' AttrDecls? '}' (the '{' is current) */
static CedarSType *
sp_record(SP *p, int depth)
{
	CedarSType *t = palloc0(sizeof(CedarSType));
	Vec			v;

	t->kind = CEDAR_ST_RECORD;
	t->start = p->tok.start;
	sp_expect(p, CEDAR_TOK_LBRACE);
	vec_init(&v, sizeof(CedarSAttr));
	while (!sp_is(p, CEDAR_TOK_RBRACE))
	{
		CedarSAttr *a = vec_push(&v);

		sp_annotations(p, &a->annotations);
		if (sp_is(p, CEDAR_TOK_STRING))
			a->name = sp_string(p);
		else
		{
			char	   *n = sp_ident(p);

			a->name = cedarpol_make_string(n, strlen(n));
		}
		a->required = true;
		if (sp_is(p, CEDAR_TOK_QUESTION))
		{
			sp_advance(p);
			a->required = false;
		}
		sp_expect(p, CEDAR_TOK_COLON);
		a->type = sp_type(p, depth + 1);
		if (sp_is(p, CEDAR_TOK_COMMA))
			sp_advance(p);
		else if (!sp_is(p, CEDAR_TOK_RBRACE))
			sp_unexpected(p);
		CHECK_FOR_INTERRUPTS();
	}
	sp_advance(p);
	t->attrs = v.items;
	t->nattrs = v.n;
	cedar_sort_attrs(t->attrs, &t->nattrs);
	return t;
}

static CedarSType *
sp_type(SP *p, int depth)
{
	CedarSType *t;

	check_stack_depth();
	if (depth > CEDAR_SCHEMA_MAX_DEPTH)
		sp_error_at(p, &p->tok, "types are nested more than %d levels deep",
					CEDAR_SCHEMA_MAX_DEPTH);
	if (sp_is(p, CEDAR_TOK_LBRACE))
		return sp_record(p, depth);
	t = palloc0(sizeof(CedarSType));
	t->start = p->tok.start;
	if (sp_word(p, "Set") && sp_peek_kind(p) == CEDAR_TOK_LT)
	{
		sp_advance(p);
		sp_advance(p);
		t->kind = CEDAR_ST_SET;
		t->element = sp_type(p, depth + 1);
		sp_expect(p, CEDAR_TOK_GT);
		return t;
	}
	t->kind = CEDAR_ST_ENTITY_OR_COMMON;
	t->name = sp_path(p);
	return t;
}

/* EntTypes: Path | '[' Comma<Path> ']' */
static const char **
sp_ent_types(SP *p, int *n)
{
	Vec			v;

	vec_init(&v, sizeof(char *));
	if (sp_is(p, CEDAR_TOK_LBRACKET))
	{
		sp_advance(p);
		while (!sp_is(p, CEDAR_TOK_RBRACKET))
		{
			*(char **) vec_push(&v) = sp_path(p);
			if (sp_is(p, CEDAR_TOK_COMMA))
			{
				sp_advance(p);
				if (sp_is(p, CEDAR_TOK_RBRACKET))
					sp_unexpected(p);
			}
			else if (!sp_is(p, CEDAR_TOK_RBRACKET))
				sp_unexpected(p);
		}
		sp_advance(p);
	}
	else
		*(char **) vec_push(&v) = sp_path(p);
	*n = v.n;
	return v.items;
}

/* QualName: Path '::' STR | Name */
static void
sp_qual_name(SP *p, CedarSActionRef *ref)
{
	StringInfoData path;

	if (sp_is(p, CEDAR_TOK_STRING))
	{
		ref->id = sp_string(p);
		ref->type = NULL;
		return;
	}
	initStringInfo(&path);
	appendStringInfoString(&path, sp_ident(p));
	while (sp_is(p, CEDAR_TOK_COLON2))
	{
		sp_advance(p);
		if (sp_is(p, CEDAR_TOK_STRING))
		{
			ref->id = sp_string(p);
			ref->type = path.data;
			return;
		}
		appendStringInfoString(&path, "::");
		appendStringInfoString(&path, sp_ident(p));
	}
	if (strstr(path.data, "::") != NULL)
		sp_unexpected(p);
	ref->id = cedarpol_make_string(path.data, path.len);
	ref->type = NULL;
}

/* Declarations of one namespace while parsing */
typedef struct NsBuild
{
	const char *name;
	CedarSAnnotations annotations;
	Vec			commons;
	Vec			entities;
	Vec			actions;
	CedarToken	name_tok;
} NsBuild;

static void
check_unreserved(SP *p, const CedarToken *t, const char *name)
{
	if (strcmp(name, "__cedar") == 0)
		sp_error_at(p, t, "use of the reserved `__cedar` namespace");
}

static void
sp_entity(SP *p, NsBuild *ns, const CedarSAnnotations *annots)
{
	Vec			names;
	CedarSEntityType proto;

	memset(&proto, 0, sizeof(proto));
	proto.annotations = *annots;
	vec_init(&names, sizeof(char *));
	sp_advance(p);				/* entity */
	for (;;)
	{
		CedarToken t = p->tok;
		char	   *n = sp_ident(p);

		check_unreserved(p, &t, n);
		*(char **) vec_push(&names) = n;
		if (!sp_is(p, CEDAR_TOK_COMMA))
			break;
		sp_advance(p);
	}
	if (sp_word(p, "enum"))
	{
		Vec			choices;

		sp_advance(p);
		sp_expect(p, CEDAR_TOK_LBRACKET);
		vec_init(&choices, sizeof(CedarString));
		for (;;)
		{
			*(CedarString *) vec_push(&choices) = sp_string(p);
			if (!sp_is(p, CEDAR_TOK_COMMA))
				break;
			sp_advance(p);
		}
		sp_expect(p, CEDAR_TOK_RBRACKET);
		sp_expect(p, CEDAR_TOK_SEMI);
		proto.is_enum = true;
		proto.choices = choices.items;
		proto.nchoices = choices.n;
	}
	else
	{
		if (sp_word(p, "in"))
		{
			sp_advance(p);
			proto.parents = sp_ent_types(p, &proto.nparents);
		}
		if (sp_is(p, CEDAR_TOK_EQ))
		{
			sp_advance(p);
			if (!sp_is(p, CEDAR_TOK_LBRACE))
				sp_unexpected(p);
		}
		if (sp_is(p, CEDAR_TOK_LBRACE))
			proto.shape = sp_record(p, 0);
		if (sp_word(p, "tags"))
		{
			sp_advance(p);
			proto.tags = sp_type(p, 0);
		}
		sp_expect(p, CEDAR_TOK_SEMI);
		if (proto.shape == NULL)
		{
			proto.shape = palloc0(sizeof(CedarSType));
			proto.shape->kind = CEDAR_ST_RECORD;
		}
	}
	for (int i = 0; i < names.n; i++)
	{
		CedarSEntityType *e = vec_push(&ns->entities);

		*e = proto;
		e->name = ((char **) names.items)[i];
	}
}

static void
sp_action(SP *p, NsBuild *ns, const CedarSAnnotations *annots)
{
	Vec			names;
	CedarSAction proto;
	CedarToken	first;

	memset(&proto, 0, sizeof(proto));
	proto.annotations = *annots;
	vec_init(&names, sizeof(CedarString));
	sp_advance(p);				/* action */
	first = p->tok;
	for (;;)
	{
		if (sp_is(p, CEDAR_TOK_STRING))
			*(CedarString *) vec_push(&names) = sp_string(p);
		else
		{
			char	   *n = sp_ident(p);

			*(CedarString *) vec_push(&names) = cedarpol_make_string(n, strlen(n));
		}
		if (!sp_is(p, CEDAR_TOK_COMMA))
			break;
		sp_advance(p);
	}
	if (sp_word(p, "in"))
	{
		Vec			refs;

		sp_advance(p);
		vec_init(&refs, sizeof(CedarSActionRef));
		if (sp_is(p, CEDAR_TOK_LBRACKET))
		{
			sp_advance(p);
			for (;;)
			{
				sp_qual_name(p, vec_push(&refs));
				if (!sp_is(p, CEDAR_TOK_COMMA))
					break;
				sp_advance(p);
			}
			sp_expect(p, CEDAR_TOK_RBRACKET);
		}
		else
			sp_qual_name(p, vec_push(&refs));
		proto.has_member_of = true;
		proto.parents = refs.items;
		proto.nparents = refs.n;
	}
	proto.has_applies_to = true;
	if (sp_word(p, "appliesTo"))
	{
		bool		has_p = false,
					has_r = false,
					has_c = false;
		const char *aname = ((CedarString *) names.items)[0].data;

		sp_advance(p);
		sp_expect(p, CEDAR_TOK_LBRACE);
		for (;;)
		{
			CedarToken kw = p->tok;

			if (sp_word(p, "principal") || sp_word(p, "resource"))
			{
				bool		is_p = sp_word(p, "principal");
				const char **tys;
				int			n;

				if (is_p ? has_p : has_r)
					sp_error_at(p, &kw, "duplicate `%s` declaration in action `%s`",
								is_p ? "principal" : "resource", aname);
				sp_advance(p);
				sp_expect(p, CEDAR_TOK_COLON);
				tys = sp_ent_types(p, &n);
				if (n == 0)
					sp_error_at(p, &kw, "for action `%s`, `%s` is `[]`, which is invalid",
								aname, is_p ? "principal" : "resource");
				if (is_p)
				{
					has_p = true;
					proto.principals = tys;
					proto.nprincipals = n;
				}
				else
				{
					has_r = true;
					proto.resources = tys;
					proto.nresources = n;
				}
			}
			else if (sp_word(p, "context"))
			{
				if (has_c)
					sp_error_at(p, &kw, "duplicate `context` declaration in action `%s`", aname);
				sp_advance(p);
				sp_expect(p, CEDAR_TOK_COLON);
				if (sp_is(p, CEDAR_TOK_LBRACE))
					proto.context = sp_record(p, 0);
				else
				{
					proto.context = palloc0(sizeof(CedarSType));
					proto.context->kind = CEDAR_ST_COMMON;
					proto.context->start = p->tok.start;
					proto.context->name = sp_path(p);
				}
				has_c = true;
			}
			else
				sp_unexpected(p);
			if (sp_is(p, CEDAR_TOK_COMMA))
			{
				sp_advance(p);
				if (sp_is(p, CEDAR_TOK_RBRACE))
					break;
			}
			else
				break;
		}
		sp_expect(p, CEDAR_TOK_RBRACE);
		if (!has_p)
			sp_error_at(p, &first, "missing `principal` declaration for action `%s`", aname);
		if (!has_r)
			sp_error_at(p, &first, "missing `resource` declaration for action `%s`", aname);
	}
	if (sp_word(p, "attributes"))
	{
		sp_advance(p);
		sp_expect(p, CEDAR_TOK_LBRACE);
		sp_expect(p, CEDAR_TOK_RBRACE);
	}
	sp_expect(p, CEDAR_TOK_SEMI);
	for (int i = 0; i < names.n; i++)
	{
		CedarSAction *a = vec_push(&ns->actions);

		*a = proto;
		a->name = ((CedarString *) names.items)[i];
	}
}

static void
sp_type_decl(SP *p, NsBuild *ns, const CedarSAnnotations *annots)
{
	CedarSCommonType *c;
	CedarToken	t;
	char	   *name;

	sp_advance(p);				/* type */
	t = p->tok;
	name = sp_ident(p);
	check_unreserved(p, &t, name);
	if (cedar_is_reserved_type_name(name))
		sp_error_at(p, &t, "`%s` is a reserved schema keyword", name);
	sp_expect(p, CEDAR_TOK_EQ);
	c = vec_push(&ns->commons);
	c->name = name;
	c->annotations = *annots;
	c->type = sp_type(p, 0);
	sp_expect(p, CEDAR_TOK_SEMI);
}

/* One declaration (annotations already read); false if p is not at one */
static bool
sp_decl(SP *p, NsBuild *ns, const CedarSAnnotations *annots)
{
	if (sp_word(p, "entity"))
		sp_entity(p, ns, annots);
	else if (sp_word(p, "action"))
		sp_action(p, ns, annots);
	else if (sp_word(p, "type"))
		sp_type_decl(p, ns, annots);
	else
		return false;
	return true;
}

static int
cstr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int
cstring_cmp(const void *a, const void *b)
{
	const CedarString *x = a,
			   *y = b;

	return cedar_string_cmp(x->data, x->len, y->data, y->len);
}

/* Duplicate declarations within one namespace are errors */
static void
check_duplicates(SP *p, NsBuild *ns)
{
	const char *what[2] = {"entity type", "common type"};

	for (int k = 0; k < 2; k++)
	{
		int			n = k == 0 ? ns->entities.n : ns->commons.n;
		const char **names = palloc(sizeof(char *) * Max(n, 1));

		for (int i = 0; i < n; i++)
			names[i] = k == 0 ? ((CedarSEntityType *) ns->entities.items)[i].name :
				((CedarSCommonType *) ns->commons.items)[i].name;
		qsort(names, n, sizeof(char *), cstr_cmp);
		for (int i = 1; i < n; i++)
			if (strcmp(names[i - 1], names[i]) == 0)
				cedar_error(CEDAR_INPUT_SCHEMA, ERRCODE_INVALID_OBJECT_DEFINITION, NULL, NULL,
							"duplicate %s declaration `%s`", what[k], names[i]);
	}
	{
		int			n = ns->actions.n;
		CedarString *names = palloc(sizeof(CedarString) * Max(n, 1));

		for (int i = 0; i < n; i++)
			names[i] = ((CedarSAction *) ns->actions.items)[i].name;
		qsort(names, n, sizeof(CedarString), cstring_cmp);
		for (int i = 1; i < n; i++)
			if (cstring_cmp(&names[i - 1], &names[i]) == 0)
			{
				StringInfoData s;

				initStringInfo(&s);
				cedar_append_escape_debug(&s, names[i].data, names[i].len);
				cedar_error(CEDAR_INPUT_SCHEMA, ERRCODE_INVALID_OBJECT_DEFINITION, NULL, NULL,
							"duplicate action declaration `%s`", s.data);
			}
	}
}

static void
ns_finish(SP *p, NsBuild *b, CedarSNamespace *out)
{
	check_duplicates(p, b);
	out->name = b->name;
	out->annotations = b->annotations;
	out->commons = b->commons.items;
	out->ncommons = b->commons.n;
	out->entities = b->entities.items;
	out->nentities = b->entities.n;
	out->actions = b->actions.items;
	out->nactions = b->actions.n;
}

CedarSchemaFragment *
cedar_schema_fragment_from_text(const char *src, int len)
{
	SP			p;
	NsBuild		unqual;
	Vec			named;			/* NsBuild */
	cedar_names_hash *ns_names = cedar_names_create(CurrentMemoryContext, 16, NULL);
	CedarSchemaFragment *frag = palloc0(sizeof(CedarSchemaFragment));

	p.src = src;
	p.len = len;
	p.source.input = CEDAR_INPUT_SCHEMA;
	p.source.text = src;
	p.source.len = len;
	cedar_lex_init(&p.lex, src, len);
	sp_advance(&p);
	memset(&unqual, 0, sizeof(unqual));
	unqual.name = "";
	vec_init(&unqual.commons, sizeof(CedarSCommonType));
	vec_init(&unqual.entities, sizeof(CedarSEntityType));
	vec_init(&unqual.actions, sizeof(CedarSAction));
	vec_init(&named, sizeof(NsBuild));

	while (!sp_is(&p, CEDAR_TOK_EOF))
	{
		CedarSAnnotations annots;

		sp_annotations(&p, &annots);
		if (sp_word(&p, "namespace"))
		{
			NsBuild    *b;
			CedarToken	nt;

			sp_advance(&p);
			nt = p.tok;
			b = vec_push(&named);
			b->name = sp_path(&p);
			b->name_tok = nt;
			b->annotations = annots;
			vec_init(&b->commons, sizeof(CedarSCommonType));
			vec_init(&b->entities, sizeof(CedarSEntityType));
			vec_init(&b->actions, sizeof(CedarSAction));
			if (!cedar_is_valid_name(b->name, strlen(b->name), false))
				sp_error_at(&p, &nt, "use of the reserved `__cedar` namespace");
			if (!cedar_names_put(ns_names, b->name, strlen(b->name), (void *) b->name))
				sp_error_at(&p, &nt, "duplicate namespace id: `%s`", b->name);
			sp_expect(&p, CEDAR_TOK_LBRACE);
			while (!sp_is(&p, CEDAR_TOK_RBRACE))
			{
				CedarSAnnotations da;

				sp_annotations(&p, &da);
				if (!sp_decl(&p, b, &da))
					sp_unexpected(&p);
				CHECK_FOR_INTERRUPTS();
			}
			sp_advance(&p);
		}
		else if (!sp_decl(&p, &unqual, &annots))
			sp_unexpected(&p);
		CHECK_FOR_INTERRUPTS();
	}

	frag->namespaces = palloc0(sizeof(CedarSNamespace) * (named.n + 1));
	if (unqual.commons.n + unqual.entities.n + unqual.actions.n > 0)
		ns_finish(&p, &unqual, &frag->namespaces[frag->nnamespaces++]);
	for (int i = 0; i < named.n; i++)
		ns_finish(&p, &((NsBuild *) named.items)[i], &frag->namespaces[frag->nnamespaces++]);
	cedar_fragment_sort(frag);
	return frag;
}
