/*-------------------------------------------------------------------------
 *
 * sha.h
 *	  SHA-256 digests (PostgreSQL's cryptohash, backed by OpenSSL).
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_SHA_H
#define KEYCARD_SHA_H

#include "common/sha2.h"

/* Raw SHA-256 of data into digest[PG_SHA256_DIGEST_LENGTH]. */
extern void sha256_bytes(const void *data, size_t len, uint8 *digest);

/* Lowercase hex SHA-256 of data into hex[PG_SHA256_DIGEST_LENGTH * 2 + 1]. */
extern void sha256_hex(const void *data, size_t len, char *hex);

#endif							/* KEYCARD_SHA_H */
