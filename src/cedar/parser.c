/*-------------------------------------------------------------------------
 *
 * parser.c
 *	  Recursive-descent parser: Cedar text of one static policy -> AST.
 *
 *	  One function per production of the reference grammar
 *	  (cedar-policy-core grammar.lalrpop), with the checks the reference
 *	  applies when it converts its parse tree to an AST (cst_to_ast.rs)
 *	  folded in, so that exactly the texts the reference accepts are
 *	  accepted.  Like the reference, primaries that are not yet expressions
 *	  (a variable, a bare name, a string or boolean literal) travel upward as
 *	  "specials" until an operator needs an expression: that is what makes
 *	  `x has a.b`, `x like "p"`, `x is NS::T`, record keys and `["attr"]`
 *	  work while `foo`, `NS::T.x` or `("p")` in those places are errors.
 *
 *	  Errors are raised with SQLSTATE 42601 (22P05 for a string holding
 *	  U+0000) and an errdetail giving line, column and the offending token
 *	  (error.c).  The caller owns the memory context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "cedar/cedar.h"
#include "cedar/error.h"
#include "cedar/lexer.h"
#include "cedar/names.h"
#include "cedar/parser.h"

typedef struct Parser
{
	CedarLexer	lex;
	CedarToken	tok;			/* the current (lookahead) token */
	const char *src;
	int			len;
	CedarSource source;			/* src and len, for errors */
	int			depth;			/* expression nesting */
} Parser;

/* What a parse function returns: an expression or a not-yet-expression */
typedef enum SpecialKind
{
	SP_EXPR,
	SP_VAR,						/* principal, action, resource, context */
	SP_NAME,					/* foo, NS::Foo (an error unless used as a name) */
	SP_STR,						/* a bare string literal, still escaped */
	SP_BOOL						/* true, false */
} SpecialKind;

typedef struct PExpr
{
	SpecialKind sk;
	CedarExpr  *e;				/* SP_EXPR */
	CedarVar	var;			/* SP_VAR */
	CedarString name;			/* SP_NAME: segments joined by "::" */
	int			nsegs;
	const char *raw;			/* SP_STR: body between the quotes */
	int			rawlen;
	bool		b;				/* SP_BOOL */
	int			start;
	int			end;
	/* scope constraints: a bare entity uid (maybe in parentheses) ... */
	bool		plain_ref;
	/* ... or a set literal of those */
	bool		plain_ref_list;
} PExpr;

static PExpr parse_expr(Parser *p);
static PExpr parse_add(Parser *p);

/* A syntax error about src[start..end) (error.c) */
#define perr(p, start, end, hint, ...) \
	cedar_error_at_text(&(p)->source, ERRCODE_SYNTAX_ERROR, start, end, hint, __VA_ARGS__)

/* Raises an error about the current token. */
pg_attribute_noreturn()
static void
unexpected(Parser *p, const char *expected)
{
	if (p->tok.kind == CEDAR_TOK_EOF)
		perr(p, p->tok.start, p->tok.end, NULL,
			 "unexpected end of input, expected %s", expected);
	perr(p, p->tok.start, p->tok.end, NULL,
		 "unexpected %s, expected %s",
		 cedar_token_kind_name(p->tok.kind), expected);
}

static void
advance(Parser *p)
{
	cedar_lex_next(&p->lex, &p->tok);
	if (p->tok.kind == CEDAR_TOK_ERROR && p->tok.nul)
		cedar_error_nul_at_text(&p->source, p->tok.start, p->tok.end);
	if (p->tok.kind == CEDAR_TOK_ERROR)
		perr(p, p->tok.start, p->tok.end, NULL, "%s", p->tok.errmsg);
}

static inline bool
is_word(Parser *p, const char *word)
{
	return cedar_token_is(&p->lex, &p->tok, word);
}

static void
expect(Parser *p, CedarTokenKind kind, const char *expected)
{
	if (p->tok.kind != kind)
		unexpected(p, expected);
	advance(p);
}

/* The kind of the token after the current one */
static CedarTokenKind
peek_kind(Parser *p)
{
	CedarToken	t;

	cedar_lex_peek(&p->lex, &t);
	return t.kind;
}

static CedarString
token_string(Parser *p, const CedarToken *t)
{
	return cedarpol_make_string(p->src + t->start, t->end - t->start);
}

/* Raises the error of a string body raw that failed to unescape */
pg_attribute_noreturn()
static void
unescape_error(Parser *p, const char *raw, const CedarUnescapeError *err)
{
	int			off = (int) (raw - p->src) + err->offset;

	if (err->nul)
		cedar_error_nul_at_text(&p->source, off, off + err->length);
	perr(p, off, off + err->length, NULL, "%s", err->errmsg);
}

/* Unescapes a string token (or SP_STR body) */
static CedarString
unescape(Parser *p, const char *raw, int rawlen, int start, int end)
{
	CedarString out;
	CedarUnescapeError err;

	if (!cedar_unescape(raw, rawlen, &out, &err))
		unescape_error(p, raw, &err);
	return out;
}

static bool
var_from_word(const char *s, int len, CedarVar *var)
{
	if (len == 9 && memcmp(s, "principal", 9) == 0)
		*var = CEDAR_VAR_PRINCIPAL;
	else if (len == 6 && memcmp(s, "action", 6) == 0)
		*var = CEDAR_VAR_ACTION;
	else if (len == 8 && memcmp(s, "resource", 8) == 0)
		*var = CEDAR_VAR_RESOURCE;
	else if (len == 7 && memcmp(s, "context", 7) == 0)
		*var = CEDAR_VAR_CONTEXT;
	else
		return false;
	return true;
}

/* A variable's name as a string (a record key, an entity type) */
static CedarString
var_string(CedarVar var)
{
	const char *name = cedarpol_var_name(var);

	return cedarpol_make_string(name, strlen(name));
}

static PExpr
make_pexpr(CedarExpr *e)
{
	PExpr		r;

	memset(&r, 0, sizeof(r));
	r.sk = SP_EXPR;
	r.e = e;
	r.start = e->start;
	r.end = e->end;
	return r;
}

/* Turns a special into an expression (the reference's into_expr). */
static CedarExpr *
to_expr(Parser *p, PExpr *x)
{
	CedarExpr  *e;

	switch (x->sk)
	{
		case SP_EXPR:
			return x->e;
		case SP_VAR:
			e = cedarpol_new_expr(CEDAR_EXPR_VAR, x->start, x->end);
			e->u.var = x->var;
			break;
		case SP_NAME:
			perr(p, x->start, x->end,
				 "Only principal, action, resource and context are variables; entity references are written Type::\"id\".",
				 "\"%s\" is not a variable", x->name.data);
		case SP_STR:
			e = cedarpol_new_expr(CEDAR_EXPR_STRING, x->start, x->end);
			e->u.str = unescape(p, x->raw, x->rawlen, x->start, x->end);
			break;
		case SP_BOOL:
			e = cedarpol_new_expr(CEDAR_EXPR_BOOL, x->start, x->end);
			e->u.b = x->b;
			break;
		default:
			elog(ERROR, "unexpected special kind %d", (int) x->sk);
	}
	x->sk = SP_EXPR;
	x->e = e;
	return e;
}

static CedarExpr *
binary(CedarExprKind kind, CedarExpr *a, CedarExpr *b)
{
	CedarExpr  *e = cedarpol_new_expr(kind, a->start, b->end);

	e->u.op.a = a;
	e->u.op.b = b;
	return e;
}

static void
enter(Parser *p)
{
	check_stack_depth();
	if (++p->depth > CEDAR_MAX_NESTING)
		perr(p, p->tok.start, p->tok.end, NULL,
			 "expressions nested more than %d levels deep", CEDAR_MAX_NESTING);
}

/* Comma<Expr> up to the closing token; trailing comma allowed */
static CedarExpr **
parse_expr_list(Parser *p, CedarTokenKind close, const char *what, int *n,
				bool *all_plain_refs)
{
	int			cap = 4;
	CedarExpr **items = palloc(cap * sizeof(CedarExpr *));

	*n = 0;
	if (all_plain_refs)
		*all_plain_refs = true;
	while (p->tok.kind != close)
	{
		PExpr		x = parse_expr(p);

		if (all_plain_refs && !x.plain_ref)
			*all_plain_refs = false;
		if (*n >= cap)
		{
			cap *= 2;
			items = repalloc(items, mul_size(cap, sizeof(CedarExpr *)));
		}
		items[(*n)++] = to_expr(p, &x);
		if (p->tok.kind == CEDAR_TOK_COMMA)
			advance(p);
		else if (p->tok.kind != close)
			unexpected(p, what);
	}
	advance(p);
	return items;
}

/* Method call receiver.name(args) (the reference's to_meth) */
static CedarExpr *
make_method(Parser *p, CedarExpr *recv, CedarString name, CedarExpr **args,
			int nargs, int start, int end)
{
	static const struct
	{
		const char *name;
		CedarExprKind kind;
		int			nargs;
	}			builtins[] = {
		{"contains", CEDAR_EXPR_CONTAINS, 1},
		{"containsAll", CEDAR_EXPR_CONTAINS_ALL, 1},
		{"containsAny", CEDAR_EXPR_CONTAINS_ANY, 1},
		{"isEmpty", CEDAR_EXPR_IS_EMPTY, 0},
		{"getTag", CEDAR_EXPR_GET_TAG, 1},
		{"hasTag", CEDAR_EXPR_HAS_TAG, 1},
	};
	CedarExpr  *e;
	CedarExtStyle style;

	for (int i = 0; i < lengthof(builtins); i++)
	{
		if (strcmp(builtins[i].name, name.data) != 0)
			continue;
		if (nargs != builtins[i].nargs)
			perr(p, start, end, NULL,
				 "method \"%s\" takes %d argument%s, but %d were given",
				 name.data, builtins[i].nargs,
				 builtins[i].nargs == 1 ? "" : "s", nargs);
		e = cedarpol_new_expr(builtins[i].kind, recv->start, end);
		e->u.op.a = recv;
		e->u.op.b = nargs ? args[0] : NULL;
		return e;
	}
	style = cedar_ext_style(name.data, name.len);
	if (style == CEDAR_EXT_FUNCTION)
		perr(p, start, end, NULL,
			 "\"%s\" is a function, not a method", name.data);
	if (style != CEDAR_EXT_METHOD)
		perr(p, start, end, NULL, "unknown method \"%s\"", name.data);
	e = cedarpol_new_expr(CEDAR_EXPR_EXT_CALL, recv->start, end);
	e->u.call.name = name;
	e->u.call.method = true;
	e->u.call.nargs = nargs + 1;
	e->u.call.args = palloc(mul_size(nargs + 1, sizeof(CedarExpr *)));
	e->u.call.args[0] = recv;
	for (int i = 0; i < nargs; i++)
		e->u.call.args[i + 1] = args[i];
	return e;
}

/* Function call name(args) (the reference's into_func) */
static CedarExpr *
make_function(Parser *p, PExpr *head, CedarExpr **args, int nargs, int end)
{
	CedarExtStyle style = cedar_ext_style(head->name.data, head->name.len);
	CedarExpr  *e;

	if (head->nsegs == 1 &&
		(style == CEDAR_EXT_METHOD ||
		 strcmp(head->name.data, "contains") == 0 ||
		 strcmp(head->name.data, "containsAll") == 0 ||
		 strcmp(head->name.data, "containsAny") == 0 ||
		 strcmp(head->name.data, "isEmpty") == 0 ||
		 strcmp(head->name.data, "getTag") == 0 ||
		 strcmp(head->name.data, "hasTag") == 0))
		perr(p, head->start, end, NULL,
			 "\"%s\" is a method, not a function", head->name.data);
	if (style != CEDAR_EXT_FUNCTION)
		perr(p, head->start, end,
			 "The functions are ip, decimal, datetime and duration.",
			 "unknown function \"%s\"", head->name.data);
	e = cedarpol_new_expr(CEDAR_EXPR_EXT_CALL, head->start, end);
	e->u.call.name = head->name;
	e->u.call.method = false;
	e->u.call.args = args;
	e->u.call.nargs = nargs;
	return e;
}

/* Reads `.ident` after the dot: an identifier that is not reserved. */
static CedarString
parse_field_name(Parser *p)
{
	CedarString s;

	if (p->tok.kind != CEDAR_TOK_IDENT)
		unexpected(p, "an attribute or method name");
	s = token_string(p, &p->tok);
	if (cedarpol_is_reserved(s.data, s.len))
		perr(p, p->tok.start, p->tok.end,
			 "Write reserved words used as attribute names as [\"name\"].",
			 "reserved identifier \"%s\" cannot be used here", s.data);
	advance(p);
	return s;
}

/* `[ Expr ]` after the bracket: the expression must be a string literal */
static CedarString
parse_index(Parser *p)
{
	PExpr		x = parse_expr(p);
	CedarString s;

	if (x.sk != SP_STR)
		perr(p, x.start, x.end, NULL,
			 "attribute index must be a string literal");
	s = unescape(p, x.raw, x.rawlen, x.start, x.end);
	expect(p, CEDAR_TOK_RBRACKET, "\"]\"");
	return s;
}

static CedarExpr *
get_attr(CedarExpr *a, CedarString attr, int end)
{
	CedarExpr  *e = cedarpol_new_expr(CEDAR_EXPR_GET_ATTR, a->start, end);

	e->u.attr.a = a;
	e->u.attr.attr = attr;
	return e;
}

/*
 * Member := Primary { '.' Ident | '(' Args ')' | '[' Expr ']' }
 */
static PExpr parse_primary(Parser *p);

static PExpr
parse_member(Parser *p)
{
	PExpr		head = parse_primary(p);
	CedarExpr  *e;
	bool		first = true;

	while (p->tok.kind == CEDAR_TOK_DOT || p->tok.kind == CEDAR_TOK_LPAREN ||
		   p->tok.kind == CEDAR_TOK_LBRACKET)
	{
		int			acc_start = p->tok.start;

		if (first && head.sk == SP_NAME)
		{
			/* only a function call may follow a bare name */
			if (p->tok.kind == CEDAR_TOK_LPAREN)
			{
				CedarExpr **args;
				int			nargs;

				advance(p);
				args = parse_expr_list(p, CEDAR_TOK_RPAREN, "\",\" or \")\"", &nargs, NULL);
				e = make_function(p, &head, args, nargs, p->lex.pos);
				head = make_pexpr(e);
				first = false;
				continue;
			}
			perr(p, head.start, p->tok.end,
				 "Entity references are written Type::\"id\".",
				 "\"%s\" has no attributes or methods", head.name.data);
		}
		if (first && head.sk == SP_VAR && p->tok.kind == CEDAR_TOK_LPAREN)
			perr(p, head.start, p->tok.end, NULL,
				 "variable \"%s\" cannot be called as a function",
				 cedarpol_var_name(head.var));
		first = false;
		e = to_expr(p, &head);

		if (p->tok.kind == CEDAR_TOK_LPAREN)
			perr(p, p->tok.start, p->tok.end, NULL,
				 "an expression cannot be called as a function");
		if (p->tok.kind == CEDAR_TOK_LBRACKET)
		{
			CedarString attr;

			advance(p);
			enter(p);
			attr = parse_index(p);
			p->depth--;
			e = get_attr(e, attr, p->tok.start);
		}
		else
		{
			CedarString name;

			advance(p);
			name = parse_field_name(p);
			if (p->tok.kind == CEDAR_TOK_LPAREN)
			{
				CedarExpr **args;
				int			nargs;

				advance(p);
				enter(p);
				args = parse_expr_list(p, CEDAR_TOK_RPAREN, "\",\" or \")\"", &nargs, NULL);
				p->depth--;
				e = make_method(p, e, name, args, nargs, acc_start, p->lex.pos);
			}
			else
				e = get_attr(e, name, p->tok.start);
		}
		e->end = p->tok.start;
		head = make_pexpr(e);
	}
	return head;
}

static int
cmp_record_keys(const void *a, const void *b)
{
	const CedarString *x = *(const CedarString *const *) a;
	const CedarString *y = *(const CedarString *const *) b;
	int			c = memcmp(x->data, y->data, Min(x->len, y->len));

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* '{' [RecInit {',' RecInit} [',']] '}' after the brace */
static CedarExpr *
parse_record(Parser *p, int start)
{
	int			cap = 4;
	int			n = 0;
	CedarString *keys = palloc(cap * sizeof(CedarString));
	CedarExpr **values = palloc(cap * sizeof(CedarExpr *));
	CedarString **order;
	CedarExpr  *e;

	while (p->tok.kind != CEDAR_TOK_RBRACE)
	{
		PExpr		k;
		CedarString key;
		PExpr		v;

		if (is_word(p, "if") && peek_kind(p) == CEDAR_TOK_COLON)
			perr(p, p->tok.start, p->tok.end,
				 "Write reserved words used as record keys as strings.",
				 "reserved identifier \"if\" cannot be used here");
		k = parse_expr(p);
		switch (k.sk)
		{
			case SP_VAR:
				key = var_string(k.var);
				break;
			case SP_NAME:
				if (k.nsegs != 1)
					perr(p, k.start, k.end, NULL,
						 "a record key cannot be a path: \"%s\"", k.name.data);
				key = k.name;
				break;
			case SP_STR:
				key = unescape(p, k.raw, k.rawlen, k.start, k.end);
				break;
			case SP_BOOL:
				perr(p, k.start, k.end,
					 "Write reserved words used as record keys as strings.",
					 "reserved identifier \"%s\" cannot be used here",
					 k.b ? "true" : "false");
			default:
				perr(p, k.start, k.end, NULL,
					 "a record key must be an identifier or a string literal");
		}
		expect(p, CEDAR_TOK_COLON, "\":\"");
		v = parse_expr(p);
		if (n >= cap)
		{
			cap *= 2;
			keys = repalloc(keys, mul_size(cap, sizeof(CedarString)));
			values = repalloc(values, mul_size(cap, sizeof(CedarExpr *)));
		}
		keys[n] = key;
		values[n] = to_expr(p, &v);
		n++;
		if (p->tok.kind == CEDAR_TOK_COMMA)
			advance(p);
		else if (p->tok.kind != CEDAR_TOK_RBRACE)
			unexpected(p, "\",\" or \"}\"");
	}
	advance(p);

	/* sort by key (the reference keeps records in a BTreeMap) */
	order = palloc(mul_size(Max(n, 1), sizeof(CedarString *)));
	for (int i = 0; i < n; i++)
		order[i] = &keys[i];
	qsort(order, n, sizeof(CedarString *), cmp_record_keys);
	e = cedarpol_new_expr(CEDAR_EXPR_RECORD, start, p->lex.pos);
	e->u.record.nitems = n;
	e->u.record.keys = palloc(mul_size(Max(n, 1), sizeof(CedarString)));
	e->u.record.values = palloc(mul_size(Max(n, 1), sizeof(CedarExpr *)));
	for (int i = 0; i < n; i++)
	{
		int			idx = (int) (order[i] - keys);

		if (i > 0 && cmp_record_keys(&order[i - 1], &order[i]) == 0)
			perr(p, start, p->lex.pos, NULL,
				 "duplicate key \"%s\" in record literal", order[i]->data);
		e->u.record.keys[i] = keys[idx];
		e->u.record.values[i] = values[idx];
	}
	return e;
}

static uint64
parse_int_token(Parser *p)
{
	uint64		v;

	if (!cedar_parse_uint64(p->src + p->tok.start, p->tok.end - p->tok.start, &v))
		perr(p, p->tok.start, p->tok.end, NULL,
			 "integer literal is out of range");
	return v;
}

/*
 * Primary := Literal | Ref | Name | Slot | '(' Expr ')' | '[' [Exprs] ']'
 *			| '{' [RecInits] '}'
 */
static PExpr
parse_primary(Parser *p)
{
	PExpr		r;
	CedarExpr  *e;
	int			start = p->tok.start;

	memset(&r, 0, sizeof(r));
	switch (p->tok.kind)
	{
		case CEDAR_TOK_INT:
			{
				uint64		v = parse_int_token(p);

				if (v > (uint64) PG_INT64_MAX)
					perr(p, p->tok.start, p->tok.end, NULL,
						 "integer literal is out of range");
				e = cedarpol_new_expr(CEDAR_EXPR_LONG, p->tok.start, p->tok.end);
				e->u.l = (int64) v;
				advance(p);
				return make_pexpr(e);
			}
		case CEDAR_TOK_STRING:
			r.sk = SP_STR;
			r.raw = p->src + p->tok.start + 1;
			r.rawlen = p->tok.end - p->tok.start - 2;
			r.start = p->tok.start;
			r.end = p->tok.end;
			advance(p);
			return r;
		case CEDAR_TOK_SLOT:
			perr(p, p->tok.start, p->tok.end,
				 "Policy versions hold static policies only.",
				 "template slots are not allowed in a static policy");
		case CEDAR_TOK_LPAREN:
			{
				PExpr		inner;

				advance(p);
				enter(p);
				inner = parse_expr(p);
				e = to_expr(p, &inner);
				p->depth--;
				expect(p, CEDAR_TOK_RPAREN, "\")\"");
				r = make_pexpr(e);
				r.plain_ref = inner.plain_ref;
				r.plain_ref_list = inner.plain_ref_list;
				r.start = start;
				r.end = p->lex.pos;
				return r;
			}
		case CEDAR_TOK_LBRACKET:
			{
				bool		all_refs;

				advance(p);
				enter(p);
				e = cedarpol_new_expr(CEDAR_EXPR_SET, start, 0);
				e->u.list.items = parse_expr_list(p, CEDAR_TOK_RBRACKET, "\",\" or \"]\"",
												  &e->u.list.nitems, &all_refs);
				p->depth--;
				e->end = p->lex.pos;
				r = make_pexpr(e);
				r.plain_ref_list = all_refs;
				return r;
			}
		case CEDAR_TOK_LBRACE:
			advance(p);
			enter(p);
			e = parse_record(p, start);
			p->depth--;
			return make_pexpr(e);
		case CEDAR_TOK_IDENT:
			break;
		default:
			unexpected(p, "an expression");
	}

	/* an identifier: boolean literal, variable, name or entity reference */
	if (is_word(p, "true") || is_word(p, "false"))
	{
		r.sk = SP_BOOL;
		r.b = is_word(p, "true");
		r.start = p->tok.start;
		r.end = p->tok.end;
		advance(p);
		if (p->tok.kind == CEDAR_TOK_COLON2)
			perr(p, r.start, r.end,
				 NULL, "reserved identifier \"%s\" cannot be used here",
				 r.b ? "true" : "false");
		return r;
	}
	else
	{
		StringInfoData path;
		int			nsegs = 0;

		initStringInfo(&path);
		for (;;)
		{
			int			n = p->tok.end - p->tok.start;
			const char *s = p->src + p->tok.start;

			if (cedarpol_is_reserved(s, n))
				perr(p, p->tok.start, p->tok.end, NULL,
					 "reserved identifier \"%.*s\" cannot be used here", n, s);
			if (nsegs > 0)
				appendBinaryStringInfo(&path, "::", 2);
			appendBinaryStringInfo(&path, s, n);
			nsegs++;
			advance(p);
			if (p->tok.kind != CEDAR_TOK_COLON2)
				break;
			advance(p);
			if (p->tok.kind == CEDAR_TOK_STRING)
			{
				/* an entity reference Type::"id" */
				e = cedarpol_new_expr(CEDAR_EXPR_ENTITY, start, p->tok.end);
				e->u.uid.type.data = path.data;
				e->u.uid.type.len = path.len;
				e->u.uid.id = unescape(p, p->src + p->tok.start + 1,
									   p->tok.end - p->tok.start - 2,
									   p->tok.start, p->tok.end);
				e->u.uid.start = start;
				e->u.uid.end = p->tok.end;
				advance(p);
				r = make_pexpr(e);
				r.plain_ref = true;
				return r;
			}
			if (p->tok.kind == CEDAR_TOK_LBRACE)
				perr(p, start, p->tok.end, NULL,
					 "entity literals with record syntax are not supported");
			if (p->tok.kind != CEDAR_TOK_IDENT)
				unexpected(p, "an identifier or a string literal");
		}
		r.start = start;
		r.end = p->tok.start;
		if (nsegs == 1 && var_from_word(path.data, path.len, &r.var))
		{
			r.sk = SP_VAR;
			return r;
		}
		r.sk = SP_NAME;
		r.name.data = path.data;
		r.name.len = path.len;
		r.nsegs = nsegs;
		return r;
	}
}

/* Unary := ['!'{1,4} | '-'{1,4}] Member */
static PExpr
parse_unary(Parser *p)
{
	int			start = p->tok.start;
	CedarTokenKind op = p->tok.kind;
	int			n = 0;
	PExpr		m;
	CedarExpr  *e;

	if (op != CEDAR_TOK_BANG && op != CEDAR_TOK_MINUS)
		return parse_member(p);
	while (p->tok.kind == op)
	{
		n++;
		advance(p);
	}
	if (n > 4)
		perr(p, start, p->tok.start, NULL,
			 "too many occurrences of \"%s\" in a row",
			 op == CEDAR_TOK_BANG ? "!" : "-");

	if (op == CEDAR_TOK_MINUS && p->tok.kind == CEDAR_TOK_INT)
	{
		CedarTokenKind next = peek_kind(p);

		if (next != CEDAR_TOK_DOT && next != CEDAR_TOK_LBRACKET &&
			next != CEDAR_TOK_LPAREN)
		{
			/* a negative literal: fold one minus into it */
			uint64		v = parse_int_token(p);

			if (v > (uint64) PG_INT64_MAX + 1)
				perr(p, start, p->tok.end, NULL,
					 "integer literal is out of range");
			e = cedarpol_new_expr(CEDAR_EXPR_LONG, p->tok.start - 1, p->tok.end);
			e->u.l = (v == (uint64) PG_INT64_MAX + 1) ? PG_INT64_MIN : -(int64) v;
			advance(p);
			n--;
			goto wrap;
		}
	}
	m = parse_member(p);
	e = to_expr(p, &m);

wrap:
	for (int i = 0; i < n; i++)
	{
		CedarExpr  *w = cedarpol_new_expr(op == CEDAR_TOK_BANG ? CEDAR_EXPR_NOT : CEDAR_EXPR_NEG,
									   start, e->end);

		w->u.op.a = e;
		e = w;
	}
	return make_pexpr(e);
}

/* Mult := Unary {'*' Unary} */
static PExpr
parse_mult(Parser *p)
{
	PExpr		first = parse_unary(p);
	CedarExpr  *e;

	if (p->tok.kind != CEDAR_TOK_STAR && p->tok.kind != CEDAR_TOK_SLASH &&
		p->tok.kind != CEDAR_TOK_PERCENT)
		return first;
	e = to_expr(p, &first);
	while (p->tok.kind == CEDAR_TOK_STAR || p->tok.kind == CEDAR_TOK_SLASH ||
		   p->tok.kind == CEDAR_TOK_PERCENT)
	{
		PExpr		rhs;

		if (p->tok.kind != CEDAR_TOK_STAR)
			perr(p, p->tok.start, p->tok.end, NULL, "%s is not supported",
				 p->tok.kind == CEDAR_TOK_SLASH ? "division" : "remainder");
		advance(p);
		enter(p);
		rhs = parse_unary(p);
		p->depth--;
		e = binary(CEDAR_EXPR_MUL, e, to_expr(p, &rhs));
	}
	return make_pexpr(e);
}

/* Add := Mult {('+' | '-') Mult} */
static PExpr
parse_add(Parser *p)
{
	PExpr		first = parse_mult(p);
	CedarExpr  *e;

	if (p->tok.kind != CEDAR_TOK_PLUS && p->tok.kind != CEDAR_TOK_MINUS)
		return first;
	e = to_expr(p, &first);
	while (p->tok.kind == CEDAR_TOK_PLUS || p->tok.kind == CEDAR_TOK_MINUS)
	{
		CedarExprKind kind = p->tok.kind == CEDAR_TOK_PLUS ? CEDAR_EXPR_ADD : CEDAR_EXPR_SUB;
		PExpr		rhs;

		advance(p);
		enter(p);
		rhs = parse_mult(p);
		p->depth--;
		e = binary(kind, e, to_expr(p, &rhs));
	}
	return make_pexpr(e);
}

/* The attribute path after `has`: "str" | ident {'.' ident} */
static CedarString *
parse_has_rhs(Parser *p, int *npath)
{
	int			cap = 4;
	CedarString *path = palloc(cap * sizeof(CedarString));
	int			start = p->tok.start;

	*npath = 0;
	if (p->tok.kind == CEDAR_TOK_STRING)
	{
		path[0] = unescape(p, p->src + p->tok.start + 1,
						   p->tok.end - p->tok.start - 2, p->tok.start, p->tok.end);
		*npath = 1;
		advance(p);
	}
	else if (p->tok.kind == CEDAR_TOK_IDENT)
	{
		CedarString s = token_string(p, &p->tok);

		if (cedarpol_is_reserved(s.data, s.len))
			perr(p, p->tok.start, p->tok.end,
				 "Write reserved words used as attribute names as strings: has \"name\".",
				 "reserved identifier \"%s\" cannot be used here", s.data);
		path[(*npath)++] = s;
		advance(p);
		if (p->tok.kind == CEDAR_TOK_COLON2)
			perr(p, start, p->tok.end, NULL,
				 "the attribute after \"has\" cannot be a path");
		while (p->tok.kind == CEDAR_TOK_DOT)
		{
			advance(p);
			s = parse_field_name(p);
			if (*npath >= cap)
			{
				cap *= 2;
				path = repalloc(path, mul_size(cap, sizeof(CedarString)));
			}
			path[(*npath)++] = s;
			CHECK_FOR_INTERRUPTS();
		}
	}
	else
		perr(p, start, p->tok.end, NULL,
			 "expected an attribute name or string after \"has\"");

	switch (p->tok.kind)
	{
		case CEDAR_TOK_DOT:
		case CEDAR_TOK_LPAREN:
		case CEDAR_TOK_LBRACKET:
		case CEDAR_TOK_PLUS:
		case CEDAR_TOK_MINUS:
		case CEDAR_TOK_STAR:
		case CEDAR_TOK_SLASH:
		case CEDAR_TOK_PERCENT:
			perr(p, start, p->tok.end, NULL,
				 "invalid attribute after \"has\"");
		default:
			break;
	}
	return path;
}

static bool
rel_op(Parser *p, CedarExprKind *kind)
{
	switch (p->tok.kind)
	{
		case CEDAR_TOK_EQEQ:
			*kind = CEDAR_EXPR_EQ;
			return true;
		case CEDAR_TOK_NE:
			*kind = CEDAR_EXPR_NE;
			return true;
		case CEDAR_TOK_LT:
			*kind = CEDAR_EXPR_LT;
			return true;
		case CEDAR_TOK_LE:
			*kind = CEDAR_EXPR_LE;
			return true;
		case CEDAR_TOK_GT:
			*kind = CEDAR_EXPR_GT;
			return true;
		case CEDAR_TOK_GE:
			*kind = CEDAR_EXPR_GE;
			return true;
		case CEDAR_TOK_EQ:
			perr(p, p->tok.start, p->tok.end, "Use \"==\" for equality.",
				 "\"=\" is not an operator");
		case CEDAR_TOK_IDENT:
			if (is_word(p, "in"))
			{
				*kind = CEDAR_EXPR_IN;
				return true;
			}
			return false;
		default:
			return false;
	}
}

/* An entity type after `is`: a variable word or a name */
static CedarString
entity_type_of(Parser *p, PExpr *x)
{
	if (x->sk == SP_VAR)
		return var_string(x->var);
	if (x->sk != SP_NAME)
		perr(p, x->start, x->end, NULL,
			 "the right-hand side of \"is\" must be an entity type name");
	return x->name;
}

/*
 * Relation := Add {RelOp Add} | Add 'has' Attrs | Add 'like' Str
 *			 | Add 'is' Name ['in' Add]
 */
static PExpr
parse_relation(Parser *p)
{
	PExpr		first = parse_add(p);
	CedarExprKind kind;
	CedarExpr  *e;
	int			start = first.start;

	if (rel_op(p, &kind))
	{
		PExpr		rhs;
		CedarExpr  *left = to_expr(p, &first);

		advance(p);
		enter(p);
		rhs = parse_add(p);
		p->depth--;
		e = binary(kind, left, to_expr(p, &rhs));
		if (rel_op(p, &kind))
			perr(p, start, p->tok.end,
				 "Add parentheses to say which comparison comes first.",
				 "comparison operators cannot be chained");
		return make_pexpr(e);
	}
	if (is_word(p, "has"))
	{
		CedarExpr  *left = to_expr(p, &first);

		advance(p);
		e = cedarpol_new_expr(CEDAR_EXPR_HAS, start, 0);
		e->u.has.a = left;
		e->u.has.path = parse_has_rhs(p, &e->u.has.npath);
		e->end = p->tok.start;
		return make_pexpr(e);
	}
	if (is_word(p, "like"))
	{
		CedarExpr  *left = to_expr(p, &first);
		PExpr		pat;
		CedarUnescapeError err;

		advance(p);
		enter(p);
		pat = parse_add(p);
		p->depth--;
		if (pat.sk != SP_STR)
			perr(p, pat.start, pat.end, NULL,
				 "the pattern after \"like\" must be a string literal");
		e = cedarpol_new_expr(CEDAR_EXPR_LIKE, start, pat.end);
		e->u.like.a = left;
		if (!cedar_unescape_pattern(pat.raw, pat.rawlen, &e->u.like.elems,
									&e->u.like.nelems, &err))
			unescape_error(p, pat.raw, &err);
		return make_pexpr(e);
	}
	if (is_word(p, "is"))
	{
		CedarExpr  *left = to_expr(p, &first);
		PExpr		t;

		advance(p);
		enter(p);
		t = parse_add(p);
		e = cedarpol_new_expr(CEDAR_EXPR_IS, start, t.end);
		e->u.is.a = left;
		e->u.is.entity_type = entity_type_of(p, &t);
		if (is_word(p, "in"))
		{
			PExpr		in;

			advance(p);
			in = parse_add(p);
			e->u.is.in = to_expr(p, &in);
			e->end = in.end;
		}
		p->depth--;
		return make_pexpr(e);
	}
	return first;
}

/* And := Relation {'&&' Relation};  Or := And {'||' And} */
static PExpr
parse_and(Parser *p)
{
	PExpr		first = parse_relation(p);
	CedarExpr  *e;

	if (p->tok.kind != CEDAR_TOK_ANDAND)
		return first;
	e = to_expr(p, &first);
	while (p->tok.kind == CEDAR_TOK_ANDAND)
	{
		PExpr		rhs;

		advance(p);
		enter(p);
		rhs = parse_relation(p);
		p->depth--;
		e = binary(CEDAR_EXPR_AND, e, to_expr(p, &rhs));
	}
	return make_pexpr(e);
}

static PExpr
parse_or(Parser *p)
{
	PExpr		first = parse_and(p);
	CedarExpr  *e;

	if (p->tok.kind != CEDAR_TOK_OROR)
		return first;
	e = to_expr(p, &first);
	while (p->tok.kind == CEDAR_TOK_OROR)
	{
		PExpr		rhs;

		advance(p);
		enter(p);
		rhs = parse_and(p);
		p->depth--;
		e = binary(CEDAR_EXPR_OR, e, to_expr(p, &rhs));
	}
	return make_pexpr(e);
}

/* Expr := Or | 'if' Expr 'then' Expr 'else' Expr */
static PExpr
parse_expr(Parser *p)
{
	PExpr		r;

	enter(p);
	if (is_word(p, "if"))
	{
		int			start = p->tok.start;
		PExpr		x;
		CedarExpr  *e = cedarpol_new_expr(CEDAR_EXPR_IF, start, 0);

		advance(p);
		x = parse_expr(p);
		e->u.ite.cond = to_expr(p, &x);
		if (!is_word(p, "then"))
			unexpected(p, "\"then\"");
		advance(p);
		x = parse_expr(p);
		e->u.ite.then_expr = to_expr(p, &x);
		if (!is_word(p, "else"))
			unexpected(p, "\"else\"");
		advance(p);
		x = parse_expr(p);
		e->u.ite.else_expr = to_expr(p, &x);
		e->end = x.end;
		r = make_pexpr(e);
	}
	else
		r = parse_or(p);
	p->depth--;
	return r;
}

/* Copies the entity uid of a plain reference expression */
static CedarEntityUid
plain_uid(CedarExpr *e)
{
	Assert(e->kind == CEDAR_EXPR_ENTITY);
	return e->u.uid;
}

/*
 * VariableDef := Ident [':' Name] ['is' Add] [RelOp Expr], checked against
 * the variable expected at this position (index 0, 1, 2).
 */
static void
parse_scope(Parser *p, int index, CedarScope *scope)
{
	static const char *const names[] = {"principal", "action", "resource"};
	int			start = p->tok.start;
	PExpr		type;
	bool		has_type = false;
	CedarExprKind kind;

	memset(scope, 0, sizeof(*scope));
	scope->start = start;
	if (p->tok.kind != CEDAR_TOK_IDENT)
		unexpected(p, names[Min(index, 2)]);
	if (index > 2)
		perr(p, p->tok.start, p->tok.end, NULL,
			 "the policy scope has only principal, action and resource");
	if (!is_word(p, names[index]))
		perr(p, p->tok.start, p->tok.end, NULL,
			 "expected \"%s\" in the policy scope", names[index]);
	advance(p);
	if (p->tok.kind == CEDAR_TOK_COLON)
		perr(p, p->tok.start, p->tok.end, NULL,
			 "type constraints using \":\" are not supported");
	if (is_word(p, "is"))
	{
		if (index == 1)
			perr(p, p->tok.start, p->tok.end, NULL,
				 "\"is\" is not allowed in the action scope");
		advance(p);
		enter(p);
		type = parse_add(p);
		p->depth--;
		has_type = true;
		scope->entity_type = entity_type_of(p, &type);
		scope->kind = CEDAR_SCOPE_IS;
	}
	if (p->tok.kind == CEDAR_TOK_COMMA || p->tok.kind == CEDAR_TOK_RPAREN)
	{
		scope->end = p->tok.start;
		return;
	}
	if (!rel_op(p, &kind))
		unexpected(p, "\"==\", \"in\", \",\" or \")\"");
	if (kind != CEDAR_EXPR_EQ && kind != CEDAR_EXPR_IN)
		perr(p, p->tok.start, p->tok.end, NULL,
			 "the policy scope only allows \"==\" and \"in\"");
	if (kind == CEDAR_EXPR_EQ && has_type)
		perr(p, p->tok.start, p->tok.end,
			 "Use \"is\" with \"in\", or \"==\" alone.",
			 "\"is\" cannot be combined with \"==\" in the policy scope");
	advance(p);
	{
		int			rstart = p->tok.start;
		PExpr		rhs = parse_expr(p);
		CedarExpr  *e = to_expr(p, &rhs);

		if (rhs.plain_ref)
		{
			scope->uid = plain_uid(e);
			scope->kind = kind == CEDAR_EXPR_EQ ? CEDAR_SCOPE_EQ :
				(has_type ? CEDAR_SCOPE_IS_IN : CEDAR_SCOPE_IN);
			if (index == 1 && !cedarpol_is_action_type(&scope->uid.type))
				perr(p, rstart, rhs.end, NULL,
					 "an action must have type Action, not %s",
					 scope->uid.type.data);
		}
		else if (rhs.plain_ref_list && index == 1 && kind == CEDAR_EXPR_IN)
		{
			scope->kind = CEDAR_SCOPE_IN_SET;
			scope->nuids = e->u.list.nitems;
			scope->uids = palloc(mul_size(Max(scope->nuids, 1), sizeof(CedarEntityUid)));
			for (int i = 0; i < scope->nuids; i++)
			{
				scope->uids[i] = plain_uid(e->u.list.items[i]);
				if (!cedarpol_is_action_type(&scope->uids[i].type))
					perr(p, rstart, rhs.end, NULL,
						 "an action must have type Action, not %s",
						 scope->uids[i].type.data);
			}
		}
		else
			perr(p, rstart, rhs.end,
				 index == 1 ? "The action scope takes an entity reference Action::\"id\" or a list of them." :
				 "The scope takes one entity reference Type::\"id\"; move other conditions into a when clause.",
				 "expected an entity reference in the policy scope");
		scope->end = rhs.end;
	}
}

/* Parses one policy at the parser's position, up to and including its ";". */
static CedarPolicy *
parse_policy(Parser *p)
{
	CedarPolicy *pol = palloc0(sizeof(CedarPolicy));
	int			cap = 4;
	int			nvars = 0;
	cedar_names_hash *keys = NULL;	/* annotation keys seen */

	pol->start = p->tok.start;

	/* annotations */
	pol->annotations = palloc(cap * sizeof(CedarAnnotation));
	while (p->tok.kind == CEDAR_TOK_AT)
	{
		CedarAnnotation *a;

		if (pol->nannotations >= cap)
		{
			cap *= 2;
			pol->annotations = repalloc(pol->annotations,
										mul_size(cap, sizeof(CedarAnnotation)));
		}
		a = &pol->annotations[pol->nannotations];
		memset(a, 0, sizeof(*a));
		a->start = p->tok.start;
		advance(p);
		if (p->tok.kind != CEDAR_TOK_IDENT)
			unexpected(p, "an annotation name");
		a->key = token_string(p, &p->tok);
		if (keys == NULL)
			keys = cedar_names_create(CurrentMemoryContext, 16, NULL);
		if (!cedar_names_put(keys, a->key.data, a->key.len, pol))
			perr(p, p->tok.start, p->tok.end, NULL,
				 "duplicate annotation \"@%s\"", a->key.data);
		advance(p);
		a->value = cedarpol_make_string("", 0);
		if (p->tok.kind == CEDAR_TOK_LPAREN)
		{
			advance(p);
			if (p->tok.kind != CEDAR_TOK_STRING)
				unexpected(p, "a string literal");
			a->has_value = true;
			a->value = unescape(p, p->src + p->tok.start + 1,
								p->tok.end - p->tok.start - 2, p->tok.start, p->tok.end);
			advance(p);
			expect(p, CEDAR_TOK_RPAREN, "\")\"");
		}
		a->end = p->tok.start;
		pol->nannotations++;
		CHECK_FOR_INTERRUPTS();
	}

	/* effect */
	if (p->tok.kind != CEDAR_TOK_IDENT)
		unexpected(p, "\"permit\" or \"forbid\"");
	if (is_word(p, "permit"))
		pol->permit = true;
	else if (!is_word(p, "forbid"))
		perr(p, p->tok.start, p->tok.end, NULL,
			 "a policy must start with \"permit\" or \"forbid\"");
	advance(p);

	/* scope */
	expect(p, CEDAR_TOK_LPAREN, "\"(\"");
	while (p->tok.kind != CEDAR_TOK_RPAREN)
	{
		parse_scope(p, nvars,
					nvars == 0 ? &pol->principal :
					nvars == 1 ? &pol->action : &pol->resource);
		nvars++;
		if (p->tok.kind == CEDAR_TOK_COMMA)
			advance(p);
		else if (p->tok.kind != CEDAR_TOK_RPAREN)
			unexpected(p, "\",\" or \")\"");
	}
	if (nvars < 3)
		perr(p, p->tok.start, p->tok.end, NULL,
			 "the policy scope is missing \"%s\"",
			 nvars == 0 ? "principal" : nvars == 1 ? "action" : "resource");
	advance(p);

	/* conditions */
	cap = 4;
	pol->conditions = palloc(cap * sizeof(CedarCondition));
	while (p->tok.kind == CEDAR_TOK_IDENT)
	{
		CedarCondition *c;
		PExpr		body;

		if (pol->nconditions >= cap)
		{
			cap *= 2;
			pol->conditions = repalloc(pol->conditions,
									   mul_size(cap, sizeof(CedarCondition)));
		}
		c = &pol->conditions[pol->nconditions];
		c->start = p->tok.start;
		if (is_word(p, "when"))
			c->is_when = true;
		else if (is_word(p, "unless"))
			c->is_when = false;
		else
			perr(p, p->tok.start, p->tok.end, NULL,
				 "expected \"when\", \"unless\" or \";\"");
		advance(p);
		expect(p, CEDAR_TOK_LBRACE, "\"{\"");
		if (p->tok.kind == CEDAR_TOK_RBRACE)
			perr(p, c->start, p->tok.end, NULL,
				 "a %s clause must not be empty", c->is_when ? "when" : "unless");
		body = parse_expr(p);
		c->body = to_expr(p, &body);
		expect(p, CEDAR_TOK_RBRACE, "\"}\"");
		c->end = p->tok.start;
		pol->nconditions++;
		CHECK_FOR_INTERRUPTS();
	}
	expect(p, CEDAR_TOK_SEMI, "\"when\", \"unless\" or \";\"");
	pol->end = p->tok.start;
	return pol;
}

static void
parser_init(Parser *p, const char *text, int len)
{
	memset(p, 0, sizeof(*p));
	p->src = text;
	p->len = len;
	p->source.input = CEDAR_INPUT_POLICY;
	p->source.text = text;
	p->source.len = len;
	cedar_lex_init(&p->lex, text, len);
	advance(p);
}

CedarPolicy *
cedar_parse_policy(const char *text, int len)
{
	Parser		p;
	CedarPolicy *pol;

	parser_init(&p, text, len);
	pol = parse_policy(&p);
	if (p.tok.kind != CEDAR_TOK_EOF)
		perr(&p, p.tok.start, p.tok.end,
			 "A policy version holds exactly one policy.",
			 "unexpected %s after the end of the policy",
			 cedar_token_kind_name(p.tok.kind));
	return pol;
}

CedarPolicy **
cedar_parse_policy_set(const char *text, int len, int *npolicies)
{
	Parser		p;
	int			cap = 4;
	CedarPolicy **policies = palloc(cap * sizeof(CedarPolicy *));

	parser_init(&p, text, len);
	*npolicies = 0;
	while (p.tok.kind != CEDAR_TOK_EOF)
	{
		if (*npolicies >= cap)
		{
			cap *= 2;
			policies = repalloc(policies, mul_size(cap, sizeof(CedarPolicy *)));
		}
		policies[(*npolicies)++] = parse_policy(&p);
		CHECK_FOR_INTERRUPTS();
	}
	return policies;
}
