/*-------------------------------------------------------------------------
 *
 * ast.h
 *	  The one Cedar policy AST shared by every direction of the front end:
 *	  text -> AST (parser.c), EST jsonb -> AST (est_in.c), AST -> EST jsonb
 *	  (est_out.c), AST -> text (printer.c), and the strict validator
 *	  (issue 5), which type-checks the expression nodes below.
 *
 *	  The AST mirrors Cedar's EST ("JSON policy format") one to one, so that
 *	  AST -> EST needs no further analysis: e.g. `-1` is already folded into
 *	  a CEDAR_EXPR_LONG, `x has a.b` is one CEDAR_EXPR_HAS with a path of two
 *	  attributes, `like` patterns are already split into elements.
 *
 *	  Stability: this header is used by other subsystems.  Add new enum
 *	  members and struct fields at the end only; never change the meaning
 *	  of an existing one.
 *
 *	  Memory: every node, array and string is palloc'd in the memory context
 *	  current when the parser (or EST reader) ran; nothing is freed
 *	  individually.  Strings are counted, and always also NUL-terminated for
 *	  convenience; they never hold NUL themselves: the reference allows
 *	  U+0000 in Cedar strings, but PostgreSQL text and jsonb cannot store
 *	  it, so both readers refuse it (22P05, error.h).
 *
 *	  Source locations: `start`/`end` are byte offsets [start, end) into the
 *	  source text the node was parsed from (UTF-8 bytes, the same offsets
 *	  the reference reports in sourceLocations); both are -1 for nodes built
 *	  from EST JSON.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_AST_H
#define KEYCARD_CEDAR_AST_H

/* A counted string; data[len] is always '\0' (and data holds no other NUL). */
typedef struct CedarString
{
	const char *data;
	int			len;
} CedarString;

/*
 * An entity UID: type name with its namespace joined by "::" (identifiers
 * are ASCII, so the joined form is unambiguous: "NS::Sub::User") and the
 * unescaped entity id ("alice").
 */
typedef struct CedarEntityUid
{
	CedarString type;
	CedarString id;
	int			start;
	int			end;
} CedarEntityUid;

/* The four request variables */
typedef enum CedarVar
{
	CEDAR_VAR_PRINCIPAL,
	CEDAR_VAR_ACTION,
	CEDAR_VAR_RESOURCE,
	CEDAR_VAR_CONTEXT
} CedarVar;

typedef enum CedarExprKind
{
	/* literals */
	CEDAR_EXPR_BOOL,			/* u.b */
	CEDAR_EXPR_LONG,			/* u.l (negative literals already folded) */
	CEDAR_EXPR_STRING,			/* u.str */
	CEDAR_EXPR_ENTITY,			/* u.uid */
	CEDAR_EXPR_VAR,				/* u.var */

	/* unary: u.op.a */
	CEDAR_EXPR_NOT,				/* !a           EST "!" */
	CEDAR_EXPR_NEG,				/* -a           EST "neg" */
	CEDAR_EXPR_IS_EMPTY,		/* a.isEmpty()  EST "isEmpty" */

	/* binary: u.op.a, u.op.b */
	CEDAR_EXPR_EQ,				/* == */
	CEDAR_EXPR_NE,				/* != */
	CEDAR_EXPR_LT,				/* < */
	CEDAR_EXPR_LE,				/* <= */
	CEDAR_EXPR_GT,				/* > */
	CEDAR_EXPR_GE,				/* >= */
	CEDAR_EXPR_IN,				/* in */
	CEDAR_EXPR_AND,				/* && */
	CEDAR_EXPR_OR,				/* || */
	CEDAR_EXPR_ADD,				/* + */
	CEDAR_EXPR_SUB,				/* - */
	CEDAR_EXPR_MUL,				/* * */
	CEDAR_EXPR_CONTAINS,		/* a.contains(b) */
	CEDAR_EXPR_CONTAINS_ALL,	/* a.containsAll(b) */
	CEDAR_EXPR_CONTAINS_ANY,	/* a.containsAny(b) */
	CEDAR_EXPR_GET_TAG,			/* a.getTag(b) */
	CEDAR_EXPR_HAS_TAG,			/* a.hasTag(b) */

	/* attributes */
	CEDAR_EXPR_GET_ATTR,		/* u.attr: a.attr or a["attr"] */
	CEDAR_EXPR_HAS,				/* u.has: a has p1.p2... (path >= 1) */

	CEDAR_EXPR_LIKE,			/* u.like */
	CEDAR_EXPR_IS,				/* u.is: a is T [in b] */
	CEDAR_EXPR_IF,				/* u.ite */
	CEDAR_EXPR_SET,				/* u.list: [e, ...] */
	CEDAR_EXPR_RECORD,			/* u.record: {k: e, ...}, keys sorted */
	CEDAR_EXPR_EXT_CALL			/* u.call: ip("..."), a.isInRange(b) */
} CedarExprKind;

/* One element of a `like` pattern */
typedef struct CedarPatternElem
{
	bool		wildcard;		/* `*`; otherwise a literal character */
	CedarString literal;		/* one Unicode character, UTF-8 encoded */
} CedarPatternElem;

typedef struct CedarExpr CedarExpr;

struct CedarExpr
{
	CedarExprKind kind;
	int			start;			/* byte offsets, or -1 (see file header) */
	int			end;
	union
	{
		bool		b;
		int64		l;
		CedarString str;
		CedarEntityUid uid;
		CedarVar	var;
		struct
		{
			CedarExpr  *a;
			CedarExpr  *b;		/* NULL for unary kinds */
		}			op;
		struct
		{
			CedarExpr  *a;
			CedarString attr;
		}			attr;
		struct
		{
			CedarExpr  *a;
			CedarString *path;	/* npath >= 1 attribute names */
			int			npath;
		}			has;
		struct
		{
			CedarExpr  *a;
			CedarPatternElem *elems;
			int			nelems;
		}			like;
		struct
		{
			CedarExpr  *a;
			CedarString entity_type;	/* "NS::T" */
			CedarExpr  *in;		/* NULL unless `is T in e` */
		}			is;
		struct
		{
			CedarExpr  *cond;
			CedarExpr  *then_expr;
			CedarExpr  *else_expr;
		}			ite;
		struct
		{
			CedarExpr **items;
			int			nitems;
		}			list;
		struct
		{
			CedarString *keys;	/* sorted by byte order, no duplicates */
			CedarExpr **values;
			int			nitems;
		}			record;
		struct
		{
			CedarString name;	/* "ip", "decimal", "isInRange", ... */
			bool		method; /* written receiver.name(args...) */
			CedarExpr **args;	/* for methods args[0] is the receiver */
			int			nargs;
		}			call;
	}			u;
	/*
	 * RECORD only: built from an EST "Value" (not "Record"), which the
	 * reference prints with every key quoted.  Never set by the parser.
	 */
	bool		value_form;
};

/* A scope constraint on principal, action or resource */
typedef enum CedarScopeKind
{
	CEDAR_SCOPE_ALL,			/* principal */
	CEDAR_SCOPE_EQ,				/* principal == uid */
	CEDAR_SCOPE_IN,				/* principal in uid */
	CEDAR_SCOPE_IN_SET,			/* action in [uid, ...] (action only) */
	CEDAR_SCOPE_IS,				/* principal is T */
	CEDAR_SCOPE_IS_IN			/* principal is T in uid */
} CedarScopeKind;

typedef struct CedarScope
{
	CedarScopeKind kind;
	CedarEntityUid uid;			/* EQ, IN, IS_IN */
	CedarString entity_type;	/* IS, IS_IN */
	CedarEntityUid *uids;		/* IN_SET */
	int			nuids;
	/*
	 * True if uid is a template slot (?principal / ?resource) rather than
	 * an entity.  Static policies never have slots: the parser and the EST
	 * reader of this front end reject them.
	 */
	bool		slot;
	int			start;
	int			end;
} CedarScope;

typedef struct CedarAnnotation
{
	CedarString key;			/* an identifier */
	bool		has_value;		/* false for `@key` without ("value") */
	CedarString value;			/* unescaped; empty if !has_value */
	int			start;
	int			end;
} CedarAnnotation;

typedef struct CedarCondition
{
	bool		is_when;		/* when {...}; false: unless {...} */
	CedarExpr  *body;
	int			start;
	int			end;
} CedarCondition;

typedef struct CedarPolicy
{
	bool		permit;			/* permit; false: forbid */
	CedarAnnotation *annotations;	/* in source order, keys unique */
	int			nannotations;
	CedarScope	principal;
	CedarScope	action;
	CedarScope	resource;
	CedarCondition *conditions; /* in source order */
	int			nconditions;
	int			start;
	int			end;
} CedarPolicy;

#endif							/* KEYCARD_CEDAR_AST_H */
