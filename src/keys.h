/*-------------------------------------------------------------------------
 *
 * keys.h
 *	  Zone signing keys: storage under the key-encryption key, JWKs, kids.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_KEYS_H
#define KEYCARD_KEYS_H

#include "lib/stringinfo.h"

#include "ossl.h"

/* A kid is an RFC 7638 thumbprint: base64url of a SHA-256 digest. */
#define KID_LEN 43

extern const char *signing_alg_name(SigningAlg alg);

/*
 * The stored private key kid, ready to sign.  Raises an error if there is no
 * such key.  The key stays owned by the per-backend cache: do not free it.
 */
extern PrivateKey *signing_key_get(const char *kid, SigningAlg *alg);

/* Appends the RFC 7638 thumbprint input of pub (its required members, sorted). */
extern void jwk_append_thumbprint_input(StringInfo buf, const PublicKey *pub);

#endif							/* KEYCARD_KEYS_H */
