/*-------------------------------------------------------------------------
 *
 * jws.c
 *	  JWS (RFC 7515) in Flattened JSON Serialization: signing with stored
 *	  keys, verification against a JWKS (RFC 7517), public JWKs.
 *
 * Signing is deterministic for both algorithms (RS256 and Ed25519), so the
 * same key, header and payload always give the same signature bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "base64url.h"
#include "canon.h"
#include "jws.h"
#include "keycard.h"
#include "keys.h"
#include "ossl.h"
#include "pg_compat.h"
#include "sha.h"

PG_FUNCTION_INFO_V1(keycard_jws_sign);
PG_FUNCTION_INFO_V1(keycard_sign_bytes);
PG_FUNCTION_INFO_V1(keycard_jws_verify);
PG_FUNCTION_INFO_V1(keycard_jwk_thumbprint);

static void
push_string_member(JsonbParseState **state, const char *key, const char *val, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &v);
	v.val.string.val = (char *) val;
	v.val.string.len = len;
	pushJsonbValue(state, WJB_VALUE, &v);
}

Jsonb *
jws_sign_payload(const char *kid, const char *payload, size_t len)
{
	SigningAlg	alg;
	PrivateKey *key = signing_key_get(kid, &alg);
	StringInfoData header;
	StringInfoData input;
	StringInfoData signature;
	int			dot;
	bytea	   *sig;
	JsonbParseState *state = NULL;
	JsonbValue *result;

	/* kid is a base64url thumbprint (checked on lookup): no escaping needed. */
	initStringInfo(&header);
	appendStringInfo(&header, "{\"alg\":\"%s\",\"kid\":\"%s\"}", signing_alg_name(alg), kid);

	initStringInfo(&input);
	base64url_append(&input, header.data, header.len);
	dot = input.len;
	appendStringInfoChar(&input, '.');
	base64url_append(&input, payload, len);

	sig = ossl_sign(key, input.data, input.len);
	initStringInfo(&signature);
	base64url_append(&signature, VARDATA(sig), VARSIZE(sig) - VARHDRSZ);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_string_member(&state, "protected", input.data, dot);
	push_string_member(&state, "payload", input.data + dot + 1, input.len - dot - 1);
	push_string_member(&state, "signature", signature.data, signature.len);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(result);
}

/* SQL function: jws_sign(payload json, kid text) returns jsonb */
Datum
keycard_jws_sign(PG_FUNCTION_ARGS)
{
	text	   *payload = PG_GETARG_TEXT_PP(0);
	char	   *kid = text_to_cstring(PG_GETARG_TEXT_PP(1));
	StringInfoData canonical;

	initStringInfo(&canonical);
	jcs_append_json_text(&canonical, VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload));
	PG_RETURN_JSONB_P(jws_sign_payload(kid, canonical.data, canonical.len));
}

/* SQL function: sign_bytes(kid text, data bytea) returns bytea (operators only) */
Datum
keycard_sign_bytes(PG_FUNCTION_ARGS)
{
	char	   *kid = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bytea	   *data = PG_GETARG_BYTEA_PP(1);
	SigningAlg	alg;
	PrivateKey *key = signing_key_get(kid, &alg);

	PG_RETURN_BYTEA_P(ossl_sign(key, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data)));
}

/* ---- verification ---- */

static void
malformed(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("malformed JWS"),
			 errdetail_internal("%s", detail),
			 errhint("A flattened JWS is an object with string members \"protected\", \"payload\" and \"signature\".")));
}

static void
malformed_jwks(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("malformed JWKS"),
			 errdetail_internal("%s", detail),
			 errhint("A JWKS is an object {\"keys\": [...]} of JWKs (RFC 7517).")));
}

/* The string member key of container, or NULL when absent. */
static JsonbValue *
string_member(JsonbContainer *container, const char *key, void (*fail) (const char *))
{
	JsonbValue *v = getKeyJsonValueFromContainer(container, key, strlen(key), NULL);

	if (v != NULL && v->type != jbvString)
		fail(psprintf("Member \"%s\" is not a string.", key));
	return v;
}

static char *
string_value(JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Decodes a base64url member, reporting problems as a malformed JWS. */
static bytea *
decode_member(JsonbValue *v, const char *what)
{
	return base64url_decode(v->val.string.val, v->val.string.len, what);
}

/* Parses JSON bytes (rejecting duplicate members) into jsonb. */
static Jsonb *
json_bytes_to_jsonb(bytea *bytes, const char *what)
{
	char	   *data = VARDATA(bytes);
	int			len = VARSIZE(bytes) - VARHDRSZ;
	StringInfoData canonical;

	JsonLexContext *lex;

	if (memchr(data, '\0', len) != NULL || !pg_verifymbstr(data, len, true))
		malformed(psprintf("The %s is not valid UTF-8 text.", what));
	lex = json_lexer_for_string(data, len, PG_UTF8, false);
	if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		malformed(psprintf("The %s is not JSON.", what));
	initStringInfo(&canonical);
	jcs_append_json_text(&canonical, data, len);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(canonical.data)));
}

/* The JWK's public key for alg, or an error saying why it cannot serve. */
static PublicKey *
jwk_public_key(JsonbContainer *jwk, SigningAlg alg, const char *kid)
{
	PublicKey  *pub = palloc0(sizeof(PublicKey));
	JsonbValue *kty = string_member(jwk, "kty", malformed_jwks);
	JsonbValue *use = string_member(jwk, "use", malformed_jwks);
	const char *want = alg == SIGNING_ALG_RS256 ? "RSA" : "OKP";

	if (kty == NULL || strcmp(string_value(kty), want) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JWS key \"%s\" cannot verify %s signatures", kid, signing_alg_name(alg)),
				 errdetail("The key's \"kty\" is not \"%s\".", want)));
	if (use != NULL && strcmp(string_value(use), "sig") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JWS key \"%s\" is not a signature key", kid),
				 errdetail("Its \"use\" is \"%s\".", string_value(use))));

	pub->alg = alg;
	if (alg == SIGNING_ALG_RS256)
	{
		JsonbValue *n = string_member(jwk, "n", malformed_jwks);
		JsonbValue *e = string_member(jwk, "e", malformed_jwks);

		if (n == NULL || e == NULL)
			malformed_jwks(psprintf("RSA key \"%s\" lacks \"n\" or \"e\".", kid));
		pub->n = base64url_decode(n->val.string.val, n->val.string.len, "JWK member \"n\"");
		pub->e = base64url_decode(e->val.string.val, e->val.string.len, "JWK member \"e\"");
	}
	else
	{
		JsonbValue *crv = string_member(jwk, "crv", malformed_jwks);
		JsonbValue *x = string_member(jwk, "x", malformed_jwks);

		if (crv == NULL || strcmp(string_value(crv), "Ed25519") != 0 || x == NULL)
			malformed_jwks(psprintf("OKP key \"%s\" is not an Ed25519 key with \"x\".", kid));
		pub->x = base64url_decode(x->val.string.val, x->val.string.len, "JWK member \"x\"");
	}
	return pub;
}

/*
 * The key of jwks that verifies alg signatures by kid (NULL kid: the only key
 * of a fitting type, as JOSE libraries choose).
 */
static PublicKey *
find_key(Jsonb *jwks, SigningAlg alg, const char *kid)
{
	JsonbValue *keys;
	JsonbContainer *chosen = NULL;
	int			candidates = 0;
	const char *want = alg == SIGNING_ALG_RS256 ? "RSA" : "OKP";

	if (!JB_ROOT_IS_OBJECT(jwks))
		malformed_jwks("The key set is not a JSON object.");
	keys = getKeyJsonValueFromContainer(&jwks->root, "keys", 4, NULL);
	if (keys == NULL || keys->type != jbvBinary || !JsonContainerIsArray(keys->val.binary.data))
		malformed_jwks("Member \"keys\" is missing or not an array.");

	for (int i = 0; i < JsonContainerSize(keys->val.binary.data); i++)
	{
		JsonbValue *jwk = getIthJsonbValueFromContainer(keys->val.binary.data, i);
		JsonbValue *key_kid;
		JsonbValue *kty;
		JsonbValue *key_alg;

		if (jwk->type != jbvBinary || !JsonContainerIsObject(jwk->val.binary.data))
			malformed_jwks(psprintf("Key %d is not an object.", i));
		key_kid = string_member(jwk->val.binary.data, "kid", malformed_jwks);
		kty = string_member(jwk->val.binary.data, "kty", malformed_jwks);
		key_alg = string_member(jwk->val.binary.data, "alg", malformed_jwks);

		if (kid != NULL ? key_kid != NULL && strcmp(string_value(key_kid), kid) == 0
			: kty != NULL && strcmp(string_value(kty), want) == 0)
		{
			if (key_alg != NULL && strcmp(string_value(key_alg), signing_alg_name(alg)) != 0)
			{
				if (kid == NULL)
					continue;
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("JWS algorithm \"%s\" is not allowed for key \"%s\"",
								signing_alg_name(alg), kid),
						 errdetail("The key is for \"%s\".", string_value(key_alg))));
			}
			chosen = jwk->val.binary.data;
			candidates++;
		}
	}

	if (candidates == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 kid ? errmsg("JWS key \"%s\" is not in the key set", kid)
				 : errmsg("no key in the key set can verify %s signatures", signing_alg_name(alg))));
	if (candidates > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JWS key is ambiguous"),
				 errdetail("%d keys in the key set fit the JWS header.", candidates),
				 errhint("Sign with a \"kid\" header naming one key.")));
	return jwk_public_key(chosen, alg, kid ? kid : "(no kid)");
}

/* SQL function: jws_verify(jws jsonb, jwks jsonb) returns jsonb */
Datum
keycard_jws_verify(PG_FUNCTION_ARGS)
{
	Jsonb	   *jws = PG_GETARG_JSONB_P(0);
	Jsonb	   *jwks = PG_GETARG_JSONB_P(1);
	JsonbValue *protected;
	JsonbValue *payload;
	JsonbValue *signature;
	Jsonb	   *header;
	JsonbValue *alg_member;
	JsonbValue *kid_member;
	char	   *alg_name;
	SigningAlg	alg;
	PublicKey  *pub;
	bytea	   *sig;
	StringInfoData input;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_OBJECT(jws))
		malformed("The JWS is not a JSON object.");
	it = JsonbIteratorInit(&jws->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY &&
			!(v.val.string.len == 9 && strncmp(v.val.string.val, "protected", 9) == 0) &&
			!(v.val.string.len == 7 && strncmp(v.val.string.val, "payload", 7) == 0) &&
			!(v.val.string.len == 9 && strncmp(v.val.string.val, "signature", 9) == 0))
			malformed(psprintf("Unexpected member \"%s\" (unprotected headers are not accepted).",
							   pnstrdup(v.val.string.val, v.val.string.len)));
	}
	protected = string_member(&jws->root, "protected", malformed);
	payload = string_member(&jws->root, "payload", malformed);
	signature = string_member(&jws->root, "signature", malformed);
	if (protected == NULL || payload == NULL || signature == NULL)
		malformed("A member \"protected\", \"payload\" or \"signature\" is missing.");

	header = json_bytes_to_jsonb(decode_member(protected, "JWS protected header"), "protected header");
	if (!JB_ROOT_IS_OBJECT(header))
		malformed("The protected header is not a JSON object.");
	if (getKeyJsonValueFromContainer(&header->root, "crit", 4, NULL) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("JWS critical header parameters are not supported")));
	alg_member = string_member(&header->root, "alg", malformed);
	kid_member = string_member(&header->root, "kid", malformed);
	if (alg_member == NULL)
		malformed("The protected header has no \"alg\".");
	alg_name = string_value(alg_member);
	if (strcmp(alg_name, "RS256") == 0)
		alg = SIGNING_ALG_RS256;
	else if (strcmp(alg_name, "EdDSA") == 0)
		alg = SIGNING_ALG_EDDSA;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JWS algorithm \"%s\" is not allowed", alg_name),
				 errdetail("Only \"RS256\" and \"EdDSA\" are accepted.")));

	pub = find_key(jwks, alg, kid_member ? string_value(kid_member) : NULL);
	sig = decode_member(signature, "JWS signature");

	initStringInfo(&input);
	appendBinaryStringInfo(&input, protected->val.string.val, protected->val.string.len);
	appendStringInfoChar(&input, '.');
	appendBinaryStringInfo(&input, payload->val.string.val, payload->val.string.len);
	if (!ossl_verify(pub, input.data, input.len, (uint8 *) VARDATA(sig), VARSIZE(sig) - VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JWS signature verification failed"),
				 errdetail("The signature does not match the protected header and payload under key \"%s\".",
						   kid_member ? string_value(kid_member) : "(no kid)")));

	PG_RETURN_JSONB_P(json_bytes_to_jsonb(decode_member(payload, "JWS payload"), "payload"));
}

/* SQL function: jwk_thumbprint(jwk jsonb) returns text */
Datum
keycard_jwk_thumbprint(PG_FUNCTION_ARGS)
{
	Jsonb	   *jwk = PG_GETARG_JSONB_P(0);
	JsonbValue *kty;
	PublicKey  *pub;
	StringInfoData input;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	StringInfoData thumbprint;

	if (!JB_ROOT_IS_OBJECT(jwk))
		malformed_jwks("The JWK is not a JSON object.");
	kty = string_member(&jwk->root, "kty", malformed_jwks);
	if (kty == NULL || (strcmp(string_value(kty), "RSA") != 0 && strcmp(string_value(kty), "OKP") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unsupported JWK key type"),
				 errdetail("Only \"RSA\" and \"OKP\" (Ed25519) keys are supported.")));
	pub = jwk_public_key(&jwk->root,
						 strcmp(string_value(kty), "RSA") == 0 ? SIGNING_ALG_RS256 : SIGNING_ALG_EDDSA,
						 "(thumbprint)");
	initStringInfo(&input);
	jwk_append_thumbprint_input(&input, pub);
	sha256_bytes(input.data, input.len, digest);
	initStringInfo(&thumbprint);
	base64url_append(&thumbprint, digest, sizeof(digest));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(thumbprint.data, thumbprint.len));
}
