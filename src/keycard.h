/*-------------------------------------------------------------------------
 *
 * keycard.h
 *	  Declarations shared across keycard's C files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_H
#define KEYCARD_H

#include "fmgr.h"
#include "lib/stringinfo.h"

/* keycard.c: one initializer per subsystem, called from _PG_init */
extern void keycard_keys_init(void);
extern void keycard_registry_init(void);

/*
 * psprintf for a va_list: the message of a function taking (fmt, ...) that
 * passes its arguments on.  PostgreSQL exports no va_list form of psprintf
 * (pvsnprintf needs a buffer of the right size); appendStringInfoVA asks to
 * be called again after growing the buffer, hence the va_copy.
 */
static inline char *keycard_vpsprintf(const char *fmt, va_list args) pg_attribute_printf(1, 0);

static inline char *
keycard_vpsprintf(const char *fmt, va_list args)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		copy;
		int			needed;

		va_copy(copy, args);
		needed = appendStringInfoVA(&buf, fmt, copy);
		va_end(copy);
		if (needed == 0)
			return buf.data;
		enlargeStringInfo(&buf, needed);
	}
}

/*
 * The value of hexadecimal digit c (either case), or -1 for any other
 * character, signed or unsigned.  PostgreSQL 15 exports only whole-string
 * decoders (hex_decode raises its own error).
 */
static inline int
keycard_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif							/* KEYCARD_H */
