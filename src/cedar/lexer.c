/*-------------------------------------------------------------------------
 *
 * lexer.c
 *	  Tokenizer for Cedar source text (policies and schemas); see lexer.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/lexer.h"
#include "keycard.h"

/*
 * Decodes one UTF-8 character of s[0..len) (len >= 1) strictly: no
 * overlong forms, no surrogates, nothing above U+10FFFF.  Returns its byte
 * length and sets *cp, or returns -1 if the bytes are not valid UTF-8.
 */
static int
utf8_decode(const unsigned char *s, int len, int32 *cp)
{
	unsigned char c = s[0];
	int			n;
	int32		v;
	int32		min;

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
	{
		n = 2;
		v = c & 0x1F;
		min = 0x80;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		v = c & 0x0F;
		min = 0x800;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	}
	else
		return -1;
	if (len < n)
		return -1;
	for (int i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return -1;
	*cp = v;
	return n;
}

/* Unicode White_Space, which the reference's `\s` skips */
static bool
is_unicode_space(int32 cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 ||
		cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
		cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
		cp == 0x3000;
}

static inline bool
is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool
is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

void
cedar_lex_init(CedarLexer *lex, const char *src, int len)
{
	lex->src = src;
	lex->len = len;
	lex->pos = 0;
	lex->line = 1;
	lex->column = 1;
}

/*
 * Advances over one character of n bytes (already validated), keeping
 * line and column.
 */
static inline void
advance(CedarLexer *lex, int n)
{
	if (lex->src[lex->pos] == '\n')
	{
		lex->line++;
		lex->column = 1;
	}
	else
		lex->column++;
	lex->pos += n;
}

/*
 * Advances over one character that may be any valid UTF-8; returns false
 * (without moving) on invalid UTF-8 or a NUL byte.
 */
static bool
advance_char(CedarLexer *lex)
{
	int32		cp;
	int			n;

	n = utf8_decode((const unsigned char *) lex->src + lex->pos,
					lex->len - lex->pos, &cp);
	if (n < 0 || cp == 0)
		return false;
	advance(lex, n);
	return true;
}

/* Sets tok to an error at the current position. */
static void
lex_error(CedarLexer *lex, CedarToken *tok, const char *msg)
{
	tok->kind = CEDAR_TOK_ERROR;
	tok->start = lex->pos;
	tok->end = lex->pos < lex->len ? lex->pos + 1 : lex->pos;
	tok->line = lex->line;
	tok->column = lex->column;
	tok->errmsg = msg;
}

/*
 * Skips whitespace and comments.  Returns false (with tok set to an error)
 * on bytes that are not valid UTF-8 inside a comment.
 */
static bool
skip_space(CedarLexer *lex, CedarToken *tok)
{
	while (lex->pos < lex->len)
	{
		unsigned char c = (unsigned char) lex->src[lex->pos];

		if (c == ' ' || (c >= 0x09 && c <= 0x0D))
			advance(lex, 1);
		else if (c == '/' && lex->pos + 1 < lex->len &&
				 lex->src[lex->pos + 1] == '/')
		{
			advance(lex, 1);
			advance(lex, 1);
			while (lex->pos < lex->len &&
				   lex->src[lex->pos] != '\n' && lex->src[lex->pos] != '\r')
			{
				if (!advance_char(lex))
				{
					lex_error(lex, tok, "invalid UTF-8 or NUL byte in comment");
					return false;
				}
			}
		}
		else if (c >= 0x80)
		{
			int32		cp;
			int			n;

			n = utf8_decode((const unsigned char *) lex->src + lex->pos,
							lex->len - lex->pos, &cp);
			if (n < 0 || !is_unicode_space(cp))
				return true;	/* the caller reports it */
			advance(lex, n);
		}
		else
			return true;
	}
	return true;
}

void
cedar_lex_next(CedarLexer *lex, CedarToken *tok)
{
	const char *s = lex->src;
	unsigned char c;
	unsigned char c2;

	tok->errmsg = NULL;
	tok->nul = false;
	if (!skip_space(lex, tok))
		return;

	tok->start = lex->pos;
	tok->line = lex->line;
	tok->column = lex->column;

	if (lex->pos >= lex->len)
	{
		tok->kind = CEDAR_TOK_EOF;
		tok->end = lex->pos;
		return;
	}

	c = (unsigned char) s[lex->pos];
	c2 = lex->pos + 1 < lex->len ? (unsigned char) s[lex->pos + 1] : 0;

	if (is_ident_start(c))
	{
		while (lex->pos < lex->len && is_ident_char((unsigned char) s[lex->pos]))
			advance(lex, 1);
		tok->kind = CEDAR_TOK_IDENT;
	}
	else if (c >= '0' && c <= '9')
	{
		while (lex->pos < lex->len && s[lex->pos] >= '0' && s[lex->pos] <= '9')
			advance(lex, 1);
		tok->kind = CEDAR_TOK_INT;
	}
	else if (c == '"')
	{
		advance(lex, 1);
		for (;;)
		{
			if (lex->pos >= lex->len)
			{
				tok->kind = CEDAR_TOK_ERROR;
				tok->errmsg = "unterminated string literal";
				break;
			}
			c = (unsigned char) s[lex->pos];
			if (c == '"')
			{
				advance(lex, 1);
				tok->kind = CEDAR_TOK_STRING;
				break;
			}
			if (c == '\\')
			{
				/* a backslash escapes any one character but a line feed */
				if (lex->pos + 1 >= lex->len || s[lex->pos + 1] == '\n')
				{
					lex_error(lex, tok, "invalid backslash at the end of a line in string literal");
					return;
				}
				advance(lex, 1);
			}
			if (s[lex->pos] == '\0')
			{
				lex_error(lex, tok, "NUL byte in string literal");
				tok->nul = true;
				return;
			}
			if (!advance_char(lex))
			{
				lex_error(lex, tok, "invalid UTF-8 in string literal");
				return;
			}
		}
	}
	else if (c == '?' && is_ident_start(c2))
	{
		advance(lex, 1);
		while (lex->pos < lex->len && is_ident_char((unsigned char) s[lex->pos]))
			advance(lex, 1);
		tok->kind = CEDAR_TOK_SLOT;
	}
	else
	{
		int			n = 1;

		switch (c)
		{
			case '@':
				tok->kind = CEDAR_TOK_AT;
				break;
			case '.':
				tok->kind = CEDAR_TOK_DOT;
				break;
			case ',':
				tok->kind = CEDAR_TOK_COMMA;
				break;
			case ';':
				tok->kind = CEDAR_TOK_SEMI;
				break;
			case ':':
				if (c2 == ':')
				{
					tok->kind = CEDAR_TOK_COLON2;
					n = 2;
				}
				else
					tok->kind = CEDAR_TOK_COLON;
				break;
			case '(':
				tok->kind = CEDAR_TOK_LPAREN;
				break;
			case ')':
				tok->kind = CEDAR_TOK_RPAREN;
				break;
			case '{':
				tok->kind = CEDAR_TOK_LBRACE;
				break;
			case '}':
				tok->kind = CEDAR_TOK_RBRACE;
				break;
			case '[':
				tok->kind = CEDAR_TOK_LBRACKET;
				break;
			case ']':
				tok->kind = CEDAR_TOK_RBRACKET;
				break;
			case '=':
				if (c2 == '=')
				{
					tok->kind = CEDAR_TOK_EQEQ;
					n = 2;
				}
				else
					tok->kind = CEDAR_TOK_EQ;
				break;
			case '!':
				if (c2 == '=')
				{
					tok->kind = CEDAR_TOK_NE;
					n = 2;
				}
				else
					tok->kind = CEDAR_TOK_BANG;
				break;
			case '<':
				if (c2 == '=')
				{
					tok->kind = CEDAR_TOK_LE;
					n = 2;
				}
				else
					tok->kind = CEDAR_TOK_LT;
				break;
			case '>':
				if (c2 == '=')
				{
					tok->kind = CEDAR_TOK_GE;
					n = 2;
				}
				else
					tok->kind = CEDAR_TOK_GT;
				break;
			case '|':
				if (c2 != '|')
				{
					lex_error(lex, tok, "invalid character");
					return;
				}
				tok->kind = CEDAR_TOK_OROR;
				n = 2;
				break;
			case '&':
				if (c2 != '&')
				{
					lex_error(lex, tok, "invalid character");
					return;
				}
				tok->kind = CEDAR_TOK_ANDAND;
				n = 2;
				break;
			case '+':
				tok->kind = CEDAR_TOK_PLUS;
				break;
			case '-':
				tok->kind = CEDAR_TOK_MINUS;
				break;
			case '*':
				tok->kind = CEDAR_TOK_STAR;
				break;
			case '/':
				tok->kind = CEDAR_TOK_SLASH;
				break;
			case '%':
				tok->kind = CEDAR_TOK_PERCENT;
				break;
			case '?':
				tok->kind = CEDAR_TOK_QUESTION;
				break;
			default:
				{
					int32		cp;

					if (c >= 0x80 &&
						utf8_decode((const unsigned char *) s + lex->pos,
									lex->len - lex->pos, &cp) < 0)
						lex_error(lex, tok, "invalid UTF-8");
					else if (c == 0)
						lex_error(lex, tok, "NUL byte");
					else
						lex_error(lex, tok, "invalid character");
					return;
				}
		}
		while (n-- > 0)
			advance(lex, 1);
	}
	tok->end = lex->pos;
}

void
cedar_lex_peek(const CedarLexer *lex, CedarToken *tok)
{
	CedarLexer	copy = *lex;

	cedar_lex_next(&copy, tok);
}

bool
cedar_token_is(const CedarLexer *lex, const CedarToken *tok, const char *word)
{
	int			n = tok->end - tok->start;

	return tok->kind == CEDAR_TOK_IDENT && (int) strlen(word) == n &&
		memcmp(lex->src + tok->start, word, n) == 0;
}

const char *
cedar_token_kind_name(CedarTokenKind kind)
{
	switch (kind)
	{
		case CEDAR_TOK_EOF:
			return "end of input";
		case CEDAR_TOK_ERROR:
			return "invalid token";
		case CEDAR_TOK_IDENT:
			return "identifier";
		case CEDAR_TOK_INT:
			return "integer literal";
		case CEDAR_TOK_STRING:
			return "string literal";
		case CEDAR_TOK_SLOT:
			return "template slot";
		case CEDAR_TOK_AT:
			return "\"@\"";
		case CEDAR_TOK_DOT:
			return "\".\"";
		case CEDAR_TOK_COMMA:
			return "\",\"";
		case CEDAR_TOK_SEMI:
			return "\";\"";
		case CEDAR_TOK_COLON:
			return "\":\"";
		case CEDAR_TOK_COLON2:
			return "\"::\"";
		case CEDAR_TOK_LPAREN:
			return "\"(\"";
		case CEDAR_TOK_RPAREN:
			return "\")\"";
		case CEDAR_TOK_LBRACE:
			return "\"{\"";
		case CEDAR_TOK_RBRACE:
			return "\"}\"";
		case CEDAR_TOK_LBRACKET:
			return "\"[\"";
		case CEDAR_TOK_RBRACKET:
			return "\"]\"";
		case CEDAR_TOK_EQEQ:
			return "\"==\"";
		case CEDAR_TOK_NE:
			return "\"!=\"";
		case CEDAR_TOK_LT:
			return "\"<\"";
		case CEDAR_TOK_LE:
			return "\"<=\"";
		case CEDAR_TOK_GT:
			return "\">\"";
		case CEDAR_TOK_GE:
			return "\">=\"";
		case CEDAR_TOK_OROR:
			return "\"||\"";
		case CEDAR_TOK_ANDAND:
			return "\"&&\"";
		case CEDAR_TOK_PLUS:
			return "\"+\"";
		case CEDAR_TOK_MINUS:
			return "\"-\"";
		case CEDAR_TOK_STAR:
			return "\"*\"";
		case CEDAR_TOK_SLASH:
			return "\"/\"";
		case CEDAR_TOK_PERCENT:
			return "\"%\"";
		case CEDAR_TOK_BANG:
			return "\"!\"";
		case CEDAR_TOK_EQ:
			return "\"=\"";
		case CEDAR_TOK_QUESTION:
			return "\"?\"";
	}
	return "token";
}

void
cedar_position(const char *src, int len, int offset, int *line, int *column)
{
	int			l = 1;
	int			col = 1;

	if (offset > len)
		offset = len;
	for (int i = 0; i < offset; i++)
	{
		unsigned char c = (unsigned char) src[i];

		if (c == '\n')
		{
			l++;
			col = 1;
		}
		else if ((c & 0xC0) != 0x80)
			col++;
	}
	*line = l;
	*column = col;
}

bool
cedar_parse_uint64(const char *digits, int len, uint64 *result)
{
	uint64		v = 0;

	for (int i = 0; i < len; i++)
	{
		uint64		d = (uint64) (digits[i] - '0');

		if (v > (PG_UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*result = v;
	return true;
}

/* Appends code point cp as UTF-8 to buf; returns its length. */
static int
utf8_encode(int32 cp, char *buf)
{
	if (cp < 0x80)
	{
		buf[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		buf[0] = (char) (0xC0 | (cp >> 6));
		buf[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		buf[0] = (char) (0xE0 | (cp >> 12));
		buf[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		buf[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	buf[0] = (char) (0xF0 | (cp >> 18));
	buf[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	buf[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	buf[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/*
 * The shared decoder: walks body, calling back per decoded character.
 * kind of each character: 0 = plain, 1 = escaped star (`\*`, pattern only),
 * 2 = unescaped star.  Returns false with err set on a bad escape.
 */
bool		cedar_lexer_allow_nul = false;

typedef void (*unescape_cb) (void *arg, const char *utf8, int n, int kind);

static bool
unescape_walk(const char *body, int len, bool pattern, unescape_cb cb,
			  void *arg, CedarUnescapeError *err)
{
	int			i = 0;
	char		buf[4];

	err->nul = false;
	while (i < len)
	{
		unsigned char c = (unsigned char) body[i];
		int			start = i;

		if (c == '\r')
		{
			err->offset = i;
			err->length = 1;
			err->errmsg = "bare carriage return in string literal";
			return false;
		}
		if (c != '\\')
		{
			int32		cp;
			int			n = utf8_decode((const unsigned char *) body + i, len - i, &cp);

			if (n < 0)
			{
				err->offset = i;
				err->length = 1;
				err->errmsg = "invalid UTF-8 in string literal";
				return false;
			}
			if (cp == 0)
			{
				err->offset = i;
				err->length = 1;
				goto nul;
			}
			cb(arg, body + i, n, (pattern && c == '*') ? 2 : 0);
			i += n;
			continue;
		}
		/* an escape */
		if (i + 1 >= len)
			goto bad;
		c = (unsigned char) body[i + 1];
		i += 2;
		switch (c)
		{
			case 'n':
				cb(arg, "\n", 1, 0);
				break;
			case 'r':
				cb(arg, "\r", 1, 0);
				break;
			case 't':
				cb(arg, "\t", 1, 0);
				break;
			case '\\':
				cb(arg, "\\", 1, 0);
				break;
			case '0':
				goto nul_escape;
			case '\'':
				cb(arg, "'", 1, 0);
				break;
			case '"':
				cb(arg, "\"", 1, 0);
				break;
			case '*':
				if (!pattern)
					goto bad;
				cb(arg, "*", 1, 1);
				break;
			case 'x':
				{
					int			h1,
								h2;

					if (i + 2 > len)
						goto bad;
					h1 = keycard_hex_digit(body[i]);
					h2 = keycard_hex_digit(body[i + 1]);
					if (h1 < 0 || h2 < 0 || h1 > 7)
					{
						i += 2;
						goto bad;
					}
					i += 2;
					if (h1 == 0 && h2 == 0)
						goto nul_escape;
					buf[0] = (char) (h1 * 16 + h2);
					cb(arg, buf, 1, 0);
					break;
				}
			case 'u':
				{
					int32		cp = 0;
					int			ndigits = 0;

					if (i >= len || body[i] != '{')
						goto bad;
					i++;
					for (;;)
					{
						int			h;

						if (i >= len)
							goto bad;
						c = (unsigned char) body[i];
						if (c == '}')
							break;
						if (c == '_')
						{
							if (ndigits == 0)
								goto bad;
							i++;
							continue;
						}
						h = keycard_hex_digit(c);
						if (h < 0 || ndigits >= 6)
							goto bad;
						cp = cp * 16 + h;
						ndigits++;
						i++;
					}
					i++;		/* the closing brace */
					if (ndigits == 0 || cp > 0x10FFFF ||
						(cp >= 0xD800 && cp <= 0xDFFF))
						goto bad;
					if (cp == 0)
						goto nul_escape;
					cb(arg, buf, utf8_encode(cp, buf), 0);
					break;
				}
			default:
				goto bad;
		}
		continue;

bad:
		err->offset = start;
		err->length = (i > len ? len : i) - start;
		if (err->length < 1)
			err->length = 1;
		err->errmsg = "invalid escape sequence in string literal";
		return false;

nul_escape:
		if (cedar_lexer_allow_nul)
		{
			cb(arg, "", 1, 0);	/* the one NUL byte of "" */
			continue;
		}
		err->offset = start;
		err->length = i - start;
nul:
		err->errmsg = "NUL character (U+0000) in string literal";
		err->nul = true;
		return false;
	}
	return true;
}

typedef struct StrBuf
{
	char	   *data;
	int			len;
} StrBuf;

static void
str_cb(void *arg, const char *utf8, int n, int kind)
{
	StrBuf	   *b = (StrBuf *) arg;

	memcpy(b->data + b->len, utf8, n);
	b->len += n;
}

bool
cedar_unescape(const char *body, int len, CedarString *out,
			   CedarUnescapeError *err)
{
	StrBuf		b;

	/* decoding never makes the text longer */
	b.data = palloc((Size) len + 1);
	b.len = 0;
	if (!unescape_walk(body, len, false, str_cb, &b, err))
		return false;
	b.data[b.len] = '\0';
	out->data = b.data;
	out->len = b.len;
	return true;
}

typedef struct PatBuf
{
	CedarPatternElem *elems;
	int			n;
	char	   *chars;			/* storage for the literal characters */
	int			used;
} PatBuf;

static void
pat_cb(void *arg, const char *utf8, int n, int kind)
{
	PatBuf	   *b = (PatBuf *) arg;
	CedarPatternElem *e = &b->elems[b->n++];

	/* like the reference, a star written as \u{2a} or \x2a is a wildcard */
	if (kind == 2 || (kind == 0 && n == 1 && utf8[0] == '*'))
	{
		e->wildcard = true;
		e->literal.data = "";
		e->literal.len = 0;
		return;
	}
	e->wildcard = false;
	memcpy(b->chars + b->used, utf8, n);
	b->chars[b->used + n] = '\0';
	e->literal.data = b->chars + b->used;
	e->literal.len = n;
	b->used += n + 1;
}

bool
cedar_unescape_pattern(const char *body, int len, CedarPatternElem **elems,
					   int *nelems, CedarUnescapeError *err)
{
	PatBuf		b;

	/* at most one element per input byte, each at most as long as its source */
	b.elems = palloc(mul_size(sizeof(CedarPatternElem), (Size) len + 1));
	b.chars = palloc(mul_size(2, (Size) len + 1));
	b.n = 0;
	b.used = 0;
	if (!unescape_walk(body, len, true, pat_cb, &b, err))
		return false;
	*elems = b.elems;
	*nelems = b.n;
	return true;
}
