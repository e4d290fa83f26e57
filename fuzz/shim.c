/*-------------------------------------------------------------------------
 *
 * shim.c
 *	  The few backend services the Cedar front end uses, for the libFuzzer
 *	  harnesses built outside the server (make fuzz, make fuzz-schema):
 *	  memory (an arena freed after each input, so LeakSanitizer sees no
 *	  leaks, and memory contexts whose reset frees their chunks), ereport (a
 *	  longjmp to PG_TRY's frame or else error_jump), the stack-depth check,
 *	  interrupts and escape_json.  StringInfo and
 *	  vsnprintf come from PostgreSQL's own libpgcommon/libpgport.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/json.h"

#include "shim.h"

/* ---- arena and memory contexts ---- */

/*
 * The root arena (CurrentMemoryContext NULL) is freed after each input;
 * contexts made by AllocSetContextCreate keep their own chunks, freed when
 * they are reset or deleted, so ASan sees use after a reset.
 */
typedef struct ShimContext
{
	struct Chunk *chunks;
	struct ShimContext *parent;
	struct ShimContext *next;	/* all live contexts */
} ShimContext;

typedef struct Chunk
{
	struct Chunk *next;
	ShimContext *owner;
	size_t		size;
	max_align_t data[];
} Chunk;

static Chunk *arena;
static ShimContext *contexts;

MemoryContext CurrentMemoryContext = NULL;

static void *
context_alloc(MemoryContext context, size_t size)
{
	ShimContext *owner = (ShimContext *) context;
	Chunk	   *c = malloc(sizeof(Chunk) + size);
	Chunk	  **list = owner ? &owner->chunks : &arena;

	if (c == NULL)
		abort();
	c->next = *list;
	c->owner = owner;
	c->size = size;
	*list = c;
	return c->data;
}

static void
free_chunks(Chunk **list)
{
	while (*list)
	{
		Chunk	   *next = (*list)->next;

		free(*list);
		*list = next;
	}
}

void
arena_reset(void)
{
	while (contexts)
	{
		ShimContext *next = contexts->next;

		free_chunks(&contexts->chunks);
		free(contexts);
		contexts = next;
	}
	free_chunks(&arena);
	CurrentMemoryContext = NULL;
}

MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize,
							  Size maxBlockSize)
{
	ShimContext *c = calloc(1, sizeof(ShimContext));

	if (c == NULL)
		abort();
	c->parent = (ShimContext *) parent;
	c->next = contexts;
	contexts = c;
	return (MemoryContext) c;
}

/* deletes the children of context, and context itself if asked */
static void
delete_children(ShimContext *context, bool self)
{
	ShimContext **p = &contexts;

	while (*p)
	{
		ShimContext *c = *p;

		if (c->parent == context)
		{
			delete_children(c, false);
			/* the list may have changed under p: start again */
			for (p = &contexts; *p != c; p = &(*p)->next)
				;
			*p = c->next;
			free_chunks(&c->chunks);
			free(c);
			p = &contexts;
			continue;
		}
		p = &c->next;
	}
	if (self)
	{
		for (p = &contexts; *p != context; p = &(*p)->next)
			;
		*p = context->next;
		free_chunks(&context->chunks);
		free(context);
	}
}

void
MemoryContextReset(MemoryContext context)
{
	delete_children((ShimContext *) context, false);
	free_chunks(&((ShimContext *) context)->chunks);
}

void
MemoryContextDelete(MemoryContext context)
{
	delete_children((ShimContext *) context, true);
}

void *
palloc(Size size)
{
	return context_alloc(CurrentMemoryContext, size);
}

void *
palloc0(Size size)
{
	void	   *p = palloc(size);

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
	void	   *p = context_alloc((MemoryContext) old->owner, size);

	memcpy(p, pointer, Min(old->size, size));
	return p;
}

void
pfree(void *pointer)
{
	/* freed with its context */
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

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return context_alloc(context, size);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	void	   *p = context_alloc(context, size);

	memset(p, 0, size);
	return p;
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	void	   *p = context_alloc(context, size);

	if (flags & MCXT_ALLOC_ZERO)
		memset(p, 0, size);
	return p;
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

/* PG_TRY's frames (authorize.c), innermost first, then error_jump */
sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;

void
pg_re_throw(void)
{
	if (PG_exception_stack)
		siglongjmp(*PG_exception_stack, 1);
	if (error_jump)
		siglongjmp(*error_jump, 1);
	abort();
}

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
	if (error_level >= ERROR && (PG_exception_stack || error_jump))
		pg_re_throw();
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

/* ---- JSON strings, escaped as the server does (schema.c's printer) ---- */

void
escape_json(StringInfo buf, const char *str)
{
	appendStringInfoChar(buf, '"');
	for (const char *p = str; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		switch (c)
		{
			case '\b':
				appendStringInfoString(buf, "\\b");
				break;
			case '\f':
				appendStringInfoString(buf, "\\f");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			case '\t':
				appendStringInfoString(buf, "\\t");
				break;
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			default:
				if (c < ' ')
					appendStringInfo(buf, "\\u%04x", c);
				else
					appendStringInfoChar(buf, (char) c);
				break;
		}
	}
	appendStringInfoChar(buf, '"');
}
