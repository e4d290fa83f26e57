/*-------------------------------------------------------------------------
 *
 * ast.c
 *	  Small helpers over the Cedar AST shared by the parser, the EST reader
 *	  and the printer: name rules and the table of extension functions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/cedar.h"
#include "cedar/parser.h"

/* Cedar's reserved identifiers (cedar-policy-core RESERVED_IDS) */
static const char *const reserved_idents[] = {
	"true", "false", "if", "then", "else", "in", "is", "like", "has", "__cedar"
};

bool
cedarpol_is_reserved(const char *s, int len)
{
	for (int i = 0; i < lengthof(reserved_idents); i++)
	{
		if ((int) strlen(reserved_idents[i]) == len &&
			memcmp(reserved_idents[i], s, len) == 0)
			return true;
	}
	return false;
}

bool
cedarpol_is_ident(const char *s, int len)
{
	if (len <= 0)
		return false;
	for (int i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (i > 0 && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

bool
cedarpol_is_valid_name(const char *s, int len)
{
	int			start = 0;

	for (int i = 0; i <= len; i++)
	{
		if (i == len || (s[i] == ':' && i + 1 < len && s[i + 1] == ':'))
		{
			if (!cedarpol_is_ident(s + start, i - start) ||
				cedarpol_is_reserved(s + start, i - start))
				return false;
			if (i == len)
				break;
			i++;
			start = i + 1;
		}
		else if (s[i] == ':')
			return false;
	}
	return true;
}

bool
cedarpol_is_action_type(const CedarString *type)
{
	const char *s = type->data;
	int			len = type->len;

	if (len == 6)
		return memcmp(s, "Action", 6) == 0;
	return len > 8 && memcmp(s + len - 8, "::Action", 8) == 0;
}

const char *
cedarpol_var_name(CedarVar var)
{
	switch (var)
	{
		case CEDAR_VAR_PRINCIPAL:
			return "principal";
		case CEDAR_VAR_ACTION:
			return "action";
		case CEDAR_VAR_RESOURCE:
			return "resource";
		case CEDAR_VAR_CONTEXT:
			return "context";
	}
	return "?";
}

CedarExpr *
cedarpol_new_expr(CedarExprKind kind, int start, int end)
{
	CedarExpr  *e = palloc0(sizeof(CedarExpr));

	e->kind = kind;
	e->start = start;
	e->end = end;
	return e;
}

CedarString
cedarpol_make_string(const char *data, int len)
{
	CedarString s;
	char	   *buf = palloc((Size) len + 1);

	memcpy(buf, data, len);
	buf[len] = '\0';
	s.data = buf;
	s.len = len;
	return s;
}

/*
 * Extension functions of Cedar 4.13 with their call style (ipaddr, decimal,
 * datetime, duration, and the partial-evaluation `unknown`).
 */
static const struct
{
	const char *name;
	CedarExtStyle style;
}			ext_functions[] = {
	{"ip", CEDAR_EXT_FUNCTION},
	{"decimal", CEDAR_EXT_FUNCTION},
	{"datetime", CEDAR_EXT_FUNCTION},
	{"duration", CEDAR_EXT_FUNCTION},
	{"unknown", CEDAR_EXT_FUNCTION},
	{"isIpv4", CEDAR_EXT_METHOD},
	{"isIpv6", CEDAR_EXT_METHOD},
	{"isLoopback", CEDAR_EXT_METHOD},
	{"isMulticast", CEDAR_EXT_METHOD},
	{"isInRange", CEDAR_EXT_METHOD},
	{"lessThan", CEDAR_EXT_METHOD},
	{"lessThanOrEqual", CEDAR_EXT_METHOD},
	{"greaterThan", CEDAR_EXT_METHOD},
	{"greaterThanOrEqual", CEDAR_EXT_METHOD},
	{"offset", CEDAR_EXT_METHOD},
	{"durationSince", CEDAR_EXT_METHOD},
	{"toDate", CEDAR_EXT_METHOD},
	{"toTime", CEDAR_EXT_METHOD},
	{"toMilliseconds", CEDAR_EXT_METHOD},
	{"toSeconds", CEDAR_EXT_METHOD},
	{"toMinutes", CEDAR_EXT_METHOD},
	{"toHours", CEDAR_EXT_METHOD},
	{"toDays", CEDAR_EXT_METHOD},
};

CedarExtStyle
cedar_ext_style(const char *name, int len)
{
	for (int i = 0; i < lengthof(ext_functions); i++)
	{
		if ((int) strlen(ext_functions[i].name) == len &&
			memcmp(ext_functions[i].name, name, len) == 0)
			return ext_functions[i].style;
	}
	return CEDAR_EXT_UNKNOWN;
}
