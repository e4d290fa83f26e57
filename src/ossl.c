/*-------------------------------------------------------------------------
 *
 * ossl.c
 *	  Every OpenSSL call keycard makes: key generation and import, RS256 and
 *	  Ed25519 signatures, AES-256-GCM sealing of private keys.
 *
 * Leak safety follows pgcrypto's pg_encrypt pattern: each function runs its
 * whole OpenSSL sequence without raising an error, frees what it allocated,
 * and only then reports a failure.  Output buffers come from palloc with
 * MCXT_ALLOC_NO_OOM, so running out of memory is one more failure to report
 * after cleanup rather than a longjmp past live OpenSSL objects.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ossl.h"
#include "pg_compat.h"

#define GCM_NONCE_LEN 12
#define GCM_TAG_LEN 16

/* Reasons a sequence can fail besides an OpenSSL error. */
typedef enum OsslFailure
{
	OSSL_OK,
	OSSL_LIBRARY,				/* see the OpenSSL error queue */
	OSSL_NO_MEMORY,
	OSSL_BAD_KEY_TYPE,
	OSSL_WEAK_KEY,
	OSSL_BAD_KEY_DATA
} OsslFailure;

static void *
palloc_or_null(Size size)
{
	return palloc_extended(size, MCXT_ALLOC_NO_OOM);
}

/*
 * Reports a failed sequence; called after every OpenSSL object is freed.
 * what names the operation for the user ("key generation").
 */
static void
report_failure(OsslFailure failure, unsigned long err, const char *what)
{
	const char *reason = err ? ERR_reason_error_string(err) : NULL;

	ERR_clear_error();
	switch (failure)
	{
		case OSSL_OK:
			return;
		case OSSL_NO_MEMORY:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory during %s", what)));
			break;
		case OSSL_BAD_KEY_TYPE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unsupported key type for %s", what),
					 errdetail("Only RSA keys (RS256) and Ed25519 keys (EdDSA) are supported.")));
			break;
		case OSSL_WEAK_KEY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("RSA key is too short for %s", what),
					 errdetail("RS256 requires a modulus of at least %d bits.", RSA_MIN_BITS)));
			break;
		case OSSL_BAD_KEY_DATA:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid key data for %s", what),
					 reason ? errdetail("OpenSSL: %s.", reason) : 0));
			break;
		case OSSL_LIBRARY:
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
					 errmsg("OpenSSL failed during %s", what),
					 reason ? errdetail("OpenSSL: %s.", reason) : 0));
			break;
	}
}

/* Checks that pkey is a key keycard can sign with. */
static OsslFailure
check_key_type(EVP_PKEY *pkey)
{
	switch (EVP_PKEY_get_base_id(pkey))
	{
		case EVP_PKEY_RSA:
			return EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS ? OSSL_WEAK_KEY : OSSL_OK;
		case EVP_PKEY_ED25519:
			return OSSL_OK;
		default:
			return OSSL_BAD_KEY_TYPE;
	}
}

/* PKCS#8 DER of a private key, palloc'd; NULL with *failure set on error. */
static bytea *
pkcs8_der(EVP_PKEY *pkey, OsslFailure *failure)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
	bytea	   *der = NULL;
	int			len;
	unsigned char *p;

	if (p8 == NULL || (len = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL)) <= 0)
		*failure = OSSL_LIBRARY;
	else if ((der = palloc_or_null(VARHDRSZ + len)) == NULL)
		*failure = OSSL_NO_MEMORY;
	else
	{
		p = (unsigned char *) VARDATA(der);
		if (i2d_PKCS8_PRIV_KEY_INFO(p8, &p) != len)
		{
			*failure = OSSL_LIBRARY;
			pfree(der);
			der = NULL;
		}
		else
			SET_VARSIZE(der, VARHDRSZ + len);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	return der;
}

/* Generates a new private key; returns its PKCS#8 DER. */
bytea *
ossl_generate_private_key(SigningAlg alg, int rsa_bits)
{
	EVP_PKEY   *pkey;
	bytea	   *der = NULL;
	OsslFailure failure = OSSL_OK;

	ERR_clear_error();
	if (alg == SIGNING_ALG_RS256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) rsa_bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		failure = OSSL_LIBRARY;
	else
		der = pkcs8_der(pkey, &failure);
	EVP_PKEY_free(pkey);
	report_failure(failure, ERR_peek_error(), "key generation");
	return der;
}

/* No passphrases: an encrypted PEM must fail, never prompt on a terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Reads a PEM private key (PKCS#8 or traditional); returns PKCS#8 DER. */
bytea *
ossl_private_key_from_pem(const char *pem, int len, SigningAlg *alg)
{
	BIO		   *bio;
	EVP_PKEY   *pkey = NULL;
	bytea	   *der = NULL;
	OsslFailure failure = OSSL_OK;

	ERR_clear_error();
	bio = BIO_new_mem_buf(pem, len);
	if (bio == NULL)
		failure = OSSL_LIBRARY;
	else if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL)
		failure = OSSL_BAD_KEY_DATA;
	else if ((failure = check_key_type(pkey)) == OSSL_OK)
	{
		*alg = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA ? SIGNING_ALG_RS256 : SIGNING_ALG_EDDSA;
		der = pkcs8_der(pkey, &failure);
	}
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	report_failure(failure, ERR_peek_error(), "private key import");
	return der;
}

/* Parses PKCS#8 DER; NULL with *failure set on error. */
static EVP_PKEY *
pkey_from_der(const bytea *pkcs8, OsslFailure *failure)
{
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(pkcs8);
	EVP_PKEY   *pkey = d2i_AutoPrivateKey(NULL, &p, VARSIZE_ANY_EXHDR(pkcs8));

	if (pkey == NULL)
		*failure = OSSL_BAD_KEY_DATA;
	else if ((*failure = check_key_type(pkey)) != OSSL_OK)
	{
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

/* Big-endian bytes of a BIGNUM, palloc'd. */
static bytea *
bn_bytes(const BIGNUM *bn, OsslFailure *failure)
{
	int			len = BN_num_bytes(bn);
	bytea	   *out = palloc_or_null(VARHDRSZ + len);

	if (out == NULL)
		*failure = OSSL_NO_MEMORY;
	else
	{
		BN_bn2bin(bn, (unsigned char *) VARDATA(out));
		SET_VARSIZE(out, VARHDRSZ + len);
	}
	return out;
}

/* The public half of a PKCS#8 private key, as JWK members. */
PublicKey *
ossl_public_key(const bytea *pkcs8)
{
	PublicKey  *pub = palloc0(sizeof(PublicKey));
	EVP_PKEY   *pkey;
	BIGNUM	   *n = NULL;
	BIGNUM	   *e = NULL;
	OsslFailure failure = OSSL_OK;

	ERR_clear_error();
	pkey = pkey_from_der(pkcs8, &failure);
	if (pkey == NULL)
		;
	else if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
	{
		pub->alg = SIGNING_ALG_RS256;
		if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
			!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
			failure = OSSL_LIBRARY;
		else if ((pub->n = bn_bytes(n, &failure)) != NULL)
			pub->e = bn_bytes(e, &failure);
	}
	else
	{
		size_t		len = ED25519_KEY_LEN;

		pub->alg = SIGNING_ALG_EDDSA;
		pub->x = palloc_or_null(VARHDRSZ + ED25519_KEY_LEN);
		if (pub->x == NULL)
			failure = OSSL_NO_MEMORY;
		else if (!EVP_PKEY_get_raw_public_key(pkey, (unsigned char *) VARDATA(pub->x), &len) ||
				 len != ED25519_KEY_LEN)
			failure = OSSL_LIBRARY;
		else
			SET_VARSIZE(pub->x, VARHDRSZ + ED25519_KEY_LEN);
	}
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pkey);
	report_failure(failure, ERR_peek_error(), "public key extraction");
	return pub;
}

/*
 * A loaded private key.  Ed25519 keeps a signing context initialized once,
 * copied for each signature: the copy saves the provider set-up that
 * otherwise costs a good share of each signature, and a fresh copy each time
 * because OpenSSL 3.5 (Debian 13) refuses a second one-shot EVP_DigestSign
 * on one context (3.0 allowed it).
 */
struct PrivateKey
{
	EVP_PKEY   *pkey;
	EVP_MD_CTX *ed25519_ctx;
};

/*
 * Loads a private key for signing.  The key lives in OpenSSL's allocator,
 * outside any memory context: release it with ossl_free_private_key().
 */
PrivateKey *
ossl_load_private_key(const bytea *pkcs8)
{
	PrivateKey *key;
	OsslFailure failure = OSSL_OK;

	ERR_clear_error();
	key = OPENSSL_zalloc(sizeof(PrivateKey));
	if (key == NULL)
		failure = OSSL_NO_MEMORY;
	else if ((key->pkey = pkey_from_der(pkcs8, &failure)) != NULL &&
			 EVP_PKEY_get_base_id(key->pkey) == EVP_PKEY_ED25519)
	{
		key->ed25519_ctx = EVP_MD_CTX_new();
		if (key->ed25519_ctx == NULL ||
			EVP_DigestSignInit(key->ed25519_ctx, NULL, NULL, NULL, key->pkey) != 1)
			failure = OSSL_LIBRARY;
	}
	if (failure != OSSL_OK)
	{
		ossl_free_private_key(key);
		key = NULL;
	}
	report_failure(failure, ERR_peek_error(), "private key loading");
	return key;
}

void
ossl_free_private_key(PrivateKey *key)
{
	if (key == NULL)
		return;
	EVP_MD_CTX_free(key->ed25519_ctx);
	EVP_PKEY_free(key->pkey);
	OPENSSL_free(key);
}

/* RS256 (RSASSA-PKCS1-v1_5 with SHA-256) or Ed25519 signature of data. */
bytea *
ossl_sign(PrivateKey *key, const char *data, size_t len)
{
	size_t		siglen = EVP_PKEY_get_size(key->pkey);
	bytea	   *sig = palloc(VARHDRSZ + siglen);
	EVP_MD_CTX *ctx = NULL;
	OsslFailure failure = OSSL_OK;

	ERR_clear_error();
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
		(key->ed25519_ctx != NULL ?
		 EVP_MD_CTX_copy_ex(ctx, key->ed25519_ctx) :
		 EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey)) != 1 ||
		EVP_DigestSign(ctx, (unsigned char *) VARDATA(sig), &siglen,
					   (const unsigned char *) data, len) != 1)
		failure = OSSL_LIBRARY;
	EVP_MD_CTX_free(ctx);
	report_failure(failure, ERR_peek_error(), "signing");
	SET_VARSIZE(sig, VARHDRSZ + siglen);
	return sig;
}

/* Builds a public EVP_PKEY from JWK members; NULL with *failure set. */
static EVP_PKEY *
pkey_from_public(const PublicKey *pub, OsslFailure *failure)
{
	EVP_PKEY   *pkey = NULL;

	if (pub->alg == SIGNING_ALG_EDDSA)
	{
		if (VARSIZE_ANY_EXHDR(pub->x) != ED25519_KEY_LEN)
			*failure = OSSL_BAD_KEY_DATA;
		else if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
													 (const unsigned char *) VARDATA_ANY(pub->x),
													 ED25519_KEY_LEN)) == NULL)
			*failure = OSSL_BAD_KEY_DATA;
	}
	else
	{
		BIGNUM	   *n = BN_bin2bn((const unsigned char *) VARDATA_ANY(pub->n),
								  VARSIZE_ANY_EXHDR(pub->n), NULL);
		BIGNUM	   *e = BN_bin2bn((const unsigned char *) VARDATA_ANY(pub->e),
								  VARSIZE_ANY_EXHDR(pub->e), NULL);
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
		OSSL_PARAM *params = NULL;
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);

		if (n == NULL || e == NULL || bld == NULL || ctx == NULL ||
			!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
			!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
			(params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
			EVP_PKEY_fromdata_init(ctx) != 1)
			*failure = OSSL_LIBRARY;
		else if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
			*failure = OSSL_BAD_KEY_DATA;
		else if (EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS)
		{
			*failure = OSSL_WEAK_KEY;
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		OSSL_PARAM_free(params);
		OSSL_PARAM_BLD_free(bld);
		EVP_PKEY_CTX_free(ctx);
		BN_free(n);
		BN_free(e);
	}
	return pkey;
}

/*
 * Verifies an RS256 or Ed25519 signature.  A wrong signature is false; a
 * key that cannot be used is an error.
 */
bool
ossl_verify(const PublicKey *pub, const char *data, size_t len,
			const uint8 *sig, size_t siglen)
{
	EVP_PKEY   *pkey;
	EVP_MD_CTX *ctx = NULL;
	OsslFailure failure = OSSL_OK;
	bool		valid = false;

	ERR_clear_error();
	pkey = pkey_from_public(pub, &failure);
	if (pkey != NULL)
	{
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL ||
			EVP_DigestVerifyInit(ctx, NULL, pub->alg == SIGNING_ALG_RS256 ? EVP_sha256() : NULL,
								 NULL, pkey) != 1)
			failure = OSSL_LIBRARY;
		else
			valid = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *) data, len) == 1;
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	report_failure(failure, ERR_peek_error(), "signature verification");
	return valid;
}

/* AES-256-GCM encryption with a fresh random nonce. */
bytea *
ossl_aes_gcm_seal(const uint8 *key, const char *aad, size_t aadlen,
				  const char *plain, size_t plainlen)
{
	bytea	   *sealed;
	unsigned char *nonce;
	unsigned char *ct;
	EVP_CIPHER_CTX *ctx;
	int			outl;
	int			finl;
	OsslFailure failure = OSSL_OK;

	if (plainlen > INT_MAX / 2 || aadlen > INT_MAX / 2)
		elog(ERROR, "AES-GCM input too long");
	sealed = palloc(VARHDRSZ + GCM_NONCE_LEN + plainlen + GCM_TAG_LEN);
	nonce = (unsigned char *) VARDATA(sealed);
	ct = nonce + GCM_NONCE_LEN;
	if (!pg_strong_random(nonce, GCM_NONCE_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random nonce")));

	ERR_clear_error();
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
		EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
		EVP_EncryptUpdate(ctx, NULL, &outl, (const unsigned char *) aad, (int) aadlen) != 1 ||
		EVP_EncryptUpdate(ctx, ct, &outl, (const unsigned char *) plain, (int) plainlen) != 1 ||
		EVP_EncryptFinal_ex(ctx, ct + outl, &finl) != 1 ||
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, ct + plainlen) != 1)
		failure = OSSL_LIBRARY;
	EVP_CIPHER_CTX_free(ctx);
	report_failure(failure, ERR_peek_error(), "key encryption");
	SET_VARSIZE(sealed, VARHDRSZ + GCM_NONCE_LEN + plainlen + GCM_TAG_LEN);
	return sealed;
}

/*
 * AES-256-GCM decryption; NULL when the data or its associated data fail
 * authentication (wrong key, tampered row, row moved to another kid).
 */
bytea *
ossl_aes_gcm_open(const uint8 *key, const char *aad, size_t aadlen, const bytea *sealed)
{
	size_t		len = VARSIZE_ANY_EXHDR(sealed);
	const unsigned char *nonce = (const unsigned char *) VARDATA_ANY(sealed);
	size_t		ctlen;
	bytea	   *plain;
	EVP_CIPHER_CTX *ctx;
	int			outl;
	int			finl;
	bool		authentic = false;
	OsslFailure failure = OSSL_OK;

	if (len < GCM_NONCE_LEN + GCM_TAG_LEN || len > INT_MAX / 2 || aadlen > INT_MAX / 2)
		return NULL;
	ctlen = len - GCM_NONCE_LEN - GCM_TAG_LEN;
	plain = palloc(VARHDRSZ + ctlen);

	ERR_clear_error();
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
		EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
		EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *) aad, (int) aadlen) != 1 ||
		EVP_DecryptUpdate(ctx, (unsigned char *) VARDATA(plain), &outl,
						  nonce + GCM_NONCE_LEN, (int) ctlen) != 1 ||
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN,
							(void *) (nonce + GCM_NONCE_LEN + ctlen)) != 1)
		failure = OSSL_LIBRARY;
	else
		authentic = EVP_DecryptFinal_ex(ctx, (unsigned char *) VARDATA(plain) + outl, &finl) == 1;
	EVP_CIPHER_CTX_free(ctx);
	report_failure(failure, ERR_peek_error(), "key decryption");
	if (!authentic)
	{
		explicit_bzero(VARDATA(plain), ctlen);
		pfree(plain);
		return NULL;
	}
	SET_VARSIZE(plain, VARHDRSZ + ctlen);
	return plain;
}
