/*-------------------------------------------------------------------------
 *
 * ossl.h
 *	  The only door to OpenSSL: key generation and import, signatures,
 *	  AES-256-GCM.  Callers never see OpenSSL types (as in pgcrypto, only
 *	  ossl.c includes <openssl/...>).
 *
 * Every function frees its OpenSSL objects before raising an error, so no
 * object can leak on ERROR; long-lived private keys are handed out as opaque
 * pointers that the caller releases with ossl_free_private_key().
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_OSSL_H
#define KEYCARD_OSSL_H

/* JWS algorithms keycard signs with (RFC 7518 §3.3, RFC 8037 §3.1). */
typedef enum SigningAlg
{
	SIGNING_ALG_RS256,
	SIGNING_ALG_EDDSA
} SigningAlg;

/* Smallest RSA modulus accepted for RS256 (RFC 7518 §3.3). */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 16384

/* Ed25519 sizes (RFC 8032). */
#define ED25519_KEY_LEN 32
#define ED25519_SIG_LEN 64

/* Public half of a key, as raw big-endian JWK members. */
typedef struct PublicKey
{
	SigningAlg	alg;
	bytea	   *n;				/* RSA modulus */
	bytea	   *e;				/* RSA public exponent */
	bytea	   *x;				/* Ed25519 public key */
} PublicKey;

/* A private key loaded for signing; owned by OpenSSL's allocator. */
typedef struct PrivateKey PrivateKey;

extern bytea *ossl_generate_private_key(SigningAlg alg, int rsa_bits);
extern bytea *ossl_private_key_from_pem(const char *pem, int len, SigningAlg *alg);
extern PublicKey *ossl_public_key(const bytea *pkcs8);

extern PrivateKey *ossl_load_private_key(const bytea *pkcs8);
extern void ossl_free_private_key(PrivateKey *key);
extern bytea *ossl_sign(PrivateKey *key, const char *data, size_t len);
extern bool ossl_verify(const PublicKey *pub, const char *data, size_t len,
						const uint8 *sig, size_t siglen);

/* AES-256-GCM; the sealed form is nonce (12) || ciphertext || tag (16). */
#define AES_GCM_KEY_LEN 32
extern bytea *ossl_aes_gcm_seal(const uint8 *key, const char *aad, size_t aadlen,
								const char *plain, size_t plainlen);
extern bytea *ossl_aes_gcm_open(const uint8 *key, const char *aad, size_t aadlen,
								const bytea *sealed);

#endif							/* KEYCARD_OSSL_H */
