/*-------------------------------------------------------------------------
 *
 * canon.c
 *	  RFC 8785 JSON Canonicalization Scheme (JCS) for json text and jsonb.
 *
 * Output rules (RFC 8785 section 3.2): no whitespace; object members sorted
 * by the UTF-16 code units of their names; strings escaped minimally (only
 * \b \t \n \f \r \" \\ and \u00xx for other controls, everything else raw
 * UTF-8); numbers as ECMAScript Number::toString of the IEEE 754 double.
 *
 * json text is parsed with PostgreSQL's own parser (common/jsonapi.h) with
 * de-escaping switched off: the lexer validates the syntax, and this file
 * reads the validated lexemes itself.  That keeps \u0000 (which the json type
 * accepts but the lexer's de-escaper refuses) and lets the I-JSON checks
 * (RFC 7493: unique member names, no lone surrogates, numbers that fit a
 * double) report the JSON path of the offending value.  The parse records
 * each value as a lexeme reference; a container's children are moved into
 * one contiguous run when it closes (each entry moves once) and sorted
 * there, and a second pass writes the output.  Both passes are linear apart
 * from the sorts, whatever the nesting.
 *
 * jsonb is walked with its iterator without recursion (nested containers are
 * visited through an explicit stack), so depth is bounded by memory only.
 *
 * Numbers that overflow a double are errors.  Numbers that underflow round
 * to the nearest double like any other decimal literal (1e-400 gives 0, as
 * ECMAScript's JSON.parse does): RFC 8785 leaves underflow open, and
 * rounding is what it already requires for every inexact literal.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/jsonapi.h"
#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "canon.h"
#include "sha.h"
#include "pg_compat.h"

/* Longest member name shown in an error path before it is cut. */
#define JCS_PATH_KEY_MAX	64
/* Longest JSON path shown in an error message. */
#define JCS_PATH_MAX		400
/* Longest number lexeme quoted in an error message. */
#define JCS_NUMBER_SHOWN	40

/* One step of a JSON path, for error messages. */
typedef struct JcsPathStep
{
	bool		is_key;
	const char *key;
	int			keylen;
	int			index;
} JcsPathStep;

/* A value of json text: a scalar lexeme, or a container's children. */
typedef struct JcsNode
{
	JsonTokenType type;			/* a scalar token, OBJECT_START or ARRAY_START */
	int			first;			/* scalar: lexeme offset in the input;
								 * container: first child in entries[] */
	int			count;			/* scalar: lexeme length; container: children */
} JcsNode;

/* A member (with its name) or an array element of json text. */
typedef struct JcsEntry
{
	const char *key;			/* de-escaped UTF-8 member name; NULL in arrays */
	int			keylen;
	bool		key_raw;		/* the name had no escapes: copy it as is */
	JcsNode		node;
} JcsEntry;

/* A container still open during the parse. */
typedef struct JcsParseFrame
{
	bool		is_object;
	int			base;			/* its children so far are pending[base..] */
} JcsParseFrame;

typedef struct JcsTextState
{
	JsonLexContext *lex;
	const char *key_from;		/* where the next member name may start */
	JcsParseFrame *frames;
	int			nframes;
	int			maxframes;
	JcsEntry   *pending;		/* children of the open containers */
	int			npending;
	int			maxpending;
	JcsEntry   *entries;		/* children of closed containers */
	int			nentries;
	int			maxentries;
	JcsNode		root;
	StringInfoData tmp;			/* de-escaped string scratch */
} JcsTextState;

/* A container being written in the output pass. */
typedef struct JcsEmitFrame
{
	bool		is_object;
	int			first;
	int			count;
	int			next;			/* children written so far */
} JcsEmitFrame;

/* A member of a jsonb object, sorted before output. */
typedef struct JcsPair
{
	const char *key;
	int			keylen;
	JsonbValue	val;
} JcsPair;

typedef struct JcsJsonbFrame
{
	bool		is_object;
	JsonbIterator *it;			/* arrays */
	int			first_pair;		/* objects: index into pairs[] */
	int			npairs;
	int			next;			/* members or elements emitted so far */
} JcsJsonbFrame;

/*
 * Byte classes for string output: 0 = copy, otherwise the character after
 * the backslash ('u' means \u00xx).
 */
static const char jcs_escape[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
};

static const char hexdigits[] = "0123456789abcdef";

/* ---------------------------------------------------------------------
 * Strings, numbers, member order
 * ---------------------------------------------------------------------
 */

/*
 * Appends s (UTF-8, may contain NUL) as a JCS string literal.
 */
void
jcs_append_string(StringInfo out, const char *s, int len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;
	char	   *dst;

	/* Room for every byte copied plus both quotes; escapes enlarge below. */
	enlargeStringInfo(out, add_size(len, 2));
	dst = out->data + out->len;
	*dst++ = '"';
	while (p < end)
	{
		const unsigned char *run = p;
		char		e;

		while (p < end && jcs_escape[*p] == 0)
			p++;
		if (p > run)
		{
			memcpy(dst, run, p - run);
			dst += p - run;
		}
		if (p == end)
			break;

		/* Room for this escape (up to 6 bytes), the rest as is, the quote. */
		out->len = dst - out->data;
		enlargeStringInfo(out, add_size(end - p, 6));
		dst = out->data + out->len;

		e = jcs_escape[*p];
		*dst++ = '\\';
		if (e == 'u')
		{
			*dst++ = 'u';
			*dst++ = '0';
			*dst++ = '0';
			*dst++ = hexdigits[*p >> 4];
			*dst++ = hexdigits[*p & 0xf];
		}
		else
			*dst++ = e;
		p++;
	}
	*dst++ = '"';
	out->len = dst - out->data;
	out->data[out->len] = '\0';
}

/*
 * PostgreSQL's Ryu never picks a value lying exactly on the boundary of a
 * double's rounding interval (it is built without STRICTLY_SHORTEST, for
 * strtod implementations that do not round half to even).  ECMAScript
 * Number::toString does take such a value when it is shorter: 1e23 reads
 * back (half to even) as the double nearest to it, so it prints "1e+23"
 * where Ryu says 9.999999999999999e+22.  A boundary can be a short decimal
 * only when it is an integer with trailing zeros, i.e. for |d| >= 2^54 with
 * an even significand.  Given Ryu's digit count k, this returns the digits
 * W and power t (boundary = W * 10^t) of a boundary with fewer than k
 * significant digits, or 0 if there is none.
 */
static uint64
shorter_boundary(double d, int k, int *t_out)
{
	uint64		bits;
	int			ieee_exp;
	uint64		m2;
	int			e2;
	uint64		bounds[2];
	uint64		best = 0;
	int			best_digits = k;

	memcpy(&bits, &d, sizeof(bits));
	ieee_exp = (int) ((bits >> 52) & 0x7ff);
	if (ieee_exp < 1023 + 54)
		return 0;
	m2 = (UINT64CONST(1) << 52) | (bits & ((UINT64CONST(1) << 52) - 1));
	if (m2 & 1)
		return 0;				/* the boundaries read back as the neighbours */
	e2 = ieee_exp - 1023 - 52 - 2;	/* d = 4 * m2 * 2^e2, e2 >= 0 here */

	/* Interval ends, as in Ryu: the lower gap halves at a power of two. */
	bounds[0] = 4 * m2 - 1 - ((bits & ((UINT64CONST(1) << 52) - 1)) != 0 ? 1 : 0);
	bounds[1] = 4 * m2 + 2;

	for (int i = 0; i < 2; i++)
	{
		uint64		x = bounds[i];
		int			twos = e2 + pg_rightmost_one_pos64(x);
		int			t = 0;
		int			shift;
		uint64		w;
		int			digits = 0;

		/* boundary = x * 2^e2; strip factors of 10 = common 5s and 2s */
		while (t < twos && x % 5 == 0)
		{
			x /= 5;
			t++;
		}
		shift = e2 - t;
		if (shift >= 0)
		{
			if (shift >= 64 || x >= (UINT64CONST(1) << (63 - Min(shift, 63))))
				continue;		/* far more than 17 digits */
			w = x << shift;
		}
		else
			w = x >> -shift;
		for (uint64 v = w; v > 0; v /= 10)
			digits++;
		/* (the two ends differ by a power of two: at most one is short) */
		if (digits < best_digits)
		{
			best = w;
			best_digits = digits;
			*t_out = t;
		}
	}
	return best;
}

/*
 * Appends the number 0.digits * 10^n (k significant digits, no leading or
 * trailing zeros) laid out as ECMAScript Number::toString does
 * (ECMA-262 section 6.1.6.1.20, steps 6 to 10).
 */
static void
append_ecmascript_layout(StringInfo out, bool neg, const char *digits, int k, int n)
{
	char	   *r;

	/* the longest forms: 21 integer digits, or 0.000000 and 17 digits */
	enlargeStringInfo(out, k + 32);
	r = out->data + out->len;
	if (neg)
		*r++ = '-';
	if (k <= n && n <= 21)
	{
		memcpy(r, digits, k);
		r += k;
		for (int i = k; i < n; i++)
			*r++ = '0';
	}
	else if (0 < n && n <= 21)
	{
		memcpy(r, digits, n);
		r += n;
		*r++ = '.';
		memcpy(r, digits + n, k - n);
		r += k - n;
	}
	else if (-6 < n && n <= 0)
	{
		*r++ = '0';
		*r++ = '.';
		for (int i = n; i < 0; i++)
			*r++ = '0';
		memcpy(r, digits, k);
		r += k;
	}
	else
	{
		int			e = n - 1;

		*r++ = digits[0];
		if (k > 1)
		{
			*r++ = '.';
			memcpy(r, digits + 1, k - 1);
			r += k - 1;
		}
		r += sprintf(r, "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
	}
	out->len = r - out->data;
	out->data[out->len] = '\0';
}

/*
 * Appends a finite double as ECMAScript Number::toString, which is the JCS
 * number form.  Ryu gives the shortest round-tripping digits (but see
 * shorter_boundary); only their layout is ECMAScript's.
 */
void
jcs_append_double(StringInfo out, double d)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN + 1];
	char		digits[DOUBLE_SHORTEST_DECIMAL_LEN];
	int			len;
	int			k = 0;			/* significant digits */
	int			n = 0;			/* value = 0.digits * 10^n */
	bool		neg;
	bool		point = false;
	char	   *p;
	uint64		boundary;
	int			t = 0;

	if (d == 0)
	{
		/* both zeros print as "0" */
		appendStringInfoChar(out, '0');
		return;
	}
	if (isnan(d) || isinf(d))
		elog(ERROR, "non-finite double in canonical JSON output");

	len = double_to_shortest_decimal_bufn(d, buf);
	buf[len] = '\0';
	p = buf;
	neg = (*p == '-');
	if (neg)
		p++;
	for (; *p && *p != 'e' && *p != 'E'; p++)
	{
		if (*p == '.')
			point = true;
		else if (k == 0 && *p == '0')
		{
			if (point)
				n--;
		}
		else
		{
			digits[k++] = *p;
			if (!point)
				n++;
		}
	}
	if (*p)
		n += atoi(p + 1);
	while (k > 1 && digits[k - 1] == '0')
		k--;

	boundary = shorter_boundary(d, k, &t);
	if (boundary != 0)
	{
		k = snprintf(digits, sizeof(digits), UINT64_FORMAT, boundary);
		n = k + t;
	}
	append_ecmascript_layout(out, neg, digits, k, n);
}

/*
 * Appends the JCS form of a JSON number lexeme (already validated as JSON
 * number syntax).  Returns false if it lies outside the double range.
 *
 * A decimal of at most DBL_DIG (15) significant digits within the normal
 * range is the shortest form of its double: distinct such decimals round to
 * distinct doubles, so no shorter decimal reads back the same.  Those are
 * laid out from their own digits; the rest go through strtod and Ryu.
 */
static bool
jcs_append_number_text(StringInfo out, const char *s, int len)
{
	char		digits[DBL_DIG];
	int			k = 0;
	int			n = 0;
	int			trailing = 0;	/* zeros seen after the last nonzero digit */
	bool		neg = (s[0] == '-');
	bool		point = false;
	bool		fast = true;
	int			i = neg ? 1 : 0;
	char		local[64];
	char	   *copy;
	double		d;

	for (; i < len && s[i] != 'e' && s[i] != 'E'; i++)
	{
		char		c = s[i];

		if (c == '.')
			point = true;
		else if (c == '0' && k == 0)
		{
			if (point)
				n--;
		}
		else if (c == '0')
		{
			trailing++;
			if (!point)
				n++;
		}
		else
		{
			if (k + trailing >= DBL_DIG)
			{
				fast = false;
				break;
			}
			for (; trailing > 0; trailing--)
				digits[k++] = '0';
			digits[k++] = c;
			if (!point)
				n++;
		}
	}
	if (fast && i < len)
	{
		/* exponent: at most 4 digits keeps it far from overflow */
		int			j = i + 1;
		bool		eneg = false;
		int			e = 0;

		if (s[j] == '+' || s[j] == '-')
			eneg = (s[j++] == '-');
		if (len - j > 4)
			fast = false;
		for (; fast && j < len; j++)
			e = e * 10 + (s[j] - '0');
		n += eneg ? -e : e;
	}
	if (fast)
	{
		if (k == 0)
		{
			appendStringInfoChar(out, '0');
			return true;
		}
		if (n > -300 && n < 300)
		{
			append_ecmascript_layout(out, neg, digits, k, n);
			return true;
		}
	}

	/* strtod needs a terminator; the lexeme is not terminated in place. */
	copy = len < (int) sizeof(local) ? local : palloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	d = strtod(copy, NULL);
	if (copy != local)
		pfree(copy);
	if (isinf(d) || isnan(d))
		return false;
	jcs_append_double(out, d);
	return true;
}

/*
 * Compares member names by UTF-16 code units.  UTF-8 byte order is code
 * point order, which equals UTF-16 order except that supplementary
 * characters (lead byte F0..F4, surrogate pairs in UTF-16) sort before
 * U+E000..U+FFFF (lead bytes EE, EF).  So compare bytes, and fix up only
 * when the first difference is between such two code points.
 */
static inline int
jcs_name_cmp(const char *a, int alen, const char *b, int blen)
{
	const unsigned char *ua = (const unsigned char *) a;
	const unsigned char *ub = (const unsigned char *) b;
	int			n = Min(alen, blen);
	int			i = 0;

	while (i < n && ua[i] == ub[i])
		i++;
	if (i == n)
		return (alen > blen) - (alen < blen);

	/* A difference at a lead byte means the code points themselves differ. */
	if ((ua[i] & 0xC0) != 0x80)
	{
		if (ua[i] >= 0xF0 && (ub[i] == 0xEE || ub[i] == 0xEF))
			return -1;
		if (ub[i] >= 0xF0 && (ua[i] == 0xEE || ua[i] == 0xEF))
			return 1;
	}
	return (int) ua[i] - (int) ub[i];
}

#define ST_SORT sort_entries
#define ST_ELEMENT_TYPE JcsEntry
#define ST_COMPARE(a, b) jcs_name_cmp((a)->key, (a)->keylen, (b)->key, (b)->keylen)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

#define ST_SORT sort_pairs
#define ST_ELEMENT_TYPE JcsPair
#define ST_COMPARE(a, b) jcs_name_cmp((a)->key, (a)->keylen, (b)->key, (b)->keylen)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* ---------------------------------------------------------------------
 * Error reporting
 * ---------------------------------------------------------------------
 */

/* Appends one member name as a path step: .name or ."quoted name". */
static void
append_path_key(StringInfo buf, const char *key, int keylen)
{
	bool		ident = keylen > 0;
	int			shown;

	for (int i = 0; ident && i < keylen; i++)
	{
		char		c = key[i];

		ident = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			c == '$' || (i > 0 && c >= '0' && c <= '9');
	}
	appendStringInfoChar(buf, '.');
	/* cut at a character boundary (names may hold NUL, so no pg_mbcliplen) */
	shown = Min(keylen, JCS_PATH_KEY_MAX);
	while (shown < keylen && shown > 0 && (key[shown] & 0xC0) == 0x80)
		shown--;
	if (ident && shown == keylen)
		appendBinaryStringInfo(buf, key, keylen);
	else
	{
		jcs_append_string(buf, key, shown);
		if (shown < keylen)
		{
			/* mark the cut inside the quotes */
			buf->len--;
			appendStringInfoString(buf, "...\"");
		}
	}
}

/*
 * Renders a JSON path such as $.a.b[2] (jsonpath syntax).  Very deep paths
 * keep their innermost steps.
 */
static char *
render_path(const JcsPathStep *steps, int nsteps)
{
	StringInfoData buf;
	int			first = 0;
	int			total = 0;

	/* Find the outermost step that still fits in the budget. */
	for (int i = nsteps - 1; i >= 0; i--)
	{
		total += steps[i].is_key ? Min(steps[i].keylen, JCS_PATH_KEY_MAX) + 4 : 12;
		if (total > JCS_PATH_MAX)
		{
			first = i + 1;
			break;
		}
	}

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '$');
	if (first > 0)
		appendStringInfoString(&buf, "...");
	for (int i = first; i < nsteps; i++)
	{
		if (steps[i].is_key)
			append_path_key(&buf, steps[i].key, steps[i].keylen);
		else
			appendStringInfo(&buf, "[%d]", steps[i].index);
	}
	return buf.data;
}

static void
report_number_out_of_range(const char *num, int len, const char *path)
{
	int			shown = Min(len, JCS_NUMBER_SHOWN);

	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("JSON number \"%.*s%s\" is out of range for canonical JSON",
					shown, num, shown < len ? "..." : ""),
			 errdetail("The number at %s does not fit in an IEEE 754 double.", path),
			 errhint("RFC 8785 and I-JSON (RFC 7493) allow only numbers within the double range; send larger values as strings.")));
}

static void
check_database_encoding(void)
{
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("canonical JSON requires a UTF8 database"),
				 errdetail("The database encoding is %s.", GetDatabaseEncodingName()),
				 errhint("RFC 8785 output is UTF-8; use a database created with ENCODING 'UTF8'.")));
}

/* ---------------------------------------------------------------------
 * json text
 * ---------------------------------------------------------------------
 */

/*
 * Path of the parse position: the current child of each of the first upto
 * open containers (of the innermost one only if last_current), then key.
 */
static char *
parse_path(JcsTextState *st, int upto, bool last_current,
		   const char *key, int keylen)
{
	JcsPathStep *steps = palloc(sizeof(JcsPathStep) * (upto + 1));
	int			n = 0;

	for (int i = 0; i < upto; i++)
	{
		JcsParseFrame *f = &st->frames[i];
		int			cur;

		if (i + 1 < st->nframes)
			cur = st->frames[i + 1].base - 1;	/* the entry holding frame i+1 */
		else if (last_current && st->npending > f->base)
			cur = st->npending - 1;
		else
			continue;
		steps[n].is_key = f->is_object;
		steps[n].key = st->pending[cur].key;
		steps[n].keylen = st->pending[cur].keylen;
		steps[n].index = cur - f->base;
		n++;
	}
	if (key)
	{
		steps[n].is_key = true;
		steps[n].key = key;
		steps[n].keylen = keylen;
		n++;
	}
	return render_path(steps, n);
}

/* Path of the value being written in the output pass. */
static char *
emit_path(JcsTextState *st, JcsEmitFrame *frames, int nframes)
{
	JcsPathStep *steps = palloc(sizeof(JcsPathStep) * (nframes + 1));

	for (int i = 0; i < nframes; i++)
	{
		JcsEntry   *e = &st->entries[frames[i].first + frames[i].next - 1];

		steps[i].is_key = frames[i].is_object;
		steps[i].key = e->key;
		steps[i].keylen = e->keylen;
		steps[i].index = frames[i].next - 1;
	}
	return render_path(steps, nframes);
}

/* Value of the 4 hex digits after a validated \u escape. */
static inline unsigned int
hex4(const char *s)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		c = s[i];

		v = (v << 4) | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

/*
 * De-escapes the body of a validated JSON string lexeme into dst as UTF-8.
 * Returns -1, or the code unit of an unpaired surrogate.
 */
static int
unescape_json_string(StringInfo dst, const char *s, const char *end)
{
	while (s < end)
	{
		const char *run = s;
		unsigned int cp;
		unsigned char utf8[4];

		while (s < end && *s != '\\')
			s++;
		if (s > run)
			appendBinaryStringInfo(dst, run, s - run);
		if (s >= end)
			break;
		s++;					/* backslash */
		switch (*s++)
		{
			case '"':
				appendStringInfoChar(dst, '"');
				continue;
			case '\\':
				appendStringInfoChar(dst, '\\');
				continue;
			case '/':
				appendStringInfoChar(dst, '/');
				continue;
			case 'b':
				appendStringInfoChar(dst, '\b');
				continue;
			case 'f':
				appendStringInfoChar(dst, '\f');
				continue;
			case 'n':
				appendStringInfoChar(dst, '\n');
				continue;
			case 'r':
				appendStringInfoChar(dst, '\r');
				continue;
			case 't':
				appendStringInfoChar(dst, '\t');
				continue;
			case 'u':
				break;
			default:
				elog(ERROR, "unexpected escape in validated JSON string");
		}

		cp = hex4(s);
		s += 4;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return (int) cp;
		if (cp >= 0xD800 && cp <= 0xDBFF)
		{
			unsigned int lo;

			if (end - s < 6 || s[0] != '\\' || s[1] != 'u')
				return (int) cp;
			lo = hex4(s + 2);
			if (lo < 0xDC00 || lo > 0xDFFF)
				return (int) cp;
			s += 6;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		}
		unicode_to_utf8(cp, utf8);
		appendBinaryStringInfo(dst, (char *) utf8, pg_utf_mblen(utf8));
	}
	return -1;
}

static void
report_lone_surrogate(int cu, bool in_key, const char *path)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
			 errmsg("unpaired Unicode surrogate \\u%04x in JSON %s", cu,
					in_key ? "member name" : "string"),
			 in_key ?
			 errdetail("A member name of the object at %s contains a surrogate code unit that is not part of a pair.", path) :
			 errdetail("The string at %s contains a surrogate code unit that is not part of a pair.", path),
			 errhint("I-JSON (RFC 7493) requires valid Unicode: a high surrogate \\ud800-\\udbff must be directly followed by a low surrogate \\udc00-\\udfff.")));
}

/* Grows a huge-capable array of elements of size elsize to hold one more. */
static void *
grow_array(void *array, int *max, Size elsize)
{
	if (*max >= MaxAllocHugeSize / elsize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("JSON document has too many values to canonicalize")));
	*max *= 2;
	return repalloc_huge(array, mul_size(*max, elsize));
}

/* Records the value starting at the lexer's current token. */
static JcsEntry *
push_entry(JcsTextState *st)
{
	JcsEntry   *e;

	if (st->npending == st->maxpending)
		st->pending = grow_array(st->pending, &st->maxpending, sizeof(JcsEntry));
	e = &st->pending[st->npending++];
	e->key = NULL;
	e->keylen = 0;
	e->key_raw = false;
	e->node.type = st->lex->token_type;
	e->node.first = st->lex->token_start - st->lex->input;
	e->node.count = st->lex->token_terminator - st->lex->token_start;
	return e;
}

static void
push_frame(JcsTextState *st, bool is_object)
{
	if (st->nframes == st->maxframes)
		st->frames = grow_array(st->frames, &st->maxframes, sizeof(JcsParseFrame));
	st->frames[st->nframes].is_object = is_object;
	st->frames[st->nframes].base = st->npending;
	st->nframes++;
}

/* Moves the closing container's children to entries[] and links them. */
static void
close_frame(JcsTextState *st)
{
	JcsParseFrame *f = &st->frames[st->nframes - 1];
	int			n = st->npending - f->base;
	JcsNode    *node;

	while (st->nentries + n > st->maxentries)
		st->entries = grow_array(st->entries, &st->maxentries, sizeof(JcsEntry));
	memcpy(&st->entries[st->nentries], &st->pending[f->base], sizeof(JcsEntry) * n);
	node = f->base > 0 && st->nframes > 1 ? &st->pending[f->base - 1].node : &st->root;
	node->first = st->nentries;
	node->count = n;
	st->nentries += n;
	st->npending = f->base;
	st->nframes--;
}

static JSON_ACTION_RESULT
text_object_start(void *state)
{
	JcsTextState *st = state;

	CHECK_FOR_INTERRUPTS();
	push_frame(st, true);
	/* the current token is the '{' */
	st->key_from = st->lex->token_terminator;
	return JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
text_object_field_start(void *state, char *fname, bool isnull)
{
	JcsTextState *st = state;
	const char *end = st->lex->input + st->lex->input_length;
	const char *ks = st->key_from;
	const char *ke;
	bool		escaped = false;
	JcsEntry   *e;

	/* The name lexeme follows the '{' or ',' after optional whitespace. */
	while (ks < end && (*ks == ' ' || *ks == '\t' || *ks == '\n' || *ks == '\r'))
		ks++;
	if (ks >= end || *ks != '"')
		elog(ERROR, "could not locate JSON member name");
	for (ke = ks + 1; ke < end && *ke != '"'; ke++)
	{
		if (*ke == '\\')
		{
			escaped = true;
			ke++;
		}
	}
	if (ke >= end)
		elog(ERROR, "could not locate end of JSON member name");

	if (!escaped)
	{
		/* the current token is the value's first token */
		e = push_entry(st);
		e->key = ks + 1;
		e->keylen = ke - ks - 1;
		e->key_raw = true;
	}
	else
	{
		int			bad;
		char	   *copy;

		resetStringInfo(&st->tmp);
		bad = unescape_json_string(&st->tmp, ks + 1, ke);
		if (bad >= 0)
			report_lone_surrogate(bad, true, parse_path(st, st->nframes, false, NULL, 0));
		copy = palloc(st->tmp.len + 1);
		memcpy(copy, st->tmp.data, st->tmp.len + 1);
		e = push_entry(st);
		e->key = copy;
		e->keylen = st->tmp.len;
	}
	return JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
text_object_field_end(void *state, char *fname, bool isnull)
{
	JcsTextState *st = state;

	/* the current token is the ',' or '}' after the value */
	st->key_from = st->lex->token_terminator;
	return JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
text_object_end(void *state)
{
	JcsTextState *st = state;
	JcsParseFrame *f = &st->frames[st->nframes - 1];
	JcsEntry   *m = &st->pending[f->base];
	int			n = st->npending - f->base;

	if (n > 1)
	{
		sort_entries(m, n);
		for (int i = 0; i < n - 1; i++)
		{
			if (m[i].keylen == m[i + 1].keylen &&
				memcmp(m[i].key, m[i + 1].key, m[i].keylen) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_JSON_OBJECT_KEY_VALUE),
						 errmsg("duplicate JSON object member name"),
						 errdetail("The member %s occurs more than once.",
								   parse_path(st, st->nframes - 1, false,
											  m[i].key, m[i].keylen)),
						 errhint("I-JSON (RFC 7493) and RFC 8785 require the member names of an object to be unique.")));
		}
	}
	close_frame(st);
	return JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
text_array_start(void *state)
{
	JcsTextState *st = state;

	CHECK_FOR_INTERRUPTS();
	push_frame(st, false);
	return JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
text_array_element_start(void *state, bool isnull)
{
	/* the current token is the element's first token */
	push_entry((JcsTextState *) state);
	return JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
text_array_end(void *state)
{
	close_frame((JcsTextState *) state);
	return JSON_ACTION_DONE;
}

static void
report_syntax_error(JcsTextState *st, JsonParseErrorType error)
{
	char	   *path = parse_path(st, st->nframes, true, NULL, 0);
	const char *token = st->lex->token_start;
	int			toklen = st->lex->token_terminator - st->lex->token_start;
	bool		nonfinite = false;

	if (token && toklen > 0)
	{
		if (*token == '-')
		{
			token++;
			toklen--;
		}
		nonfinite = (toklen == 3 && memcmp(token, "NaN", 3) == 0) ||
			(toklen == 8 && memcmp(token, "Infinity", 8) == 0);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type json"),
			 errdetail("%s The error is at %s, line %d.",
					   json_errdetail(error, st->lex), path, st->lex->line_number),
			 nonfinite ?
			 errhint("JSON has no NaN or Infinity; send such values as strings.") :
			 errhint("Canonical JSON input must be strict RFC 8259 JSON text.")));
}

/*
 * Writes a scalar from its lexeme; path_frames/npath locate it for errors
 * (NULL: the document itself).
 */
static void
emit_text_scalar(JcsTextState *st, StringInfo out, const JcsNode *node,
				 JcsEmitFrame *path_frames, int npath)
{
	const char *s = st->lex->input + node->first;
	int			len = node->count;

	switch (node->type)
	{
		case JSON_TOKEN_STRING:

			/*
			 * Without a backslash the lexeme is already canonical: the lexer
			 * refuses raw controls, and a raw quote would end the string.
			 */
			if (memchr(s, '\\', len) == NULL)
				appendBinaryStringInfo(out, s, len);
			else
			{
				int			bad;

				resetStringInfo(&st->tmp);
				bad = unescape_json_string(&st->tmp, s + 1, s + len - 1);
				if (bad >= 0)
					report_lone_surrogate(bad, false, emit_path(st, path_frames, npath));
				jcs_append_string(out, st->tmp.data, st->tmp.len);
			}
			break;
		case JSON_TOKEN_NUMBER:
			if (!jcs_append_number_text(out, s, len))
				report_number_out_of_range(s, len, emit_path(st, path_frames, npath));
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
		case JSON_TOKEN_NULL:
			appendBinaryStringInfo(out, s, len);
			break;
		default:
			elog(ERROR, "unexpected JSON token type %d", (int) node->type);
	}
}

/* Output pass: writes the recorded document in canonical order. */
static void
emit_text_document(JcsTextState *st, StringInfo out)
{
	JcsEmitFrame *frames;
	int			nframes = 0;
	int			maxframes = Max(st->maxframes, 1);
	const JcsNode *node = &st->root;

	frames = palloc(sizeof(JcsEmitFrame) * maxframes);
	for (;;)
	{
		JcsEmitFrame *f;
		JcsEntry   *e;

		if (node)
		{
			/* open a container */
			if (nframes == maxframes)
				frames = grow_array(frames, &maxframes, sizeof(JcsEmitFrame));
			f = &frames[nframes++];
			f->is_object = (node->type == JSON_TOKEN_OBJECT_START);
			f->first = node->first;
			f->count = node->count;
			f->next = 0;
			appendStringInfoChar(out, f->is_object ? '{' : '[');
			node = NULL;
		}

		f = &frames[nframes - 1];
		if (f->next == f->count)
		{
			appendStringInfoChar(out, f->is_object ? '}' : ']');
			if (--nframes == 0)
				break;
			continue;
		}
		CHECK_FOR_INTERRUPTS();
		e = &st->entries[f->first + f->next];
		if (f->next++ > 0)
			appendStringInfoChar(out, ',');
		if (f->is_object)
		{
			if (e->key_raw)
			{
				/* an unescaped name is canonical as it stands */
				appendStringInfoChar(out, '"');
				appendBinaryStringInfo(out, e->key, e->keylen);
				appendStringInfoChar(out, '"');
			}
			else
				jcs_append_string(out, e->key, e->keylen);
			appendStringInfoChar(out, ':');
		}
		if (e->node.type == JSON_TOKEN_OBJECT_START || e->node.type == JSON_TOKEN_ARRAY_START)
			node = &e->node;
		else
			emit_text_scalar(st, out, &e->node, frames, nframes);
	}
}

/* Canonicalizes json text into out; temporary memory in the current context. */
static void
jcs_text_internal(StringInfo out, const char *json, int len)
{
	JcsTextState st;
	JsonSemAction sem;
	JsonParseErrorType error;
	const char *s = json;
	const char *e = json + len;

	memset(&st, 0, sizeof(st));
	st.lex = json_lexer_for_string(json, len, PG_UTF8, false);
	initStringInfo(&st.tmp);

	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;

	if (s < e && (*s == '{' || *s == '['))
	{
		/* a first guess at the number of values; the arrays grow as needed */
		st.maxframes = 16;
		st.frames = palloc(sizeof(JcsParseFrame) * st.maxframes);
		st.maxpending = 64;
		st.pending = palloc(sizeof(JcsEntry) * st.maxpending);
		st.maxentries = Max(64, Min(len / 16, 1 << 16));
		st.entries = MemoryContextAllocHuge(CurrentMemoryContext,
											sizeof(JcsEntry) * st.maxentries);
		st.root.type = *s == '{' ? JSON_TOKEN_OBJECT_START : JSON_TOKEN_ARRAY_START;

		memset(&sem, 0, sizeof(sem));
		sem.semstate = &st;
		sem.object_start = text_object_start;
		sem.object_end = text_object_end;
		sem.object_field_start = text_object_field_start;
		sem.object_field_end = text_object_field_end;
		sem.array_start = text_array_start;
		sem.array_end = text_array_end;
		sem.array_element_start = text_array_element_start;
		error = pg_parse_json(st.lex, &sem);
		if (error != JSON_SUCCESS)
			report_syntax_error(&st, error);
		emit_text_document(&st, out);
	}
	else
	{
		/* A lone scalar: validate, then the trimmed input is its lexeme. */
		error = pg_parse_json(st.lex, &nullSemAction);
		if (error != JSON_SUCCESS)
			report_syntax_error(&st, error);
		st.root.first = s - json;
		st.root.count = e - s;
		if (*s == '"')
			st.root.type = JSON_TOKEN_STRING;
		else if (*s == '-' || (*s >= '0' && *s <= '9'))
			st.root.type = JSON_TOKEN_NUMBER;
		else
			st.root.type = JSON_TOKEN_NULL; /* true, false, null: copied */
		emit_text_scalar(&st, out, &st.root, NULL, 0);
	}
}

void
jcs_append_json_text(StringInfo out, const char *json, int len)
{
	check_database_encoding();
	/* C callers may pass unchecked bytes; SQL text is verified on input. */
	pg_verify_mbstr(PG_UTF8, json, len, false);
	jcs_append_json_text_verified(out, json, len);
}

void
jcs_append_json_text_verified(StringInfo out, const char *json, int len)
{
	MemoryContext scratch;
	MemoryContext old;

	check_database_encoding();
	scratch = AllocSetContextCreate(CurrentMemoryContext, "jcs", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);
	jcs_text_internal(out, json, len);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
}

/* ---------------------------------------------------------------------
 * jsonb
 * ---------------------------------------------------------------------
 */

static void
jsonb_report_number(JcsJsonbFrame *frames, int nframes, JcsPair *pairs,
					const char *num, int len)
{
	JcsPathStep *steps = palloc(sizeof(JcsPathStep) * (nframes + 1));
	int			n = 0;

	for (int i = 0; i < nframes; i++)
	{
		JcsJsonbFrame *f = &frames[i];

		if (f->next == 0)
			continue;
		steps[n].is_key = f->is_object;
		if (f->is_object)
		{
			steps[n].key = pairs[f->first_pair + f->next - 1].key;
			steps[n].keylen = pairs[f->first_pair + f->next - 1].keylen;
		}
		else
			steps[n].index = f->next - 1;
		n++;
	}
	report_number_out_of_range(num, len, render_path(steps, n));
}

/* Appends a jsonb scalar; returns false for a number outside double range. */
static bool
emit_jsonb_scalar(StringInfo out, JsonbValue *v, char **badnum)
{
	switch (v->type)
	{
		case jbvNull:
			appendBinaryStringInfo(out, "null", 4);
			break;
		case jbvBool:
			if (v->val.boolean)
				appendBinaryStringInfo(out, "true", 4);
			else
				appendBinaryStringInfo(out, "false", 5);
			break;
		case jbvString:
			jcs_append_string(out, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			{
				char	   *num = DatumGetCString(DirectFunctionCall1(numeric_out,
																	  NumericGetDatum(v->val.numeric)));

				/* jsonb stores NaN and infinities as strings; be sure */
				if (numeric_is_nan(v->val.numeric) || numeric_is_inf(v->val.numeric) ||
					!jcs_append_number_text(out, num, strlen(num)))
				{
					*badnum = num;
					return false;
				}
				pfree(num);
			}
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return true;
}

/* Canonicalizes jsonb into out; temporary memory in the current context. */
static void
jcs_jsonb_internal(StringInfo out, Jsonb *jb)
{
	JcsJsonbFrame *frames;
	int			nframes = 0;
	int			maxframes = 16;
	JcsPair    *pairs;
	int			npairs = 0;
	int			maxpairs = 64;
	JsonbValue	v;
	char	   *badnum = NULL;

	if (JB_ROOT_IS_SCALAR(jb))
	{
		if (!JsonbExtractScalar(&jb->root, &v))
			elog(ERROR, "could not extract jsonb scalar");
		if (!emit_jsonb_scalar(out, &v, &badnum))
			report_number_out_of_range(badnum, strlen(badnum), "$");
		return;
	}

	frames = palloc(sizeof(JcsJsonbFrame) * maxframes);
	pairs = palloc(sizeof(JcsPair) * maxpairs);
	v.type = jbvBinary;
	v.val.binary.data = &jb->root;
	v.val.binary.len = VARSIZE(jb) - VARHDRSZ;

	for (;;)
	{
		JcsJsonbFrame *f;

		CHECK_FOR_INTERRUPTS();

		if (v.type == jbvBinary)
		{
			/* Open a container: objects collect and sort their members. */
			JsonbContainer *c = v.val.binary.data;
			JsonbIterator *it = JsonbIteratorInit(c);
			JsonbIteratorToken r;

			if (nframes == maxframes)
			{
				maxframes *= 2;
				frames = repalloc_huge(frames, mul_size(maxframes, sizeof(JcsJsonbFrame)));
			}
			f = &frames[nframes++];
			f->next = 0;
			f->is_object = JsonContainerIsObject(c);
			r = JsonbIteratorNext(&it, &v, true);
			if (f->is_object)
			{
				Assert(r == WJB_BEGIN_OBJECT);
				f->first_pair = npairs;
				f->npairs = v.val.object.nPairs;
				if (npairs + f->npairs > maxpairs)
				{
					maxpairs = Max(maxpairs * 2, npairs + f->npairs);
					pairs = repalloc_huge(pairs, mul_size(maxpairs, sizeof(JcsPair)));
				}
				while ((r = JsonbIteratorNext(&it, &v, true)) == WJB_KEY)
				{
					JcsPair    *p = &pairs[npairs++];

					p->key = v.val.string.val;
					p->keylen = v.val.string.len;
					r = JsonbIteratorNext(&it, &p->val, true);
					Assert(r == WJB_VALUE);
				}
				Assert(r == WJB_END_OBJECT && npairs == f->first_pair + f->npairs);
				if (f->npairs > 1)
					sort_pairs(&pairs[f->first_pair], f->npairs);
				f->it = NULL;
				appendStringInfoChar(out, '{');
			}
			else
			{
				Assert(r == WJB_BEGIN_ARRAY);
				f->it = it;
				appendStringInfoChar(out, '[');
			}
		}

		/* Produce the next value of the innermost open container. */
		f = &frames[nframes - 1];
		if (f->is_object)
		{
			JcsPair    *p;

			if (f->next == f->npairs)
			{
				appendStringInfoChar(out, '}');
				npairs = f->first_pair;
				if (--nframes == 0)
					break;
				v.type = jbvNull;	/* nothing to open */
				continue;
			}
			p = &pairs[f->first_pair + f->next];
			if (f->next++ > 0)
				appendStringInfoChar(out, ',');
			jcs_append_string(out, p->key, p->keylen);
			appendStringInfoChar(out, ':');
			v = p->val;
		}
		else
		{
			JsonbIteratorToken r = JsonbIteratorNext(&f->it, &v, true);

			if (r == WJB_END_ARRAY)
			{
				appendStringInfoChar(out, ']');
				if (--nframes == 0)
					break;
				v.type = jbvNull;
				continue;
			}
			Assert(r == WJB_ELEM);
			if (f->next++ > 0)
				appendStringInfoChar(out, ',');
		}

		if (v.type != jbvBinary)
		{
			if (!emit_jsonb_scalar(out, &v, &badnum))
				jsonb_report_number(frames, nframes, pairs, badnum, strlen(badnum));
			v.type = jbvNull;
		}
	}
}

void
jcs_append_jsonb(StringInfo out, Jsonb *jb)
{
	MemoryContext scratch;
	MemoryContext old;

	check_database_encoding();
	scratch = AllocSetContextCreate(CurrentMemoryContext, "jcs", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);
	jcs_jsonb_internal(out, jb);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
}

void
jcs_sha256_hex(Jsonb *jb, char *hex)
{
	StringInfoData buf;

	initStringInfo(&buf);
	jcs_append_jsonb(&buf, jb);
	sha256_hex(buf.data, buf.len, hex);
	pfree(buf.data);
}

/* Canonical objects member by member ------------------------------------------- */

void
jcs_object_begin(StringInfo buf)
{
	initStringInfo(buf);
	appendStringInfoChar(buf, '{');
}

/* The separator and "key": of the next member. */
static void
jcs_object_key(StringInfo buf, const char *key)
{
	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	jcs_append_string(buf, key, strlen(key));
	appendStringInfoChar(buf, ':');
}

void
jcs_object_str(StringInfo buf, const char *key, const char *value)
{
	jcs_object_key(buf, key);
	if (value == NULL)
		appendStringInfoString(buf, "null");
	else
		jcs_append_string(buf, value, strlen(value));
}

void
jcs_object_int(StringInfo buf, const char *key, int64 value)
{
	jcs_object_key(buf, key);
	appendStringInfo(buf, INT64_FORMAT, value);
}

void
jcs_object_jsonb(StringInfo buf, const char *key, Jsonb *value)
{
	jcs_object_key(buf, key);
	if (value == NULL)
		appendStringInfoString(buf, "null");
	else
		jcs_append_jsonb(buf, value);
}

void
jcs_object_end(StringInfo buf)
{
	appendStringInfoChar(buf, '}');
}
