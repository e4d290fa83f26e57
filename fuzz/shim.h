/*-------------------------------------------------------------------------
 *
 * shim.h
 *	  The backend stand-ins of the fuzz harnesses (shim.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_FUZZ_SHIM_H
#define KEYCARD_FUZZ_SHIM_H

#include <setjmp.h>

/* where an ERROR jumps to (NULL: nowhere, the error is ignored) */
extern sigjmp_buf *error_jump;

/* the harness's frame, for check_stack_depth (NULL: no check) */
extern char *stack_base;

/* frees everything palloc'd since the last reset */
extern void arena_reset(void);

#endif							/* KEYCARD_FUZZ_SHIM_H */
