/*-------------------------------------------------------------------------
 *
 * lexer.h
 *	  Tokenizer for Cedar source text, shared by the policy grammar
 *	  (parser.c) and the schema grammar (issue 5).
 *
 *	  The lexer knows no grammar: it has no keywords (every word is a
 *	  CEDAR_TOK_IDENT; a grammar tests words with cedar_token_is) and keeps
 *	  no state besides its position, so any grammar can drive it with
 *	  cedar_lex_next / cedar_lex_peek.  It follows the token rules of the
 *	  reference grammar (cedar-policy-core grammar.lalrpop): Unicode White_Space
 *	  and `//` comments are skipped; identifiers are [_a-zA-Z][_a-zA-Z0-9]*;
 *	  integers are [0-9]+ (value checked by the grammar, see
 *	  cedar_parse_uint64); strings are "..." with any backslash escape kept
 *	  raw (decode with cedar_unescape); `?ident` is one CEDAR_TOK_SLOT token,
 *	  a `?` not followed by an identifier is CEDAR_TOK_QUESTION (schemas:
 *	  `name?: T`).
 *
 *	  Input is (data, len), never assumed NUL-terminated; a NUL byte, a byte
 *	  that starts no token, or invalid UTF-8 inside a string or comment gives
 *	  a CEDAR_TOK_ERROR token whose errmsg says why (and whose nul is set
 *	  for a NUL byte inside a string literal: grammars report that as
 *	  22P05, like an escape giving U+0000).  Tokens hold byte offsets
 *	  into the input, not copies.  Nothing here allocates or raises errors,
 *	  except cedar_unescape (palloc) -- so grammars decide how to report.
 *
 *	  Stability: used by other subsystems; add token kinds at the end only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_LEXER_H
#define KEYCARD_CEDAR_LEXER_H

#include "cedar/ast.h"

typedef enum CedarTokenKind
{
	CEDAR_TOK_EOF,
	CEDAR_TOK_ERROR,			/* lexical error: see CedarToken.errmsg */
	CEDAR_TOK_IDENT,			/* permit, principal, User, __cedar, ... */
	CEDAR_TOK_INT,				/* 123 (digits only; no sign) */
	CEDAR_TOK_STRING,			/* "..." (token text includes the quotes) */
	CEDAR_TOK_SLOT,				/* ?principal, ?resource, ?other */
	CEDAR_TOK_AT,				/* @ */
	CEDAR_TOK_DOT,				/* . */
	CEDAR_TOK_COMMA,			/* , */
	CEDAR_TOK_SEMI,				/* ; */
	CEDAR_TOK_COLON,			/* : */
	CEDAR_TOK_COLON2,			/* :: */
	CEDAR_TOK_LPAREN,			/* ( */
	CEDAR_TOK_RPAREN,			/* ) */
	CEDAR_TOK_LBRACE,			/* { */
	CEDAR_TOK_RBRACE,			/* } */
	CEDAR_TOK_LBRACKET,			/* [ */
	CEDAR_TOK_RBRACKET,			/* ] */
	CEDAR_TOK_EQEQ,				/* == */
	CEDAR_TOK_NE,				/* != */
	CEDAR_TOK_LT,				/* < */
	CEDAR_TOK_LE,				/* <= */
	CEDAR_TOK_GT,				/* > */
	CEDAR_TOK_GE,				/* >= */
	CEDAR_TOK_OROR,				/* || */
	CEDAR_TOK_ANDAND,			/* && */
	CEDAR_TOK_PLUS,				/* + */
	CEDAR_TOK_MINUS,			/* - */
	CEDAR_TOK_STAR,				/* * */
	CEDAR_TOK_SLASH,			/* / (not an operator in Cedar; for errors) */
	CEDAR_TOK_PERCENT,			/* % (likewise) */
	CEDAR_TOK_BANG,				/* ! */
	CEDAR_TOK_EQ,				/* = (likewise; schemas: type T = ...) */
	CEDAR_TOK_QUESTION			/* ? not followed by an identifier */
} CedarTokenKind;

typedef struct CedarToken
{
	CedarTokenKind kind;
	int			start;			/* byte offset of the first byte */
	int			end;			/* byte offset just past the token */
	int			line;			/* 1-based */
	int			column;			/* 1-based, in characters */
	const char *errmsg;			/* CEDAR_TOK_ERROR only: static text */
	bool		nul;			/* CEDAR_TOK_ERROR only: a NUL byte in a string */
} CedarToken;

/* Lexer state: a cursor into the input; copy the struct to backtrack. */
typedef struct CedarLexer
{
	const char *src;
	int			len;
	int			pos;			/* next byte to read */
	int			line;			/* line/column of pos */
	int			column;
} CedarLexer;

/* Starts lexing src[0..len). */
extern void cedar_lex_init(CedarLexer *lex, const char *src, int len);

/* Reads the next token (CEDAR_TOK_EOF at the end, repeatedly). */
extern void cedar_lex_next(CedarLexer *lex, CedarToken *tok);

/* Returns the next token without consuming it. */
extern void cedar_lex_peek(const CedarLexer *lex, CedarToken *tok);

/* True if tok is the identifier word (e.g. "permit"). */
extern bool cedar_token_is(const CedarLexer *lex, const CedarToken *tok,
						   const char *word);

/* Pointer to the token's first byte; its length is tok->end - tok->start. */
#define CEDAR_TOKEN_TEXT(lex, tok) ((lex)->src + (tok)->start)

/* Printable name of a token kind ("identifier", "`::`", "end of input"). */
extern const char *cedar_token_kind_name(CedarTokenKind kind);

/*
 * Line and 1-based character column of a byte offset of src (for errors
 * about positions other than a token's start).
 */
extern void cedar_position(const char *src, int len, int offset,
						   int *line, int *column);

/*
 * Parses the digits of a CEDAR_TOK_INT.  Returns false if the value does
 * not fit in 64 unsigned bits (the reference's first check; the grammar
 * then checks the int64 range, allowing 9223372036854775808 only negated).
 */
extern bool cedar_parse_uint64(const char *digits, int len, uint64 *result);

/* Result of cedar_unescape */
typedef struct CedarUnescapeError
{
	int			offset;			/* byte offset of the bad escape in body */
	int			length;			/* its length in bytes */
	const char *errmsg;			/* static text */
	bool		nul;			/* the string would hold U+0000 */
} CedarUnescapeError;

/*
 * Decodes the body of a string token (the bytes between the quotes) with
 * the reference's escape rules: \n \r \t \\ \0 \' \" \xHH (HH <= 7F),
 * \u{H...} (1-6 hex digits, `_` allowed after the first, no surrogates,
 * <= 10FFFF); a bare carriage return is an error.  Unlike the reference, a
 * string may not hold U+0000 (\0, \x00, \u{0} or a raw NUL byte): PostgreSQL
 * text and jsonb cannot store it, so it fails with err->nul set.  The pattern variant
 * (for `like` operands) also accepts `\*` as a literal star and turns an
 * unescaped `*` into a wildcard, giving one element per character.
 *
 * On success returns true with out (and, for patterns, elems) palloc'd in
 * the current memory context; on failure returns false and fills err.
 */
extern bool cedar_unescape(const char *body, int len, CedarString *out,
						   CedarUnescapeError *err);
extern bool cedar_unescape_pattern(const char *body, int len,
								   CedarPatternElem **elems, int *nelems,
								   CedarUnescapeError *err);

/*
 * True while parsing for evaluation only (authorize.c): then the escapes
 * \0, \x00 and \u{0} give U+0000 as the reference does, since the counted
 * strings of an evaluation never reach PostgreSQL text (a raw NUL byte
 * cannot occur in text input).  Set it through cedar_parse_allowing_nul.
 */
extern bool cedar_lexer_allow_nul;

#endif							/* KEYCARD_CEDAR_LEXER_H */
