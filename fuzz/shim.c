/*-------------------------------------------------------------------------
 *
 * shim.c
 *	  The few backend services the Cedar front end uses, for the libFuzzer
 *	  harnesses built outside the server (make fuzz, make fuzz-schema):
 *	  memory (an arena freed after each input, so LeakSanitizer sees no
 *	  leaks; memory contexts are the same arena), ereport (a longjmp to
 *	  error_jump), the stack-depth check and interrupts.  StringInfo and
 *	  vsnprintf come from PostgreSQL's own libpgcommon/libpgport.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "shim.h"

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

void
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

sigjmp_buf *error_jump;
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

char	   *stack_base;

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
