/*-------------------------------------------------------------------------
 *
 * keys.c
 *	  Signing keys: generation and import, storage encrypted under a
 *	  key-encryption key (KEK) that lives outside the database, public JWKs
 *	  and RFC 7638 thumbprints, and a per-backend cache of loaded keys.
 *
 * The KEK is a file named by the superuser-only setting keycard.kek_file
 * (as pgsodium keeps its server key): 64 hex digits, readable by the
 * server's OS user only.  Private keys are stored as PKCS#8 sealed with
 * AES-256-GCM, with the kid as associated data so a sealed key cannot be
 * moved to another row.  No SQL function returns a private key.
 *
 * Rows of keycard.signing_keys never change (kid is the thumbprint of the
 * public key, and the table refuses UPDATE and DELETE), so a key once read
 * from a committed row can be cached by kid for the life of the backend.
 * Keys inserted by the current transaction are not cached: it may roll back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "base64url.h"
#include "keycard.h"
#include "keys.h"
#include "ossl.h"
#include "sha.h"

PG_FUNCTION_INFO_V1(keycard_create_signing_key);
PG_FUNCTION_INFO_V1(keycard_import_signing_key);

/* Settings */
static char *kek_file = NULL;
static int	rsa_key_bits = RSA_MIN_BITS;

/* KEK: 32 bytes; its id is the hex of the first 8 bytes of its SHA-256. */
#define KEK_HEX_LEN (AES_GCM_KEY_LEN * 2)
#define KEK_ID_LEN 16

/* Associated data binding a sealed private key to its kid. */
#define SEAL_AAD_PREFIX "keycard signing key "

typedef struct CachedKey
{
	char		kid[KID_LEN + 1];	/* hash key */
	SigningAlg	alg;
	PrivateKey *key;
} CachedKey;

static HTAB *key_cache = NULL;

void
keycard_keys_init(void)
{
	DefineCustomStringVariable("keycard.kek_file",
							   "File holding the key-encryption key for signing keys.",
							   "The file holds 64 hexadecimal digits (a 256-bit AES key), "
							   "readable by the server's OS user only.",
							   &kek_file,
							   NULL,
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("keycard.rsa_key_bits",
							"Modulus size of new RS256 signing keys.",
							NULL,
							&rsa_key_bits,
							RSA_MIN_BITS, RSA_MIN_BITS, RSA_MAX_BITS,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
}

const char *
signing_alg_name(SigningAlg alg)
{
	return alg == SIGNING_ALG_RS256 ? "RS256" : "EdDSA";
}

static SigningAlg
signing_alg_parse(const char *name)
{
	if (strcmp(name, "RS256") == 0)
		return SIGNING_ALG_RS256;
	if (strcmp(name, "EdDSA") == 0)
		return SIGNING_ALG_EDDSA;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unsupported signing algorithm \"%s\"", name),
			 errhint("Use \"RS256\" (RSA, the default) or \"EdDSA\" (Ed25519).")));
	pg_unreachable();
}

/*
 * Reads the KEK into kek[AES_GCM_KEY_LEN] and its id into
 * kek_id[KEK_ID_LEN + 1].  The caller wipes kek after use.
 */
static void
load_kek(uint8 *kek, char *kek_id)
{
	const char *hint = "Set keycard.kek_file in postgresql.conf to a file holding 64 hexadecimal "
		"digits, readable only by the server's OS user (for example: "
		"openssl rand -hex 32 > kek && chmod 600 kek), then reload the configuration.";
	struct stat st;
	FILE	   *fp;
	char		buf[KEK_HEX_LEN + 8];
	size_t		n;
	char		digest[PG_SHA256_DIGEST_LENGTH * 2 + 1];

	if (kek_file == NULL || kek_file[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no key-encryption key is configured"),
				 errdetail("Signing keys are stored encrypted under a key that lives outside the database."),
				 errhint("%s", hint)));
	if (stat(kek_file, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not access key-encryption key file \"%s\": %m", kek_file),
				 errhint("%s", hint)));
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("key-encryption key file \"%s\" must be a regular file without group or world access",
						kek_file),
				 errhint("Run: chmod 600 %s", kek_file)));

	fp = AllocateFile(kek_file, "r");
	if (fp == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open key-encryption key file \"%s\": %m", kek_file)));
	n = fread(buf, 1, sizeof(buf), fp);
	FreeFile(fp);

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < n && n == KEK_HEX_LEN; i++)
		if (keycard_hex_digit(buf[i]) < 0)
			n = 0;
	if (n != KEK_HEX_LEN)
	{
		explicit_bzero(buf, sizeof(buf));
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("key-encryption key file \"%s\" does not hold 64 hexadecimal digits", kek_file),
				 errhint("%s", hint)));
	}
	for (int i = 0; i < AES_GCM_KEY_LEN; i++)
		kek[i] = (uint8) (keycard_hex_digit(buf[2 * i]) << 4 | keycard_hex_digit(buf[2 * i + 1]));
	explicit_bzero(buf, sizeof(buf));

	sha256_hex(kek, AES_GCM_KEY_LEN, digest);
	memcpy(kek_id, digest, KEK_ID_LEN);
	kek_id[KEK_ID_LEN] = '\0';
}

static void
seal_aad(StringInfo aad, const char *kid)
{
	initStringInfo(aad);
	appendStringInfo(aad, SEAL_AAD_PREFIX "%s", kid);
}

void
jwk_append_thumbprint_input(StringInfo buf, const PublicKey *pub)
{
	if (pub->alg == SIGNING_ALG_RS256)
	{
		appendStringInfoString(buf, "{\"e\":\"");
		base64url_append(buf, VARDATA_ANY(pub->e), VARSIZE_ANY_EXHDR(pub->e));
		appendStringInfoString(buf, "\",\"kty\":\"RSA\",\"n\":\"");
		base64url_append(buf, VARDATA_ANY(pub->n), VARSIZE_ANY_EXHDR(pub->n));
		appendStringInfoString(buf, "\"}");
	}
	else
	{
		appendStringInfoString(buf, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"");
		base64url_append(buf, VARDATA_ANY(pub->x), VARSIZE_ANY_EXHDR(pub->x));
		appendStringInfoString(buf, "\"}");
	}
}

/* The public JWK of pub with its kid, alg and use, in canonical member order. */
static char *
public_jwk_text(const PublicKey *pub, const char *kid)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"alg\":\"%s\",", signing_alg_name(pub->alg));
	if (pub->alg == SIGNING_ALG_RS256)
	{
		appendStringInfoString(&buf, "\"e\":\"");
		base64url_append(&buf, VARDATA_ANY(pub->e), VARSIZE_ANY_EXHDR(pub->e));
		appendStringInfo(&buf, "\",\"kid\":\"%s\",\"kty\":\"RSA\",\"n\":\"", kid);
		base64url_append(&buf, VARDATA_ANY(pub->n), VARSIZE_ANY_EXHDR(pub->n));
	}
	else
	{
		appendStringInfo(&buf, "\"crv\":\"Ed25519\",\"kid\":\"%s\",\"kty\":\"OKP\",", kid);
		appendStringInfoString(&buf, "\"use\":\"sig\",\"x\":\"");
		base64url_append(&buf, VARDATA_ANY(pub->x), VARSIZE_ANY_EXHDR(pub->x));
		appendStringInfoString(&buf, "\"}");
		return buf.data;
	}
	appendStringInfoString(&buf, "\",\"use\":\"sig\"}");
	return buf.data;
}

/*
 * Stores a private key (PKCS#8 DER, wiped here) sealed under the KEK;
 * returns its kid.
 */
static char *
store_private_key(bytea *pkcs8)
{
	uint8		kek[AES_GCM_KEY_LEN];
	char		kek_id[KEK_ID_LEN + 1];
	PublicKey  *pub;
	StringInfoData thumb;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	StringInfoData kid;
	StringInfoData aad;
	bytea	   *sealed;
	Oid			argtypes[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BYTEAOID};
	Datum		values[5];
	int			rc;

	pub = ossl_public_key(pkcs8);

	initStringInfo(&thumb);
	jwk_append_thumbprint_input(&thumb, pub);
	sha256_bytes(thumb.data, thumb.len, digest);
	initStringInfo(&kid);
	base64url_append(&kid, digest, sizeof(digest));

	load_kek(kek, kek_id);
	seal_aad(&aad, kid.data);
	sealed = ossl_aes_gcm_seal(kek, aad.data, aad.len, VARDATA_ANY(pkcs8), VARSIZE_ANY_EXHDR(pkcs8));
	explicit_bzero(kek, sizeof(kek));
	explicit_bzero(VARDATA_ANY(pkcs8), VARSIZE_ANY_EXHDR(pkcs8));

	values[0] = CStringGetTextDatum(kid.data);
	values[1] = CStringGetTextDatum(signing_alg_name(pub->alg));
	values[2] = CStringGetTextDatum(public_jwk_text(pub, kid.data));
	values[3] = CStringGetTextDatum(kek_id);
	values[4] = PointerGetDatum(sealed);

	SPI_connect();
	rc = SPI_execute_with_args("INSERT INTO keycard.signing_keys "
							   "(kid, alg, public_jwk, kek_id, encrypted_private_key) "
							   "VALUES ($1, $2, $3::pg_catalog.jsonb, $4, $5) "
							   "ON CONFLICT (kid) DO NOTHING",
							   5, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("signing key \"%s\" already exists", kid.data),
				 errdetail("A key's kid is the thumbprint of its public key, so this key is already stored.")));
	SPI_finish();
	return kid.data;
}

/* SQL function: create_signing_key(alg text default 'RS256') returns text */
Datum
keycard_create_signing_key(PG_FUNCTION_ARGS)
{
	char	   *algname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SigningAlg	alg = signing_alg_parse(algname);
	uint8		kek[AES_GCM_KEY_LEN];
	char		kek_id[KEK_ID_LEN + 1];

	/* Fail on a missing KEK before spending time on RSA key generation. */
	load_kek(kek, kek_id);
	explicit_bzero(kek, sizeof(kek));

	PG_RETURN_TEXT_P(cstring_to_text(store_private_key(ossl_generate_private_key(alg, rsa_key_bits))));
}

/* SQL function: import_signing_key(private_key_pem text) returns text */
Datum
keycard_import_signing_key(PG_FUNCTION_ARGS)
{
	text	   *pem = PG_GETARG_TEXT_PP(0);
	SigningAlg	alg;
	bytea	   *pkcs8;
	char	   *kid;

	pkcs8 = ossl_private_key_from_pem(VARDATA_ANY(pem), VARSIZE_ANY_EXHDR(pem), &alg);
	kid = store_private_key(pkcs8);
	PG_RETURN_TEXT_P(cstring_to_text(kid));
}

/* Reads, unseals and loads the stored key kid; sets *cacheable. */
static PrivateKey *
load_stored_key(const char *kid, SigningAlg *alg, bool *cacheable)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	int			rc;
	bool		isnull;
	char	   *stored_kek_id;
	bytea	   *sealed;
	TransactionId xmin;
	uint8		kek[AES_GCM_KEY_LEN];
	char		kek_id[KEK_ID_LEN + 1];
	StringInfoData aad;
	bytea	   *pkcs8;
	PrivateKey *key;

	values[0] = CStringGetTextDatum(kid);
	SPI_connect();
	rc = SPI_execute_with_args("SELECT alg, kek_id, encrypted_private_key, xmin "
							   "FROM keycard.signing_keys WHERE kid = $1",
							   1, argtypes, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("signing key \"%s\" does not exist", kid)));

	*alg = signing_alg_parse(TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
															   SPI_tuptable->tupdesc, 1, &isnull)));
	stored_kek_id = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 2, &isnull));
	sealed = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	*cacheable = !TransactionIdIsCurrentTransactionId(xmin);

	load_kek(kek, kek_id);
	if (strcmp(kek_id, stored_kek_id) != 0)
	{
		explicit_bzero(kek, sizeof(kek));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("signing key \"%s\" is sealed under a different key-encryption key", kid),
				 errdetail("The key was sealed under key-encryption key %s; keycard.kek_file holds %s.",
						   stored_kek_id, kek_id),
				 errhint("Point keycard.kek_file at the key-encryption key the signing keys were created with.")));
	}
	seal_aad(&aad, kid);
	pkcs8 = ossl_aes_gcm_open(kek, aad.data, aad.len, sealed);
	explicit_bzero(kek, sizeof(kek));
	if (pkcs8 == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored private key of signing key \"%s\" fails authentication", kid),
				 errdetail("The sealed key was altered or does not belong to this kid.")));

	key = ossl_load_private_key(pkcs8);
	explicit_bzero(VARDATA(pkcs8), VARSIZE(pkcs8) - VARHDRSZ);
	SPI_finish();
	return key;
}

static void
free_private_key_callback(void *arg)
{
	ossl_free_private_key((PrivateKey *) arg);
}

/* Frees key when the current transaction ends, however it ends. */
static PrivateKey *
signing_key_hold_for_xact(PrivateKey *key)
{
	MemoryContextCallback *cb;

	cb = MemoryContextAllocExtended(TopTransactionContext, sizeof(MemoryContextCallback),
									MCXT_ALLOC_NO_OOM);
	if (cb == NULL)
	{
		ossl_free_private_key(key);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	cb->func = free_private_key_callback;
	cb->arg = key;
	MemoryContextRegisterResetCallback(TopTransactionContext, cb);
	return key;
}

PrivateKey *
signing_key_get(const char *kid, SigningAlg *alg)
{
	CachedKey  *entry;
	bool		found;
	bool		cacheable;
	PrivateKey *key;

	if (strlen(kid) != KID_LEN || strspn(kid, BASE64URL_ALPHABET) != KID_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("signing key \"%s\" does not exist", kid),
				 errdetail("A kid is a 43-character RFC 7638 thumbprint.")));

	if (key_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = KID_LEN + 1;
		ctl.entrysize = sizeof(CachedKey);
		ctl.hcxt = TopMemoryContext;
		key_cache = hash_create("keycard signing keys", 16, &ctl,
								HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}

	entry = hash_search(key_cache, kid, HASH_FIND, NULL);
	if (entry != NULL)
	{
		*alg = entry->alg;
		return entry->key;
	}

	/*
	 * Make room in the cache before the key exists, so a failure there cannot
	 * orphan an OpenSSL object.
	 */
	entry = hash_search(key_cache, kid, HASH_ENTER, &found);
	entry->key = NULL;
	PG_TRY();
	{
		key = load_stored_key(kid, alg, &cacheable);
	}
	PG_CATCH();
	{
		hash_search(key_cache, kid, HASH_REMOVE, NULL);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (cacheable)
	{
		entry->key = key;
		entry->alg = *alg;
		return key;
	}

	/* Uncommitted key: keep it only until the end of this transaction. */
	hash_search(key_cache, kid, HASH_REMOVE, NULL);
	return signing_key_hold_for_xact(key);
}
