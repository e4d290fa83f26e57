/*-------------------------------------------------------------------------
 *
 * sha.c
 *	  SHA-256 digests through PostgreSQL's cryptohash API.
 *
 * In the backend pg_cryptohash contexts are tracked by the current
 * ResourceOwner, so an error between create and free cannot leak the
 * OpenSSL state.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "utils/builtins.h"

#include "pg_compat.h"
#include "sha.h"

PG_FUNCTION_INFO_V1(keycard_sha256_hex);

void
sha256_bytes(const void *data, size_t len, uint8 *digest)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		char	   *err = pstrdup(pg_cryptohash_error(ctx));

		pg_cryptohash_free(ctx);
		elog(ERROR, "could not compute SHA-256 digest: %s", err);
	}
	pg_cryptohash_free(ctx);
}

void
sha256_hex(const void *data, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	sha256_bytes(data, len, digest);
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
	{
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
}

/* SQL function: sha256_hex(data bytea) returns text */
Datum
keycard_sha256_hex(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	char		hex[PG_SHA256_DIGEST_LENGTH * 2 + 1];

	sha256_hex(VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data), hex);
	PG_FREE_IF_COPY(data, 0);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(hex, PG_SHA256_DIGEST_LENGTH * 2));
}
