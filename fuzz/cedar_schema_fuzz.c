/*-------------------------------------------------------------------------
 *
 * cedar_schema_fuzz.c
 *	  libFuzzer harness for the Cedar schema text parser, the schema builder
 *	  and the schema printers, built outside the server (make fuzz-schema)
 *	  with AddressSanitizer and UBSan.
 *
 *	  Each input is parsed as schema text; errors must be clean (an
 *	  ereport, which shim.c turns into a longjmp).  A schema that parses is
 *	  printed as text and as JSON, and built (names resolved, common types
 *	  inlined, hierarchies linked), which may fail cleanly too.  The printed
 *	  text must parse, print the same text again and build exactly when the
 *	  input built (the printer keeps the meaning; its JSON may differ, as
 *	  the reference's does: action parents gain "type": "Action").  Reading
 *	  JSON needs the server's jsonb, so JSON -> text -> JSON is left to the
 *	  replay of this corpus by make test (test/suites/21-cedar-fuzz-corpus).
 *
 *	  Replay the saved corpus: fuzz/build/cedar_schema_fuzz -runs=0 fuzz/schema-corpus
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/schema.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "shim.h"

/*
 * Parses src and prints it as text and JSON (false on a clean error);
 * *built says whether it also builds.
 */
static bool
parse_and_print(const char *src, int len, char **text, bool *built)
{
	sigjmp_buf	jump;
	sigjmp_buf *volatile saved = error_jump;
	volatile bool ok = false;

	*built = false;
	if (sigsetjmp(jump, 0) == 0)
	{
		StringInfoData t;
		StringInfoData j;
		CedarSchemaFragment *frag;

		error_jump = &jump;
		frag = cedar_schema_fragment_from_text(src, len);
		initStringInfo(&t);
		cedar_schema_fragment_to_text(&t, frag);
		initStringInfo(&j);
		cedar_schema_fragment_to_json(&j, frag);
		*text = t.data;
		ok = true;
		(void) cedar_schema_build(frag);
		*built = true;
	}
	error_jump = saved;
	return ok;
}

/*
 * Backend functions schema.c refers to: its JSON reader (jsonb) is never
 * called here (its JSON printer's escape_json is in shim.c).
 */
JsonbIterator *
JsonbIteratorInit(JsonbContainer *container)
{
	abort();
}

JsonbIteratorToken
JsonbIteratorNext(JsonbIterator **it, JsonbValue *val, bool skipNested)
{
	abort();
}

bool
JsonbExtractScalar(JsonbContainer *jbc, JsonbValue *res)
{
	abort();
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		base;
	char	   *copy;
	char	   *text1,
			   *text2;
	bool		built1,
				built2;

	if (size > 1 << 20)
		return 0;
	stack_base = &base;

	/* an exact-size copy, so ASan catches any read past the end */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);

	if (parse_and_print(copy, (int) size, &text1, &built1))
	{
		if (!parse_and_print(text1, (int) strlen(text1), &text2, &built2))
		{
			fprintf(stderr, "printed schema text does not parse:\n%s\n", text1);
			abort();
		}
		if (strcmp(text1, text2) != 0 || built1 != built2)
		{
			fprintf(stderr, "schema round trip differs (built %d, %d):\n%s\n%s\n", built1, built2, text1, text2);
			abort();
		}
	}
	free(copy);
	arena_reset();
	return 0;
}
