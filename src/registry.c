/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The policy registry's settings and its id generator.
 *
 * Ids are UUIDv7 (RFC 9562 §5.7) in text form: 48 bits of Unix milliseconds,
 * then a 12-bit counter (RFC 9562 §6.2, method 1) so ids made by one backend
 * in the same millisecond still sort in creation order, then random bits.
 * Text order equals creation order, which keyset cursors rely on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "keycard.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(keycard_new_id);

/* keycard.client_request_id: X-Client-Request-ID for SQL callers. */
static char *client_request_id = NULL;

void
keycard_registry_init(void)
{
	DefineCustomStringVariable("keycard.client_request_id",
							   "Client request id recorded with every registry write.",
							   "SQL callers set it per transaction; under PostgREST the "
							   "X-Client-Request-ID header is used instead.",
							   &client_request_id,
							   NULL,
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
}

void
registry_new_id(char *buf)
{
	static int64 last_ms = 0;
	static uint16 counter = 0;
	uint8		b[16];
	int64		ms;

	ms = GetCurrentTimestamp() / 1000 +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;

	if (!pg_strong_random(b, sizeof(b)))
		elog(ERROR, "could not generate random bytes");

	if (ms > last_ms)
	{
		last_ms = ms;
		/* Start in the lower half so the counter rarely overflows. */
		counter = ((b[6] << 8) | b[7]) & 0x07FF;
	}
	else if (++counter > 0x0FFF)
	{
		/* More than 2048 ids in one millisecond: borrow the next one. */
		last_ms++;
		counter = 0;
	}
	ms = last_ms;

	b[0] = (uint8) (ms >> 40);
	b[1] = (uint8) (ms >> 32);
	b[2] = (uint8) (ms >> 24);
	b[3] = (uint8) (ms >> 16);
	b[4] = (uint8) (ms >> 8);
	b[5] = (uint8) ms;
	b[6] = 0x70 | (uint8) (counter >> 8);
	b[7] = (uint8) counter;
	b[8] = 0x80 | (b[8] & 0x3F);

	snprintf(buf, REGISTRY_ID_LEN + 1,
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
			 b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* SQL function: keycard.new_id() returns text */
Datum
keycard_new_id(PG_FUNCTION_ARGS)
{
	char		buf[REGISTRY_ID_LEN + 1];

	registry_new_id(buf);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
