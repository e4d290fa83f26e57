/*-------------------------------------------------------------------------
 *
 * cedar_fuzz.c
 *	  libFuzzer harness for the Cedar policy lexer, parser and printer,
 *	  built outside the server (make fuzz) with AddressSanitizer and UBSan.
 *
 *	  Each input is parsed as a policy; errors must be clean (an ereport,
 *	  which the shim turns into a longjmp).  A policy that parses is
 *	  printed, the text parsed again and printed again: both texts must be
 *	  equal (the printer's output always parses back to the same policy).
 *	  It is also lexed token by token to the end.
 *
 *	  The backend services the front end uses come from shim.c.
 *
 *	  Replay the saved corpus: fuzz/cedar_fuzz -runs=0 fuzz/corpus
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <setjmp.h>

#include "miscadmin.h"

#include "cedar/cedar.h"
#include "cedar/lexer.h"
#include "shim.h"

/* ---- the harness ---- */

/* Parses src, returns its printed text or NULL on a (clean) error */
static char *
parse_and_print(const char *src, int len, bool *nesting_error)
{
	sigjmp_buf	jump;
	sigjmp_buf *volatile saved = error_jump;
	char	   *volatile result = NULL;

	if (sigsetjmp(jump, 0) == 0)
	{
		StringInfoData out;
		CedarPolicy *pol;

		error_jump = &jump;
		pol = cedar_parse_policy(src, len);
		initStringInfo(&out);
		cedar_policy_append_text(&out, pol);
		result = out.data;
	}
	error_jump = saved;
	return result;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		base;
	char	   *copy;
	char	   *text1;
	bool		nest = false;
	CedarLexer	lex;
	CedarToken	tok;

	if (size > 1 << 20)
		return 0;
	stack_base = &base;

	/* an exact-size copy, so ASan catches any read past the end */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);

	cedar_lex_init(&lex, copy, (int) size);
	do
		cedar_lex_next(&lex, &tok);
	while (tok.kind != CEDAR_TOK_EOF && tok.kind != CEDAR_TOK_ERROR);

	text1 = parse_and_print(copy, (int) size, &nest);
	if (text1)
	{
		char	   *text2 = parse_and_print(text1, (int) strlen(text1), &nest);

		/*
		 * The reprint may only fail for nesting the printer adds (operands
		 * in parentheses) beyond the parser's cap.
		 */
		if (text2 && strcmp(text1, text2) != 0)
		{
			fprintf(stderr, "printer round trip differs:\n%s\n%s\n", text1, text2);
			abort();
		}
	}
	free(copy);
	arena_reset();
	return 0;
}
