/*-------------------------------------------------------------------------
 *
 * cedar_fuzz.c
 *	  libFuzzer harness for the Cedar policy lexer, parser and printer,
 *	  built outside the server (make fuzz) with AddressSanitizer and UBSan.
 *
 *	  Each input is parsed as a policy; errors must be clean (an ereport,
 *	  which the shim below turns into a longjmp).  A policy that parses is
 *	  printed, the text parsed again and printed again: both texts must be
 *	  equal (the printer's output always parses back to the same policy).
 *	  It is also lexed token by token to the end.
 *
 *	  The shim stands in for the few backend services the front end uses:
 *	  memory (an arena freed after each input, so LeakSanitizer sees no
 *	  leaks; memory contexts are the same arena), ereport, the stack-depth
 *	  check and interrupts.  StringInfo and
 *	  vsnprintf come from PostgreSQL's own libpgcommon/libpgport.
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

/* ---- arena ---- */

typedef struct Chunk
{
	struct Chunk *next;
	size_t		size;
	max_align_t data[];
} Chunk;

static Chunk *arena;

static void *
arena_alloc(size_t size)
{
	Chunk	   *c = malloc(sizeof(Chunk) + size);

	if (c == NULL)
		abort();
	c->next = arena;
	c->size = size;
	arena = c;
	return c->data;
}

static void
arena_reset(void)
{
	while (arena)
	{
		Chunk	   *next = arena->next;

		free(arena);
		arena = next;
	}
}

void *
palloc(Size size)
{
	return arena_alloc(size);
}

void *
palloc0(Size size)
{
	void	   *p = arena_alloc(size);

	memset(p, 0, size);
	return p;
}

void *
palloc_extended(Size size, int flags)
{
	return (flags & MCXT_ALLOC_ZERO) ? palloc0(size) : palloc(size);
}

void *
repalloc(void *pointer, Size size)
{
	Chunk	   *old = (Chunk *) ((char *) pointer - offsetof(Chunk, data));
	void	   *p = arena_alloc(size);

	memcpy(p, pointer, Min(old->size, size));
	return p;
}

void
pfree(void *pointer)
{
	/* freed with the arena */
}

char *
pstrdup(const char *in)
{
	size_t		n = strlen(in);
	char	   *p = palloc(n + 1);

	memcpy(p, in, n + 1);
	return p;
}

char *
pnstrdup(const char *in, Size len)
{
	size_t		n = strnlen(in, len);
	char	   *p = palloc(n + 1);

	memcpy(p, in, n);
	p[n] = '\0';
	return p;
}

/* memory contexts: one arena stands for all of them (simplehash tables) */
MemoryContext CurrentMemoryContext = NULL;

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return palloc0(size);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return palloc_extended(size, flags);
}

Size
mul_size(Size s1, Size s2)
{
	if (s1 != 0 && s2 > SIZE_MAX / s1)
		abort();
	return s1 * s2;
}

Size
add_size(Size s1, Size s2)
{
	if (s1 + s2 < s1)
		abort();
	return s1 + s2;
}

/* ---- errors ---- */

static sigjmp_buf *error_jump;
static int	error_level;

bool
errstart(int elevel, const char *domain)
{
	error_level = elevel;
	return elevel >= ERROR;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (error_level >= ERROR && error_jump)
		siglongjmp(*error_jump, 1);
}

int
errcode(int sqlerrcode)
{
	return 0;
}

/*
 * errmsg, errdetail and the like: each formats its message anyway, to run
 * the formatting code under ASan, and drops it.
 */
#define MESSAGE_SINK(name) \
int \
name(const char *fmt,...) \
{ \
	char		buf[256]; \
	va_list		args; \
\
	va_start(args, fmt); \
	vsnprintf(buf, sizeof(buf), fmt, args); \
	va_end(args); \
	return 0; \
}

MESSAGE_SINK(errmsg)
MESSAGE_SINK(errmsg_internal)
MESSAGE_SINK(errdetail)
MESSAGE_SINK(errhint)

/* ---- stack depth and interrupts ---- */

static char *stack_base;

void
check_stack_depth(void)
{
	char		here;

	/* the server's default max_stack_depth is 2MB */
	if (stack_base && stack_base - &here > 1536 * 1024)
	{
		ereport(ERROR, (errmsg("stack depth limit exceeded")));
	}
}

volatile sig_atomic_t InterruptPending = false;

void
ProcessInterrupts(void)
{
}

void
ExceptionalCondition(const char *conditionName, const char *errorType,
					 const char *fileName, int lineNumber)
{
	fprintf(stderr, "assertion failed: %s (%s:%d)\n", conditionName, fileName, lineNumber);
	abort();
}

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
