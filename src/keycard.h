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

#endif							/* KEYCARD_H */
