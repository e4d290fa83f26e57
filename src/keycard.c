/*-------------------------------------------------------------------------
 *
 * keycard.c
 *	  Module entry point: registers each subsystem's settings and caches.
 *
 * keycard needs no shared_preload_libraries entry; everything here runs when
 * a backend first loads the library.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "keycard.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

void
_PG_init(void)
{
	keycard_keys_init();
	keycard_registry_init();
	MarkGUCPrefixReserved("keycard");
}
