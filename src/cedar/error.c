/*-------------------------------------------------------------------------
 *
 * error.c
 *	  Errors of the Cedar front end: message, detail and hint laid out the
 *	  same way for every input (see error.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/error.h"
#include "cedar/lexer.h"
#include "keycard.h"

/* Offending text shown in a detail: at most this many bytes */
#define EXCERPT_MAX 40
/* JSON paths longer than this are shown by their last bytes only */
#define PATH_MAX_SHOWN 120

static const char *const input_prefix[] = {
	[CEDAR_INPUT_POLICY] = "invalid Cedar policy",
	[CEDAR_INPUT_EST] = "invalid Cedar EST policy",
	[CEDAR_INPUT_SCHEMA] = "invalid Cedar schema",
	[CEDAR_INPUT_JSON_SCHEMA] = "invalid Cedar JSON schema",
	[CEDAR_INPUT_SCHEMA_TO_TEXT] = "Cedar schema cannot be written as text",
	[CEDAR_INPUT_VALIDATION] = "Cedar policies cannot be validated",
	[CEDAR_INPUT_AUTHORIZATION] = "invalid Cedar authorization request",
};

#define NUL_MESSAGE "strings cannot hold the NUL character (U+0000)"
#define NUL_HINT "PostgreSQL text and jsonb cannot store U+0000; write the string without it."

/* The one ereport */
pg_attribute_noreturn()
static void
cedar_raise(CedarInput input, int sqlerrcode, const char *msg, const char *detail,
			const char *hint)
{
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg("%s: %s", input_prefix[input], msg),
			 detail ? errdetail("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

/* "line L, column C, at "text"" for src->text[start..end) */
static char *
text_position(const CedarSource *src, int start, int end)
{
	int			line;
	int			column;
	StringInfoData s;

	cedar_position(src->text, src->len, start, &line, &column);
	initStringInfo(&s);
	appendStringInfo(&s, "The error is at line %d, column %d, at ", line, column);
	if (start >= src->len)
		appendStringInfoString(&s, "end of input");
	else
	{
		int			n = Min(end, src->len) - start;

		if (n <= 0)
			n = 1;
		if (n > EXCERPT_MAX)
		{
			/* cut at a character boundary */
			n = EXCERPT_MAX;
			while (n > 0 && ((unsigned char) src->text[start + n] & 0xC0) == 0x80)
				n--;
		}
		appendStringInfoChar(&s, '"');
		for (int i = 0; i < n; i++)
		{
			char		c = src->text[start + i];

			/* keep the detail one line and free of NULs */
			appendStringInfoChar(&s, (c == '\0' || c == '\n' || c == '\r' || c == '\t') ? ' ' : c);
		}
		appendStringInfoChar(&s, '"');
	}
	appendStringInfoChar(&s, '.');
	return s.data;
}

/* "The error is at JSON path P." with long paths cut to their end */
static char *
path_position(const StringInfoData *path)
{
	const char *p = path->len > 0 ? path->data : "$";
	const char *cut = "";

	if (path->len > PATH_MAX_SHOWN)
	{
		p = path->data + path->len - PATH_MAX_SHOWN;
		while (((unsigned char) *p & 0xC0) == 0x80)
			p++;
		cut = "...";
	}
	return psprintf("The error is at JSON path %s%s.", cut, p);
}

void
cedar_error(CedarInput input, int sqlerrcode, const char *detail,
			const char *hint, const char *fmt,...)
{
	va_list		args;
	char	   *msg;

	va_start(args, fmt);
	msg = keycard_vpsprintf(fmt, args);
	va_end(args);
	cedar_raise(input, sqlerrcode, msg, detail, hint);
}

void
cedar_error_at_text(const CedarSource *src, int sqlerrcode, int start, int end,
					const char *hint, const char *fmt,...)
{
	va_list		args;
	char	   *msg;

	va_start(args, fmt);
	msg = keycard_vpsprintf(fmt, args);
	va_end(args);
	cedar_raise(src->input, sqlerrcode, msg, text_position(src, start, end), hint);
}

void
cedar_error_at_path(CedarInput input, int sqlerrcode, const StringInfoData *path,
					const char *hint, const char *fmt,...)
{
	va_list		args;
	char	   *msg;

	va_start(args, fmt);
	msg = keycard_vpsprintf(fmt, args);
	va_end(args);
	cedar_raise(input, sqlerrcode, msg, path_position(path), hint);
}

void
cedar_error_nul_at_text(const CedarSource *src, int start, int end)
{
	cedar_raise(src->input, ERRCODE_UNTRANSLATABLE_CHARACTER, NUL_MESSAGE,
		  text_position(src, start, end), NUL_HINT);
}

void
cedar_error_nul_at_path(CedarInput input, const StringInfoData *path)
{
	cedar_raise(input, ERRCODE_UNTRANSLATABLE_CHARACTER, NUL_MESSAGE,
		  path_position(path), NUL_HINT);
}
