/*-------------------------------------------------------------------------
 *
 * keys.c
 *	  Signing keys: the key-encryption key setting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "keycard.h"

/* Path of the file holding the key-encryption key (hex, 32 bytes). */
char	   *keycard_kek_file = NULL;

void
keycard_keys_init(void)
{
	DefineCustomStringVariable("keycard.kek_file",
							   "File holding the key-encryption key for zone signing keys.",
							   "The file holds 64 hexadecimal digits (a 256-bit AES key). "
							   "It lives outside the database, readable by the server's OS user only.",
							   &keycard_kek_file,
							   NULL,
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
}
